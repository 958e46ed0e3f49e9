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


def test_threshold_with_out_of_scope_respects_the_in_scope_budget() -> None:
    gold = ["a"] * 8 + ["b"] * 2 + ["oos"] * 4
    top = ["a"] * 8 + ["b"] * 2 + ["a", "a", "a", "oos"]
    # In-scope confidences: one correct parse is unsure (0.35); out-of-scope ones are 0.2-0.5.
    conf = [0.9] * 7 + [0.35] + [0.95, 0.9] + [0.2, 0.3, 0.5, 0.9]
    # Losing no in-scope accuracy: the best threshold catches 0.2 and 0.3 but not 0.35.
    strict = calibrate_threshold(gold, top, conf, "oos", max_accuracy_loss=0.0)
    assert 0.3 < strict <= 0.35
    # Allowing one in-scope miss in ten buys the 0.5 out-of-scope message as well.
    loose = calibrate_threshold(gold, top, conf, "oos", max_accuracy_loss=0.1)
    assert 0.5 < loose <= 0.9


def test_a_dev_set_too_small_for_the_budget_still_gets_a_threshold() -> None:
    # 45 in-scope parses: one miss costs 2.2%, more than the 0.5% budget, so the out-of-scope
    # search alone stays at 0 and "?!?!" parsed at 0.15 would be acted on (the demo bot).
    gold = ["a"] * 45 + ["oos"] * 5
    top = ["a"] * 45 + ["a"] * 5
    conf = [0.55 + i / 100 for i in range(45)] + [0.97] * 5
    threshold = calibrate_threshold(gold, top, conf, "oos")
    assert threshold == DEFAULT_FALLBACK_THRESHOLD
    # The larger of the two rules wins: here the out-of-scope search, which can rise to the
    # lowest correct parse (0.55) at no cost and so catches the 0.45 and 0.5 ones too.
    conf = [0.55 + i / 100 for i in range(45)] + [0.2, 0.3, 0.45, 0.5, 0.97]
    assert 0.5 < calibrate_threshold(gold, top, conf, "oos") <= 0.55


def test_threshold_without_out_of_scope_is_capped() -> None:
    gold = ["a"] * 50 + ["b"] * 50
    confident = calibrate_threshold(gold, gold, [0.99] * 100, None)
    assert confident == DEFAULT_FALLBACK_THRESHOLD
    shaky = [0.1 + i / 1000 for i in range(100)]
    assert 0.1 <= calibrate_threshold(gold, gold, shaky, None) < 0.101
    assert 0.11 <= calibrate_threshold(gold, gold, shaky, None, max_accuracy_loss=0.2) < 0.13
    assert calibrate_threshold([], [], [], None) == DEFAULT_FALLBACK_THRESHOLD
