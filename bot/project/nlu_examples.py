"""A light read of ``nlu:`` items for checking (the ``nlu`` package does the real reading)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.project.source import line_of, read_yaml

_EXAMPLE = re.compile(r"^\s*-\s?(.*)$")
_MARKUP = re.compile(r"\[([^\]]*)\](\(([^)]*)\)|\{([^}]*)\})")


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
    """The example text without entity markup, and the entity names the markup used."""
    entities: list[str] = []

    def keep(match: re.Match[str]) -> str:
        if match.group(3) is not None:
            entities.append(match.group(3).split(":", 1)[0].strip())
        else:
            try:
                body = json.loads("{" + match.group(4) + "}")
                entities.append(str(body.get("entity", "")))
            except ValueError:
                entities.append("")
        return match.group(1)

    return _MARKUP.sub(keep, text), tuple(entities)


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
