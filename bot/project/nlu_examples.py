"""A light read of ``nlu:`` items for checking (the ``nlu`` package does the real reading)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.project.source import line_of, read_yaml
from nlu import MarkupError, parse_markup

_EXAMPLE = re.compile(r"^\s*-\s?(.*)$")


@dataclass(frozen=True)
class NluExample:
    """One training example: its intent, text without markup, entities it names, and where."""

    intent: str
    text: str
    entities: tuple[str, ...]
    file: str
    line: int


@dataclass(frozen=True)
class NluItem:
    """One ``nlu:`` item: ``kind`` is intent, synonym, regex or lookup."""

    kind: str
    name: str
    file: str
    line: int


def strip_markup(text: str) -> tuple[str, tuple[str, ...]]:
    """The example text without entity markup, and the entity names the markup used.

    Uses the NLU package's parser, so the checker reads examples exactly as training does;
    malformed markup is returned as is (the NLU reader reports it with its line).
    """
    try:
        plain, spans = parse_markup(text)
    except MarkupError:
        return text, ()
    return plain, tuple(span.entity for span in spans)


def read_nlu(path: Path) -> tuple[list[NluItem], list[NluExample]]:
    """The items and intent examples of one data file; files without ``nlu:`` give nothing.

    Raises:
        ProjectError: malformed YAML (file and line).
    """
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("nlu"), list):
        return [], []
    items: list[NluItem] = []
    examples: list[NluExample] = []
    nodes = data["nlu"]
    for index, node in enumerate(nodes):
        if not isinstance(node, dict):
            continue
        kind = next((k for k in ("intent", "synonym", "regex", "lookup") if k in node), "")
        line = line_of(nodes, index)
        items.append(NluItem(kind or "unknown", str(node.get(kind, "")), str(path), line))
        if kind == "intent":
            examples.extend(_examples(str(node["intent"]), node, str(path)))
    return items, examples


def _examples(intent: str, node: Any, file: str) -> list[NluExample]:
    raw = node.get("examples")
    start = line_of(node, "examples")
    if isinstance(raw, list):
        texts = [v.get("text", "") if isinstance(v, dict) else v for v in raw]  # 2.x metadata
        lines = [(line_of(raw, i) or start, str(v)) for i, v in enumerate(texts)]
    else:
        lines = []
        for offset, row in enumerate(str(raw or "").splitlines(), start=1):
            match = _EXAMPLE.match(row)
            if match and match.group(1).strip():
                lines.append((start + offset, match.group(1)))
    out = []
    for line, text in lines:
        clean, entities = strip_markup(text.strip())
        out.append(NluExample(intent, clean.strip(), entities, file, line))
    return out
