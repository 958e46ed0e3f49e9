"""A button chosen by typing: "2", "the first one", or the button's title.

People answer a list of buttons by typing as often as by clicking, and a widget may not show
buttons at all (a plain REST client, a screen reader). Rasa sends such text to the model,
which reads "2" as nothing in particular; here a message that can only mean one of the
buttons the bot has just shown is taken as a click on it.
"""

from __future__ import annotations

import re
from typing import Any

from bot.state import Conversation

_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
    "ninth": 9, "9th": 9, "tenth": 10, "10th": 10, "last": -1,
}  # fmt: skip
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10,
}  # fmt: skip
_PLEASE = r"(?: please| pls)?"
# "2", "#2", "2.", "option 2", "number two": a position, and nothing else.
_POSITION = re.compile(
    r"^(?:(?:option|number|no\.|#) ?)?(?P<digits>\d{1,2})[.)]?" + _PLEASE + "$"
    r"|^(?:option|number) (?P<word>[a-z]+)" + _PLEASE + "$"
)
# "the second one", "I'll take the first", "last one": an ordinal ("no one" and "I want one"
# picked the first button).
_ORDINAL = re.compile(
    r"^(?:i(?:'ll| will)? (?:take|choose|pick|want) )?(?:the )?(?P<ordinal>[a-z0-9]+)"
    r"(?: one| option)?" + _PLEASE + "$"
)
_NOT_WORD = re.compile(r"[^\w#.)' ]+")


def _normal(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    return " ".join(_NOT_WORD.sub(" ", text).split()).strip(" .")


def _title(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def shown_buttons(conversation: Conversation) -> list[dict[str, Any]]:
    """The payload buttons of the bot's last message, if it came after the user's last
    message (rasa-webchat shows a message's buttons only while it is the last one)."""
    for event in reversed(conversation.events):
        kind = event.get("event")
        if kind == "user":
            return []
        if kind == "bot":
            data = event.get("data") or {}
            if event.get("text") is None and data.get("text") is None and not data.get("buttons"):
                continue  # an image or custom JSON sent after the text, as its own message
            buttons = data.get("buttons") or []
            return [b for b in buttons if isinstance(b, dict) and b.get("payload")]
    return []


def the_one_offered(conversation: Conversation) -> dict[str, Any] | None:
    """The one button a form's question just offered ("Which order is it about? Is it
    NW-27530, or another one?" [NW-27530]), which a "yes" picks; None otherwise (a yes to
    "Anything else?" beside a lone button picks nothing)."""
    if conversation.active_form is None or not conversation.requested_slot:
        return None
    buttons = shown_buttons(conversation)
    return buttons[0] if len(buttons) == 1 else None


def typed_choice(conversation: Conversation, text: str) -> dict[str, Any] | None:
    """The button ``text`` picks among those just shown, or None when it picks none.

    A button's title, typed as it reads (case, punctuation and emoji aside), picks it
    first; then a position: "2", "#2", "option 2", "the second one", "last". A number
    past the buttons picks nothing, so it is read as any other message; so does any number
    where a button's title is one ("3" among buttons 1, 2, 5, 10 is no position).
    """
    buttons = shown_buttons(conversation)
    if not buttons or len(text) > 60:
        return None
    wanted = _title(text)
    if wanted:
        titled = [b for b in buttons if _title(str(b.get("title") or "")) == wanted]
        if len(titled) == 1:
            return titled[0]
    numbered = any(_title(str(b.get("title") or "")).isdigit() for b in buttons)
    position = _position(_normal(text), numbered=numbered)
    if position is None:
        return None
    if position == -1:
        return buttons[-1]
    return buttons[position - 1] if 0 < position <= len(buttons) else None


def _position(said: str, *, numbered: bool) -> int | None:
    match = _POSITION.match(said)
    if match is not None:
        if numbered:
            return None
        if match.group("digits"):
            return int(match.group("digits"))
        return _NUMBERS.get(match.group("word"))
    match = _ORDINAL.match(said)
    return _ORDINALS.get(match.group("ordinal")) if match is not None else None
