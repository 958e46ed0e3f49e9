"""Running a project's test conversations (Rasa's test-story format) against the live bot."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.dialogue import DialogueManager
from bot.dialogue.builtin import FAQ_ACTION
from bot.project import Domain, Step, TestStory
from bot.project.stories import SLOT_FILLED
from bot.reminders import Cancel
from bot.transcripts import delete_conversation
from nlu import MarkupError, parse_markup
from nlu.data import EntitySpan

SKIPPED_ACTIONS = frozenset({"action_listen", "action_session_start"})


@dataclass
class StoryResult:
    story: TestStory
    passed: bool
    failure: str | None = None
    turns: list[dict[str, Any]] = field(default_factory=list)
    #: custom actions that failed on the way ("action_open_incident: no action server"): the
    #: story may pass, as in Rasa's test stories, which judge what the bot chose to do
    action_errors: list[str] = field(default_factory=list)


def _user_text(step: Step) -> tuple[str, tuple[EntitySpan, ...]]:
    """What the user step sends, and the entities its text annotates."""
    if step.user_text:
        try:
            return parse_markup(step.user_text)
        except MarkupError:
            return step.user_text, ()
    if step.name is None:
        return "", ()
    entities = {e["entity"]: e.get("value") for e in step.entities if "entity" in e}
    if entities:
        return f"/{step.name}{json.dumps(entities)}", ()
    return f"/{step.name}", ()


Segment = tuple[str | None, list[Step]]


def _expected_turns(story: TestStory) -> list[tuple[Step, list[Segment]]]:
    """Each user step with what the bot should do after it: its steps, then the steps after
    each ``active_loop: null``, with the form that null ends (the last one the story started)."""
    turns: list[tuple[Step, list[Segment]]] = []
    form: str | None = None
    for step in story.steps:
        if step.kind == "intent":
            turns.append((step, [(None, [])]))
        elif turns and step.kind in ("action", "bot", "slot_was_set"):
            turns[-1][1][-1][1].append(step)
        elif step.kind == "active_loop" and step.name is not None:
            form = step.name
        elif turns and step.kind == "active_loop":
            turns[-1][1].append((form, []))
    return turns


async def run_story(dm: DialogueManager, story: TestStory) -> StoryResult:
    """Replay one test conversation in a fresh conversation; stop at the first difference.

    As in Rasa's test stories, an ``active_loop: null`` reached while the form it ends still
    waits for answers (a story that skips through a form's happy path) means the form got
    them: the form is ended there and the bot goes on.
    """
    conversation = f"test-{uuid.uuid4().hex[:12]}"
    try:
        return await _replay(dm, story, conversation)
    finally:
        # A reminder its actions set would be fired by a server on the same database.
        await dm.reminders.apply(conversation, [Cancel()])
        # `deskbot test` left 75 conversations in the live database, 7 of them in the
        # agents' queue: a replay is gone once its result is known.
        await delete_conversation(dm.store, dm.transcripts, conversation)


async def _replay(dm: DialogueManager, story: TestStory, conversation: str) -> StoryResult:
    result = StoryResult(story=story, passed=True)
    after = 0
    # Slots a story sets before its first message: applied, as Rasa's tests apply them.
    first = next((i for i, s in enumerate(story.steps) if s.kind == "intent"), 0)
    setup = {
        k: v for s in story.steps[:first] if s.kind == "slot_was_set" for k, v in s.slots.items()
    }
    if setup:
        await dm.set_slots(conversation, setup, channel="test")

    async def since() -> list[Any]:
        nonlocal after
        page = await dm.transcripts.read(conversation, after=after, limit=1000)
        after = page.events[-1].seq or after if page.events else after
        for event in page.events:
            if event.type == "action" and event.data.get("error"):
                failed = f"{event.data.get('name')}: {event.data['error']}"
                if failed not in result.action_errors:
                    result.action_errors.append(failed)
        return list(page.events)

    for user_step, segments in _expected_turns(story):
        text, annotated = _user_text(user_step)
        where = f"{story.file}:{user_step.line}"
        messages = await dm.handle(conversation, text, channel="test")
        events = await since()
        user: dict[str, Any] = next((e.data for e in events if e.type == "user"), {})
        intent = ((user.get("parse") or {}).get("intent") or {}).get("name")
        result.turns.append({"user": text, "intent": intent, "actions": [], "bot": []})
        if user_step.name and not text.startswith("/") and intent != user_step.name:
            return _fail(
                result, f"{where}: {text!r} was read as {intent!r}, expected {user_step.name!r}"
            )
        missed = _entities_missed(annotated, text, (user.get("parse") or {}).get("entities"))
        if missed:
            return _fail(result, f"{where}: in {text!r} the bot found {missed}")
        when = f"after {text!r}"
        expected = segments[0][1]
        for form, following in segments[1:]:
            state = await dm.store.load(conversation)
            if state is None or form is None or state.active_form != form:
                expected = expected + following  # the form ended by itself in this turn
                continue
            failure = _difference(result, expected, events, messages, dm.domain)
            if failure is None:
                # before the form ends: a story's slots skipped through it are its answers
                failure = await _slots_differ(dm, conversation, _slot_steps(expected))
            if failure is not None:
                return _fail(result, f"{where}: {when} the bot {failure}")
            messages = await dm.finish_form(conversation, channel="test")
            events = await since()
            when = f"when the form after {text!r} ended"
            expected = following
        failure = _difference(result, expected, events, messages, dm.domain)
        if failure is None:
            failure = await _slots_differ(dm, conversation, _slot_steps(expected))
        if failure is not None:
            return _fail(result, f"{where}: {when} the bot {failure}")
    return result


def _slot_steps(steps: list[Step]) -> list[Step]:
    return [s for s in steps if s.kind == "slot_was_set"]


async def _slots_differ(dm: DialogueManager, conversation: str, steps: list[Step]) -> str | None:
    """How the slots a turn's ``slot_was_set`` steps name differ from what the bot set in
    the turn, or None. A slot the bot set in the turn must have been set to the story's
    value then; one it did not set is set to it, as Rasa's tests apply a story's slot
    events (they run no actions: a story may set what only a custom action would)."""
    expected = {k: v for s in steps for k, v in s.slots.items()}
    if not expected:
        return None
    state = await dm.store.load(conversation)
    if state is None:
        return None
    # What each action of the turn left each slot it set at: a form's answer its check
    # refused (set, then set back to None in the same run) was never set.
    start = max((i for i, e in enumerate(state.events) if e.get("event") == "user"), default=-1)
    set_now: dict[str, list[Any]] = {}
    changed: dict[str, Any] = {}
    for event in [*state.events[start + 1 :], {"event": "action"}]:
        if event.get("event") == "action":
            for name, value in changed.items():
                set_now.setdefault(name, []).append(value)
            changed = {}
        elif event.get("event") == "slot":
            changed[str(event.get("name"))] = event.get("value")
    missing: dict[str, Any] = {}
    for name, value in expected.items():

        def holds(got: Any, value: Any = value) -> bool:
            return got is not None if value == SLOT_FILLED else bool(got == value)

        now = state.requested_slot if name == "requested_slot" else state.slots.get(name)
        if any(holds(v) for v in set_now.get(name, [])):
            continue
        if name in set_now:
            return f"set {name} to {set_now[name][-1]!r}, expected {value!r}"
        if holds(now):
            continue
        if name == "requested_slot" or value == SLOT_FILLED:
            return f"left {name} as {now!r}, expected {value!r}"
        missing[name] = value
    if missing:
        await dm.set_slots(conversation, missing, channel="test")
    return None


def _entities_missed(spans: tuple[EntitySpan, ...], text: str, found: Any) -> str | None:
    """What a user step's entity annotations (``spans`` in ``text``) name that the bot's
    reading lacks, said with what it found; None when it found each (the same type, role and
    group, at the same place or of the same value). Entities not annotated are not judged."""
    got = [e for e in found or [] if isinstance(e, dict)]

    def holds(span: EntitySpan, entity: dict[str, Any]) -> bool:
        if entity.get("entity") != span.entity:
            return False
        if span.role is not None and entity.get("role") != span.role:
            return False
        if span.group is not None and entity.get("group") != span.group:
            return False
        said = {text[span.start : span.end].casefold(), str(span.value).casefold()}
        at = (entity.get("start"), entity.get("end")) == (span.start, span.end)
        return at or str(entity.get("value")).casefold() in said

    missed = [s for s in spans if not any(holds(s, e) for e in got)]
    if not missed:
        return None
    return f"{_written(got)}, expected {', '.join(_annotation(s) for s in missed)}"


def _annotation(span: EntitySpan) -> str:
    extra = "".join(f", {k} {v}" for k, v in (("role", span.role), ("group", span.group)) if v)
    return f"[{span.value}]({span.entity}{extra})"


def _written(entities: list[dict[str, Any]]) -> str:
    if not entities:
        return "no entity"
    return ", ".join(
        _annotation(EntitySpan(0, 0, str(e.get("entity")), str(e.get("value")),
                               e.get("role"), e.get("group")))
        for e in entities
    )  # fmt: skip


def _difference(
    result: StoryResult,
    expected: list[Step],
    events: list[Any],
    messages: list[Any],
    domain: Domain,
) -> str | None:
    """What the bot did that the story did not expect (recorded in ``result``), or None."""
    actions = [
        str(e.data["name"])
        for e in events
        if e.type == "action"
        and not e.data.get("inside_form")
        and not e.data.get("reads_slots")  # Rasa's action_extract_slots runs them: no step
        and e.data.get("name") not in SKIPPED_ACTIONS
    ]
    texts = [m.text for m in messages if m.text]
    result.turns[-1]["actions"] += actions
    result.turns[-1]["bot"] += texts
    # A retrieval intent's utter_faq is answered from the FAQ base, as action_faq.
    want_actions = [
        FAQ_ACTION if domain.is_retrieval_action(s.name) else s.name
        for s in expected
        if s.kind == "action" and s.name
    ]
    if want_actions and actions != want_actions:
        return f"ran {actions}, expected {want_actions}"
    said = [t.strip() for t in texts]
    for step in expected:
        if step.kind == "bot" and step.name and step.name.strip() not in said:
            return f"said {texts}, expected {step.name!r}"
    return None


def _fail(result: StoryResult, message: str) -> StoryResult:
    result.passed = False
    result.failure = message
    return result
