"""The joint network: one BERT-family encoder, a mean-pooled intent head, a per-token BIO head."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nlu.encoder import HF_LOADING, load_encoder_model, mean_pool

OUTSIDE = "O"


@dataclass(frozen=True)
class EntityType:
    """An entity label the BIO head predicts: entity name with an optional role and group."""

    entity: str
    role: str | None = None
    group: str | None = None

    @property
    def key(self) -> str:
        """The tag suffix: ``city``, ``city#role=from``, ``city#role=from#group=1``."""
        parts = [self.entity]
        if self.role is not None:
            parts.append(f"role={self.role}")
        if self.group is not None:
            parts.append(f"group={self.group}")
        return "#".join(parts)

    @classmethod
    def from_key(cls, key: str) -> EntityType:
        entity, *rest = key.split("#")
        fields = dict(part.split("=", 1) for part in rest)
        return cls(entity, fields.get("role"), fields.get("group"))


@dataclass(frozen=True)
class Labels:
    """Intent names and BIO tags, stored as ``labels.json`` beside the weights."""

    intents: tuple[str, ...]
    tags: tuple[str, ...]

    @classmethod
    def build(cls, intents: list[str], entity_types: list[EntityType]) -> Labels:
        tags = [OUTSIDE]
        for etype in entity_types:
            tags += [f"B-{etype.key}", f"I-{etype.key}"]
        return cls(tuple(intents), tuple(tags))

    def to_json(self) -> dict[str, Any]:
        return {"intents": list(self.intents), "entity_tags": list(self.tags)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Labels:
        return cls(tuple(raw["intents"]), tuple(raw["entity_tags"]))


COSINE_SCALE = 20.0


class JointModel(nn.Module):
    """Encoder + intent classifier on mean-pooled states + BIO tagger on every token.

    The intent head is ``linear`` (a plain affine layer) or ``cosine`` (scaled cosine similarity
    between the pooled vector and one learned vector per intent, the geometry sentence-embedding
    encoders such as all-MiniLM were trained for).
    """

    def __init__(
        self,
        encoder: Any,
        n_intents: int,
        n_tags: int,
        dropout: float = 0.1,
        intent_head: str = "linear",
    ) -> None:
        super().__init__()
        hidden = int(encoder.config.hidden_size)
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.cosine = intent_head == "cosine"
        self.intent_head = nn.Linear(hidden, n_intents, bias=not self.cosine)
        self.entity_head = nn.Linear(hidden, n_tags)

    @classmethod
    def from_encoder(
        cls, path: Path, labels: Labels, dropout: float = 0.1, intent_head: str = "linear"
    ) -> JointModel:
        """Fresh heads over a pretrained encoder checkpoint."""
        encoder = load_encoder_model(path)
        return cls(encoder, len(labels.intents), len(labels.tags), dropout, intent_head)

    @classmethod
    def from_config(
        cls, model_dir: Path, labels: Labels, intent_head: str = "linear"
    ) -> JointModel:
        """An uninitialised network shaped like a saved model (weights are loaded after)."""
        with HF_LOADING:  # see there
            from transformers import AutoConfig, AutoModel

            config = AutoConfig.from_pretrained(str(model_dir), local_files_only=True)
            encoder = AutoModel.from_config(config)  # type: ignore[no-untyped-call]
        return cls(encoder, len(labels.intents), len(labels.tags), intent_head=intent_head)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(intent_logits [B, I], tag_logits [B, T, K])``."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        hidden = self.dropout(hidden)
        pooled = mean_pool(hidden, attention_mask)
        if self.cosine:
            weight = nn.functional.normalize(self.intent_head.weight, dim=-1)
            pooled = nn.functional.normalize(pooled, dim=-1)
            intent_logits = COSINE_SCALE * pooled @ weight.to(pooled.dtype).T
        else:
            intent_logits = self.intent_head(pooled)
        return intent_logits, self.entity_head(hidden)
