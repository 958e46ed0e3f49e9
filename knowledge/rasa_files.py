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
from knowledge.errors import ImportValidationError, KnowledgeError, RowError
from knowledge.formats import Drafts, decode, drafts_from_records, yaml_problem

_EXAMPLE = re.compile(r"^\s*-\s?(.*)$")
#: The intent metadata key holding an entry's version in an export: Rasa keeps an intent's
#: ``metadata`` as it is, and an import of the file back then merges as other formats do
#: (without it, a file exported before a colleague's edit silently undid that edit).
VERSION_KEY = "deskbot_version"
# Entity markup `[text](entity)` or `[text]{...}` keeps its text.
_MARKUP = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")


def _key(intent: str) -> str:
    return intent.split("/", 1)[1] if intent.startswith("faq/") else intent


def _intent(key: str) -> str:
    # A key that itself starts with "faq/" gets the prefix again, or it would come back
    # from an import without it (as another entry).
    return key if "/" in key and not key.startswith("faq/") else f"faq/{key}"


def _examples(value: Any) -> list[str]:
    if isinstance(value, list):  # some projects write examples as a YAML list
        texts = [v.get("text") if isinstance(v, Mapping) else v for v in value]
        return [_MARKUP.sub(r"\1", str(v)).strip() for v in texts if str(v or "").strip()]
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


class _Collected:
    """Retrieval-intent examples and responses gathered from one or more Rasa files."""

    def __init__(self) -> None:
        self.examples: dict[str, list[str]] = {}
        self.responses: dict[str, Any] = {}
        self.errors: list[RowError] = []
        self.lists: list[str] = []  # files in a folder that hold a YAML list, not Rasa data
        self.notes: list[str] = []
        self._where: dict[str, str] = {}  # response -> the file it was last read from
        self.versions: dict[str, Any] = {}  # intent -> the entry's version when exported

    def add(self, text: str, label: str, *, alone: bool) -> None:
        """Take the retrieval intents of one file's text.

        Args:
            text: the file's text.
            label: names the file in errors (``-``: the input itself).
            alone: the file is the whole input, so it must be a Rasa file; in a project
                folder, other YAML files (CI, compose) are skipped.
        """
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            self.errors.append(RowError(0, label, yaml_problem(exc)))
            return
        if data is None or (not alone and not isinstance(data, Mapping)):
            if isinstance(data, list):
                self.lists.append(label)
            return
        if not isinstance(data, Mapping):
            self.errors.append(RowError(0, label, "must be a mapping with nlu and responses"))
            return
        nlu = data.get("nlu") or []
        if not isinstance(nlu, list):
            kind = type(nlu).__name__
            self.errors.append(RowError(0, label, f"nlu must be a list of intents, got {kind}"))
            nlu = []
        for item in nlu:
            intent = item.get("intent") if isinstance(item, Mapping) else None
            if isinstance(intent, str) and "/" in intent:
                self.examples.setdefault(intent, []).extend(_examples(item.get("examples")))
                metadata = item.get("metadata")
                if isinstance(metadata, Mapping) and VERSION_KEY in metadata:
                    self.versions[intent] = metadata[VERSION_KEY]
        responses = data.get("responses") or {}
        if not isinstance(responses, Mapping):
            kind = type(responses).__name__
            problem = f"responses must be a mapping of response names, got {kind}"
            self.errors.append(RowError(0, label, problem))
            responses = {}
        for name, variants in responses.items():
            if isinstance(name, str) and name.startswith("utter_") and "/" in name:
                intent = name.removeprefix("utter_")
                if intent in self.responses and self.responses[intent] != variants:
                    first = self._where[intent]
                    self.notes.append(f"{name} is in {first} and {label}; {label}'s is used")
                self.responses[intent] = variants
                self._where[intent] = label

    def drafts(self, source: str) -> Drafts:
        """Every retrieval intent with its response as a draft (rows in the order found),
        with notes on what a FAQ entry does not carry."""
        if self.errors:
            raise ImportValidationError(source, self.errors)
        records: list[Any] = []
        no_answer: dict[int, RowError] = {}
        for row, (intent, texts) in enumerate(self.examples.items(), start=1):
            record: dict[str, Any] = {"id": _key(intent), "question": texts[0] if texts else ""}
            record["alternatives"] = texts[1:]
            first = _first_variant(self.responses.get(intent)) or {"text": ""}
            if not first["text"]:
                problem = f"{intent}: no utter_{intent} text response (a list, first with text)"
                no_answer[row] = RowError(row, "answer", problem)
            record["answer"] = first["text"]
            # A Rasa file carries no tags, links, language or active flag: an import of it
            # keeps what the base holds for them (see FaqDraft.absent).
            record["buttons"] = first.get("buttons") or []
            if intent in self.versions:  # checked with the other fields
                record["version"] = self.versions[intent]
            records.append(record)
            self._note_variants(intent, self.responses.get(intent), first)
        try:
            drafts = drafts_from_records(records, source)
        except ImportValidationError as exc:
            errors = [e for e in exc.errors if e.row not in no_answer] + list(no_answer.values())
            raise ImportValidationError(source, sorted(errors, key=lambda e: e.row)) from None
        if no_answer:
            raise ImportValidationError(source, list(no_answer.values()))
        unasked = [i for i in self.responses if i not in self.examples]
        self.notes += [f"utter_{i} has no {i} examples, so it is not imported" for i in unasked]
        drafts.notes = tuple(self.notes)
        return drafts

    def _note_variants(self, intent: str, variants: Any, first: Mapping[str, Any]) -> None:
        if isinstance(variants, list) and len(variants) > 1:
            self.notes.append(
                f"utter_{intent} has {len(variants)} variants; the first is the answer"
            )
        dropped = sorted(set(first) - {"text", "buttons"})
        if dropped:
            self.notes.append(
                f"utter_{intent}: only the text and buttons are imported, not {', '.join(dropped)}"
            )


def _first_variant(variants: Any) -> Mapping[str, Any] | None:
    first = variants[0] if isinstance(variants, list) and variants else None
    if not isinstance(first, Mapping) or not isinstance(first.get("text"), str):
        return None
    return first if first["text"].strip() else None


def read_rasa_text(text: str, source: str = "<rasa>") -> Drafts:
    """Read retrieval intents and their responses from the text of one Rasa YAML file.

    Raises:
        ImportValidationError: the text is not a Rasa file, or a retrieval intent has no
            response (rows are retrieval intents in the order found).
    """
    collected = _Collected()
    collected.add(text, "-", alone=True)
    return collected.drafts(source)


def read_rasa(path: Path, source: str | None = None) -> Drafts:
    """Read retrieval intents and their responses from a Rasa file or project folder.

    Args:
        path: one YAML file, or a project folder (``domain.yml`` plus ``data/**.yml``).
        source: how errors name the input (default: the path).

    Raises:
        ImportValidationError: a file is not UTF-8 or not a Rasa file, or a retrieval
            intent has no response (rows are retrieval intents in the order found).
    """
    source = source or str(path)
    collected = _Collected()
    files = _yaml_files(path)
    if not files:  # a folder given by mistake read as an empty FAQ, "0 entries, all valid"
        raise KnowledgeError(
            f"{source} is a folder without Rasa YAML files: give a FAQ file (.json, .csv, "
            ".yaml) or a Rasa project folder"
        )
    for file in files:
        label = "-" if file == path else str(file.relative_to(path))
        try:
            text = decode(file.read_bytes(), label)
        except ImportValidationError as exc:
            collected.errors.extend(RowError(0, label, str(e)) for e in exc.errors)
            continue
        collected.add(text, label, alone=file == path)
    if path.is_dir() and not collected.examples and not collected.errors:
        # It read as "0 entries, all valid", the FAQ beside the project skipped unnamed.
        hint = (
            f"; {collected.lists[0]} holds a list, as a FAQ file does: import it by its name"
            if collected.lists
            else ""
        )
        raise KnowledgeError(f"{source}: no retrieval intents (faq/...) in its Rasa files{hint}")
    return collected.drafts(source)


def write_rasa(entries: Iterable[FaqEntry | FaqDraft]) -> str:
    """Entries as one Rasa 3.x YAML file holding both the NLU examples and the responses.

    A Rasa file cannot mark an entry inactive (imported into an empty base, it is active)
    or deleted; tags, links and the language are not carried either (an import into the
    same base keeps them).

    Raises:
        KnowledgeError: a deleted entry, or a phrasing Rasa would read as entity markup
            (``[text](entity)``), which an import of the file would then change.
    """
    nlu: list[dict[str, Any]] = []
    responses: dict[str, Any] = {}
    for entry in entries:
        if isinstance(entry, FaqEntry) and entry.deleted_at is not None:
            raise KnowledgeError(
                f"a Rasa file cannot mark an entry deleted ({entry.external_key}); "
                "export deleted entries as csv, json or yaml"
            )
        draft = entry.draft() if isinstance(entry, FaqEntry) else entry
        if any(ch.isspace() for ch in draft.external_key):
            raise KnowledgeError(
                f"the key {draft.external_key!r} cannot name a Rasa intent (it has a space); "
                "change the key, or export as csv, json or yaml"
            )
        for text in (draft.question, *draft.alternatives):
            markup = _MARKUP.search(text)
            if markup is not None:
                raise KnowledgeError(
                    f"{draft.external_key}: Rasa would read {markup[0]!r} in {text!r} as "
                    "entity markup; reword it, or export as csv, json or yaml"
                )
        intent = _intent(draft.external_key)
        lines = "".join(f"- {text}\n" for text in (draft.question, *draft.alternatives))
        item: dict[str, Any] = {"intent": intent}
        if isinstance(entry, FaqEntry):
            item["metadata"] = {VERSION_KEY: entry.version}
        nlu.append({**item, "examples": lines})
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
