"""Switching a SQLite file to write-ahead logging when several connections open it at once."""

from __future__ import annotations

import sqlite3
import time

_FIRST_WAIT_S = 0.005
_LONGEST_WAIT_S = 0.1


def enable_wal(connection: sqlite3.Connection, timeout_s: float = 30.0) -> None:
    """Put the connection's database in WAL mode, waiting for others doing the same.

    Changing the journal mode needs an exclusive lock. When two connections that both read
    the file ask for it, SQLite refuses one of them at once ('database is locked') rather than
    let them deadlock, and its busy timeout does not apply; so workers opening a new file
    together must retry. Nothing is written before the switch, so retrying is safe.

    Raises:
        sqlite3.OperationalError: still locked after ``timeout_s``, or any other failure.
    """
    deadline = time.monotonic() + timeout_s
    wait = _FIRST_WAIT_S
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL").close()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + wait > deadline:
                raise
        time.sleep(wait)
        wait = min(wait * 2, _LONGEST_WAIT_S)
