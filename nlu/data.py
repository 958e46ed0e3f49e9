"""Training data: examples with character-span entities, plus synonyms, regexes and lookups."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

OOS_LABELS = ("oos", "out_of_scope")
"""Intent names treated as out-of-scope when the training data holds them."""


@dataclass(frozen=True)
class EntitySpan:
    """One entity annotation: ``text[start:end]`` is the surface form, ``value`` its meaning."""

    start: int
    end: int
    entity: str
    value: str
    role: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class Example:
    """One training utterance with its intent, entity spans and optional metadata."""

    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()
    metadata: Mapping[str, Any] | None = None

    def __hash__(self) -> int:
        return hash((self.text, self.intent, self.entities))


def _freeze(mapping: Mapping[str, Iterable[str]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({k: tuple(v) for k, v in mapping.items()})


@dataclass(frozen=True)
class TrainingData:
    """Everything an NLU model learns from.

    Attributes:
        examples: the labelled utterances, in file order.
        synonyms: canonical value -> surface variants (from ``synonym:`` items).
        regexes: name -> patterns (from ``regex:`` items).
        lookups: name -> elements (from ``lookup:`` items and lookup files).
        intent_metadata: intent -> the ``metadata`` given on its ``intent:`` item.
    """

    examples: tuple[Example, ...] = ()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    regexes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lookups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    intent_metadata: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "examples", tuple(self.examples))
        object.__setattr__(self, "synonyms", _freeze(self.synonyms))
        object.__setattr__(self, "regexes", _freeze(self.regexes))
        object.__setattr__(self, "lookups", _freeze(self.lookups))
        object.__setattr__(self, "intent_metadata", MappingProxyType(dict(self.intent_metadata)))

    @property
    def intents(self) -> list[str]:
        """Intent names in order of first appearance."""
        return list(dict.fromkeys(e.intent for e in self.examples))

    @property
    def entity_names(self) -> list[str]:
        """Entity types in order of first appearance."""
        return list(dict.fromkeys(s.entity for e in self.examples for s in e.entities))

    def merge(self, other: TrainingData) -> TrainingData:
        """Concatenate examples; later synonyms, regexes and lookups extend earlier ones."""

        def union(
            a: Mapping[str, tuple[str, ...]], b: Mapping[str, tuple[str, ...]]
        ) -> dict[str, tuple[str, ...]]:
            out = {k: list(v) for k, v in a.items()}
            for k, values in b.items():
                out.setdefault(k, []).extend(x for x in values if x not in out[k])
            return {k: tuple(v) for k, v in out.items()}

        return TrainingData(
            examples=self.examples + other.examples,
            synonyms=union(self.synonyms, other.synonyms),
            regexes=union(self.regexes, other.regexes),
            lookups=union(self.lookups, other.lookups),
            intent_metadata={**self.intent_metadata, **other.intent_metadata},
        )

    def with_examples(self, examples: Iterable[Example]) -> TrainingData:
        """The same synonyms, regexes and lookups over other examples (e.g. a split)."""
        return TrainingData(
            examples=tuple(examples),
            synonyms=self.synonyms,
            regexes=self.regexes,
            lookups=self.lookups,
            intent_metadata=self.intent_metadata,
        )

    def to_rasa_yaml(self) -> str:
        """Serialise as Rasa NLU YAML (``version: "3.1"``); reading it back gives equal data."""
        from nlu.rasa_yaml import dump_rasa_yaml

        return dump_rasa_yaml(self)

    def fingerprint(self) -> str:
        """SHA-256 of the canonical YAML form: identical data gives an identical hash."""
        return hashlib.sha256(self.to_rasa_yaml().encode("utf-8")).hexdigest()

    def entity_synonym_map(self) -> dict[str, str]:
        """Lower-cased surface form -> canonical value, from synonyms and annotated values."""
        mapping: dict[str, str] = {}
        for example in self.examples:
            for span in example.entities:
                surface = example.text[span.start : span.end]
                if surface != span.value:
                    mapping[surface.lower()] = span.value
        for canonical, variants in self.synonyms.items():
            for variant in variants:
                mapping[variant.lower()] = canonical
        return mapping


def write_rasa_yaml(data: TrainingData, path: str | Path) -> Path:
    """Write ``data`` as a Rasa NLU YAML file and return its path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(data.to_rasa_yaml(), encoding="utf-8")
    return out
