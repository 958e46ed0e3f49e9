"""Time of one bot turn, message in to replies out, on the demo shop as served.

Usage::

    .venv/bin/python bench/turn_speed.py [--project examples/demo] [--rounds 60] [--threads 1]

Builds the services as ``deskbot serve`` does (the project's trained NLU model, its FAQ base
and retriever, custom actions in process) over a scratch SQLite database and the SQL session
store, then times ``DialogueManager.handle`` for kinds of message, each in a new conversation:
a sure intent with a canned reply, a sure intent that starts a form, an FAQ question, one of
an FAQ entry's own phrasings that a sure intent also claims, and keyboard mash (not
understood). Needs ``deskbot train --project …`` first. Prints wall-clock p50/p90/p99 and
the median CPU time of the process, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import numpy as np
from served import served

# (kind, messages tried in turn); each message opens its own conversation.
KINDS = {
    "sure intent, canned reply": ["hello", "thanks a lot", "bye"],
    "sure intent, starts a form": ["I want to return an item", "where is my order"],
    "FAQ question": ["how long does delivery take", "can I pay with paypal"],
    "not understood": ["asdkjh qweoiu zxcmn"],
}


async def run(project: Path, rounds: int, threads: int) -> dict[str, dict[str, float]]:
    async with served(project, torch_threads=threads) as dialogue:
        for kind, texts in KINDS.items():  # warm every path once
            for text in texts:
                await dialogue.handle(f"warm-{kind}-{text}", text)
        results = {}
        for kind, texts in KINDS.items():
            seconds, cpu = [], []
            for n in range(rounds):
                text = texts[n % len(texts)]
                started, used = time.perf_counter(), time.process_time()
                await dialogue.handle(f"{kind}-{n}", text)
                seconds.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
            ms = np.array(seconds) * 1000
            results[kind] = {f"p{q}": round(float(np.percentile(ms, q)), 1) for q in (50, 90, 99)}
            results[kind]["cpu"] = round(float(np.median(cpu)) * 1000, 1)
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=Path("examples/demo"))
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    results = asyncio.run(run(args.project, args.rounds, args.threads))
    # CPU time (all the process's threads) is what a busy machine cannot inflate by
    # preempting the benchmark; wall-clock tails are.
    print(f"{'message':<30} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'CPU p50 ms':>11}")
    for kind, row in results.items():
        print(f"{kind:<30} {row['p50']:>8} {row['p90']:>8} {row['p99']:>8} {row['cpu']:>11}")


if __name__ == "__main__":
    main()
