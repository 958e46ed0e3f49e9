"""Raw forward passes of the joint network over many texts, in length-bucketed batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from nlu.features import PredictedSpan, decode_spans, token_offsets, tokenize
from nlu.network import JointModel, Labels

TOKEN_BUDGET = 2048
"""Most padded tokens per forward pass: long messages go in smaller batches."""


@dataclass(frozen=True)
class RawPrediction:
    """Intent probabilities (in label order) and tagger spans for one text."""

    intent_probs: np.ndarray
    spans: tuple[PredictedSpan, ...]


def length_buckets(lengths: Sequence[int], batch_size: int, token_budget: int) -> list[list[int]]:
    """Indices grouped by similar length: at most ``batch_size`` items and ``token_budget``
    padded tokens per group (a single item may exceed the budget)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    buckets: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # Sorted ascending, so the newest item is the longest: it sets the padded width.
        if current and (
            len(current) >= batch_size or (len(current) + 1) * lengths[i] > token_budget
        ):
            buckets.append(current)
            current = []
        current.append(i)
    if current:
        buckets.append(current)
    return buckets


def predict_texts(
    network: JointModel,
    tokenizer: Any,
    labels: Labels,
    texts: Sequence[str],
    *,
    max_length: int,
    device: torch.device,
    batch_size: int = 64,
    token_budget: int = TOKEN_BUDGET,
) -> list[RawPrediction]:
    """Run the network on ``texts``; each forward pass pads only to its bucket's longest item."""
    enc = tokenize(tokenizer, texts, max_length)
    ids_all: list[list[int]] = enc["input_ids"]
    pad_id = int(tokenizer.pad_token_id or 0)
    results: list[RawPrediction | None] = [None] * len(texts)
    has_entities = len(labels.tags) > 1
    with torch.inference_mode():
        for idx in length_buckets([len(x) for x in ids_all], batch_size, token_budget):
            width = max(len(ids_all[i]) for i in idx)
            input_ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):
                input_ids[row, : len(ids_all[i])] = torch.tensor(ids_all[i])
                mask[row, : len(ids_all[i])] = 1
            intent_logits, tag_logits = network(input_ids.to(device), mask.to(device))
            intent_probs = torch.softmax(intent_logits.float(), dim=-1).cpu().numpy()
            tag_probs = torch.softmax(tag_logits.float(), dim=-1).cpu() if has_entities else None
            for row, i in enumerate(idx):
                spans: tuple[PredictedSpan, ...] = ()
                if tag_probs is not None:
                    offsets = token_offsets(enc, i)
                    spans = tuple(decode_spans(texts[i], offsets, tag_probs[row], labels.tags))
                results[i] = RawPrediction(intent_probs[row], spans)
    return [r for r in results if r is not None]
