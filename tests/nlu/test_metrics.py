"""Scores and the fallback threshold calibration."""

from __future__ import annotations

import pytest

from nlu.metrics import (
    DEFAULT_FALLBACK_THRESHOLD,
    calibrate_threshold,
    entity_scores,
    intent_scores,
)


def test_intent_scores() -> None:
    scores = intent_scores(["a", "a", "b", "c"], ["a", "b", "b", "c"])
    assert scores["accuracy"] == 0.75
    assert scores["per_intent"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}
    assert scores["per_intent"]["b"]["precision"] == 0.5
    assert scores["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1.0) / 3)


def test_entity_scores_need_exact_span_and_type() -> None:
    gold = [[(0, 5, "city"), (9, 15, "city")], [(2, 4, "size")]]
    predicted = [[(0, 5, "city"), (9, 14, "city")], [(2, 4, "topping")]]
    scores = entity_scores(gold, predicted)
    assert scores["precision"] == pytest.approx(1 / 3) and scores["recall"] == pytest.approx(1 / 3)
    assert scores["per_entity"]["city"]["support"] == 2
    assert scores["per_entity"]["topping"]["precision"] == 0.0


def test_threshold_with_out_of_scope_trades_recall_against_in_scope_accuracy() -> None:
    gold = ["a", "a", "b", "b", "oos", "oos"]
    top = ["a", "a", "b", "a", "a", "oos"]
    conf = [0.9, 0.8, 0.95, 0.4, 0.3, 0.9]
    # Any threshold in (0.3, 0.4] catches the uncertain out-of-scope message and loses nothing
    # correct; the calibration picks the lowest such candidate.
    threshold = calibrate_threshold(gold, top, conf, "oos")
    assert 0.3 < threshold <= 0.4


def test_threshold_without_out_of_scope_is_capped() -> None:
    gold = ["a"] * 50 + ["b"] * 50
    confident = calibrate_threshold(gold, gold, [0.99] * 100, None)
    assert confident == DEFAULT_FALLBACK_THRESHOLD
    shaky = calibrate_threshold(gold, gold, [0.1 + i / 1000 for i in range(100)], None)
    assert 0.1 <= shaky < 0.11
    assert calibrate_threshold([], [], [], None) == DEFAULT_FALLBACK_THRESHOLD
