"""An FAQ import while the bot chats: how long the import takes, and how long chat messages
sent meanwhile wait.

Usage::

    .venv/bin/python bench/faq_import.py [--rows 2000] [--preload 0] [--interval 0.5]
        [--url http://127.0.0.1:PORT --token-file var/admin-token.txt]

Without ``--url`` it serves the demo bot itself (``deskbot serve`` on a free port, over a
scratch data folder: a fresh SQLite file and an empty embedding cache, so every imported
phrasing is encoded; needs ``deskbot train`` first). It writes a CSV of ``--rows`` new entries
in the exporter's columns (a question, three alternatives and a one-sentence answer
each, about 450 KB for 2,000), optionally imports ``--preload`` other rows first (a larger base),
then posts the file to ``/api/faq/import?format=csv`` while a chat message goes to
``/webhooks/rest/webhook`` every ``--interval`` seconds, each from a new sender, until the
import has answered and its entries are searchable. Prints the import's response time, the
time until its entries are searchable (``/api/faq/try`` answers once the index has them) and
the chat messages' p50 / p99 / max in milliseconds.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.faq_quality import machine  # noqa: E402

COLUMNS = [
    "id", "question", "answer", "alternatives", "tags", "buttons", "links",
    "language", "active", "version", "deleted",
]  # fmt: skip
THINGS = ["parcel", "invoice", "gift card", "voucher", "account", "newsletter", "warranty"]
DOINGS = ["change", "cancel", "track", "find", "update", "replace", "transfer", "renew"]
CHAT = ["hello", "how long does delivery take", "where is my order", "can I pay with paypal"]


def csv_rows(start: int, count: int) -> bytes:
    """``count`` new entries numbered from ``start``, as the FAQ exporter writes them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range(start, start + count):
        thing, doing = THINGS[n % len(THINGS)], DOINGS[n // len(THINGS) % len(DOINGS)]
        question = f"How do I {doing} {thing} {n}?"
        alternatives = [f"{doing} {thing} {n}", f"{thing} {n} {doing}", f"help with {thing} {n}"]
        answer = f"Open your account, choose {thing} {n} and press {doing}."
        writer.writerow(
            [f"bench_{n}", question, answer, json.dumps(alternatives), json.dumps(["bench"]),
             "[]", "[]", "en", "true", "", ""]
        )  # fmt: skip
    return out.getvalue().encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(scratch: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """``deskbot serve`` over a scratch folder; returns the process, its URL and its token."""
    port = free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "DESKBOT_DATA_DIR": str(scratch),
        "DESKBOT_DATABASE_URL": f"sqlite:///{scratch}/deskbot.db",
        "DESKBOT_RATE_LIMIT_ADDRESS": "0",
        "DESKBOT_LOG_LEVEL": "warning",
    }
    log = (scratch / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/deskbot"), "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"deskbot serve stopped; see {scratch}/serve.log")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                token = (scratch / "admin-token.txt").read_text().strip()
                return process, url, token
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("deskbot serve did not answer /health within 5 minutes")


def chat_while(url: str, interval: float, done: threading.Event, out: list[float]) -> None:
    """Send a chat message every ``interval`` seconds until ``done``; record each's time."""
    with httpx.Client(timeout=120) as client:
        n = 0
        while not done.is_set():
            sent = time.perf_counter()
            response = client.post(
                f"{url}/webhooks/rest/webhook",
                json={"sender": f"bench-{uuid.uuid4().hex[:12]}", "message": CHAT[n % len(CHAT)]},
            )
            response.raise_for_status()
            took = time.perf_counter() - sent
            out.append(took * 1000)
            n += 1
            done.wait(max(0.0, interval - took))


def searchable(admin: httpx.Client, url: str) -> None:
    """Wait until this server's index holds every committed entry (``try`` catches it up)."""
    admin.post(f"{url}/api/faq/try", json={"text": "help with parcel 1"}).raise_for_status()


def run(url: str, token: str, rows: int, preload: int, interval: float) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=600, headers=headers) as admin:
        if preload:
            answered = admin.post(
                f"{url}/api/faq/import", params={"format": "csv"}, content=csv_rows(0, preload)
            )
            answered.raise_for_status()
            searchable(admin, url)
        start = 1_000_000 + int(time.time()) % 1_000_000  # new keys each run
        data = csv_rows(start, rows)
        for message in CHAT:  # warm: the first turns load what chat needs
            httpx.post(
                f"{url}/webhooks/rest/webhook",
                json={"sender": f"warm-{uuid.uuid4().hex[:8]}", "message": message},
                timeout=120,
            ).raise_for_status()
        done = threading.Event()
        latencies: list[float] = []
        chatter = threading.Thread(target=chat_while, args=(url, interval, done, latencies))
        chatter.start()
        time.sleep(2 * interval)  # a few messages before the import, for comparison
        begun = time.perf_counter()
        answered = admin.post(f"{url}/api/faq/import", params={"format": "csv"}, content=data)
        took = time.perf_counter() - begun
        answered.raise_for_status()
        searchable(admin, url)
        indexed = time.perf_counter() - begun
        time.sleep(2 * interval)
        done.set()
        chatter.join()
    values = np.array(latencies)
    return {
        "csv_kb": round(len(data) / 1024, 1),
        "import_s": round(took, 2),
        "searchable_s": round(indexed, 2),
        "messages": len(values),
        "chat_p50_ms": round(float(np.percentile(values, 50)), 1),
        "chat_p99_ms": round(float(np.percentile(values, 99)), 1),
        "chat_max_ms": round(float(values.max()), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--preload", type=int, default=0, help="rows imported beforehand")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between messages")
    parser.add_argument("--url", default=None, help="a running server (default: start one)")
    parser.add_argument("--token-file", type=Path, default=Path("var/admin-token.txt"))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if args.url:
        token = args.token_file.read_text().strip()
        result = run(args.url, token, args.rows, args.preload, args.interval)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            process, url, token = serve(Path(scratch))
            try:
                result = run(url, token, args.rows, args.preload, args.interval)
            finally:
                process.terminate()
                process.wait(timeout=60)
    print(json.dumps({"rows": args.rows, "preload": args.preload, **result}))


if __name__ == "__main__":
    main()
