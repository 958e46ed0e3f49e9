"""Agents' annotations of user messages, exported as Rasa NLU training data (``version: "3.1"``).

An ``annotation`` transcript event names the user event it corrects (``data["seq"]``) and the
right ``intent`` and ``entities`` (character offsets into that message's text). The latest
annotation of a message wins.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, and_, or_, select

from bot.api.schemas import RASA_NAME
from bot.tables import conversation_events


def annotation_target(data: dict[str, Any]) -> int | None:
    """The sequence number of the user event an annotation refers to."""
    for key in ("seq", "user_seq", "event_seq", "target_seq"):
        value = data.get(key)
        if isinstance(value, int):
            return value
    return None


def markup(text: str, entities: Sequence[dict[str, Any]]) -> str:
    """``text`` with Rasa entity markup: ``[laptop](product)``, ``[lap top](product:laptop)``.

    Entities with bad or overlapping offsets are left out.
    """
    spans = sorted(
        (e for e in entities if _valid_span(e, len(text))), key=lambda e: int(e["start"])
    )
    out: list[str] = []
    cursor = 0
    for entity in spans:
        start, end = int(entity["start"]), int(entity["end"])
        if start < cursor:
            continue
        surface = text[start:end]
        label = str(entity["entity"])
        value = entity.get("value")
        if value is not None and str(value) != surface:
            label = f"{label}:{value}"
        out.append(text[cursor:start])
        out.append(f"[{surface}]({label})")
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _valid_span(entity: dict[str, Any], length: int) -> bool:
    try:
        start, end = int(entity["start"]), int(entity["end"])
    except (KeyError, TypeError, ValueError):
        return False
    return bool(entity.get("entity")) and 0 <= start < end <= length


def collect(engine: Engine) -> dict[str, list[str]]:
    """Every annotated user message as marked-up text, grouped by intent (sorted, no repeats)."""
    events = conversation_events
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.conversation_id, events.c.seq, events.c.data)
            .where(events.c.type == "annotation")
            .order_by(events.c.conversation_id, events.c.seq)
        ).all()
        latest: dict[tuple[str, int], dict[str, Any]] = {}
        for conversation_id, _seq, data in rows:
            target = annotation_target(data)
            if target is not None and data.get("intent"):
                latest[(conversation_id, target)] = data
        texts: dict[tuple[str, int], str] = {}
        keys = list(latest)
        for i in range(0, len(keys), 200):
            chunk = keys[i : i + 200]
            found = conn.execute(
                select(events.c.conversation_id, events.c.seq, events.c.data).where(
                    events.c.type == "user",
                    or_(
                        *(and_(events.c.conversation_id == c, events.c.seq == s) for c, s in chunk)
                    ),
                )
            ).all()
            texts.update({(c, s): str(d.get("text") or "") for c, s, d in found})
    grouped: dict[str, set[str]] = {}
    for key, data in latest.items():
        text = str(data.get("text") or texts.get(key) or "")
        if not text.strip() or text.startswith("/"):
            continue
        example = _yaml_printable(markup(text, data.get("entities") or []))
        grouped.setdefault(str(data["intent"]), set()).add(" ".join(example.split()))
    return {intent: sorted(examples) for intent, examples in sorted(grouped.items())}


def _yaml_printable(text: str) -> str:
    """``text`` without the characters a YAML file may not hold (control characters other
    than whitespace, U+FFFE/U+FFFF): a user's message with one made the export unreadable."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or not ("\x00" <= ch < "\x20" or "\x7f" <= ch <= "\x9f" or ch in "\ufffe\uffff")
    )


def render_yaml(grouped: dict[str, list[str]]) -> str:
    """Rasa NLU YAML of examples grouped by intent."""
    lines = ['version: "3.1"', "nlu:" if grouped else "nlu: []"]
    for intent, examples in grouped.items():
        # A name stored before names were checked is quoted, so the file stays YAML.
        name = intent if RASA_NAME.fullmatch(intent) else json.dumps(intent)
        lines.append(f"- intent: {name}")
        lines.append("  examples: |")
        lines.extend(f"    - {example}" for example in examples)
    return "\n".join(lines) + "\n"


def export_yaml(engine: Engine) -> tuple[str, int]:
    """The annotations as Rasa NLU YAML, and how many examples it holds."""
    grouped = collect(engine)
    return render_yaml(grouped), sum(len(v) for v in grouped.values())
