"""The ``/intent{"slot": "value"}`` shortcut buttons send: an intent without NLU."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from bot.payloads import json_strings, nesting_depth, text_problem

MAX_ENTITY_DEPTH = 4
# As Rasa's: an optional confidence (``/greet@0.4``) and JSON entities; a JSON part cut
# short ("/human_handoff{") still names the intent, as in Rasa.
_SHORTCUT = re.compile(
    r"^/(?P<intent>[^{}@\s]+)(?:@(?P<confidence>[0-9]*\.?[0-9]+))?(?P<entities>\{.*)?\s*$",
    re.DOTALL,
)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)  # 1e400 reads as infinity, which no JSON encoder writes back
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def parse_shortcut(text: str) -> dict[str, Any] | None:
    """Rasa's parse JSON for a shortcut message, or None when the text is not one.

    Bad JSON after the intent is ignored (the intent still counts), as Rasa does; so is JSON
    nested deeper than :data:`MAX_ENTITY_DEPTH`, which could not be stored and read back.
    """
    match = _SHORTCUT.match(text.strip())
    if match is None:
        return None
    # Rasa gives each entity the span of the JSON in the message.
    lead = len(text) - len(text.lstrip())
    span = {"start": lead + match.start("entities"), "end": lead + match.end("entities")}
    intent = match.group("intent")
    confidence = min(1.0, float(match.group("confidence") or 1.0))
    entities: list[dict[str, Any]] = []
    raw = match.group("entities")
    if raw:
        try:
            values = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
        except (ValueError, RecursionError):
            values = {}
        if nesting_depth(values, MAX_ENTITY_DEPTH) > MAX_ENTITY_DEPTH:
            values = {}  # entity values are scalars or short lists, not documents
        elif any(text_problem(text) for text in json_strings(values)):
            # "\u0000" or a lone surrogate, escaped in the message: stored, it broke every
            # read (and on PostgreSQL every agent's intent filter).
            values = {}
        if isinstance(values, dict):
            for name, value in values.items():
                for item in value if isinstance(value, list) else [value]:
                    entities.append({"entity": name, "value": item, **span})
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": entities,
    }
