"""Torch's thread count in the test process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def all_cores() -> Iterator[None]:
    """Torch on every core meanwhile: the NLU tests hold the process to one thread, and the
    fixtures' trainings, the suite's longest steps, ran on one of two cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
