"""Ports for the servers tests start, and for "nothing listens here" addresses.

A port the kernel hands out for ``bind(("127.0.0.1", 0))`` is free only at that moment: under
pytest-xdist another worker's test could be given the same one before the first server had
bound it (or start a server on a port a test relies on being down). Each worker instead counts
through a range of its own, below Linux's ephemeral range (32768 and up, where client sockets
and ``bind(0)`` take theirs), and skips a port something already holds.
"""

from __future__ import annotations

import itertools
import os
import re
import socket

FIRST_PORT = 20000
PORTS_PER_WORKER = 1000
_counter = itertools.count()


def worker_index() -> int:
    """0 for ``gw0`` (and a run without xdist), 1 for ``gw1``, ..."""
    found = re.search(r"\d+", os.environ.get("PYTEST_XDIST_WORKER", ""))
    return int(found.group()) if found else 0


def free_port() -> int:
    """A port on 127.0.0.1 that nothing holds and no other worker will hand out."""
    start = FIRST_PORT + worker_index() * PORTS_PER_WORKER
    for _ in range(PORTS_PER_WORKER):
        port = start + next(_counter) % PORTS_PER_WORKER
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{start + PORTS_PER_WORKER - 1}")
