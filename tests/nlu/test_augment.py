"""Typo'd training copies: one or two slips per example, entities untouched and aligned."""

from __future__ import annotations

import random

import pytest

from nlu import TrainConfig
from nlu.augment import typo, typo_copies, with_typo
from nlu.config import TYPO_AUTO_LIMIT
from nlu.data import EntitySpan, Example
from nlu.errors import NluError


def _distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent swaps (Damerau)."""
    rows = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


def test_a_typo_is_one_slip_that_keeps_the_first_letter() -> None:
    rng = random.Random(0)
    for word in ("order", "return", "Shipping", "item"):
        for _ in range(50):
            slipped = typo(word, rng)
            assert slipped != word and slipped[0] == word[0]
            assert _distance(slipped, word) == 1, (word, slipped)


def test_entities_stay_as_written_and_their_offsets_follow_the_text() -> None:
    text = "I want to return the running shoes from order NW-48213 please"
    shoes = EntitySpan(text.index("running"), text.index(" from"), "product", "running shoes")
    number = EntitySpan(text.index("NW"), text.index(" please"), "order_number", "NW-48213")
    example = Example(text, "return_item", (shoes, number))
    rng = random.Random(3)
    changed = 0
    for _ in range(200):
        noisy = with_typo(example, rng)
        assert noisy is not None and noisy.intent == "return_item"
        assert [noisy.text[e.start : e.end] for e in noisy.entities] == [
            "running shoes",
            "NW-48213",
        ]
        changed += noisy.text != text
        assert 1 <= _distance(noisy.text, text) <= 2
    assert changed == 200
    # nothing to change: only short words, or every long word an entity
    assert with_typo(Example("hi there yo", "greet"), rng) is not None  # "there"
    assert with_typo(Example("ok yes", "affirm"), rng) is None
    only = Example("NW-48213", "inform", (EntitySpan(0, 8, "order_number", "NW-48213"),))
    assert with_typo(only, rng) is None


def test_copies_are_reproducible_and_leave_the_originals_out() -> None:
    examples = [Example("where is my order", "track"), Example("ok", "affirm")]
    first = typo_copies(examples, 2, seed=7)
    assert first == typo_copies(examples, 2, seed=7)
    assert len(first) == 2 and all(e.intent == "track" for e in first)
    assert all(e.text != "where is my order" for e in first)
    assert typo_copies(examples, 0, seed=7) == []


def test_small_training_sets_get_a_copy_unless_told() -> None:
    assert TrainConfig().typos_for(400) == 1
    assert TrainConfig().typos_for(TYPO_AUTO_LIMIT + 1) == 0  # benchmarks: training time
    assert TrainConfig(typo_copies=0).typos_for(400) == 0
    assert TrainConfig(typo_copies=2).typos_for(10_000) == 2
    with pytest.raises(NluError, match="typo_copies"):
        TrainConfig(typo_copies=9)
