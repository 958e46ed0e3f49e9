"""Each FAQ base calibrates its entry head on itself: held-out phrasings say what a
probability is worth there."""

from __future__ import annotations

import numpy as np

from knowledge.adaptation import (
    MIN_SLOPE,
    PRIOR_CALIBRATION,
    HeadCalibration,
    HeadConfig,
    _fit_calibration,
    calibrate,
    train_head,
)


def synthetic_base(
    noise: float, entries: int = 20, phrasings: int = 5, seed: int = 7
) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around one centre per entry; more noise, more look-alike entries.
    The centres depend only on ``entries``; ``seed`` draws other phrasings around them."""
    centres = np.random.default_rng(entries).normal(size=(entries, 32))
    rng = np.random.default_rng(seed)
    vectors = np.repeat(centres, phrasings, axis=0) + noise * rng.normal(
        size=(entries * phrasings, 32)
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32), np.repeat(np.arange(entries), phrasings)


def test_the_calibration_predicts_how_often_new_questions_are_answered_right() -> None:
    accuracy = {}
    for noise in (0.9, 1.6):  # distinct entries, then look-alikes
        vectors, labels = synthetic_base(noise)
        head = train_head(vectors, labels, "key", HeadConfig(prior_strength=0.5))
        assert head is not None and head.calibration.samples == 100  # 5 folds x 20 entries
        # questions the base has never seen, about the same entries
        questions, truth = synthetic_base(noise, phrasings=15, seed=99)
        probabilities = head.probabilities(questions)
        top = probabilities.max(axis=1)
        right = head.entry_ids[probabilities.argmax(axis=1)] == truth
        predicted = np.mean([head.calibration.confidence(p) for p in top])
        assert abs(predicted - right.mean()) < 0.1, (noise, predicted, right.mean())
        assert head.calibration.confidence(0.2) < head.calibration.confidence(0.6)
        accuracy[noise] = right.mean()
    assert accuracy[0.9] > accuracy[1.6] + 0.1


def test_entries_with_one_phrasing_are_never_held_out() -> None:
    vectors, labels = synthetic_base(noise=0.3, phrasings=1)
    assert calibrate(vectors, labels, HeadConfig()) == PRIOR_CALIBRATION
    # a base mixing both learns from the entries that have phrasings to spare
    mixed = np.concatenate([labels, labels[:5]])
    more = np.concatenate([vectors, vectors[:5] + 0.01])
    assert calibrate(more, mixed, HeadConfig()).samples == 10


def test_few_held_out_phrasings_stay_near_the_prior() -> None:
    few = _fit_calibration(np.array([0.9, 0.8, 0.95]), np.array([True, True, True]), 5.0)
    many = _fit_calibration(np.full(2000, 0.5), np.ones(2000, dtype=bool), 5.0)
    assert abs(few.slope - PRIOR_CALIBRATION.slope) < 0.3
    assert abs(few.bias - PRIOR_CALIBRATION.bias) < 0.5
    assert many.confidence(0.5) > 0.99  # enough evidence overrides the prior


def test_the_trained_head_carries_its_calibration() -> None:
    vectors, labels = synthetic_base(noise=0.3)
    head = train_head(vectors, labels + 100, "key", HeadConfig())
    assert head is not None and head.calibration.samples == 100
    big = train_head(vectors, labels, "key", HeadConfig(calibration_max_entries=10))
    assert big is not None and big.calibration == PRIOR_CALIBRATION  # too large to refit
    assert HeadCalibration(1.0, 0.0).confidence(0.5) == 0.5


def test_more_probable_stays_more_confident() -> None:
    # a sample where the surer guesses were wrong more often may not invert the scale
    surer = np.array([0.9] * 50 + [0.3] * 50)
    odd = _fit_calibration(surer, np.array([False] * 50 + [True] * 50), 0.1)
    assert odd.slope == MIN_SLOPE
    assert odd.confidence(0.9) > odd.confidence(0.3)


def test_an_entry_with_many_phrasings_does_not_take_its_neighbours_questions() -> None:
    # A question between two entries. Writing one of them down twenty ways instead of two
    # (a Rasa intent's examples imported as an entry) must not hand it the question.
    rng = np.random.default_rng(3)
    near, other = np.eye(32, dtype=np.float32)[:2]
    many = near + 0.05 * rng.normal(size=(20, 32))
    few = other + 0.05 * rng.normal(size=(2, 32))
    rest = rng.normal(size=(15, 32))  # three more entries elsewhere, five phrasings each
    question = (near + other) / np.linalg.norm(near + other)

    def odds(phrasings: int) -> np.ndarray:
        vectors = np.concatenate([many[:phrasings], few, rest]).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        labels = np.array([0] * phrasings + [1] * 2 + [2] * 5 + [3] * 5 + [4] * 5)
        head = train_head(vectors, labels, "key", HeadConfig())
        assert head is not None
        own = head.probabilities(vectors).argmax(axis=1)
        assert (own[: phrasings + 2] == labels[: phrasings + 2]).all()
        return head.probabilities(question[None, :])[0]

    two, twenty = odds(2), odds(20)
    assert abs(twenty[0] - two[0]) < 0.15, (two[:2], twenty[:2])
