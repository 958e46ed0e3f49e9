"""The tracker an action sees (rasa-sdk's format), and applying the events an action returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.dialogue.policy import LISTEN
from bot.dialogue.responses import message_from_action
from bot.dialogue.turn import Turn
from bot.project import Domain
from bot.project.domain import VALIDATE_SLOT_MAPPINGS
from bot.reminders import Cancel, cancel_from_event, reminder_from_event
from bot.state import Conversation

log = logging.getLogger(__name__)
RASA_VERSION = "3.6.0"


def tracker_state(
    conversation: Conversation, channel: str | None = None, *, events: str = "ALL"
) -> dict[str, Any]:
    """The ``tracker`` object of an action call (PROTOCOLS §5), and of Rasa's HTTP API.

    Args:
        channel: the turn's channel; None for the one the user last wrote on, as Rasa
            reads it from the tracker's events (the HTTP API said "rest" of a socket.io
            conversation).
        events: Rasa's ``include_events``: ``ALL`` (the session's events, restarts
            included; earlier sessions' are in the transcript), ``AFTER_RESTART`` and
            ``APPLIED`` (those after the last restart), or ``NONE``.
    """
    kept: list[dict[str, Any]] | None = list(conversation.events)
    if events == "NONE":
        kept = None
    elif events in ("AFTER_RESTART", "APPLIED"):
        restarts = [i for i, e in enumerate(conversation.events) if e.get("event") == "restart"]
        kept = conversation.events[restarts[-1] + 1 :] if restarts else kept
    return {
        "sender_id": conversation.id,
        "slots": conversation.tracker_slots,
        "latest_message": conversation.latest_message or {},
        "latest_event_time": (
            conversation.events[-1].get("timestamp") if conversation.events else None
        ),
        "followup_action": conversation.followup_action,
        "paused": conversation.paused,
        "events": kept,
        "latest_input_channel": channel or latest_input_channel(conversation),
        "active_loop": {"name": conversation.active_form} if conversation.active_form else {},
        # Rasa 3 gives both: the name, and the action as its ``latest_action`` dict
        "latest_action": {"action_name": conversation.latest_action}
        if conversation.latest_action
        else {},
        "latest_action_name": conversation.latest_action,
    }


def latest_input_channel(conversation: Conversation) -> str:
    for event in reversed(conversation.events):
        if event.get("event") == "user" and event.get("input_channel"):
            return str(event["input_channel"])
    return "rest"


def action_call(
    name: str, conversation: Conversation, domain: Mapping[str, Any], channel: str = "rest"
) -> dict[str, Any]:
    """An action server request; ``domain`` is the domain's wire form (built once)."""
    tracker = tracker_state(conversation, channel)
    if name.startswith("validate_") or name == VALIDATE_SLOT_MAPPINGS:
        tracker["events"] = candidates_last(tracker["events"])
    return {
        "next_action": name,
        "sender_id": conversation.id,
        "version": RASA_VERSION,
        "tracker": tracker,
        "domain": domain,
    }


def candidates_last(events: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """The events with the slots set since the user's message after the rest of that turn,
    as Rasa gives a validation action its candidates: at the end of the tracker. rasa-sdk's
    ``slots_to_validate`` reads slot events back to the first other one, so a custom
    extraction's message between them ("That's not a date") hid the slots set before it."""
    if events is None:
        return None
    start = 1 + max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    tail = events[start:]
    slots = [e for e in tail if e.get("event") == "slot"]
    return [*events[:start], *[e for e in tail if e.get("event") != "slot"], *slots]


def user_uttered(turn: Turn, text: str, parse: dict[str, Any], metadata: dict[str, Any]) -> None:
    """Rasa's events of a user message (one the user sent, or an external intent): the bot
    listened, then the user spoke; an action run next sees latest_action_name
    "action_listen" (the policy and transcripts skip it)."""
    conversation = turn.conversation
    conversation.latest_message = {**parse, "metadata": metadata}
    turn.rasa_event({"event": "action", "name": LISTEN})
    conversation.latest_action = LISTEN
    turn.rasa_event(
        {
            "event": "user",
            "text": text,
            "parse_data": parse,
            "input_channel": turn.channel,
            "metadata": metadata,
        }
    )


def reset_slots(turn: Turn, domain: Domain) -> None:
    for name, slot in domain.slots.items():
        turn.set_slot(name, slot.initial_value, source="reset")


def restart(turn: Turn, domain: Domain) -> None:
    """Rasa's ``restart``: slots, form and fallback count reset, and out of the agents' queue
    (Rasa unpauses a restarted tracker; an agent would otherwise pick up a conversation the
    user has started over). A conversation an agent holds never reaches the bot."""
    conversation = turn.conversation
    reset_slots(turn, domain)
    turn.reminders.append(Cancel())  # as in Rasa, a restart drops what was set before
    if conversation.active_form:
        turn.set_active_loop(None)
    conversation.fallback_count = 0
    conversation.followup_action = None
    if conversation.handoff == "pending_human":
        turn.set_handoff("bot", "user restarted the conversation")
    turn.rasa_event({"event": "restart"})
    turn.transcript("session", {"event": "restart"})


def bounded_events(events: Sequence[Mapping[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The last ``limit`` events, after events restating the form and the slots as they
    stood where the cut falls: a rule's condition is read at its first step
    (``policy.SlotHistory``), and a slot set before the cut read as never set there (a
    refused order's "no" ended the return without a word once the question's event had been
    cut); a form started before the cut and ended after it read as never active, and the
    rule submitting it did not run."""
    stood: dict[str, Any] = {}
    loop: str | None = None
    for event in events[:-limit]:
        kind = event.get("event")
        if kind == "restart":
            stood, loop = {}, None
        elif kind == "slot":
            stood[str(event.get("name"))] = event.get("value")
        elif kind == "active_loop":
            loop = event.get("name")
    restated = [{"event": "active_loop", "name": loop}] if loop else []
    restated += [{"event": "slot", "name": name, "value": value} for name, value in stood.items()]
    return [*restated, *(dict(event) for event in events[-limit:])]


def apply_events(turn: Turn, events: Sequence[Mapping[str, Any]], domain: Domain) -> None:
    """Apply what an action returned (slot, reset_slots, restart, followup, active_loop,
    pause/resume, reminder and cancel_reminder, bot, undo/rewind); unknown events are logged
    and skipped."""
    conversation = turn.conversation
    for event in events:
        kind = event.get("event")
        if kind == "slot":
            name = str(event.get("name"))
            # a form's validator asking for the slot already asked is still a request
            force = name == "requested_slot"
            turn.set_slot(name, event.get("value"), source="action", force=force)
        elif kind == "reset_slots":
            reset_slots(turn, domain)
        elif kind == "restart":
            restart(turn, domain)
        elif kind == "followup":
            conversation.followup_action = event.get("name")
        elif kind in ("active_loop", "form"):
            turn.set_active_loop(event.get("name"))
        elif kind == "pause":
            turn.set_handoff("pending_human", "action paused the conversation")
        elif kind == "resume":
            turn.set_handoff("bot", "action resumed the conversation")
        elif kind == "reminder":
            _schedule(turn, event)
        elif kind == "cancel_reminder":
            turn.rasa_event(dict(event))
            turn.reminders.append(cancel_from_event(event))
        elif kind == "bot":
            message = message_from_action(
                {"text": event.get("text"), **(event.get("data") or {})},
                domain,
                turn.slots,
                channel=turn.channel,
            )
            if message is not None:
                turn.say(message)
        elif kind in ("action_reverted", "undo"):
            _drop_last(conversation, "action")
        elif kind in ("user_utterance_reverted", "rewind"):
            _drop_last(conversation, "user")
        elif kind in ("user", "action", "session_started", "action_execution_rejected"):
            continue  # the manager records these itself
        else:
            log.warning("ignoring unsupported event %r from an action", kind)


def _schedule(turn: Turn, event: Mapping[str, Any]) -> None:
    try:
        reminder = reminder_from_event(turn.conversation.id, event)
    except ValueError as error:
        # Said in the transcript: a reminder that silently never fired looks like a bot
        # that forgot.
        log.warning("ignoring a reminder from an action: %s", error)
        turn.transcript(
            "action", {"name": "reminder", "reminder": dict(event), "error": str(error)}
        )
        return
    turn.rasa_event({**event, "name": reminder.name})  # Rasa names an unnamed one
    turn.reminders.append(reminder)
    due = datetime.fromtimestamp(reminder.due_at, UTC).isoformat(timespec="seconds")
    turn.transcript(
        "action",
        {"name": "reminder", "reminder": reminder.name, "intent": reminder.intent, "due": due},
    )


def _drop_last(conversation: Conversation, kind: str) -> None:
    for index in range(len(conversation.events) - 1, -1, -1):
        if conversation.events[index].get("event") == kind:
            del conversation.events[index:]
            return
