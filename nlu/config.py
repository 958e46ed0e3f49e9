"""Training hyperparameters, saved beside the weights in ``training.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from nlu.data import OOS_LABELS
from nlu.errors import NluError

# Training sets up to this size get a typo'd copy of each example unless told otherwise.
TYPO_AUTO_LIMIT = 3000


@dataclass(frozen=True)
class TrainConfig:
    """How to train the joint model. Defaults suit the packaged MiniLM-L6 on CPU.

    Attributes:
        base_model: encoder checkpoint folder, or ``None`` for the packaged all-MiniLM-L6-v2.
        epochs: most passes over the training data (early stopping may end sooner).
        batch_size: examples per step.
        encoder_lr: peak AdamW learning rate of the encoder.
        head_lr: peak learning rate of the two (freshly initialised) heads.
        weight_decay: AdamW decay (not applied to biases and LayerNorm).
        warmup_ratio: share of steps with a linear warm-up; then linear decay to zero.
        max_length: sub-tokens per training example, longer ones are cut (a parse reads
            a message whole, up to the encoder's positions).
        dropout: on the encoder output, before both heads.
        intent_head: ``linear`` or ``cosine`` (scaled cosine similarity to one vector per intent).
        intent_head_init: ``centroid`` starts a cosine head at each intent's mean embedding under
            the pretrained encoder (so training starts from a nearest-centroid classifier);
            ``random`` starts it at random. A linear head always starts at random.
        ema_decay: keep an exponential moving average of the weights (this decay per step once
            warmed up) and evaluate and save the average; ``None`` uses the weights as trained.
        label_smoothing: for the intent loss.
        entity_loss_weight: weight of the tagger loss beside the intent loss.
        seed: fixes initialisation, dev split and batch order.
        dev_fraction: share of each intent carved out as dev when no dev set is given.
        patience: epochs without a better dev score before stopping, the best epoch kept
            (with 100 or more dev examples; with fewer, every epoch runs and the last is kept).
        retrieval_intents: ``collapse`` turns ``faq/ask_x`` into ``faq``; ``keep`` keeps it.
        device: ``auto``, ``cpu`` or ``cuda``.
        autocast: ``auto`` (bf16 on CUDA and on CPUs with bf16 units), ``bf16`` or ``off``.
        threads: torch intra-op threads (``None`` keeps torch's default).
        fallback_threshold: fixed ``nlu_fallback`` threshold; ``None`` calibrates it on dev.
        fallback_max_accuracy_loss: the most dev accuracy the calibrated threshold may cost:
            with out-of-scope examples in dev it catches as many of them as it can within this
            budget of in-scope accuracy; without, it is the confidence that this share of correct
            dev parses falls below (capped at 0.3, Rasa's default).
        oos_labels: intent names that mean out-of-scope.
        typo_copies: copies of each training example with keyboard typos ("wher is my
            ordr") added to the training set; ``None`` adds one when the training set has
            at most ``TYPO_AUTO_LIMIT`` examples after the dev split (a bot's own data:
            held-out typo'd demo messages read right 0.556 -> 0.671 and 0.566 -> 0.691 on
            two splits), none for larger sets (benchmarks, whose training time it would
            double).
        max_steps: stop after this many optimiser steps (tests, smoke runs).
        bucket_batches: group similar lengths into batches to cut padding.
        progress: show a progress bar.
    """

    base_model: str | None = None
    epochs: int = 10
    batch_size: int = 32
    encoder_lr: float = 1e-4
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_length: int = 64
    dropout: float = 0.1
    intent_head: Literal["linear", "cosine"] = "cosine"
    intent_head_init: Literal["random", "centroid"] = "centroid"
    ema_decay: float | None = 0.995
    label_smoothing: float = 0.1
    entity_loss_weight: float = 1.0
    seed: int = 42
    dev_fraction: float = 0.1
    patience: int = 3
    retrieval_intents: Literal["collapse", "keep"] = "collapse"
    device: str = "auto"
    autocast: Literal["auto", "bf16", "off"] = "auto"
    threads: int | None = None
    fallback_threshold: float | None = None
    fallback_max_accuracy_loss: float = 0.005
    oos_labels: tuple[str, ...] = field(default=OOS_LABELS)
    typo_copies: int | None = None
    max_steps: int | None = None
    bucket_batches: bool = True
    progress: bool = True

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.max_length < 4:
            raise NluError("epochs and batch_size must be >= 1 and max_length >= 4")
        if not 0.0 <= self.dev_fraction < 1.0:
            raise NluError("dev_fraction must be in [0, 1)")
        if self.retrieval_intents not in ("collapse", "keep"):
            raise NluError("retrieval_intents must be 'collapse' or 'keep'")
        if self.intent_head not in ("linear", "cosine"):
            raise NluError("intent_head must be 'linear' or 'cosine'")
        if self.intent_head_init not in ("random", "centroid"):
            raise NluError("intent_head_init must be 'random' or 'centroid'")
        if self.ema_decay is not None and not 0.0 < self.ema_decay < 1.0:
            raise NluError("ema_decay must be in (0, 1)")
        if self.autocast not in ("auto", "bf16", "off"):
            raise NluError("autocast must be 'auto', 'bf16' or 'off'")
        if self.typo_copies is not None and not 0 <= self.typo_copies <= 5:
            raise NluError("typo_copies must be between 0 and 5")

    def typos_for(self, n_train: int) -> int:
        """How many typo'd copies of each of ``n_train`` training examples to add."""
        if self.typo_copies is not None:
            return self.typo_copies
        return 1 if n_train <= TYPO_AUTO_LIMIT else 0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["oos_labels"] = list(self.oos_labels)
        return out
