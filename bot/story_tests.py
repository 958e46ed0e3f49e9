"""Running a project's test conversations (Rasa's test-story format) against the live bot."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.dialogue import DialogueManager
from bot.project import Step, TestStory
from nlu import MarkupError, parse_markup

SKIPPED_ACTIONS = frozenset({"action_listen", "action_session_start"})


@dataclass
class StoryResult:
    story: TestStory
    passed: bool
    failure: str | None = None
    turns: list[dict[str, Any]] = field(default_factory=list)


def _user_text(step: Step) -> str:
    if step.user_text:
        try:
            return parse_markup(step.user_text)[0]
        except MarkupError:
            return step.user_text
    if step.name is None:
        return ""
    entities = {e["entity"]: e.get("value") for e in step.entities if "entity" in e}
    if entities:
        return f"/{step.name}{json.dumps(entities)}"
    return f"/{step.name}"


def _expected_turns(story: TestStory) -> list[tuple[Step, list[Step]]]:
    turns: list[tuple[Step, list[Step]]] = []
    for step in story.steps:
        if step.kind == "intent":
            turns.append((step, []))
        elif turns and step.kind in ("action", "bot"):
            turns[-1][1].append(step)
    return turns


async def run_story(dm: DialogueManager, story: TestStory) -> StoryResult:
    """Replay one test conversation in a fresh conversation; stop at the first difference."""
    conversation = f"test-{uuid.uuid4().hex[:12]}"
    result = StoryResult(story=story, passed=True)
    after = 0
    for user_step, expected in _expected_turns(story):
        text = _user_text(user_step)
        messages = await dm.handle(conversation, text, channel="test")
        page = await dm.transcripts.read(conversation, after=after, limit=1000)
        after = page.events[-1].seq or after if page.events else after
        user = next((e.data for e in page.events if e.type == "user"), {})
        intent = ((user.get("parse") or {}).get("intent") or {}).get("name")
        actions = [
            str(e.data["name"])
            for e in page.events
            if e.type == "action"
            and not e.data.get("inside_form")
            and e.data.get("name") not in SKIPPED_ACTIONS
        ]
        texts = [m.text for m in messages if m.text]
        result.turns.append({"user": text, "intent": intent, "actions": actions, "bot": texts})
        where = f"{story.file}:{user_step.line}"
        if user_step.name and not text.startswith("/") and intent != user_step.name:
            return _fail(
                result, f"{where}: {text!r} was read as {intent!r}, expected {user_step.name!r}"
            )
        want_actions = [s.name for s in expected if s.kind == "action" and s.name]
        if want_actions and actions != want_actions:
            return _fail(
                result, f"{where}: after {text!r} the bot ran {actions}, expected {want_actions}"
            )
        for step in expected:
            if (
                step.kind == "bot"
                and step.name
                and step.name.strip() not in [t.strip() for t in texts]
            ):
                return _fail(
                    result, f"{where}: after {text!r} the bot said {texts}, expected {step.name!r}"
                )
    return result


def _fail(result: StoryResult, message: str) -> StoryResult:
    result.passed = False
    result.failure = message
    return result
