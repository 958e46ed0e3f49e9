"""Rule-based entity pieces applied after the network: synonyms, regexes and lookup tables."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nlu.data import TrainingData
from nlu.errors import NluError
from nlu.result import Entity
from nlu.symbols import half_width

EXTRACTORS_FILE = "extractors.json"
SYNONYM_PROCESSOR = "EntitySynonymMapper"
REGEX_EXTRACTOR = "RegexEntityExtractor"


@dataclass(frozen=True)
class RuleExtractors:
    """Entity synonyms plus regex and lookup patterns, saved as ``extractors.json``."""

    synonyms: Mapping[str, str]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    source: Mapping[str, Any]
    # Entity types whose regexes describe every value the data annotated: a tagged value of
    # one that none of them matches is not kept (see ``shaped``).
    shapes: Mapping[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)

    @classmethod
    def from_training_data(cls, data: TrainingData) -> RuleExtractors:
        """Collect synonyms (explicit and from annotated values), regexes and lookups, and
        the entity types whose regexes match every annotated value (``strict``)."""
        return cls.from_json(
            {
                "synonyms": data.entity_synonym_map(),
                "regexes": {k: list(v) for k, v in data.regexes.items()},
                "lookups": {k: list(v) for k, v in data.lookups.items()},
                "strict": _strict(data),
            }
        )

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RuleExtractors:
        patterns: list[tuple[str, re.Pattern[str]]] = []
        for name, regexes in raw.get("regexes", {}).items():
            for pattern in regexes:
                try:
                    patterns.append((name, re.compile(pattern)))
                except re.error as exc:
                    raise NluError(f"regex {name!r}: invalid pattern {pattern!r} ({exc})") from None
        for name, elements in raw.get("lookups", {}).items():
            alternatives = sorted({e for e in elements if e.strip()}, key=len, reverse=True)
            if alternatives:
                joined = "|".join(re.escape(e) for e in alternatives)
                patterns.append((name, re.compile(rf"(?<!\w)(?:{joined})(?!\w)", re.IGNORECASE)))
        shapes = {
            name: _shape(raw["regexes"][name])
            for name in raw.get("strict", ())
            if name in raw.get("regexes", {})
        }
        return cls(dict(raw.get("synonyms", {})), tuple(patterns), dict(raw), shapes)

    def shaped(self, entity: Entity) -> bool:
        """Whether a tagged entity has its type's shape, where the project's regexes give
        one, give or take one mistyped character: the tagger read "42" of "size 42" as an
        order number, which the project's pattern (two letters and five digits, or five
        digits) says it cannot be. Case and full-width forms aside: "nw-48213" is an order
        number still, and so is "NW-4821" (one digit short: the user's slip)."""
        shape = self.shapes.get(entity.entity)
        return shape is None or _near(shape, entity.value)

    def to_json(self) -> dict[str, Any]:
        return dict(self.source)

    def map_synonym(self, entity: Entity) -> Entity:
        """Replace the value by its canonical form, noting the processor, when it is a synonym."""
        canonical = self.synonyms.get(half_width(entity.value).lower())
        if canonical is None or canonical == entity.value:
            return entity
        return replace(entity, value=canonical, processors=(*entity.processors, SYNONYM_PROCESSOR))

    def rule_entities(self, text: str, found: Sequence[Entity]) -> list[Entity]:
        """Regex and lookup matches that overlap none of ``found`` (nor each other), except
        found entities that give way to the match (``_gives_way``): the tagger took "NW" of
        "NW–48213" and the pattern, then skipped, had the order number; it took "acme" of
        "john@acme.example" for an order number, and the email was lost."""
        out: list[Entity] = []
        # Full-width forms read as ASCII ("ＮＷ－４８２１３"), one character for one: the span
        # indexes the text as written, the value is what the pattern was written for (an
        # action looks up "NW-48213").
        read = half_width(text)
        for name, pattern in self.patterns:
            for match in pattern.finditer(read):
                start, end = match.span()
                if start == end or any(start < e.end and end > e.start for e in out):
                    continue  # rule matches never overlap one another
                within = [e for e in found if start < e.end and end > e.start]
                if not all(_gives_way(e, name, start, end) for e in within):
                    continue
                # The tagger's role and group of the same entity stay (Rasa keeps both
                # entities): "from Berlin to Paris" lost city's roles to a city lookup.
                own = next((e for e in within if e.entity == name and (e.role or e.group)), None)
                role, group = (own.role, own.group) if own else (None, None)
                out.append(
                    Entity(name, start, end, match.group(0), 1.0, REGEX_EXTRACTOR, role, group)
                )
        return out

    def with_rule_entities(self, text: str, found: Sequence[Entity]) -> list[Entity]:
        """``found`` with the rule entities added, in text order; a found entity that gives
        way to a match is left out."""
        rules = self.rule_entities(text, found)
        kept = [e for e in found if not any(_gives_way(e, r.entity, r.start, r.end) for r in rules)]
        return sorted([*kept, *rules], key=lambda e: (e.start, e.end))


def refresh_extractors(model_dir: Path, data: TrainingData) -> bool:
    """Rewrite a trained model's ``extractors.json`` from the data it was trained on, where
    what is read from that data has grown since (the entity shapes): the weights do not
    change, so a model need not be trained again for it. Replaced whole (a serving process
    reading it sees the old file or the new). Returns whether it changed."""
    path = model_dir / EXTRACTORS_FILE
    fresh = RuleExtractors.from_training_data(data).to_json()
    try:
        if json.loads(path.read_text("utf-8")) == fresh:
            return False
    except (OSError, ValueError):
        return False  # no model there (or not this one's to mend): training writes it
    staging = path.with_suffix(".json.new")
    staging.write_text(json.dumps(fresh, indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(staging, path)
    return True


def _shape(patterns: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)


#: Distinct annotated values an entity type needs before its regexes count as its shape: a
#: pattern that one or two examples happen to match is still only a hint.
MIN_SHAPED_VALUES = 5
# A tagged value this long is not tried one edit at a time (the edits grow with its length).
_MAX_NEAR = 40


def _strict(data: TrainingData) -> list[str]:
    """Entity types with regexes, no lookup table (whose entries need no shape) and at least
    ``MIN_SHAPED_VALUES`` distinct annotated values, every one of which a regex matches
    (ignoring case): for them the regexes are the shape of a value, not a hint."""
    values: dict[str, set[str]] = {}
    for example in data.examples:
        for span in example.entities:
            values.setdefault(span.entity, set()).add(span.value)
    strict = []
    for name, patterns in sorted(data.regexes.items()):
        try:
            shape = _shape(patterns)
        except re.error:
            continue  # from_json names the invalid pattern
        said = values.get(name, set())
        if (
            name not in data.lookups
            and len(said) >= MIN_SHAPED_VALUES
            and all(_matches(shape, v) for v in said)
        ):
            strict.append(name)
    return strict


def _matches(shape: Sequence[re.Pattern[str]], value: str) -> bool:
    value = half_width(value)
    return any(pattern.search(value) for pattern in shape)


def _near(shape: Sequence[re.Pattern[str]], value: str) -> bool:
    """Whether ``value`` has the shape, or would with one character left out, added or
    changed (a digit or a letter): a mistyped "NW-4821" is still meant as an order number,
    which the action can say it does not know; "42" is not one."""
    value = half_width(value)
    if _matches(shape, value):
        return True
    if len(value) > _MAX_NEAR:
        return False
    edits = {value[:i] + value[i + 1 :] for i in range(len(value))}
    for i in range(len(value) + 1):
        for stand_in in ("0", "A"):
            edits.add(value[:i] + stand_in + value[i:])
            edits.add(value[:i] + stand_in + value[i + 1 :])
    return any(_matches(shape, edit) for edit in edits)


def _gives_way(tagged: Entity, name: str, start: int, end: int) -> bool:
    """Whether a tagged entity is a piece of the pattern match ``name`` at ``start:end``:
    within it, and of its type or shorter. A web address, an email or a phone number is
    one thing, whatever the tagger made of its parts; a span the tagger read whole as
    another type (five digits as an order number, not a pattern's zip code) stays its."""
    if tagged.start < start or tagged.end > end:
        return False
    return tagged.entity == name or (tagged.start, tagged.end) != (start, end)
