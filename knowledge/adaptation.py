"""Adapting retrieval to a FAQ base: a softmax head over frozen embeddings, entries as labels.

Trained on the base's own phrasings whenever its content changes (in the background; it
never blocks answering). A query's head probability for an entry is fused with its dense and
lexical scores. Cheap: one L-BFGS fit of a (dimension × entries) matrix, about a second for a
few thousand phrasings on one core.

The head's probability also says how sure an answer is, but what a probability of 0.6 is
worth depends on the base: among 77 look-alike banking questions it is right less often than
among 150 distinct topics. So each base calibrates it on itself: the head is refitted with one
phrasing of every entry held out, in turn, and a logistic curve maps its probability to how
often the held-out phrasing was then recognised (shrunk towards a prior fitted on the dev
bases, which is all a base with too few phrasings gets).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch


@dataclass(frozen=True, slots=True)
class HeadConfig:
    """Hyperparameters of the entry head (tuned on the dev queries).

    Attributes:
        max_entries: bases with more searchable entries are not adapted (dense + BM25 only).
        scale: logit scale applied to cosine-like scores (a temperature).
        weight_decay: L2 penalty on the weights.
        iterations: L-BFGS iterations.
    """

    max_entries: int = 2000
    scale: float = 10.0
    weight_decay: float = 1e-3
    iterations: int = 200
    calibration_folds: int = 5
    calibration_max_entries: int = 500
    prior_strength: float = 5.0


@dataclass(frozen=True, slots=True)
class HeadCalibration:
    """``confidence = sigmoid(slope * logit(p) + bias)``: how likely the entry the head gives
    probability ``p`` is the right one, for this base. ``samples`` held-out phrasings were
    behind the fit (0: the prior alone)."""

    slope: float
    bias: float
    samples: int = 0

    def confidence(self, probability: float) -> float:
        p = min(max(probability, 1e-6), 1.0 - 1e-6)
        z = self.slope * math.log(p / (1.0 - p)) + self.bias
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


#: The mean of the held-out fits of BANKING77-FAQ (slope 1.35, bias 0.93) and CLINC150-FAQ
#: (1.09, 1.99), dev bases; see docs/benchmarks.md.
PRIOR_CALIBRATION = HeadCalibration(slope=1.2, bias=1.4)
MIN_SLOPE = 0.25


class EntryHead:
    """A trained head: ``softmax(scale * q @ W + b)`` over ``entry_ids``.

    ``content_key`` names the base content it was trained on; a head whose key differs from
    the index's is stale and not used.
    """

    def __init__(
        self,
        weights: np.ndarray,
        bias: np.ndarray,
        entry_ids: np.ndarray,
        content_key: str,
        calibration: HeadCalibration = PRIOR_CALIBRATION,
    ) -> None:
        self.weights = weights
        self.bias = bias
        self.entry_ids = entry_ids
        self.content_key = content_key
        self.calibration = calibration

    def probabilities(self, queries: np.ndarray) -> np.ndarray:
        """Entry probabilities, one row per query, columns in ``entry_ids`` order."""
        logits = queries @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        result: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return result


def train_head(
    vectors: np.ndarray,
    entry_ids: np.ndarray,
    content_key: str,
    config: HeadConfig,
) -> EntryHead | None:
    """Fit the head on phrasing vectors labelled by their entry ids, and calibrate it.

    Returns None when there are fewer than two entries (nothing to tell apart) or more than
    ``config.max_entries``.
    """
    labels, inverse = np.unique(entry_ids, return_inverse=True)
    if len(labels) < 2 or len(labels) > config.max_entries:
        return None
    weights, bias = _fit(vectors, inverse, len(labels), config)
    calibration = (
        calibrate(vectors, inverse, config)
        if len(labels) <= config.calibration_max_entries
        else PRIOR_CALIBRATION
    )
    return EntryHead(weights, bias, labels.astype(np.int64), content_key, calibration)


def _fit(
    vectors: np.ndarray, labels: np.ndarray, classes: int, config: HeadConfig
) -> tuple[np.ndarray, np.ndarray]:
    x = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))
    y = torch.from_numpy(labels.astype(np.int64))
    # Every entry weighs the same, however many phrasings it has: a question's odds of
    # belonging to an entry do not grow with the number of ways staff wrote it down, and an
    # entry imported from a Rasa intent's twenty examples took the answers of its neighbours
    # of five ("my account has been locked" went to the password reset's phrasings).
    counts = np.bincount(labels, minlength=classes).astype(np.float32)
    balance = torch.from_numpy(1.0 / np.maximum(counts, 1.0))
    weights = torch.zeros(x.shape[1], classes, requires_grad=True)
    bias = torch.zeros(classes, requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [weights, bias], max_iter=config.iterations, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        logits = x @ weights * config.scale + bias
        loss = torch.nn.functional.cross_entropy(logits, y, weight=balance)
        loss = loss + config.weight_decay * (weights**2).sum()
        cast(Any, loss).backward()
        return loss

    cast(Any, optimiser).step(closure)
    return weights.detach().numpy() * config.scale, bias.detach().numpy()


def calibrate(vectors: np.ndarray, labels: np.ndarray, config: HeadConfig) -> HeadCalibration:
    """Fit this base's calibration from held-out phrasings (labels: entry indices)."""
    probabilities, right = held_out(vectors, labels, config)
    if not len(probabilities):
        return PRIOR_CALIBRATION
    return _fit_calibration(probabilities, right, config.prior_strength)


def held_out(
    vectors: np.ndarray, labels: np.ndarray, config: HeadConfig
) -> tuple[np.ndarray, np.ndarray]:
    """The head's top probability for each held-out phrasing, and whether it was right.

    Fold k holds out the k-th phrasing of every entry that has another one left to learn
    from; entries with a single phrasing are never held out.
    """
    position = np.zeros(len(labels), dtype=np.int64)
    counts: dict[int, int] = {}
    for i, label in enumerate(labels.tolist()):
        position[i] = counts.get(label, 0)
        counts[label] = position[i] + 1
    total = np.array([counts[label] for label in labels.tolist()])
    probabilities: list[np.ndarray] = []
    right: list[np.ndarray] = []
    classes = int(labels.max()) + 1
    for fold in range(config.calibration_folds):
        held = (position == fold) & (total > 1)
        if not held.any():
            break
        weights, bias = _fit(vectors[~held], labels[~held], classes, config)
        head = EntryHead(weights, bias, np.arange(classes), "")
        scores = head.probabilities(vectors[held])
        probabilities.append(scores.max(axis=1))
        right.append(scores.argmax(axis=1) == labels[held])
    if not probabilities:
        return np.zeros(0), np.zeros(0, dtype=bool)
    return np.concatenate(probabilities), np.concatenate(right)


def _fit_calibration(
    probabilities: np.ndarray, right: np.ndarray, strength: float
) -> HeadCalibration:
    """Logistic regression of ``right`` on logit(p) with a Gaussian prior at the prior
    calibration (``strength``: its weight, in held-out phrasings)."""
    p = np.clip(probabilities.astype(np.float64), 1e-6, 1.0 - 1e-6)
    x = torch.from_numpy(np.log(p / (1.0 - p)))
    y = torch.from_numpy(right.astype(np.float64))
    prior = torch.tensor([PRIOR_CALIBRATION.slope, PRIOR_CALIBRATION.bias], dtype=torch.float64)
    theta = prior.clone().requires_grad_(True)
    optimiser = torch.optim.LBFGS([theta], max_iter=100, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        logits = theta[0] * x + theta[1]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="sum")
        loss = loss + 0.5 * strength * ((theta - prior) ** 2).sum()
        cast(Any, loss).backward()
        return loss

    cast(Any, optimiser).step(closure)
    slope, bias = (float(v) for v in theta.detach())
    # More probable must stay more confident, whatever a small or odd sample says.
    return HeadCalibration(max(slope, MIN_SLOPE), bias, len(right))
