"""Fusion weights, calibration and thresholds of the retriever (defaults tuned on dev queries).

See docs/benchmarks.md (FAQ retrieval) for how each default was chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from knowledge.adaptation import HeadConfig
from knowledge.vectors import VectorConfig

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")


@dataclass(frozen=True, slots=True)
class Calibration:
    """``confidence = sigmoid(top * score1 + margin * (score1 - score2) + bias)``: the
    probability that the best entry is right, from its fused score and its lead over the next
    entry (a logistic fit on dev queries).
    """

    top: float
    margin: float
    bias: float

    def confidence(self, best: float, lead: float) -> float:
        """Calibrated probability that an entry with score ``best`` and ``lead`` is right."""
        z = self.top * best + self.margin * lead + self.bias
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


#: Per scoring path without an adapted head: hybrid before the head is trained (or for bases
#: too large to adapt), dense only, BM25 only. With the head ("hybrid"), confidence is the
#: head's probability calibrated on the base itself (knowledge.adaptation.HeadCalibration).
#: Fitted by ``bench/faq_quality.py --tune`` on the BANKING77-FAQ and CLINC150-FAQ dev queries
#: pooled; ``bm25`` takes raw BM25 scores, the others fused scores.
DEFAULT_CALIBRATION: dict[str, Calibration] = {
    "hybrid-plain": Calibration(top=2.597, margin=16.11, bias=-2.173),
    "dense": Calibration(top=2.561, margin=17.36, bias=-2.101),
    "bm25": Calibration(top=0.075, margin=1.459, bias=-1.338),
}

#: (answer, suggest) thresholds per path, each chosen on the dev queries as the lowest answer
#: threshold with CLINC150 out-of-scope answers at most 2% and answer precision at least 0.95
#: on both BANKING77 and CLINC150 (docs/benchmarks.md).
PATH_THRESHOLDS: dict[str, tuple[float, float]] = {
    "hybrid": (0.835, 0.5),
    "hybrid-plain": (0.92, 0.5),
    "dense": (0.92, 0.5),
    "bm25": (0.92, 0.5),
}


@dataclass(frozen=True, slots=True)
class RetrieverConfig:
    """How the retriever scores and decides.

    Attributes:
        mode: ``hybrid`` (dense + BM25 + adapted head), ``dense`` or ``bm25``.
        candidates: phrasings fetched from each index per query.
        lexical_weight: weight of saturated BM25 (``s / (s + lexical_saturation)``).
        head_weight: weight of the adapted head's probability.
        answer_threshold: confidence at or above which the best entry is answered (None:
            the scoring path's own, ``PATH_THRESHOLDS``).
        suggest_threshold: confidence at or above which "did you mean" options are offered
            (None: the path's own).
        min_similarity: an entry whose closest phrasing has a lower cosine with the message
            gets confidence 0 (never answered or suggested); not used in ``bm25`` mode.
        min_head_probability: with the adapted head, an entry it gives a lower probability is
            suggested at most, however its base's calibration maps that probability (on the
            dev bases the answer threshold already implies 0.42-0.63, so this changes nothing
            there; it guards bases whose held-out phrasings were all recognised).
        min_answer_similarity: an entry whose closest phrasing has a lower cosine with the
            message is suggested at most, however confident the scoring is (not used in
            ``bm25`` mode). Out-of-scope questions that the head maps onto an entry they barely
            resemble are what it stops.
        min_answer_words: a message with fewer words (articles, possessives and courtesies
            not counted) is suggested at most, unless it is one of the entry's own
            phrasings: "account" or "delivery" names a topic, not a question, and the entry
            the head favours for it is a guess ("account" was answered with how to delete
            one). 1 turns this off.
        suggest_window: options must score within this of the best entry.
        max_suggestions: at most this many options.
        adapt: train the entry head in the background after changes.
        spelling: read a word the encoder and the base do not know as the base's word one
            typo from it ("delivry" as "delivery"; ``knowledge.spelling``).
    """

    mode: Mode = "hybrid"
    candidates: int = 50
    lexical_weight: float = 0.1
    lexical_saturation: float = 5.0
    head_weight: float = 0.5
    answer_threshold: float | None = None
    suggest_threshold: float | None = None
    min_similarity: float = 0.3
    min_head_probability: float = 0.4
    min_answer_similarity: float = 0.4
    min_answer_words: int = 2
    suggest_window: float = 0.15
    max_suggestions: int = 3
    adapt: bool = True
    spelling: bool = True
    lexical_sync_limit: int = 5_000
    calibration: dict[str, Calibration] = field(default_factory=lambda: dict(DEFAULT_CALIBRATION))
    vectors: VectorConfig = field(default_factory=VectorConfig)
    head: HeadConfig = field(default_factory=HeadConfig)

    def thresholds(self, path: str) -> tuple[float, float]:
        """(answer, suggest) thresholds for hits scored along ``path``."""
        answer, suggest = PATH_THRESHOLDS.get(path, PATH_THRESHOLDS["hybrid-plain"])
        return (
            answer if self.answer_threshold is None else self.answer_threshold,
            suggest if self.suggest_threshold is None else self.suggest_threshold,
        )
