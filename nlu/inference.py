"""Serving: load a trained model directory once, then parse messages."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch

from nlu.encoder import (
    choose_device,
    cpu_supports_bf16,
    input_major_linears,
    load_tokenizer,
    position_limit,
    set_torch_threads,
)
from nlu.errors import NluError
from nlu.extractors import REGEX_EXTRACTOR, RuleExtractors
from nlu.network import JointModel, Labels
from nlu.pasted import outside_pasted_pieces
from nlu.predict import RawPrediction, predict_texts
from nlu.result import FALLBACK_INTENT, Entity, IntentScore, ParseResult

EXTRACTOR_NAME = "DeskbotJointBERT"
RANKING_SIZE = 10
MODEL_FILES = ("model.safetensors", "config.json", "labels.json", "training.json")

Precision = Literal["auto", "fp32", "bf16"]


def choose_dtype(precision: str, device: torch.device) -> torch.dtype:
    """``auto``: bf16 on CUDA and on CPUs with native bf16 units, else fp32."""
    if precision == "fp32":
        return torch.float32
    if precision == "bf16":
        return torch.bfloat16
    if precision != "auto":
        raise NluError(f"unknown precision {precision!r}; use auto, fp32 or bf16")
    if device.type == "cuda" or cpu_supports_bf16():
        return torch.bfloat16
    return torch.float32


class NluModel:
    """A trained joint intent + entity model, ready to parse.

    Build with :meth:`load`; :meth:`parse` and :meth:`parse_batch` are thread-safe (one forward
    pass at a time per instance).
    """

    def __init__(
        self,
        network: JointModel,
        tokenizer: Any,
        labels: Labels,
        rules: RuleExtractors,
        training: dict[str, Any],
        device: torch.device,
        dtype: torch.dtype,
        *,
        batch_size: int = 64,
    ) -> None:
        self.network = network
        self.tokenizer = tokenizer
        self.labels = labels
        self.rules = rules
        self.training = training
        self.device = device
        self.dtype = dtype
        self.batch_size = batch_size
        # A message is read whole, up to what the encoder has positions for: cut at the
        # training length (64), an order number at the end of a long message was cut to
        # "NW-" and refused as malformed.
        # (Never past them, whatever length it was trained at.)
        self.max_length = position_limit(network.encoder, tokenizer)
        self.fallback_threshold = float(training.get("fallback_threshold", 0.0))
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        model_dir: str | os.PathLike[str],
        device: str = "auto",
        threads: int | None = None,
        precision: Precision = "auto",
        batch_size: int = 64,
    ) -> NluModel:
        """Load a directory written by :func:`nlu.train`.

        Args:
            model_dir: the trained model directory.
            device: ``auto`` (CUDA when present), ``cpu`` or ``cuda[:n]``.
            threads: cap on torch intra-op threads (1 where the process shares its cores).
            precision: ``auto`` (bf16 on CUDA or CPUs with bf16 units), ``fp32`` or ``bf16``.
            batch_size: most texts per forward pass in :meth:`parse_batch`.

        Raises:
            NluError: the directory is missing files or is not a deskbot NLU model.
        """
        from safetensors.torch import load_file

        path = Path(model_dir)
        missing = [name for name in MODEL_FILES if not (path / name).is_file()]
        if missing:
            raise NluError(
                f"{path} is not a trained NLU model (missing {', '.join(missing)}); "
                "train one with 'deskbot train nlu'"
            )
        set_torch_threads(threads)
        torch_device = choose_device(device)
        labels = Labels.from_json(json.loads((path / "labels.json").read_text(encoding="utf-8")))
        training = json.loads((path / "training.json").read_text(encoding="utf-8"))
        rules_path = path / "extractors.json"
        rules_raw = (
            json.loads(rules_path.read_text(encoding="utf-8")) if rules_path.is_file() else {}
        )
        head = str(training.get("config", {}).get("intent_head", "linear"))
        network = JointModel.from_config(path, labels, intent_head=head)
        state = load_file(str(path / "model.safetensors"))
        try:
            network.load_state_dict(state)
        except RuntimeError as exc:
            raise NluError(
                f"{path}: weights do not match labels.json/config.json ({exc})"
            ) from None
        dtype = choose_dtype(precision, torch_device)
        network.to(device=torch_device, dtype=dtype).eval()
        if torch_device.type == "cpu" and dtype == torch.float32:
            input_major_linears(network.encoder)  # one message: ~25% faster, same outputs
        tokenizer = load_tokenizer(path)
        return cls(
            network,
            tokenizer,
            labels,
            RuleExtractors.from_json(rules_raw),
            training,
            torch_device,
            dtype,
            batch_size=batch_size,
        )

    def parse(self, text: str) -> ParseResult:
        """Parse one message."""
        return self.parse_batch([text])[0]

    def parse_batch(self, texts: Sequence[str]) -> list[ParseResult]:
        """Parse many messages in length-bucketed batches; results keep the input order."""
        if not texts:
            return []
        with self._lock:
            raw = predict_texts(
                self.network,
                self.tokenizer,
                self.labels,
                texts,
                max_length=self.max_length,
                device=self.device,
                batch_size=self.batch_size,
            )
        return [self._result(text, pred) for text, pred in zip(texts, raw, strict=True)]

    def _result(self, text: str, pred: RawPrediction) -> ParseResult:
        probs = pred.intent_probs
        top = probs.argsort()[::-1][:RANKING_SIZE]
        ranking = tuple(IntentScore(self.labels.intents[i], float(probs[i])) for i in top)
        intent = ranking[0]
        if intent.confidence < self.fallback_threshold:
            intent = IntentScore(FALLBACK_INTENT, self.fallback_threshold)
            ranking = (intent, *ranking[: RANKING_SIZE - 1])
        entities = [
            self.rules.map_synonym(
                Entity(
                    span.etype.entity,
                    span.start,
                    span.end,
                    text[span.start : span.end],
                    round(span.confidence, 6),
                    EXTRACTOR_NAME,
                    role=span.etype.role,
                    group=span.etype.group,
                )
            )
            for span in pred.spans
        ]
        entities = outside_pasted_pieces(text, entities)  # not "yoga" of ".../p/yoga-mat"
        entities = [e for e in entities if self.rules.shaped(e)]
        entities = [
            e if e.extractor != REGEX_EXTRACTOR else self.rules.map_synonym(e)
            for e in self.rules.with_rule_entities(text, entities)
        ]
        return ParseResult(text, intent, ranking, tuple(entities))
