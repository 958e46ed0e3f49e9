"""How well the NLU reads messages with typos, with and without typo'd training copies.

A project's NLU examples are split per intent (``--holdout`` of each intent held out);
a model is trained on the rest for each ``--copies`` value (``TrainConfig.typo_copies``),
and judged on the held-out examples as written and with keyboard typos (``--variants``
typo'd forms of each, drawn with another seed than training's). Prints one row per value
and writes ``report.json`` under ``--out``.

    .venv/bin/python bench/nlu_typos.py --project examples/demo --copies 0 1 2
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from nlu import NluModel, TrainConfig, load_training_data, train
from nlu.augment import with_typo
from nlu.data import Example
from nlu.training import collapse_retrieval_intents


def split(examples: tuple[Example, ...], share: float, seed: int) -> tuple[list[Example], ...]:
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example)
    rng = random.Random(seed)
    kept: list[Example] = []
    held: list[Example] = []
    for _, group in sorted(by_intent.items()):
        group = group[:]
        rng.shuffle(group)
        n = max(1, round(len(group) * share)) if len(group) > 2 else 0
        held += group[:n]
        kept += group[n:]
    return kept, held


def accuracy(model: NluModel, pairs: list[tuple[str, str]]) -> float:
    if not pairs:  # no word long enough to misspell (non-Latin data): nothing to judge
        return float("nan")
    results = model.parse_batch([text for text, _ in pairs])
    return sum(
        r.intent.name == intent for r, (_, intent) in zip(results, pairs, strict=True)
    ) / len(pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=Path("examples/demo"))
    parser.add_argument("--copies", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--holdout", type=float, default=0.2)
    parser.add_argument("--variants", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("/tmp/nlu_typos"))
    args = parser.parse_args(argv)

    files = [f for f in sorted((args.project / "data").glob("*.yml")) if "nlu:" in f.read_text()]
    # faq/ask_x is learnt and read as faq (TrainConfig.retrieval_intents "collapse")
    data = collapse_retrieval_intents(load_training_data(*files), "collapse")
    kept, held = split(data.examples, args.holdout, args.seed)
    noise = random.Random(args.seed + 1000)  # not the training copies' draws
    typod: list[tuple[str, str]] = []
    for example in held:
        for _ in range(args.variants):
            noisy = with_typo(example, noise)
            if noisy is not None and noisy.text != example.text:
                typod.append((noisy.text, example.intent))
    clean = [(e.text, e.intent) for e in held]
    print(f"{len(kept)} training examples, {len(held)} held out, {len(typod)} typo'd forms")
    rows = []
    for copies in args.copies:
        out = args.out / f"copies-{copies}"
        config = TrainConfig(
            epochs=args.epochs,
            seed=args.seed,
            threads=args.threads,
            typo_copies=copies,
            progress=False,
        )
        started = time.perf_counter()
        train(replace(data, examples=tuple(kept)), config, out)
        seconds = time.perf_counter() - started
        model = NluModel.load(out, threads=args.threads)
        row = {
            "copies": copies,
            "clean": round(accuracy(model, clean), 4),
            "typos": round(accuracy(model, typod), 4),
            "train_seconds": round(seconds, 1),
        }
        rows.append(row)
        print(
            f"copies {copies}: held out as written {row['clean']:.3f}, with typos "
            f"{row['typos']:.3f}, training {seconds:.0f} s",
            flush=True,
        )
    report = {"project": str(args.project), "held_out": len(held), "typo_forms": len(typod)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps({**report, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
