"""Torch's thread count in the test process, and the models the suite trains once."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
MODEL_CACHE = ROOT / ".cache" / "test-models"


def workers() -> int:
    """How many pytest processes share the machine (``pytest -n``), this one included."""
    return max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1))


def share_of_cores() -> int:
    """This process's share of the cores: the NLU tests hold a process to one thread, and
    the fixtures' trainings, the suite's longest steps, take the share. More threads than
    cores, two workers each training on all of them, made a training five times slower."""
    return max(1, (os.cpu_count() or 1) // workers())


@contextmanager
def our_cores() -> Iterator[None]:
    """Torch on this process's share of the cores meanwhile."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(share_of_cores())
    try:
        yield
    finally:
        torch.set_num_threads(before)


def training_code_digest() -> str:
    """Digest of the code that decides what a trained model is (defaults included)."""
    digest = hashlib.sha256()
    names = ("config.py", "training.py", "network.py", "features.py", "metrics.py")
    for name in (*names, "symbols.py", "encoder.py", "augment.py"):
        digest.update((ROOT / "nlu" / name).read_bytes())
    return digest.hexdigest()[:8]


def trained_once(name: str, train_into: Callable[[Path], object]) -> Path:
    """The model cached as ``name`` under .cache/test-models, trained first (into the
    folder ``train_into`` is given) unless it is there. One process trains it; the other
    workers of the run wait for it rather than each training their own."""
    cached = MODEL_CACHE / name
    MODEL_CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cached) + ".lock"):
        if not (cached / "training.json").exists():
            partial = cached.with_name(cached.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            with our_cores():
                train_into(partial)
            shutil.rmtree(cached, ignore_errors=True)
            partial.rename(cached)  # whole or not there: a killed run leaves no half model
    return cached
