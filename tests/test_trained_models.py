"""The cache of models the suite trains: kept whole, and pruned to the ones used last."""

from __future__ import annotations

import os
import time
from pathlib import Path

from filelock import FileLock

from tests.trained_models import prune_models


def _model(cache: Path, name: str, used: float) -> Path:
    folder = cache / name
    folder.mkdir(parents=True)
    (folder / "training.json").write_text("{}")
    os.utime(folder, (used, used))
    return folder


def test_the_models_used_last_are_kept_and_a_locked_one_is_left(tmp_path: Path) -> None:
    now = time.time()
    models = [_model(tmp_path, f"m{age}", now - age * 60) for age in range(5)]
    training = tmp_path / "m8.partial"  # a training in progress has no training.json yet
    killed = tmp_path / "m9.partial"  # what a killed run left
    training.mkdir()
    killed.mkdir()
    with FileLock(str(tmp_path / "m8.lock")), FileLock(str(models[4]) + ".lock"):
        removed = prune_models(tmp_path, keep=2)
    assert sorted(removed) == [models[2], models[3], killed]
    assert [m.exists() for m in models] == [True, True, False, False, True]
    assert training.exists()
    assert sorted(prune_models(tmp_path, keep=2)) == sorted([models[4], training])
    assert (tmp_path / "m8.lock").exists()  # waiters on a lock share its file
