"""Rasa entity markup inside one example line: ``[text](entity)`` and friends.

Supported forms: ``[text](entity)``, ``[text](entity:value)`` and
``[text]{"entity": "e", "role": "r", "group": "g", "value": "v"}``. Brackets that are not
followed by ``(`` or ``{`` stay literal text, and balanced brackets may nest inside an entity's
text. A backslash escapes ``[ ] ( ) { } \\`` so that they are always literal.
"""

from __future__ import annotations

import json

from nlu.data import EntitySpan

_ESCAPABLE = set("[](){}\\")


class MarkupError(ValueError):
    """The line's markup is malformed; the message says what is wrong."""


def _closing_bracket(line: str, open_at: int) -> int:
    """Index of the ``]`` matching the ``[`` at ``open_at``, or -1."""
    depth = 0
    i = open_at
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] in _ESCAPABLE:
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _matching(line: str, start: int, open_ch: str, close_ch: str) -> int:
    """Index of the ``close_ch`` closing ``open_ch`` at ``start`` (JSON strings respected)."""
    depth = 0
    in_string = False
    i = start
    while i < len(line):
        ch = line[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = False
        elif ch == '"' and open_ch == "{":
            in_string = True
        elif ch == open_ch:
            depth += 1
        elif ch == close_ch:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _entity_fields(spec: str, kind: str) -> tuple[str, str | None, str | None, str | None]:
    """(entity, value, role, group) from the part after ``]``."""
    if kind == "(":
        entity, sep, value = spec.partition(":")
        entity = entity.strip()
        if not entity:
            raise MarkupError(f"entity name missing in '({spec})'")
        return entity, (_unescape(value) if sep else None), None, None
    try:
        fields = json.loads(spec)
    except json.JSONDecodeError as exc:
        raise MarkupError(f"entity annotation {spec} is not valid JSON ({exc.msg})") from None
    if not isinstance(fields, dict) or not isinstance(fields.get("entity"), str):
        raise MarkupError(f'entity annotation {spec} needs a string "entity" field')
    unknown = set(fields) - {"entity", "value", "role", "group"}
    if unknown:
        raise MarkupError(f"entity annotation {spec} has unknown fields {sorted(unknown)}")

    def opt(key: str) -> str | None:
        v = fields.get(key)
        return None if v is None else str(v)

    return fields["entity"], opt("value"), opt("role"), opt("group")


def parse_markup(line: str) -> tuple[str, tuple[EntitySpan, ...]]:
    """Strip the markup from one example line.

    Returns:
        The plain text and its entity spans (character offsets into the plain text).

    Raises:
        MarkupError: an entity annotation is malformed.
    """
    out: list[str] = []
    spans: list[EntitySpan] = []
    length = 0
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] in _ESCAPABLE:
            out.append(line[i + 1])
            length += 1
            i += 2
            continue
        if ch == "[":
            close = _closing_bracket(line, i)
            nxt = line[close + 1] if 0 <= close < len(line) - 1 else ""
            if close > 0 and nxt in ("(", "{"):
                end = _matching(line, close + 1, nxt, ")" if nxt == "(" else "}")
                if end < 0:
                    raise MarkupError(f"unclosed '{nxt}' after [{line[i + 1 : close]}]")
                surface = _unescape(line[i + 1 : close])
                if not surface:
                    raise MarkupError("an entity annotation has empty text '[]'")
                spec = line[close + 2 : end] if nxt == "(" else line[close + 1 : end + 1]
                entity, value, role, group = _entity_fields(spec, nxt)
                spans.append(
                    EntitySpan(
                        start=length,
                        end=length + len(surface),
                        entity=entity,
                        value=surface if value is None else value,
                        role=role,
                        group=group,
                    )
                )
                out.append(surface)
                length += len(surface)
                i = end + 1
                continue
        out.append(ch)
        length += 1
        i += 1
    return "".join(out), tuple(spans)


def _escape(text: str) -> str:
    return "".join("\\" + ch if ch in "[]\\" else ch for ch in text)


def render_markup(text: str, entities: tuple[EntitySpan, ...]) -> str:
    """The inverse of :func:`parse_markup`: plain text and spans back to one markup line."""
    parts: list[str] = []
    cursor = 0
    for span in sorted(entities, key=lambda s: (s.start, s.end)):
        parts.append(_escape(text[cursor : span.start]))
        surface = text[span.start : span.end]
        parts.append("[" + _escape(surface) + "]")
        simple = span.role is None and span.group is None
        if simple and span.value == surface and not set(span.entity) & set(":()[]{}\\ "):
            parts.append(f"({span.entity})")
        else:
            fields: dict[str, str] = {"entity": span.entity}
            if span.role is not None:
                fields["role"] = span.role
            if span.group is not None:
                fields["group"] = span.group
            if span.value != surface:
                fields["value"] = span.value
            parts.append(json.dumps(fields, ensure_ascii=False))
        cursor = span.end
    parts.append(_escape(text[cursor:]))
    return "".join(parts)
