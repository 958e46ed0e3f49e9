"""Asking whether an unsure reading of a message was right, and taking the answer.

As Rasa's two-stage fallback: the bot asks about an intent it is unsure of (with a button
for it), and when the user confirms (a click, or a typed "yes" to a single option) the unsure
turn is taken back and the original message stands as that intent, so rules and stories see
the message as if it had been understood the first time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.dialogue.config import (
    DEFAULT_CHOOSE_TEXT,
    DEFAULT_CONFIRM_MANY_TEXT,
    DEFAULT_CONFIRM_TEXT,
    DEFAULT_SUGGEST_ONE_TEXT,
    DEFAULT_SUGGEST_ONE_WAITING_TEXT,
    DEFAULT_SUGGEST_PART_ONE_TEXT,
    DEFAULT_SUGGEST_PART_TEXT,
    DEFAULT_SUGGEST_TEXT,
    DEFAULT_SUGGEST_WAITING_TEXT,
)
from bot.dialogue.messages import BotMessage
from bot.dialogue.policy import LISTEN
from bot.dialogue.shortcut import parse_shortcut
from bot.dialogue.turn import Turn
from bot.state import Conversation

#: Rasa's name for asking whether an unsure reading of a message was right.
CONFIRM_ACTION = "action_default_ask_affirmation"
# The bot's questions a yes or no answers: about an intent, or the FAQ's suggestions.
_ASKING = (
    DEFAULT_CONFIRM_TEXT,
    DEFAULT_CONFIRM_MANY_TEXT,
    DEFAULT_CHOOSE_TEXT,
    DEFAULT_SUGGEST_TEXT,
    DEFAULT_SUGGEST_ONE_TEXT,
    DEFAULT_SUGGEST_WAITING_TEXT,
    DEFAULT_SUGGEST_ONE_WAITING_TEXT,
)


# The same questions about one question of a message: "About “…”: did you mean this?"
_ASKING_OF_A_PART = tuple(
    re.compile(re.escape(text).replace(re.escape("{part}"), ".+"), re.DOTALL)
    for text in (DEFAULT_SUGGEST_PART_TEXT, DEFAULT_SUGGEST_PART_ONE_TEXT)
)


def _asks(text: Any) -> bool:
    """Whether a bot message is one of the questions a yes or no answers."""
    return text in _ASKING or any(p.fullmatch(str(text or "")) for p in _ASKING_OF_A_PART)


def ask(turn: Turn, intent: str, buttons: tuple[dict[str, str], ...], faq: list[str]) -> None:
    """Ask about ``intent`` (its button first, then FAQ suggestions, keys ``faq``)."""
    turn.action(CONFIRM_ACTION, intent=intent, faq=faq)
    text = DEFAULT_CONFIRM_MANY_TEXT if len(buttons) > 1 else DEFAULT_CONFIRM_TEXT
    turn.say(BotMessage(text=text, buttons=buttons))


def which(buttons: tuple[dict[str, Any], ...]) -> BotMessage:
    """A "yes" to several options: which one, with the options again (rasa-webchat shows
    buttons on the last message only)."""
    return BotMessage(text=DEFAULT_CHOOSE_TEXT, buttons=buttons)


def ask_which(turn: Turn, buttons: tuple[dict[str, Any], ...]) -> None:
    turn.action("action_default_ask_rephrase", unclear="yes to several options")
    turn.say(which(buttons))


def pending(conversation: Conversation) -> tuple[dict[str, Any], ...]:
    """The buttons of the question the bot asked just before the user's current message
    (empty when its last message before it asked no such thing)."""
    event = _question(conversation)
    buttons = ((event or {}).get("data") or {}).get("buttons") or []
    return tuple(b for b in buttons if b.get("payload"))


def asked_which(conversation: Conversation) -> bool:
    """Whether that question was already "Which one?" (a "yes" to several, twice)."""
    return (_question(conversation) or {}).get("text") == DEFAULT_CHOOSE_TEXT


def _question(conversation: Conversation) -> dict[str, Any] | None:
    current = False
    for event in reversed(conversation.events):
        kind = event.get("event")
        if kind == "user":
            if current:
                return None  # an older question, answered by silence since
            current = True
        elif kind == "bot" and current:
            return event if _asks(event.get("text")) else None
    return None


def accept(
    turn: Turn, payload: str, parse: dict[str, Any], user_data: dict[str, Any]
) -> dict[str, Any]:
    """Take the unsure turn back and record its message as ``payload``'s intent (at 1.0,
    with the entities of both messages); returns the parse to go on with.

    ``parse`` is the current message's (a click on the option, or a typed "yes").
    """
    conversation = turn.conversation
    events = conversation.events
    asked = _last(events, lambda e: e.get("event") == "action" and e.get("name") == CONFIRM_ACTION)
    original = None
    if asked is not None:
        original = _last(events[:asked], lambda e: e.get("event") == "user")
    confirmed = parse_shortcut(payload) or {}
    name = (confirmed.get("intent") or {}).get("name")
    if original is None or not name:  # the question is gone from the history: just go on
        return parse
    unsure = events[original]
    start = original - 1 if original and events[original - 1].get("name") == LISTEN else original
    said = dict(unsure.get("parse_data") or {})
    entities = [*(said.get("entities") or []), *(parse.get("entities") or [])]
    entities += [e for e in confirmed.get("entities") or [] if e not in entities]
    result = {
        **said,
        "intent": {"name": name, "confidence": 1.0},
        "intent_ranking": [{"name": name, "confidence": 1.0}],
        "entities": entities,
    }
    current = events[-1]
    listen = events[-2:-1] if len(events) > 1 and events[-2].get("name") == LISTEN else []
    conversation.events = [
        *events[:start],
        *listen,
        {**unsure, "parse_data": result, "timestamp": current.get("timestamp")},
    ]
    conversation.latest_message = {**result, "metadata": unsure.get("metadata") or {}}
    user_data["confirmed"] = {"intent": name, "text": said.get("text", "")}
    return result


def _last(events: list[dict[str, Any]], match: Callable[[dict[str, Any]], bool]) -> int | None:
    for index in range(len(events) - 1, -1, -1):
        if match(events[index]):
            return index
    return None
