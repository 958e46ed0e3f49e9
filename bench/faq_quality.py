"""FAQ retrieval quality: BM25, dense and hybrid on BANKING77-FAQ, CLINC150-FAQ and StackFAQ.

Usage::

    .venv/bin/python bench/faq_quality.py [--datasets banking77 clinc150 stackfaq]
        [--modes bm25 dense hybrid] [--out var/bench/faq_quality.json] [--tune]
        [--typos] [--no-spelling]

FAQ bases are built from the developer splits in ``/work/shared/data`` (read in place, never
copied): one entry per intent whose question + 4 alternatives are that intent's first five
training texts ordered by SHA-256 of the text; queries are the dev split (CLINC150 adds
``oos_val`` as queries no entry answers). StackFAQ: one entry per thread (question + first
answer), its dev paraphrases as queries. ``--tune`` also prints the calibration fit and a
threshold sweep on the same dev queries (this is how the defaults were chosen).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bot.cli.faq import scratch_retriever
from knowledge import EmbeddingCache, FaqRetriever, RetrieverConfig, evaluate
from knowledge.evaluation import LabelledQuery
from nlu.augment import typo
from nlu.encoder import SentenceEncoder

DATA_ROOT = Path("/work/shared/data")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entries(by_intent: dict[str, list[str]]) -> list[dict[str, Any]]:
    out = []
    for intent in sorted(by_intent):
        first = sorted(by_intent[intent], key=_sha)[:5]
        out.append({
            "id": intent, "question": first[0], "alternatives": first[1:],
            "answer": f"(answer for {intent})", "tags": [],
        })  # fmt: skip
    return out


def banking77(root: Path) -> tuple[list[dict[str, Any]], list[LabelledQuery]]:
    """BANKING77-FAQ: entries from train_minus_dev, queries from dev."""
    by_intent: dict[str, list[str]] = {}
    with (root / "banking77/dev_split/train_minus_dev.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            by_intent.setdefault(row["category"], []).append(row["text"])
    with (root / "banking77/dev_split/dev.csv").open(newline="") as f:
        queries = [LabelledQuery(r["text"], r["category"]) for r in csv.DictReader(f)]
    return _entries(by_intent), queries


def clinc150(root: Path) -> tuple[list[dict[str, Any]], list[LabelledQuery]]:
    """CLINC150-FAQ: entries from train, queries from val plus oos_val (expected null)."""
    data = json.loads((root / "clinc150/data_full.train_val.json").read_text())
    by_intent: dict[str, list[str]] = {}
    for text, intent in data["train"]:
        by_intent.setdefault(intent, []).append(text)
    queries = [LabelledQuery(t, i) for t, i in data["val"]]
    queries += [LabelledQuery(t, None) for t, _ in data["oos_val"]]
    return _entries(by_intent), queries


def stackfaq(root: Path) -> tuple[list[dict[str, Any]], list[LabelledQuery]]:
    """StackFAQ: one entry per thread, dev paraphrases as queries."""
    data = json.loads((root / "stackfaq/stackExchange-FAQ.dev.json").read_text())
    entries: list[dict[str, Any]] = []
    queries: list[LabelledQuery] = []
    for i, pair in enumerate(data["root"]["qapair"]):
        answers = pair["answer"] if isinstance(pair["answer"], list) else [pair["answer"]]
        key = f"thread-{i:03d}"
        entries.append({"id": key, "question": pair["question"], "answer": answers[0]})
        queries += [LabelledQuery(r, key) for r in pair["rephr"] if r and r != "*"]
    return entries, queries


def clinc150_oos_train(root: Path) -> list[LabelledQuery]:
    """CLINC150's ``oos_train``: 100 more out-of-scope questions, from the train split. With
    ``oos_val`` they make a 200-question estimate of how often the bot answers a question no
    entry answers (100 alone moves 0.01 per question)."""
    data = json.loads((root / "clinc150/data_full.train_val.json").read_text())
    return [LabelledQuery(t, None) for t, _ in data["oos_train"]]


DATASETS = {"banking77": banking77, "clinc150": clinc150, "stackfaq": stackfaq}
EXTRA_OOS = {"clinc150": clinc150_oos_train}


class CachedEncoder:
    """The real encoder behind a disk cache, so repeated benchmark runs skip re-encoding."""

    def __init__(self, encoder: SentenceEncoder, directory: Path) -> None:
        self._cache = EmbeddingCache(encoder, directory)
        self.encoder = encoder

    @property
    def name(self) -> str:
        return self.encoder.name

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._cache.embed(texts)

    def whole_words(self) -> frozenset[str]:
        return self.encoder.whole_words()


def with_typos(queries: list[LabelledQuery], seed: int = 13) -> list[LabelledQuery]:
    """Each query with a keyboard slip in one of its words of four letters or more (the
    NLU's typo augmentation: a letter dropped, doubled, swapped or hit beside)."""
    rng = random.Random(seed)
    out = []
    for q in queries:
        words = [m for m in re.finditer(r"[A-Za-z]{4,}", q.query)]
        if words:
            m = rng.choice(words)
            q = LabelledQuery(q.query[: m.start()] + typo(m.group(0), rng) + q.query[m.end() :],
                              q.expected)  # fmt: skip
        out.append(q)
    return out


def tune_rows(retriever: FaqRetriever, queries: list[LabelledQuery]) -> list[tuple[Any, ...]]:
    """(best score, lead, right?, out of scope?, best cosine, confidence) for every query: the
    score-and-lead calibration's inputs, the similarity the floor is checked against, and the
    retriever's own confidence (with the head: its probability, calibrated on the base; 0 when
    the answer guards would stop it, so a sweep over it shows what the retriever would do)."""
    texts = [retriever.spelled(q.query) for q in queries]
    vectors = retriever.encoder.encode(texts)
    rows = []
    for i, q in enumerate(queries):
        hits = retriever.search_encoded(texts[i], vectors[i : i + 1], k=3, written=q.query)
        if hits:
            best = hits[0].score
            lead = best - hits[1].score if len(hits) > 1 else best
            right = hits[0].entry.external_key == q.expected
            own = hits[0].confidence if retriever.may_answer(hits[0]) else 0.0
            rows.append((best, lead, right, q.expected is None, hits[0].similarity, own))
    return rows


def tune(per_dataset: dict[str, list[tuple[Any, ...]]], mode: str = "hybrid") -> dict[str, Any]:
    """Fit one calibration on all datasets' queries; sweep the answer threshold per dataset
    (an answer also needs the answer-similarity guard's cosine, except in bm25 mode)."""
    from sklearn.linear_model import LogisticRegression

    pooled = [row for name, rows in per_dataset.items() if "+" not in name for row in rows]
    fit = LogisticRegression(C=100.0).fit(
        np.array([r[:2] for r in pooled]), np.array([r[2] for r in pooled])
    )
    out: dict[str, Any] = {
        "calibration": {"top": round(float(fit.coef_[0][0]), 3),
                        "margin": round(float(fit.coef_[0][1]), 3),
                        "bias": round(float(fit.intercept_[0]), 3)},
    }  # fmt: skip
    for name, rows in per_dataset.items():
        conf = fit.predict_proba(np.array([r[:2] for r in rows]))[:, 1]
        answerable = conf  # what may be answered; suggestions are not held to the guard
        if mode != "bm25":
            guard = RetrieverConfig().min_answer_similarity
            answerable = np.where(np.array([r[4] for r in rows]) >= guard, conf, 0.0)
        right = np.array([r[2] for r in rows])
        oos = np.array([r[3] for r in rows])
        own = np.array([r[5] for r in rows])
        grid = np.arange(0.3, 0.99, 0.05)
        fine = np.arange(0.8, 0.9501, 0.005)
        sweep = [_operating_point(answerable, right, oos, t) for t in grid]
        steps = sorted({round(float(t), 3) for t in (*grid, *fine)})
        own_sweep = [_operating_point(own, right, oos, t) for t in steps]
        similarity = np.array([r[4] for r in rows])
        offered = conf >= RetrieverConfig().thresholds("hybrid-plain")[1]
        floors = {}
        for floor in (0.2, 0.25, 0.3, 0.35, 0.4):
            below = similarity < floor
            floors[str(floor)] = {
                "right_offers_lost": int((offered & right & below).sum()),
                "right_offers": int((offered & right).sum()),
                "oos_offers_kept": int((offered & oos & ~below).sum()),
            }  # fmt: skip
        out[name] = {"thresholds": sweep, "own_thresholds": own_sweep, "similarity_floor": floors}
    return out


def _operating_point(
    conf: np.ndarray, right: np.ndarray, oos: np.ndarray, threshold: float
) -> dict[str, float]:
    answered = conf >= threshold
    return {
        "threshold": round(float(threshold), 3),
        "answered_right": round(float((answered & right)[~oos].mean()), 4),
        "answer_precision": round(float((answered & right).sum() / max(1, answered.sum())), 4),
        "oos_answered": round(float(answered[oos].mean()), 4) if oos.any() else 0.0,
    }


def machine() -> str:
    """CPU model and core count (from lscpu)."""
    try:
        info = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
        model = fields.get("Model name", platform.processor()).strip()
        return f"{model}, {os.cpu_count()} cores"
    except OSError:
        return f"{platform.processor()}, {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--modes", nargs="+", default=["bm25", "dense", "hybrid"])
    parser.add_argument("--data-root", type=Path, default=DATA_ROOT)
    parser.add_argument("--cache", type=Path, default=Path("var/bench/faq-embeddings"))
    parser.add_argument("--out", type=Path, default=Path("var/bench/faq_quality.json"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--encoder", default=None, help="checkpoint folder (default: packaged)")
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--no-head", action="store_true", help="hybrid without adaptation")
    parser.add_argument("--no-spelling", action="store_true", help="typos left as typed")
    parser.add_argument(
        "--typos", action="store_true", help="a keyboard slip in one word of every query"
    )
    args = parser.parse_args()
    encoder = CachedEncoder(
        SentenceEncoder(args.encoder, device="cpu", threads=args.threads), args.cache
    )
    config = RetrieverConfig(adapt=not args.no_head, spelling=not args.no_spelling)
    results: list[dict[str, Any]] = []
    tuning: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
    for name in args.datasets:
        entries, queries = DATASETS[name](args.data_root)
        extra = EXTRA_OOS[name](args.data_root) if name in EXTRA_OOS else []
        if args.typos:
            queries, extra = with_typos(queries), with_typos(extra)
        with tempfile.TemporaryDirectory() as tmp:
            faq_file = Path(tmp) / "faq.json"
            faq_file.write_text(json.dumps(entries))
            for mode in args.modes:
                started = time.perf_counter()
                with scratch_retriever(
                    faq_file, encoder, mode=mode, config=replace(config), cache_dir=args.cache
                ) as retriever:
                    report = evaluate(retriever, queries).to_dict()
                    if extra:
                        report["oos_answered_oos_train"] = evaluate(retriever, extra).oos_answered
                    if args.tune:
                        tuning.setdefault(mode, {})[name] = tune_rows(retriever, queries)
                        if extra:  # the sweep again, with 200 OOS questions
                            tuning[mode][f"{name}+oos_train"] = tune_rows(
                                retriever, queries + extra
                            )
                report.update(dataset=name, entries=len(entries),
                              seconds=round(time.perf_counter() - started, 1))  # fmt: skip
                results.append(report)
                extra_oos = report.get("oos_answered_oos_train")
                precision = report["answer_precision"]  # None: nothing answered
                shown = "n/a" if precision is None else f"{precision:.3f}"
                print(
                    f"{name:10s} {mode:7s} R@1 {report['recall_at_1']:.3f} "
                    f"R@5 {report['recall_at_5']:.3f} MRR {report['mrr']:.3f} "
                    f"right {report['answered_right']:.3f} prec {shown} "
                    f"oos {report['oos_answered']:.3f}"
                    + ("" if extra_oos is None else f" (oos_train {extra_oos:.3f})"),
                    flush=True,
                )
    tuned = {mode: tune(rows, mode) for mode, rows in tuning.items()}
    for mode, result in tuned.items():
        print(mode, "calibration", json.dumps(result["calibration"]))
        for name in [n for n in result if n != "calibration"]:
            for row in result[name]["thresholds"]:
                print(f"  {name:10s}", row)
            for row in result[name]["own_thresholds"]:
                print(f"  {name:10s} own confidence", row)
            print(f"  {name:10s} similarity floor", json.dumps(result[name]["similarity_floor"]))
    summary = {
        "command": " ".join(sys.argv),
        "machine": machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
        "tuning": tuned,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
