"""Workers opening a new SQLite file together all get it in WAL mode, none 'database is locked'."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from knowledge import EmbeddingCache, enable_wal

# A cold open races for the exclusive lock in a few percent of tries (measured 8 in 100 with
# four threads), so 300 tries fail without the retry all but certainly.
TRIES = 300
WORKERS = 4


class _Ones:
    name = "ones"
    dimension = 3

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.ones((len(texts), self.dimension), dtype=np.float32) / np.sqrt(3)


def _together(open_file: Callable[[Path], None], tmp_path: Path) -> list[BaseException]:
    errors: list[BaseException] = []
    for attempt in range(TRIES):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        ready = threading.Barrier(WORKERS)

        def work(folder: Path = folder, ready: threading.Barrier = ready) -> None:
            try:
                ready.wait()
                open_file(folder)
            except BaseException as error:  # any error fails the test
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return errors


def test_connections_switching_a_new_file_to_wal_together_all_succeed(tmp_path: Path) -> None:
    def open_file(folder: Path) -> None:
        connection = sqlite3.connect(folder / "x.db", timeout=30)
        try:
            enable_wal(connection)
            connection.execute("CREATE TABLE IF NOT EXISTS t (x)")
            connection.commit()
        finally:
            connection.close()

    assert _together(open_file, tmp_path) == []
    mode = sqlite3.connect(tmp_path / "0" / "x.db").execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)


def test_embedding_caches_opened_together_share_one_file(tmp_path: Path) -> None:
    def open_file(folder: Path) -> None:
        cache = EmbeddingCache(_Ones(), folder)
        try:
            cache.embed(["same text", "other text"])
        finally:
            cache.close()

    assert _together(open_file, tmp_path) == []
    reopened = EmbeddingCache(_Ones(), tmp_path / "0")
    reopened.embed(["same text", "other text"])
    assert reopened.encoded == 0  # what the workers stored is there for the next one
    reopened.close()


def test_a_lock_that_is_not_released_still_fails_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    waiter = sqlite3.connect(path, timeout=0)
    try:
        enable_wal(waiter, timeout_s=0.2)
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
    else:
        raise AssertionError("enable_wal returned while another connection held the lock")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        waiter.close()
