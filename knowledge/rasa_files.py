"""Rasa retrieval intents as FAQ entries: ``faq/x`` examples plus ``utter_faq/x`` responses.

The first example of a retrieval intent is the question, the rest are alternatives; the
first text variant of its response is the answer (its buttons come along). The external key
is the part after ``faq/`` (other retrieval intents, e.g. ``chitchat/x``, keep the full name).
Input is one YAML file or a project folder (``domain.yml`` plus ``data/**.yml``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from knowledge.entries import FaqDraft, FaqEntry
from knowledge.errors import ImportValidationError, RowError
from knowledge.formats import drafts_from_records

_EXAMPLE = re.compile(r"^\s*-\s?(.*)$")
# Entity markup `[text](entity)` or `[text]{...}` keeps its text.
_MARKUP = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")


def _key(intent: str) -> str:
    return intent.split("/", 1)[1] if intent.startswith("faq/") else intent


def _intent(key: str) -> str:
    return key if "/" in key else f"faq/{key}"


def _examples(value: Any) -> list[str]:
    if isinstance(value, list):  # some projects write examples as a YAML list
        return [_MARKUP.sub(r"\1", str(v)).strip() for v in value if str(v).strip()]
    out = []
    for line in str(value or "").splitlines():
        match = _EXAMPLE.match(line)
        if match and match.group(1).strip():
            out.append(_MARKUP.sub(r"\1", match.group(1)).strip())
    return out


def _yaml_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = [p for p in sorted(path.rglob("*")) if p.suffix in (".yml", ".yaml")]
    # Tests, stories and configs hold no FAQ content.
    return [p for p in files if "tests" not in p.parts and p.name not in ("config.yml",)]


def read_rasa(path: Path) -> list[FaqDraft]:
    """Read retrieval intents and their responses from a Rasa file or project folder.

    Raises:
        ImportValidationError: a file is not YAML, or a retrieval intent has no response
            (rows are retrieval intents in the order found).
    """
    examples: dict[str, list[str]] = {}
    responses: dict[str, Any] = {}
    errors: list[RowError] = []
    for file in _yaml_files(path):
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            errors.append(RowError(0, file.name, f"not YAML: {exc}"))
            continue
        if not isinstance(data, Mapping):
            continue
        for item in data.get("nlu") or []:
            intent = item.get("intent") if isinstance(item, Mapping) else None
            if isinstance(intent, str) and "/" in intent:
                examples.setdefault(intent, []).extend(_examples(item.get("examples")))
        for name, variants in (data.get("responses") or {}).items():
            if isinstance(name, str) and name.startswith("utter_") and "/" in name:
                responses[name.removeprefix("utter_")] = variants
    if errors:
        raise ImportValidationError(str(path), errors)
    records: list[Any] = []
    for row, (intent, texts) in enumerate(examples.items(), start=1):
        record: dict[str, Any] = {"id": _key(intent), "question": texts[0] if texts else ""}
        record["alternatives"] = texts[1:]
        variants = responses.get(intent)
        first = variants[0] if isinstance(variants, list) and variants else None
        if not isinstance(first, Mapping) or not first.get("text"):
            errors.append(RowError(row, "answer", f"{intent}: no utter_{intent} text response"))
            continue
        record["answer"] = first["text"]
        record["buttons"] = list(first.get("buttons") or [])
        records.append(record)
    if errors:
        raise ImportValidationError(str(path), errors)
    return drafts_from_records(records, str(path))


def write_rasa(entries: Iterable[FaqEntry | FaqDraft]) -> str:
    """Entries as one Rasa 3.x YAML file holding both the NLU examples and the responses."""
    nlu: list[dict[str, Any]] = []
    responses: dict[str, Any] = {}
    for entry in entries:
        draft = entry.draft() if isinstance(entry, FaqEntry) else entry
        intent = _intent(draft.external_key)
        lines = "".join(f"- {text}\n" for text in (draft.question, *draft.alternatives))
        nlu.append({"intent": intent, "examples": lines})
        variant: dict[str, Any] = {"text": draft.answer}
        if draft.buttons:
            variant["buttons"] = [{"title": b.title, "payload": b.payload} for b in draft.buttons]
        responses[f"utter_{intent}"] = [variant]
    return str(
        yaml.dump(
            {"version": "3.1", "nlu": nlu, "responses": responses},
            Dumper=_BlockDumper,
            allow_unicode=True,
            sort_keys=False,
            width=1000,
        )
    )


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as ``|`` blocks, the way Rasa files look."""


def _block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _block)
