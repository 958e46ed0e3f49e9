"""One turn in progress: the state it changes, the messages it sends, the events it logs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.dialogue.messages import BotMessage
from bot.dialogue.ports import FaqChoice
from bot.reminders import ReminderChange
from bot.state import Conversation
from bot.transcripts import TranscriptEvent

_BOT_DATA_KEYS = ("elements", "quick_replies", "buttons", "attachment", "image", "custom")


@dataclass
class Turn:
    """Collects what a turn does so state and transcript are written once, together."""

    conversation: Conversation
    channel: str = "rest"
    actor: str = "bot"
    messages: list[BotMessage] = field(default_factory=list)
    log: list[TranscriptEvent] = field(default_factory=list)
    actions_run: int = 0
    # The transcript data of this turn's user message; FAQ details are added as they are known.
    user_data: dict[str, Any] = field(default_factory=dict)
    form_asked: bool = False
    # Where the form's question of this turn starts (messages, transcript, events).
    question_at: tuple[int, int, int] | None = None
    # The FAQ's decision per text: the paths of one turn that ask it share one search.
    faq_choices: dict[str, FaqChoice] = field(default_factory=dict)
    # The NLU's reading of each part of a message of several, read once for both uses.
    part_readings: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Whether a step of the fallback was taken (said "rephrase", offered a person...).
    fell_back: bool = False
    # Whether the project's own handoff action ran (or refused): it is not asked twice.
    handoff_tried: bool = False
    # Reminders set and cancelled, in order; stored once the turn's state is saved.
    reminders: list[ReminderChange] = field(default_factory=list)

    @property
    def slots(self) -> dict[str, Any]:
        return self.conversation.slots

    @property
    def said_anything(self) -> bool:
        """Whether the bot has said something to the user in this turn."""
        return any(e.type == "bot" for e in self.log)

    def mark(self) -> tuple[int, int, int]:
        """Where what is said next will go: in the messages, the transcript and the events."""
        return len(self.messages), len(self.log), len(self.conversation.events)

    @contextmanager
    def before_question(self) -> Iterator[None]:
        """What is said inside goes before the form's question asked in this turn: a
        question buried under later messages reads as if the bot had moved on."""
        start = self.mark()
        yield
        question = self.question_at
        if question is None:
            return
        lists: tuple[list[Any], ...] = (self.messages, self.log, self.conversation.events)
        moved = []
        for items, begin, at in zip(lists, start, question, strict=True):
            added = items[begin:]
            del items[begin:]
            items[at:at] = added
            moved.append(at + len(added))
        self.question_at = (moved[0], moved[1], moved[2])

    def rasa_event(self, event: dict[str, Any]) -> None:
        self.conversation.events.append({**event, "timestamp": time.time()})

    def transcript(self, kind: str, data: dict[str, Any], actor: str | None = None) -> None:
        self.log.append(TranscriptEvent(kind, data, actor=actor or self.actor))

    def say(self, message: BotMessage) -> None:
        for part in message.split():
            self.messages.append(part)
            data: dict[str, Any] = {"text": part.text}
            for key in ("image", "custom", "attachment"):
                if getattr(part, key):
                    data[key] = getattr(part, key)
            if part.buttons:
                data["buttons"] = [dict(b) for b in part.buttons]
            # Rasa's BotUttered data: every key, None where unused, and no text (an action
            # reading event["data"]["buttons"] of a plain message failed with a KeyError).
            shape = {key: data.get(key) for key in _BOT_DATA_KEYS}
            self.rasa_event({"event": "bot", "text": part.text, "data": shape})
            self.transcript("bot", data)

    def action(
        self, name: str, *, inside_form: bool = False, aside: bool = False, **details: Any
    ) -> None:
        """Record an action. Actions a form runs for itself (validation, asking) go to the
        transcript only: to rules and stories they are part of the form's own step. So do
        asides (an answer to another question of the message): rules and stories go on
        from the turn's own action."""
        if inside_form or aside:
            details["inside_form" if inside_form else "aside"] = True
        else:
            self.conversation.latest_action = name
            self.rasa_event({"event": "action", "name": name})
        self.transcript("action", {"name": name, **details})

    def set_slot(self, name: str, value: Any, source: str = "bot", *, force: bool = False) -> None:
        """Set a slot; an unchanged value adds no event unless ``force`` (a form's candidates
        must appear as events so a validation action sees them)."""
        conversation = self.conversation
        if name == "requested_slot":
            if conversation.requested_slot == value and not force:
                return
            conversation.requested_slot = value
        else:
            unchanged = name in conversation.slots and conversation.slots[name] == value
            if unchanged and not force:
                return
            conversation.slots[name] = value
        self.rasa_event({"event": "slot", "name": name, "value": value})
        self.transcript("slot", {"name": name, "value": value, "source": source})

    def set_active_loop(self, name: str | None) -> None:
        conversation = self.conversation
        conversation.active_form = name
        self.rasa_event({"event": "active_loop", "name": name})
        self.transcript("form", {"active_loop": name})
        if name is None:
            self.set_slot("requested_slot", None)

    def set_handoff(self, target: str, reason: str, actor: str | None = None) -> None:
        conversation = self.conversation
        if conversation.handoff == target:
            return
        self.transcript(
            "handoff", {"to": target, "from": conversation.handoff, "reason": reason}, actor
        )
        conversation.handoff = target  # type: ignore[assignment]
        conversation.paused = target == "human"
