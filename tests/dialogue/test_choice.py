"""Buttons chosen by typing: a number, an ordinal, or the button's title."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dialogue.choice import the_one_offered, typed_choice
from bot.dialogue.config import DEFAULT_OFFER_HUMAN_TEXT
from bot.state import Conversation
from tests.dialogue.conftest import FixedParser

BUTTONS = [
    {"title": "Desk lamp 💡", "payload": '/inform{"product": "desk lamp"}'},
    {"title": "Office chair", "payload": '/inform{"product": "office chair"}'},
    {"title": "Read more", "url": "https://example.com"},  # a link: nothing to choose
    {"title": "Sofa", "payload": '/inform{"product": "sofa"}'},
]


def _shown(buttons: list[dict[str, Any]], *later: dict[str, Any]) -> Conversation:
    events = [
        {"event": "user", "text": "I want to return something"},
        {"event": "bot", "text": "Which item?", "data": {"buttons": buttons}},
        *later,
    ]
    return Conversation(id="c", events=events)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("1", "Desk lamp 💡"), ("2.", "Office chair"), ("#3", "Sofa"), ("option 2", "Office chair"),
        ("the first one", "Desk lamp 💡"), ("Second please", "Office chair"),
        ("the 3rd", "Sofa"), ("last one", "Sofa"), ("option two", "Office chair"),
        ("office chair", "Office chair"), ("Desk lamp", "Desk lamp 💡"), ("SOFA!", "Sofa"),
        ("I'll take the second one", "Office chair"), ("number 1", "Desk lamp 💡"),
        ("2\ufe0f\u20e3", "Office chair"),  # a keycap emoji
    ],
)  # fmt: skip
def test_a_typed_position_or_title_picks_that_button(text: str, title: str) -> None:
    chosen = typed_choice(_shown(BUTTONS), text)
    assert chosen is not None and chosen["title"] == title


@pytest.mark.parametrize(
    "text",
    ["4", "0", "12", "yes", "no", "the lamp is broken", "first I want to ask about shipping",
     "chair", "", "   ", "NW-10001", "1 2", "no one", "I want one", "the one", "one", "two"],
)  # fmt: skip
def test_anything_else_picks_nothing(text: str) -> None:
    assert typed_choice(_shown(BUTTONS), text) is None


def test_only_the_buttons_on_screen_count() -> None:
    answered = _shown(BUTTONS, {"event": "user", "text": "sofa"}, {"event": "bot", "text": "Ok"})
    assert typed_choice(answered, "1") is None
    # several bot messages in a row: the last one's buttons are what the widget shows ...
    later = {"event": "bot", "text": "Anything else?", "data": {"buttons": BUTTONS[3:]}}
    assert typed_choice(_shown(BUTTONS, later), "1") == BUTTONS[3]
    # ... and none when it has none (an FAQ answer's buttons, then the form's question:
    # "2" clicked the answer's button)
    question = {"event": "bot", "text": "What is your order number?"}
    assert typed_choice(_shown(BUTTONS, question), "2") is None
    assert typed_choice(Conversation(id="e"), "1") is None
    # An image sent after the buttons, as its own message (as Rasa sends text and image),
    # leaves them on screen: "Sofa" was not understood.
    image = {"event": "bot", "text": None, "data": {"text": None, "image": "https://x/y.png"}}
    assert typed_choice(_shown(BUTTONS, image), "Sofa") == BUTTONS[3]


def test_numbers_are_titles_where_buttons_are_numbers() -> None:
    # "3" among buttons 1, 2, 5, 10 picked "5"
    numbers = [{"title": t, "payload": f'/inform{{"n": {t}}}'} for t in ("1", "2", "5", "10")]
    assert typed_choice(_shown(numbers), "3") is None
    assert typed_choice(_shown(numbers), "10") == numbers[3]
    assert typed_choice(_shown(numbers), "the second one") == numbers[1]


def _texts(messages: list[Any]) -> list[str | None]:
    return [m.text for m in messages]


async def test_typing_the_number_of_a_suggestion_or_of_the_offer_is_a_click(make_dm) -> None:
    table = {"zzz": ("nlu_fallback", 0.1), "1": ("nlu_fallback", 0.2)}
    dm = make_dm(parser=FixedParser(table))
    several = await dm.handle("n", "pay how?")
    assert [b["title"] for b in several[0].buttons][:2] == [
        "Can I pay by card?",
        "Can I pay with PayPal?",
    ]
    assert _texts(await dm.handle("n", "2")) == ["Yes, PayPal works."]
    events = [e for e in (await dm.transcripts.read("n", limit=100)).events if e.type == "user"]
    # the transcript keeps what was typed, and which button it stood for
    assert events[-1].data["text"] == "2"
    assert events[-1].data["typed_choice"]["title"] == "Can I pay with PayPal?"
    # A "2" with nothing shown is an ordinary message (here not understood).
    assert _texts(await dm.handle("n", "1")) != ["We take Visa and Mastercard."]
    # The offer of a person: "1" is "Yes, talk to a person".
    await dm.handle("o", "zzz")
    assert _texts(await dm.handle("o", "zzz")) == [DEFAULT_OFFER_HUMAN_TEXT]
    # (the project's own handoff action, which opens a ticket, hands over)
    assert _texts(await dm.handle("o", "1")) == ["Ticket T-1 is open; a person will answer here."]
    assert (await dm.transcripts.get("o")).handoff == "pending_human"  # type: ignore[union-attr]


def test_a_forms_question_about_one_choice_offers_it_to_a_yes() -> None:
    # "Which order is it about? Is it NW-27530, or another one?" [NW-27530]: "yes" and "👍"
    # were not understood, and the question asked again.
    order = {"title": "NW-27530", "payload": '/inform{"order_number": "NW-27530"}'}
    asked = _shown([order])
    asked.active_form, asked.requested_slot = "return_form", "order_number"
    assert the_one_offered(asked) == order
    # Not outside a form ("Anything else?" beside a lone button), not among several, and
    # not once the user has answered.
    loose = _shown([order])
    assert the_one_offered(loose) is None
    several = _shown(BUTTONS)
    several.active_form, several.requested_slot = "return_form", "product"
    assert the_one_offered(several) is None
    answered = _shown([order], {"event": "user", "text": "hm"})
    answered.active_form, answered.requested_slot = "return_form", "order_number"
    assert the_one_offered(answered) is None
