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
    max_accuracy_loss: float = 0.005,
) -> float:
    """Choose the confidence below which a parse becomes ``nlu_fallback``.

    With out-of-scope examples in ``gold``: the threshold that catches the most out-of-scope
    examples (a fallback counts as out-of-scope) while in-scope accuracy stays within
    ``max_accuracy_loss`` of its value without a threshold; the lowest such threshold wins ties.
    Without them: the confidence that a ``max_accuracy_loss`` share of correctly classified
    examples falls below, capped at :data:`DEFAULT_FALLBACK_THRESHOLD`. A dev set too small to
    resolve the allowed loss (one in-scope example is worth more) gets at least that as well:
    its search could otherwise never raise the threshold above the lowest correct parse, and
    mostly stays at 0, where gibberish is acted on at any confidence.
    """
    conf = np.asarray(top_confidences, dtype=np.float64)
    gold_arr = np.asarray(gold)
    pred_arr = np.asarray(top_intents)
    if len(conf) == 0:
        return DEFAULT_FALLBACK_THRESHOLD
    is_oos = gold_arr == oos_label if oos_label is not None else np.zeros(len(conf), bool)
    if is_oos.any() and (~is_oos).any():
        correct_in_scope = (pred_arr == gold_arr)[~is_oos]
        floor = float(correct_in_scope.mean()) - max_accuracy_loss
        best, best_recall = 0.0, -1.0
        for t in np.unique(np.concatenate([[0.0], np.round(conf, 4)])):
            fallback = conf < t
            in_acc = float((correct_in_scope & ~fallback[~is_oos]).mean())
            if in_acc < floor - 1e-12:
                break  # accuracy only falls as the threshold rises
            recall = float((fallback | (pred_arr == oos_label))[is_oos].mean())
            if recall > best_recall + 1e-12:
                best, best_recall = float(t), recall
        if correct_in_scope.size * max_accuracy_loss < 1:
            in_scope = calibrate_threshold(
                gold_arr[~is_oos], pred_arr[~is_oos], conf[~is_oos], None, max_accuracy_loss
            )
            best = max(best, in_scope)
        return best
    correct = conf[pred_arr == gold_arr]
    if len(correct) == 0:
        return DEFAULT_FALLBACK_THRESHOLD
    return float(min(DEFAULT_FALLBACK_THRESHOLD, np.quantile(correct, max_accuracy_loss)))
