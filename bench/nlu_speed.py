"""Parse latency and throughput of a trained NLU model, against a naive transformers pipeline.

Usage::

    .venv/bin/python bench/nlu_speed.py --model /tmp/nlu_bench/banking77/model [--threads 2]
        [--precision auto|fp32|bf16] [--device auto] [--batch-sizes 1,8,32,128] [--json OUT]

Measures, on BANKING77 dev texts (read in place): batch-1 parse latency p50/p95/p99; throughput
through the asyncio MicroBatcher at concurrency 1, 8 and 64; optionally raw ``parse_batch``
throughput per batch size; and a baseline: ``transformers.pipeline("text-classification")`` over
the same fine-tuned weights, called once per message, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

from nlu import MicroBatcher, NluModel, load_training_data
from nlu.encoder import mean_pool

TEXTS = Path("/work/shared/data/banking77/dev_split/dev.csv")


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000.0
    return {f"p{q}": round(float(np.percentile(ms, q)), 2) for q in (50, 95, 99)}


def latency(model: NluModel, texts: list[str]) -> dict[str, float]:
    for text in texts[:10]:
        model.parse(text)
    times = []
    for text in texts:
        started = time.perf_counter()
        model.parse(text)
        times.append(time.perf_counter() - started)
    return percentiles(times)


async def _through_batcher(model: NluModel, texts: list[str], concurrency: int) -> float:
    async with MicroBatcher(model, max_batch_size=64, max_wait_ms=5) as batcher:
        queue = list(texts)

        async def worker() -> None:
            while queue:
                await batcher.parse(queue.pop())

        await batcher.parse(texts[0])
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(texts) / (time.perf_counter() - started)


def batch_throughput(model: NluModel, texts: list[str], size: int) -> float:
    model.batch_size = size
    model.parse_batch(texts[:size])
    n = max(len(texts), size * 4)
    work = (texts * (n // len(texts) + 1))[:n]
    started = time.perf_counter()
    for at in range(0, n, size):
        model.parse_batch(work[at : at + size])
    return n / (time.perf_counter() - started)


def naive_pipeline(model: NluModel) -> Any:
    """A text-classification pipeline over the same encoder and intent head (mean pooling)."""
    from transformers import BertPreTrainedModel, TextClassificationPipeline
    from transformers.modeling_outputs import SequenceClassifierOutput
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # it warns that a custom class is not a registered one

    network = model.network

    class MeanPoolClassifier(BertPreTrainedModel):  # type: ignore[misc]
        def __init__(self) -> None:
            config = network.encoder.config
            config.id2label = dict(enumerate(model.labels.intents))
            config.label2id = {n: i for i, n in enumerate(model.labels.intents)}
            super().__init__(config)
            self.bert = network.encoder.float()
            self.head = network.intent_head.float()

        def forward(self, input_ids: Any, attention_mask: Any, **_: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return SequenceClassifierOutput(logits=self.head(mean_pool(hidden, attention_mask)))

    classifier = MeanPoolClassifier().eval()
    return TextClassificationPipeline(
        model=classifier, tokenizer=model.tokenizer, device=model.device, top_k=None
    )


def naive_throughput(pipe: Any, texts: list[str]) -> tuple[float, dict[str, float]]:
    for text in texts[:5]:
        pipe(text)
    times = []
    started = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        pipe(text)
        times.append(time.perf_counter() - t0)
    return len(texts) / (time.perf_counter() - started), percentiles(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="/tmp/nlu_bench/banking77/model")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--n", type=int, default=400, help="messages per measurement")
    parser.add_argument("--concurrency", default="1,8,64")
    parser.add_argument("--batch-sizes", default="", help="e.g. 1,8,32,128,256")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--json", default=None, help="write the figures here")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    texts = [e.text for e in load_training_data(TEXTS).examples]
    texts = (texts * (args.n // len(texts) + 1))[: args.n]
    model = NluModel.load(
        args.model, device=args.device, threads=args.threads, precision=args.precision
    )
    out: dict[str, Any] = {
        "model": args.model,
        "device": str(model.device),
        "precision": str(model.dtype).removeprefix("torch."),
        "threads": torch.get_num_threads(),
        "n": len(texts),
        "latency_ms_batch1": latency(model, texts),
        "throughput_batcher": {},
        "throughput_batch": {},
    }
    for c in (int(x) for x in args.concurrency.split(",") if x):
        out["throughput_batcher"][c] = round(asyncio.run(_through_batcher(model, texts, c)), 1)
        print(f"concurrency {c}: {out['throughput_batcher'][c]} msg/s", flush=True)
    for size in (int(x) for x in args.batch_sizes.split(",") if x):
        out["throughput_batch"][size] = round(batch_throughput(model, texts, size), 1)
        print(f"batch {size}: {out['throughput_batch'][size]} msg/s", flush=True)
    if not args.skip_naive:
        rate, naive_latency = naive_throughput(naive_pipeline(model), texts)
        out["naive_pipeline"] = {"throughput": round(rate, 1), "latency_ms": naive_latency}
        for c, value in out["throughput_batcher"].items():
            out.setdefault("ratio_vs_naive", {})[c] = round(value / rate, 2)
    print(json.dumps(out, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
