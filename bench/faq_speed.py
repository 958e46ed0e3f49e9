"""FAQ search speed: latency p50/p99 (encoding excluded and included), index build time,
single-entry update time and memory, at 10k, 100k and 1M indexed phrasings.

Usage::

    .venv/bin/python bench/faq_speed.py [--sizes 10000 100000 1000000] [--queries 2000]
        [--out var/bench/faq_speed.json]

Synthetic data: each entry has one phrasing whose vector is drawn from a mixture of 2,000
Gaussian clusters on the unit sphere (real embeddings cluster; uniform random vectors are the
worst case for IVF). Queries are noisy copies of indexed vectors, so recall@1 against exact
search is measured too. Up to 100k the whole retriever path runs (`FaqIndex` state with BM25
over synthetic texts, `FaqRetriever.search_encoded`); at 1M only the FAISS layer. One thread.
"Encoding included" is `FaqRetriever.search` as served: the real encoder embeds each query's
text, then the hybrid search runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sqlalchemy import create_engine

from bench.faq_quality import machine
from knowledge import ChangeSet, FaqBase, FaqEntry, FaqRetriever, RetrieverConfig
from knowledge.vectors import VectorConfig, VectorIndex, phrasing_id

DIM = 384
WORDS = [f"w{i}" for i in range(5000)]


def rss_mb() -> float:
    """Resident memory of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def clustered(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    """Unit vectors around random cluster centres."""
    picks = rng.integers(0, len(centres), n)
    vectors = centres[picks] + 0.35 * rng.normal(size=(n, DIM)).astype(np.float32) / np.sqrt(DIM)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


class TableEncoder:
    """Returns prepared vectors for synthetic texts ``"e<i> ..."`` (no model involved)."""

    name = "synthetic"
    dimension = DIM

    def __init__(self, vectors: np.ndarray, rng: np.random.Generator) -> None:
        self.vectors = vectors
        self.rng = rng

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), DIM), np.float32)
        for i, text in enumerate(texts):
            index = int(text.split(" ", 1)[0][1:])
            if index < len(self.vectors):
                out[i] = self.vectors[index]
            else:
                vector = self.rng.normal(size=DIM).astype(np.float32)
                out[i] = vector / np.linalg.norm(vector)
        return out


def percentiles(samples: list[float]) -> dict[str, float]:
    data = np.array(samples) * 1000
    return {"p50_ms": round(float(np.percentile(data, 50)), 3),
            "p99_ms": round(float(np.percentile(data, 99)), 3)}  # fmt: skip


def synthetic_text(i: int, rng: np.random.Generator) -> str:
    return f"e{i} " + " ".join(WORDS[j] for j in rng.integers(0, len(WORDS), 8))


def run_retriever(n: int, n_queries: int, rng: np.random.Generator, centres: np.ndarray,
                  encoder: Any) -> dict[str, Any]:  # fmt: skip
    vectors = clustered(n, rng, centres)
    entries = {
        i + 1: FaqEntry(id=i + 1, external_key=f"k{i}", question=synthetic_text(i, rng),
                        answer="a", version=1)
        for i in range(n)
    }  # fmt: skip
    engine = create_engine("sqlite://")
    retriever = FaqRetriever(
        FaqBase(engine), TableEncoder(vectors, rng),
        config=RetrieverConfig(adapt=False, vectors=VectorConfig(threads=1)),
    )  # fmt: skip
    retriever.embeddings.embed([e.question for e in entries.values()])  # warm the cache
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    retriever.index.build(ChangeSet(1, tuple(entries.values())))
    vector_build = time.perf_counter() - started
    retriever.index.wait_lexical()
    build = time.perf_counter() - started
    memory = rss_mb() - before
    state = retriever.index.state
    assert state is not None
    # Queries: noisy copies of indexed vectors; exact answer = that entry.
    targets = rng.integers(0, n, n_queries)
    noise = 0.15 * rng.normal(size=(n_queries, DIM)).astype(np.float32) / np.sqrt(DIM)
    queries = vectors[targets] + noise
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = (queries @ vectors.T).argmax(1) if n <= 100_000 else targets
    latencies: list[float] = []
    cpu: list[float] = []  # thread CPU time: what the search costs on an idle core
    hits = 0
    texts = [entries[int(t) + 1].question for t in targets]
    for i in range(n_queries):
        started, started_cpu = time.perf_counter(), time.thread_time()
        found = retriever.search_encoded(texts[i], queries[i : i + 1], 5)
        latencies.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
        hits += bool(found) and found[0].entry.id == int(exact[i]) + 1
    served: list[float] = []
    if encoder is not None:
        # The served path end to end: the real encoder embeds a chat-sized message, then the
        # hybrid search (the query vector is off the synthetic clusters, which costs IVF the
        # same). Two of the target's words keep BM25 finding postings; the synthetic words
        # ("w123") cost about three word pieces each, so a whole synthetic text would be
        # twice a real message's length.
        synthetic, retriever.encoder = retriever.encoder, encoder
        for i in range(min(n_queries, 300)):
            words = texts[i].split()[1:3]
            message = f"how do I change the pin of my card {' '.join(words)}"
            started = time.perf_counter()
            retriever.search(message, 5)
            served.append(time.perf_counter() - started)
        retriever.encoder = synthetic
    dense_only = replace(retriever.config, mode="dense")
    retriever.config = dense_only
    dense_latencies = []
    for i in range(n_queries):
        started = time.perf_counter()
        retriever.search_encoded(texts[i], queries[i : i + 1], 5)
        dense_latencies.append(time.perf_counter() - started)
    retriever.config = replace(dense_only, mode="hybrid")
    # A single-entry edit: new phrasings embedded, vectors swapped, searchable at once.
    updates = []
    for j in range(5):
        entry = replace(entries[j + 1], question=f"e{n + j} edited {j}", version=2 + j)
        started = time.perf_counter()
        retriever.index.apply(ChangeSet(state.revision + 1 + j, (entry,)))
        updates.append(time.perf_counter() - started)
    retriever.index.wait_lexical()
    # The editor's check after a save: does another entry have one of its phrasings?
    shared = []
    for eid in rng.integers(1, n + 1, min(n_queries, 300)):
        started = time.perf_counter()
        retriever.shared_phrasings(int(eid))
        shared.append(time.perf_counter() - started)
    engine.dispose()
    return {
        "entries": n, "index": state.vectors.kind,
        "build_s": round(build, 2), "vector_build_s": round(vector_build, 2),
        "memory_mb": round(memory, 1),
        "search_hybrid": percentiles(latencies), "search_hybrid_cpu": percentiles(cpu),
        "search_dense": percentiles(dense_latencies),
        **({"encode_and_search_hybrid": percentiles(served)} if served else {}),
        "recall_at_1_vs_exact": round(hits / n_queries, 4),
        "update_s_median": round(float(np.median(updates)), 3),
        "update_s_max": round(max(updates), 3),
        "shared_phrasings_check": percentiles(shared),
    }  # fmt: skip


def run_faiss_only(n: int, n_queries: int, rng: np.random.Generator,
                   centres: np.ndarray) -> dict[str, Any]:  # fmt: skip
    vectors = clustered(n, rng, centres)
    ids = np.arange(n, dtype=np.int64) << 16
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    index = VectorIndex.build(ids, vectors, DIM, VectorConfig(threads=1))
    build = time.perf_counter() - started
    memory = rss_mb() - before
    targets = rng.integers(0, n, n_queries)
    queries = vectors[targets] + 0.15 * rng.normal(size=(n_queries, DIM)).astype(
        np.float32) / np.sqrt(DIM)  # fmt: skip
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    latencies = []
    hits = 0
    for i in range(n_queries):
        started = time.perf_counter()
        _, found = index.search(queries[i : i + 1], 5)
        latencies.append(time.perf_counter() - started)
        hits += found[0, 0] == ids[targets[i]]
    # Single-entry edits, each on the result of the previous one: the entry's old vector goes,
    # a new one (another id) comes; then search again with those edits pending beside the index.
    updates = []
    edited = index
    for i in range(50):
        started = time.perf_counter()
        edited = edited.updated(ids[i : i + 1], np.array([phrasing_id(n + 1 + i, 0)]),
                                vectors[n - 1 - i : n - i])  # fmt: skip
        updates.append(time.perf_counter() - started)
    pending = []
    for i in range(n_queries):
        started = time.perf_counter()
        edited.search(queries[i : i + 1], 5)
        pending.append(time.perf_counter() - started)
    started = time.perf_counter()
    edited.merged()
    merge = time.perf_counter() - started
    return {
        "entries": n, "index": index.kind, "build_s": round(build, 2),
        "memory_mb": round(memory, 1), "search_faiss": percentiles(latencies),
        "search_faiss_50_edits_pending": percentiles(pending),
        "recall_at_1_vs_target": round(hits / n_queries, 4),
        "update_s_median": round(float(np.median(updates)), 4),
        "update_s_max": round(max(updates), 4), "merge_s": round(merge, 2),
    }  # fmt: skip


def encoding(encoder: Any, n_queries: int) -> dict[str, Any]:
    """The real encoder (1 thread) on one message alone; ``run_retriever`` measures it
    together with the search (``encode_and_search_hybrid``)."""
    messages = [f"how do I change the pin of my card number {i}" for i in range(n_queries)]
    encoder.encode(messages[:5])
    latencies = []
    cpu = []
    for message in messages:
        started, started_cpu = time.perf_counter(), time.process_time()
        encoder.encode([message])
        latencies.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {"encode_one_message": percentiles(latencies), "encode_cpu": percentiles(cpu)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--retriever-limit", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("var/bench/faq_speed.json"))
    args = parser.parse_args()
    import faiss
    import torch

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(2000, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    from nlu.encoder import SentenceEncoder

    encoder = SentenceEncoder(device="cpu", threads=1)
    encoder.warm_up()
    results: dict[str, Any] = {"encoding": encoding(encoder, min(args.queries, 300))}
    print(json.dumps(results["encoding"]), flush=True)
    for n in args.sizes:
        if n <= args.retriever_limit:
            result = run_retriever(n, args.queries, rng, centres, encoder)
        else:
            result = run_faiss_only(n, min(args.queries, 1000), rng, centres)
        results[str(n)] = result
        print(json.dumps(result), flush=True)
        gc.collect()
    summary = {
        "command": " ".join(sys.argv),
        "machine": machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
