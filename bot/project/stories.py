"""Rules, stories and test stories from Rasa YAML data files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.project.source import ProjectError, Where, line_of, plain, read_yaml, require_list
from bot.project.source import require_mapping as mapping

StepKind = Literal["intent", "action", "active_loop", "slot_was_set", "or", "checkpoint", "bot"]

# A ``slot_was_set`` step naming a slot without a value: "set to something" (as Rasa reads it).
SLOT_FILLED = "filled"


@dataclass(frozen=True)
class Step:
    """One step of a rule or story.

    ``intent``: ``name`` is the intent (None for an end-to-end ``user:`` step without one),
    ``entities`` the expected entities, ``user_text`` the user's words (test stories).
    ``action``: ``name`` is the action. ``bot``: ``user_text`` holds nothing, ``name`` the bot
    text. ``active_loop``: ``name`` is the form, None for ``active_loop: null``.
    ``slot_was_set``: ``slots``. ``or``: ``alternatives``. ``checkpoint``: ``name``.
    """

    kind: StepKind
    name: str | None = None
    entities: tuple[dict[str, Any], ...] = ()
    slots: dict[str, Any] = field(default_factory=dict)
    alternatives: tuple[Step, ...] = ()
    user_text: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Rule:
    """A rule: when the ``condition`` holds and the first steps happen, the rest follow."""

    name: str
    steps: tuple[Step, ...]
    condition: tuple[Step, ...] = ()
    conversation_start: bool = False
    wait_for_user_input: bool = True
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Story:
    """A story: an example conversation path."""

    name: str
    steps: tuple[Step, ...]
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class TestStory:
    """A test conversation: intent steps carry the user's text (``user_text``)."""

    __test__ = False  # not a pytest class

    name: str
    file: str
    line: int
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class DataFile:
    """What one data file holds."""

    path: Path
    has_nlu: bool = False
    has_responses: bool = False
    rules: tuple[Rule, ...] = ()
    stories: tuple[Story, ...] = ()


def read_data_file(path: Path) -> DataFile:
    """Read the rules and stories of a Rasa YAML data file and note what else it holds.

    Raises:
        ProjectError: malformed YAML or a wrong shape, naming file and line.
    """
    file = str(path)
    data = mapping(read_yaml(path), Where(file, 1), "a data file")
    rules = require_list(data.get("rules"), Where(file, line_of(data, "rules")), "rules")
    stories = require_list(data.get("stories"), Where(file, line_of(data, "stories")), "stories")
    return DataFile(
        path=path,
        has_nlu=bool(data.get("nlu")),
        has_responses=bool(data.get("responses")),
        rules=tuple(_rule(r, Where(file, line_of(rules, i))) for i, r in enumerate(rules)),
        stories=tuple(_story(s, Where(file, line_of(stories, i))) for i, s in enumerate(stories)),
    )


def read_test_stories(path: Path) -> tuple[TestStory, ...]:
    """Read the test conversations (``stories:``, and ``rules:`` if any) of a test file.

    Raises:
        ProjectError: malformed YAML or a wrong shape, naming file and line.
    """
    found = read_data_file(path)
    stories = [TestStory(s.name, s.file, s.line, s.steps) for s in found.stories]
    return (*stories, *(TestStory(r.name, r.file, r.line, r.steps) for r in found.rules))


def _rule(raw: Any, where: Where) -> Rule:
    body = mapping(raw, where, "a rule")
    name = str(body.get("rule") or body.get("story") or "")
    if not name:
        raise ProjectError(where.file, where.line, "a rule needs a `rule:` name")
    condition = require_list(body.get("condition"), _at(body, "condition", where), "condition")
    return Rule(
        name=name,
        steps=_steps(body, where, name),
        condition=tuple(_step(s, _item(condition, i, where)) for i, s in enumerate(condition)),
        conversation_start=bool(body.get("conversation_start", False)),
        wait_for_user_input=bool(body.get("wait_for_user_input", True)),
        file=where.file,
        line=where.line,
    )


def _story(raw: Any, where: Where) -> Story:
    body = mapping(raw, where, "a story")
    name = str(body.get("story") or "")
    if not name:
        raise ProjectError(where.file, where.line, "a story needs a `story:` name")
    return Story(name=name, steps=_steps(body, where, name), file=where.file, line=where.line)


def _steps(body: Mapping[str, Any], where: Where, name: str) -> tuple[Step, ...]:
    steps = require_list(body.get("steps"), _at(body, "steps", where), f"steps of {name!r}")
    return tuple(_step(s, _item(steps, i, where)) for i, s in enumerate(steps))


def _at(node: Any, key: str, where: Where) -> Where:
    return Where(where.file, line_of(node, key) or where.line)


def _item(node: Any, index: int, where: Where) -> Where:
    return Where(where.file, line_of(node, index) or where.line)


def _step(raw: Any, where: Where) -> Step:
    body = mapping(raw, where, "a step")
    line = where.line
    if "intent" in body or "user" in body:
        user = body.get("user")
        return Step(
            kind="intent",
            name=None if body.get("intent") is None else str(body["intent"]),
            entities=tuple(e for item in body.get("entities") or () for e in _entity(item, where)),
            user_text=None if user is None else str(user).strip(),
            line=line,
        )
    if "action" in body:
        return Step(kind="action", name=str(body["action"]), line=line)
    if "bot" in body:
        return Step(kind="bot", name=str(body["bot"]).strip(), line=line)
    if "active_loop" in body:
        loop = body["active_loop"]
        return Step(kind="active_loop", name=None if loop is None else str(loop), line=line)
    if "slot_was_set" in body:
        return Step(kind="slot_was_set", slots=_slots(body["slot_was_set"], where), line=line)
    if "checkpoint" in body:
        return Step(kind="checkpoint", name=str(body["checkpoint"]), line=line)
    if "or" in body:
        options = require_list(body["or"], where, "`or`")
        return Step(
            kind="or",
            alternatives=tuple(_step(s, _item(options, i, where)) for i, s in enumerate(options)),
            line=line,
        )
    keys = ", ".join(str(k) for k in body) or "nothing"
    raise ProjectError(where.file, line, f"unknown step (has {keys})")


def _entity(raw: Any, where: Where) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        return [{"entity": raw}]
    body = plain(mapping(raw, where, "an entity"))
    if "entity" in body:
        return [dict(body)]
    return [{"entity": entity, "value": value} for entity, value in body.items()]  # `- e: v`


def _slots(raw: Any, where: Where) -> dict[str, Any]:
    out: dict[str, Any] = {}
    items = raw if isinstance(raw, list) else [raw]
    for item in items:
        if isinstance(item, Mapping):
            out.update(plain(item))
        elif isinstance(item, str):
            out[item] = SLOT_FILLED
        else:
            raise ProjectError(where.file, where.line, f"cannot read slot_was_set {item!r}")
    return out
