"""Tokens <-> characters: BIO tag ids for training, and character spans from predicted tags.

Every sub-token of an entity is labelled (``B-`` on the first, ``I-`` on the rest), and spans
are rebuilt from the fast tokenizer's ``offset_mapping``, so offsets always index the original
text whatever its casing, accents, punctuation or emoji.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from nlu.data import EntitySpan
from nlu.encoder import separators_as_spaces
from nlu.network import OUTSIDE, EntityType
from nlu.symbols import readable, written_offsets

IGNORE_INDEX = -100


def tokenize(tokenizer: Any, texts: Sequence[str], max_length: int, **options: Any) -> Any:
    """The one way NLU text is tokenised, in training and at inference: with offsets and
    special-token masks, control characters and zero-width spaces read as spaces, symbols
    the vocabulary lacks (emoji) read as their names; offsets index the texts as given."""
    read = [readable(tokenizer, separators_as_spaces(t)) for t in texts]
    batch = tokenizer(
        [r.text for r in read],
        truncation=True,
        max_length=max_length,
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
        **options,
    )
    for row, r in enumerate(read):
        if r.origin is not None:
            batch["offset_mapping"][row] = written_offsets(batch["offset_mapping"][row], r.origin)
    return batch


def token_offsets(batch: Any, row: int) -> list[tuple[int, int]]:
    """Character span of each token of ``batch[row]`` (from ``tokenize``); special tokens
    get ``(0, 0)``, which ``tag_ids`` and ``decode_spans`` skip."""
    return [
        (0, 0) if special else (int(a), int(b))
        for (a, b), special in zip(
            batch["offset_mapping"][row], batch["special_tokens_mask"][row], strict=True
        )
    ]


def tag_ids(
    offsets: list[tuple[int, int]], spans: Sequence[EntitySpan], tag_index: dict[str, int]
) -> list[int]:
    """BIO tag id per token; special tokens and padding get ``IGNORE_INDEX``."""
    out = []
    ordered = sorted(spans, key=lambda s: s.start)
    begun: set[int] = set()
    for start, end in offsets:
        if start == end:
            out.append(IGNORE_INDEX)
            continue
        tag = tag_index[OUTSIDE]
        for i, span in enumerate(ordered):
            if start < span.end and end > span.start:
                key = EntityType(span.entity, span.role, span.group).key
                # B- on the span's first token only: a character the tokenizer splits in two
                # (Hangul into jamo) gives two tokens with the same start offset.
                prefix = "I" if i in begun else "B"
                begun.add(i)
                tag = tag_index.get(f"{prefix}-{key}", tag_index[OUTSIDE])
                break
        out.append(tag)
    return out


@dataclass(frozen=True)
class PredictedSpan:
    """A span the tagger found, before synonyms and extractor names are applied."""

    start: int
    end: int
    etype: EntityType
    confidence: float


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a span that stops inside a word to the whole word (a sub-token slipped)."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return start, end


@functools.lru_cache(maxsize=32)
def transition_penalty(tags: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(log-penalty[from, to], may_start[to])``: ``I-x`` only after ``B-x`` or ``I-x``.

    Cached: a model's tag set is fixed, and this is on every parse's path."""
    inside = np.array([t[2:] if t.startswith("I-") else "" for t in tags])
    key = np.array([t[2:] if t != OUTSIDE else "" for t in tags])
    # Row = previous tag, column = next tag: I-x may follow only a tag of type x.
    allowed = (inside == "")[None, :] | (key[:, None] == inside[None, :])
    return np.where(allowed, 0.0, -np.inf), inside == ""


def best_tag_path(tag_probs: torch.Tensor, tags: Sequence[str]) -> list[int]:
    """Viterbi over per-token tag probabilities ``[T, K]`` under the BIO constraints."""
    penalty, may_start = transition_penalty(tuple(tags))
    logp = np.log(tag_probs.float().clamp_min(1e-12).numpy())
    score = np.where(may_start, logp[0], -np.inf)
    back = np.zeros(logp.shape, dtype=np.int64)
    for t in range(1, len(logp)):
        candidates = score[:, None] + penalty
        back[t] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + logp[t]
    path = [int(score.argmax())]
    for t in range(len(logp) - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def decode_spans(
    text: str,
    offsets: list[tuple[int, int]],
    tag_probs: torch.Tensor,
    tags: Sequence[str],
) -> list[PredictedSpan]:
    """Turn per-token tag probabilities ``[T, K]`` into character spans of ``text``.

    The tags are the most probable *well-formed* sequence (:func:`best_tag_path`), so a span is
    never cut in two by a stray ``B-`` or broken by an ``I-`` of another type.
    """
    real = [t for t, (start, end) in enumerate(offsets[: len(tag_probs)]) if start != end]
    path = best_tag_path(tag_probs[real], tags) if real else []
    best = torch.zeros(len(tag_probs), dtype=torch.long)
    best[real] = torch.tensor(path, dtype=torch.long)
    probs = tag_probs.gather(1, best.unsqueeze(1)).squeeze(1)
    found: list[PredictedSpan] = []
    current: list[Any] | None = None  # [key, start, end, [probs]]

    def close() -> None:
        if current is not None:
            start, end = _word_bounds(text, current[1], current[2])
            conf = sum(current[3]) / len(current[3])
            found.append(PredictedSpan(start, end, EntityType.from_key(current[0]), conf))

    for (start, end), tag_id, prob in zip(offsets, best.tolist(), probs.tolist(), strict=False):
        if start == end:
            continue
        tag = tags[tag_id]
        if tag == OUTSIDE:
            close()
            current = None
            continue
        prefix, key = tag[0], tag[2:]
        if prefix == "I" and current is not None and current[0] == key:
            current[2] = end
            current[3].append(prob)
        elif current is not None and current[0] == key and start == current[2]:
            current[2] = end  # B- again on a sub-token glued to the span: same word
            current[3].append(prob)
        else:
            close()
            current = [key, start, end, [prob]]
    close()
    merged: list[PredictedSpan] = []
    for span in found:
        if merged and span.start < merged[-1].end:
            continue  # overlapping after word growth: keep the first
        merged.append(span)
    return merged
