"""Rasa NLU YAML (2.x and 3.x): read ``nlu:`` items with line numbers, write them back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from nlu.data import Example, TrainingData
from nlu.errors import TrainingDataError
from nlu.markup import MarkupError, parse_markup, render_markup

_IGNORED_KEYS = {"version", "rules", "stories", "responses", "test_stories", "e2e_tests"}
_ITEM_KINDS = ("intent", "synonym", "regex", "lookup")


def _plain(node: yaml.Node) -> Any:
    """A composed node as plain Python values (safe types only)."""
    return yaml.safe_load(yaml.serialize(node))


class _Reader:
    def __init__(self, path: Path, base_dirs: list[Path]) -> None:
        self.path = path
        self.base_dirs = base_dirs
        self.examples: list[Example] = []
        self.synonyms: dict[str, list[str]] = {}
        self.regexes: dict[str, list[str]] = {}
        self.lookups: dict[str, list[str]] = {}
        self.intent_metadata: dict[str, Any] = {}

    def fail(
        self, node: yaml.Node | None, message: str, line: int | None = None
    ) -> TrainingDataError:
        where = line if line is not None else (node.start_mark.line + 1 if node else 1)
        return TrainingDataError(f"{self.path}:{where}: {message}")

    def read(self, text: str) -> TrainingData:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            problem = getattr(exc, "problem", None) or str(exc)
            raise self.fail(None, f"invalid YAML: {problem}", line) from None
        if root is None:
            return TrainingData()
        if not isinstance(root, yaml.MappingNode):
            raise self.fail(root, "expected a mapping with an 'nlu:' key at the top")
        for key_node, value_node in root.value:
            key = key_node.value
            if key == "nlu":
                if isinstance(value_node, yaml.ScalarNode) and value_node.value in ("", "null"):
                    continue
                if not isinstance(value_node, yaml.SequenceNode):
                    raise self.fail(value_node, "'nlu:' must be a list of items")
                for item in value_node.value:
                    self.read_item(item)
            elif key not in _IGNORED_KEYS:
                # Domain-like keys (intents, slots, ...) may share a file; they are not NLU data.
                continue
        return TrainingData(
            examples=tuple(self.examples),
            synonyms={k: tuple(v) for k, v in self.synonyms.items()},
            regexes={k: tuple(v) for k, v in self.regexes.items()},
            lookups={k: tuple(v) for k, v in self.lookups.items()},
            intent_metadata=self.intent_metadata,
        )

    def read_item(self, item: yaml.Node) -> None:
        if not isinstance(item, yaml.MappingNode):
            raise self.fail(item, "each 'nlu:' item must be a mapping (e.g. '- intent: greet')")
        fields = {k.value: (k, v) for k, v in item.value}
        kinds = [k for k in _ITEM_KINDS if k in fields]
        if len(kinds) != 1:
            raise self.fail(item, f"an 'nlu:' item needs exactly one of {', '.join(_ITEM_KINDS)}")
        kind = kinds[0]
        name = str(_plain(fields[kind][1]) or "").strip()
        if not name:
            raise self.fail(fields[kind][1], f"'{kind}:' has no name")
        if "examples" not in fields:
            raise self.fail(item, f"{kind} '{name}' has no 'examples:'")
        examples_node = fields["examples"][1]
        if kind == "intent" and "metadata" in fields:
            self.intent_metadata[name] = _plain(fields["metadata"][1])
        if kind == "lookup" and isinstance(examples_node, yaml.ScalarNode):
            value = examples_node.value.strip()
            if value and "\n" not in value and not value.startswith("-"):
                self.lookups.setdefault(name, []).extend(self.read_lookup_file(examples_node))
                return
        lines = self.example_lines(examples_node, kind, name)
        if kind == "intent":
            for line_no, raw, metadata in lines:
                try:
                    text, spans = parse_markup(raw)
                except MarkupError as exc:
                    raise self.fail(None, f"intent '{name}': {exc}", line_no) from None
                if not text.strip():
                    raise self.fail(None, f"intent '{name}': empty example", line_no)
                self.examples.append(Example(text, name, spans, metadata))
        else:
            target = {"synonym": self.synonyms, "regex": self.regexes, "lookup": self.lookups}[kind]
            values = target.setdefault(name, [])
            values.extend(raw for _, raw, _ in lines if raw not in values)

    def example_lines(
        self, node: yaml.Node, kind: str, name: str
    ) -> list[tuple[int, str, dict[str, Any] | None]]:
        """(line, text, metadata) for each example of one item."""
        out: list[tuple[int, str, dict[str, Any] | None]] = []
        if isinstance(node, yaml.SequenceNode):
            for entry in node.value:
                value = _plain(entry)
                line = entry.start_mark.line + 1
                if isinstance(value, str):
                    out.append((line, value, None))
                elif isinstance(value, dict) and isinstance(value.get("text"), str):
                    meta = value.get("metadata")
                    if meta is not None and not isinstance(meta, dict):
                        raise self.fail(entry, f"{kind} '{name}': 'metadata' must be a mapping")
                    out.append((line, value["text"], meta))
                else:
                    raise self.fail(entry, f"{kind} '{name}': an example needs a 'text' string")
            if not out:
                raise self.fail(node, f"{kind} '{name}' has no examples")
            return out
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{kind} '{name}': 'examples:' must be a '|' block of '- ' lines")
        # A literal block's content starts on the line after the '|' indicator.
        first_line = node.start_mark.line + (2 if node.style in ("|", ">") else 1)
        for offset, raw in enumerate(node.value.split("\n")):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if not stripped.startswith("-"):
                raise self.fail(
                    None,
                    f"{kind} '{name}': example lines start with '- ', got {stripped[:40]!r}",
                    first_line + offset,
                )
            text = stripped[1:].strip()
            if not text:
                raise self.fail(None, f"{kind} '{name}': empty example", first_line + offset)
            out.append((first_line + offset, text, None))
        if not out:
            raise self.fail(node, f"{kind} '{name}' has no examples")
        return out

    def read_lookup_file(self, node: yaml.ScalarNode) -> list[str]:
        rel = node.value.strip()
        for base in self.base_dirs:
            candidate = (base / rel) if not Path(rel).is_absolute() else Path(rel)
            if candidate.is_file():
                lines = candidate.read_text(encoding="utf-8").splitlines()
                return [ln.strip().removeprefix("- ").strip() for ln in lines if ln.strip()]
        raise self.fail(node, f"lookup file {rel!r} not found next to the YAML file or above it")


def read_rasa_yaml(path: Path, text: str | None = None) -> TrainingData:
    """Read the ``nlu:`` part of one Rasa YAML file; other top-level keys are ignored.

    Raises:
        TrainingDataError: with ``file:line: problem`` for malformed input.
    """
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TrainingDataError(f"{path}: cannot read ({exc})") from None
    resolved = path.resolve()
    bases = [*resolved.parents[:4], Path.cwd()]
    return _Reader(path, bases).read(text)


def _q(text: str) -> str:
    """A YAML double-quoted scalar; characters YAML would fold or reject are escaped."""
    out = []
    for ch in json.dumps(text, ensure_ascii=False):
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


def _block_safe(line: str) -> bool:
    return (
        bool(line)
        and line == line.strip()
        and "\n" not in line
        and "\r" not in line
        and not line.startswith("#")
        and all(ch.isprintable() or ch == " " for ch in line)
    )


def _dump_list(kind: str, name: str, values: tuple[str, ...]) -> list[str]:
    out = [f"- {kind}: {_q(name)}"]
    if all(_block_safe(v) for v in values):
        out.append("  examples: |")
        out.extend(f"    - {v}" for v in values)
    else:
        out.append("  examples:")
        out.extend(f"  - {_q(v)}" for v in values)
    return out


def dump_rasa_yaml(data: TrainingData) -> str:
    """Serialise training data as Rasa YAML 3.1 (see :meth:`TrainingData.to_rasa_yaml`)."""
    out = ['version: "3.1"', "nlu:"]
    by_intent: dict[str, list[Example]] = {}
    for example in data.examples:
        by_intent.setdefault(example.intent, []).append(example)
    for intent, examples in by_intent.items():
        lines = [render_markup(e.text, e.entities) for e in examples]
        out.append(f"- intent: {_q(intent)}")
        if intent in data.intent_metadata:
            out.append(
                f"  metadata: {json.dumps(data.intent_metadata[intent], ensure_ascii=False)}"
            )
        if all(
            _block_safe(ln) and e.metadata is None for ln, e in zip(lines, examples, strict=True)
        ):
            out.append("  examples: |")
            out.extend(f"    - {ln}" for ln in lines)
            continue
        out.append("  examples:")
        for line, example in zip(lines, examples, strict=True):
            out.append(f"  - text: {_q(line)}")
            if example.metadata is not None:
                meta = json.dumps(dict(example.metadata), ensure_ascii=False)
                out.append(f"    metadata: {meta}")
    for kind, table in (("synonym", data.synonyms), ("regex", data.regexes)):
        for name, values in table.items():
            out.extend(_dump_list(kind, name, values))
    for name, values in data.lookups.items():
        out.extend(_dump_list("lookup", name, values))
    return "\n".join(out) + "\n"
