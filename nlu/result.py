"""What a parse returns: small frozen values that serialise to Rasa's parse JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class IntentScore:
    """An intent name with its confidence in ``[0, 1]``."""

    name: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "confidence": self.confidence}


@dataclass(frozen=True)
class Entity:
    """An extracted entity; ``start``/``end`` are character offsets into the parsed text."""

    entity: str
    start: int
    end: int
    value: str
    confidence: float
    extractor: str
    role: str | None = None
    group: str | None = None
    processors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "entity": self.entity,
            "start": self.start,
            "end": self.end,
            "value": self.value,
            "confidence_entity": self.confidence,
            "extractor": self.extractor,
        }
        if self.role is not None:
            out["role"] = self.role
        if self.group is not None:
            out["group"] = self.group
        if self.processors:
            out["processors"] = list(self.processors)
        return out


@dataclass(frozen=True)
class ParseResult:
    """The NLU reading of one message (Rasa ``/model/parse`` shape via :meth:`to_dict`).

    Attributes:
        text: the message exactly as given.
        intent: the chosen intent; ``nlu_fallback`` when the model was not confident enough.
        intent_ranking: the model's top intents, best first (at most 10).
        entities: extracted entities, ordered by start offset.
    """

    text: str
    intent: IntentScore
    intent_ranking: tuple[IntentScore, ...]
    entities: tuple[Entity, ...]

    @property
    def is_fallback(self) -> bool:
        return self.intent.name == FALLBACK_INTENT

    def to_dict(self) -> dict[str, Any]:
        """Rasa's parse JSON: ``text``, ``intent``, ``intent_ranking``, ``entities``."""
        return {
            "text": self.text,
            "intent": self.intent.to_dict(),
            "intent_ranking": [score.to_dict() for score in self.intent_ranking],
            "entities": [entity.to_dict() for entity in self.entities],
        }
