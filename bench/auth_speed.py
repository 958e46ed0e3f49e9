"""What checking an API token on every request costs: ``TokenStore.verify`` latency p50/p99,
reading only (``touch=False``, most requests) and reading plus writing the last-used time
(``touch=True``, at most once per 30 s per token), on SQLite and PostgreSQL.

Usage::

    .venv/bin/python bench/auth_speed.py [--requests 2000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Each backend gets a scratch database with 50 tokens (PostgreSQL: a database created and
dropped for the run). One thread, as one API worker's request handler calls it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from bench.faq_quality import machine
from bot import db
from bot.tokens import TokenStore


def _timings(store: TokenStore, token: str, requests: int, touch: bool) -> dict[str, float]:
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        assert store.verify(token, touch=touch) is not None
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(samples[len(samples) // 2], 3),
        "p99_ms": round(samples[int(len(samples) * 0.99)], 3),
    }


def measure(url: str, requests: int) -> dict[str, Any]:
    db.upgrade(url)
    engine = db.create_db_engine(url)
    try:
        store = TokenStore(engine)
        tokens = [store.create("agent", f"agent-{i}")[0] for i in range(50)]
        for token in tokens[:5]:  # warm the pool and the caches
            store.verify(token)
        return {
            "read": _timings(store, tokens[25], requests, touch=False),
            "read_and_touch": _timings(store, tokens[26], requests, touch=True),
        }
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = measure(f"sqlite:///{Path(folder) / 'auth.db'}", args.requests)
    name = f"bench_auth_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        scratch = args.postgres.rsplit("/", 1)[0] + f"/{name}"
        results["postgresql"] = measure(scratch, args.requests)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
