"""Train and score the NLU model on BANKING77, CLINC150 and SNIPS (developer splits only).

Usage::

    .venv/bin/python bench/nlu_quality.py banking77 [--epochs 8] [--threads 1] [--out DIR]
    .venv/bin/python bench/nlu_quality.py clinc150
    .venv/bin/python bench/nlu_quality.py snips

Data is read in place from ``/work/shared/data`` (or ``--data-root``); nothing is copied. Each
run writes ``<out>/<dataset>/model`` and ``<out>/<dataset>/report.json`` and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu import Example, NluModel, TrainConfig, TrainingData, evaluate, load_training_data, train

DATA_ROOT = Path("/work/shared/data")


def read_clinc_json(path: Path, keys: list[str]) -> TrainingData:
    """CLINC150's ``{key: [[text, intent], ...]}`` lists, concatenated over ``keys``."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return TrainingData(
        examples=[Example(text, intent) for key in keys for text, intent in raw[key]]
    )


def dataset(name: str, root: Path) -> tuple[TrainingData, TrainingData, str | None]:
    """(train, dev, out-of-scope label) for one benchmark."""
    if name == "banking77":
        base = root / "banking77" / "dev_split"
        return (
            load_training_data(base / "train_minus_dev.csv"),
            load_training_data(base / "dev.csv"),
            None,
        )
    if name == "clinc150":
        path = root / "clinc150" / "data_full.train_val.json"
        return (
            read_clinc_json(path, ["train", "oos_train"]),
            read_clinc_json(path, ["val", "oos_val"]),
            "oos",
        )
    if name == "snips":
        return (
            load_training_data(root / "snips" / "train"),
            load_training_data(root / "snips" / "valid"),
            None,
        )
    raise SystemExit(f"unknown dataset {name!r}")


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(ln.split(":", 1)[1].strip() for ln in out.splitlines() if "Model name" in ln)
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return f"{model}, {os.cpu_count()} cores"


def per_intent_slice(data: TrainingData, limit: int) -> TrainingData:
    """The first ``limit`` examples of each intent (a quick, still stratified, slice)."""
    seen: dict[str, int] = {}
    kept = []
    for example in data.examples:
        seen[example.intent] = seen.get(example.intent, 0) + 1
        if seen[example.intent] <= limit:
            kept.append(example)
    return data.with_examples(kept)


def run(args: argparse.Namespace) -> dict[str, Any]:
    train_data, dev_data, oos = dataset(args.dataset, Path(args.data_root))
    if args.per_intent:
        train_data = per_intent_slice(train_data, args.per_intent)
        dev_data = per_intent_slice(dev_data, max(1, args.per_intent // 4))
    out = Path(args.out) / args.dataset
    config = TrainConfig(
        epochs=args.epochs,
        seed=args.seed,
        threads=args.threads,
        max_length=args.max_length,
        batch_size=args.batch_size,
        encoder_lr=args.encoder_lr,
        head_lr=args.head_lr,
        intent_head=args.intent_head,
        label_smoothing=args.label_smoothing,
        intent_head_init=args.head_init,
        ema_decay=args.ema_decay or None,
        patience=args.patience,
        device=args.device,
        progress=not args.quiet,
    )
    started = time.perf_counter()
    model_dir = train(train_data, config, out / "model", dev=dev_data)
    train_seconds = time.perf_counter() - started
    model = NluModel.load(model_dir, device=args.device, threads=args.threads)
    report = evaluate(model, dev_data, oos_label=oos)
    training = json.loads((model_dir / "training.json").read_text())
    summary = {
        "dataset": args.dataset,
        "split": "train -> dev/valid (developer split)",
        "command": " ".join(sys.argv),
        "machine": machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "train_seconds": round(train_seconds, 1),
        "epochs_run": training["epochs_run"],
        "best_epoch": training["best_epoch"],
        "dev_history": training.get("dev_history"),
        "fallback_threshold": training["fallback_threshold"],
        "intent_accuracy": report["intent"]["accuracy"],
        "intent_macro_f1": report["intent"]["macro_f1"],
        "entity_f1": report["entities"]["f1"],
        "out_of_scope": report["out_of_scope"],
        "n": report["n"],
    }
    (out / "report.json").write_text(json.dumps({"summary": summary, "report": report}, indent=2))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=["banking77", "clinc150", "snips"])
    parser.add_argument("--data-root", default=str(DATA_ROOT))
    parser.add_argument("--out", default="/tmp/nlu_bench")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--encoder-lr", type=float, default=1e-4)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--intent-head", default="cosine", choices=["linear", "cosine"])
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--head-init", default="centroid", choices=["random", "centroid"])
    parser.add_argument("--ema-decay", type=float, default=0.995, help="0 turns averaging off")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--per-intent", type=int, default=0, help="train on N per intent")
    parser.add_argument("--quiet", action="store_true")
    summary = run(parser.parse_args())
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
