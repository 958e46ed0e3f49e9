"""Scores for intents and entities, and the fallback threshold calibration."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

DEFAULT_FALLBACK_THRESHOLD = 0.3
"""Rasa's FallbackClassifier default; the cap when no out-of-scope data calibrates it."""


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def intent_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro F1 over gold intents, and per-intent precision/recall/F1/support."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g, p in zip(gold, predicted, strict=True):
        if g == p:
            tp[g] += 1
        else:
            fp[p] += 1
            fn[g] += 1
    support = Counter(gold)
    per_intent = {
        name: {**_prf(tp[name], fp[name], fn[name]), "support": support[name]}
        for name in sorted(support)
    }
    accuracy = sum(tp.values()) / len(gold) if gold else 0.0
    macro = float(np.mean([s["f1"] for s in per_intent.values()])) if per_intent else 0.0
    return {"accuracy": accuracy, "macro_f1": macro, "per_intent": per_intent}


Span = tuple[int, int, str]


def entity_scores(
    gold: Iterable[Iterable[Span]], predicted: Iterable[Iterable[Span]]
) -> dict[str, Any]:
    """Micro precision/recall/F1 on exact (start, end, type) matches, and per entity type."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g_spans, p_spans in zip(gold, predicted, strict=True):
        g, p = set(g_spans), set(p_spans)
        for span in g & p:
            tp[span[2]] += 1
        for span in p - g:
            fp[span[2]] += 1
        for span in g - p:
            fn[span[2]] += 1
    types = sorted(set(tp) | set(fp) | set(fn))
    per_entity = {t: {**_prf(tp[t], fp[t], fn[t]), "support": tp[t] + fn[t]} for t in types}
    return {**_prf(sum(tp.values()), sum(fp.values()), sum(fn.values())), "per_entity": per_entity}


def calibrate_threshold(
    gold: Sequence[str],
    top_intents: Sequence[str],
    top_confidences: Sequence[float],
    oos_label: str | None,
) -> float:
    """Choose the confidence below which a parse becomes ``nlu_fallback``.

    With out-of-scope examples in ``gold`` the threshold maximises in-scope accuracy plus
    out-of-scope recall (a fallback counts as out-of-scope). Without them it is the confidence
    that 2% of correctly classified examples fall below, capped at
    :data:`DEFAULT_FALLBACK_THRESHOLD`, so that few good parses are lost.
    """
    conf = np.asarray(top_confidences, dtype=np.float64)
    gold_arr = np.asarray(gold)
    pred_arr = np.asarray(top_intents)
    if len(conf) == 0:
        return DEFAULT_FALLBACK_THRESHOLD
    is_oos = gold_arr == oos_label if oos_label is not None else np.zeros(len(conf), bool)
    if is_oos.any() and (~is_oos).any():
        candidates = np.unique(np.concatenate([[0.0], np.round(conf, 4)]))
        best, best_score = 0.0, -1.0
        for t in candidates:
            fallback = conf < t
            said_oos = fallback | (pred_arr == oos_label)
            recall = float(said_oos[is_oos].mean())
            in_acc = float(((pred_arr == gold_arr) & ~fallback)[~is_oos].mean())
            if in_acc + recall > best_score + 1e-12:
                best, best_score = float(t), in_acc + recall
        return best
    correct = conf[pred_arr == gold_arr]
    if len(correct) == 0:
        return DEFAULT_FALLBACK_THRESHOLD
    return float(min(DEFAULT_FALLBACK_THRESHOLD, np.quantile(correct, 0.02)))
