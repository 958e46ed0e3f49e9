"""Torch's thread count in the test process, and the models the suite trains once."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

ROOT = Path(__file__).resolve().parent.parent
MODEL_CACHE = ROOT / ".cache" / "test-models"
# Models kept, the latest used: each change to the training code or the demo's data trains
# new ones (88 MB for the demo), and the folder grew by them for good.
KEPT_MODELS = 4


def workers() -> int:
    """How many pytest processes share the machine (``pytest -n``), this one included."""
    return max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1))


def share_of_cores() -> int:
    """This process's share of the cores it may run on: the NLU tests hold a process to one
    thread, and the fixtures' trainings, the suite's longest steps, take the share. More
    threads than cores, two workers each training on all of them, made a training five
    times slower."""
    return max(1, len(os.sched_getaffinity(0)) // workers())


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
    """Digest of what decides what a trained model is: the NLU package and the project's
    training code (defaults included), and the versions of torch and transformers."""
    import torch
    import transformers

    digest = hashlib.sha256(f"{torch.__version__} {transformers.__version__}".encode())
    for path in sorted([*(ROOT / "nlu").glob("*.py"), ROOT / "bot" / "training.py"]):
        digest.update(path.name.encode() + path.read_bytes())
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
            prune = True
        else:
            prune = False
        os.utime(cached)  # used now: the last to be pruned
    if prune:
        prune_models(MODEL_CACHE, KEPT_MODELS)
    return cached


def prune_models(cache: Path, keep: int) -> list[Path]:
    """Remove all but the ``keep`` models used last from ``cache``, and what a killed
    training left; one whose lock another process holds (being trained) stays. Lock files
    stay: waiters on one must share it. Returns what was removed."""
    models: list[tuple[float, Path]] = []
    for path in cache.iterdir():
        try:
            if path.name.endswith(".partial") or (path / "training.json").exists():
                models.append((path.stat().st_mtime, path))
        except FileNotFoundError:  # pruned meanwhile by another worker
            continue
    models.sort(reverse=True)
    kept = [path for _, path in models if not path.name.endswith(".partial")][:keep]
    removed = []
    for _, old in models:
        if old in kept:
            continue
        lock = FileLock(str(old).removesuffix(".partial") + ".lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue
        try:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old)
        finally:
            lock.release()
    return removed
