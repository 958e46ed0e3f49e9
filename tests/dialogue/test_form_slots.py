"""Which slots an active form takes from a message: its requested one, or any of its own,
unless the message is something else."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bot.project import load_project
from tests.dialogue.conftest import PROJECT, FixedParser


def _texts(messages: list[Any]) -> list[str | None]:
    return [m.text for m in messages]


async def test_a_form_takes_another_of_its_slots_from_the_message(make_dm) -> None:
    # "actually it's order NW-10002" while the form asked for the item: the new number was
    # dropped without a word. As in Rasa, the form validates it and asks on.
    dm = make_dm()
    await dm.handle("o", '/request_return{"order_number": "NW-10001"}')
    assert _texts(await dm.handle("o", '/inform{"order_number": "NW-10002"}')) == [
        "Which product do you want to return?"
    ]
    state = await dm.store.load("o")
    assert state is not None and state.slots["order_number"] == "NW-10002"
    assert state.requested_slot == "product"
    # ... validated as an answer is: a number the validator refuses is asked for again
    replies = await dm.handle("o", '/inform{"order_number": "NW-99999"}')
    assert _texts(replies) == ["I can't find order NW-99999.", "What is your order number?"]
    # A question about another order is answered and changes nothing (a rule answers it).
    await dm.handle("q", '/request_return{"order_number": "NW-10001"}')
    replies = await dm.handle("q", '/check_order{"order_number": "NW-10002"}')
    assert _texts(replies) == ["Order NW-10001 is shipped.", "Which product do you want to return?"]
    state = await dm.store.load("q")
    assert state is not None and state.slots["order_number"] == "NW-10001"


def _with_a_second_form(tmp_path: Path) -> Any:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    domain = (root / "domain.yml").read_text()
    domain = domain.replace(
        "forms:\n", "forms:\n  lookup_form:\n    required_slots:\n      - order_number\n", 1
    )
    domain = domain.replace(
        "responses:\n",
        'responses:\n  utter_ask_lookup_form_order_number:\n    - text: "Which order?"\n',
        1,
    )
    (root / "domain.yml").write_text(domain)
    rules = (root / "data" / "rules.yml").read_text()
    rules = rules.replace(
        "  - rule: check order\n    steps:\n      - intent: check_order\n"
        "      - action: action_check_order\n",
        "  - rule: check order\n    steps:\n      - intent: check_order\n"
        "      - action: lookup_form\n      - active_loop: lookup_form\n"
        "  - rule: tell the order\n    condition:\n      - active_loop: lookup_form\n"
        "    steps:\n      - action: lookup_form\n      - active_loop: null\n"
        "      - action: action_check_order\n",
    )
    (root / "data" / "rules.yml").write_text(rules)
    return load_project(root)


async def test_an_intent_that_starts_another_form_is_no_answer_to_this_one(
    make_dm, tmp_path: Path
) -> None:
    # Once the demo's order tracking became a form, "what's the status of order NW-33091"
    # at the return's reason question was registered as the reason.
    project = _with_a_second_form(tmp_path)
    dm = make_dm(project=project)
    await dm.handle("r", '/request_return{"order_number": "NW-10001", "product": "Chair"}')
    replies = await dm.handle("r", '/check_order{"order_number": "NW-10002"}')
    # The other form starts, with the number the message gave, and replaces this one.
    assert _texts(replies) == ["Order NW-10002 is processing."]
    state = await dm.store.load("r")
    assert state is not None and state.active_form is None
    assert state.slots["return_reason"] is None and state.slots["order_number"] == "NW-10002"
    # ... also when the message names the slot this form asks for: "I want to return order
    # NW-10001" while tracking one was tracked, and no return started.
    await dm.handle("s", "/check_order")
    assert (await dm.store.load("s")).active_form == "lookup_form"  # type: ignore[union-attr]
    replies = await dm.handle("s", '/request_return{"order_number": "NW-10001"}')
    assert _texts(replies) == ["Which product do you want to return?"]
    state = await dm.store.load("s")
    assert state is not None and state.active_form == "return_form"
    assert state.slots["order_number"] == "NW-10001"


async def test_a_form_missing_from_the_domain_does_not_break_the_turn(make_dm) -> None:
    # A conversation stored with a form a redeploy renamed: every message got "something
    # went wrong" until the session expired.
    dm = make_dm()
    await dm.handle("g", "hi there")
    state = await dm.store.load("g")
    assert state is not None
    state.active_form, state.requested_slot = "retired_form", "old_slot"
    await dm.store.save(state, state.version)
    replies = await dm.handle("g", "hi there")
    assert "Hello! How can I help?" in _texts(replies)
    assert "Sorry, something went wrong on my side." not in " ".join(map(str, _texts(replies)))


async def test_the_slot_a_validator_requests_is_asked_next(make_dm) -> None:
    # rasa-sdk's validators may choose the next question (SlotSet requested_slot); the
    # form asked the first missing slot instead.
    dm = make_dm()
    assert _texts(await dm.handle("v", '/request_return{"product": "gift"}')) == [
        "Why are you returning the gift?"
    ]  # not the order number, the first one missing
    assert _texts(await dm.handle("w", '/request_return{"product": "lamp"}')) == [
        "What is your order number?"
    ]


async def test_a_validator_may_end_the_form_or_ask_the_same_question_again(make_dm) -> None:
    # As Rasa's request_next_slot: requested_slot None ends the form early (dynamic forms);
    # asking the slot just asked is a request too (it was lost: the value did not change).
    dm = make_dm()
    await dm.handle("e", '/request_return{"order_number": "NW-10001"}')
    assert _texts(await dm.handle("e", '/inform{"product": "voucher"}')) == [
        "Return for voucher on order NW-10001 is registered."
    ]
    state = await dm.store.load("e")
    assert state is not None and state.active_form is None
    await dm.handle("m", '/request_return{"order_number": "NW-10001"}')
    assert _texts(await dm.handle("m", '/inform{"product": "mystery"}')) == [
        "Which product do you want to return?"
    ]


def test_a_form_fills_from_the_message_only_when_it_answers_the_message() -> None:
    from bot.dialogue.forms import _first_since_the_user

    user = [{"event": "action", "name": "action_listen"}, {"event": "user", "text": "x"}]
    assert _first_since_the_user(user)
    # a form a rule starts after another form ended this turn: that message was the other's
    assert not _first_since_the_user([*user, {"event": "action", "name": "return_form"}])


async def test_an_unsure_reading_of_an_excluded_intent_is_still_the_answer(
    make_dm, tmp_path: Path
) -> None:
    # The demo's return form ignores chitchat: "why do you need to know?" at its reason
    # question, read as chitchat at 0.45 (too unsure to interrupt the form), got "Sorry, I
    # didn't get that" instead of reaching the reason's check, which answers such questions.
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    domain = (root / "domain.yml").read_text()
    domain = domain.replace("intents:\n", "intents:\n  - chitchat\n  - bot_challenge\n", 1)
    domain = domain.replace("  return_form:\n", "  return_form:\n    ignored_intents: [chitchat]\n")
    domain = domain.replace(
        "      - type: from_text\n        conditions:\n          - active_loop: return_form\n"
        "            requested_slot: return_reason\n",
        "      - type: from_text\n        not_intent: [bot_challenge]\n"
        "        conditions:\n          - active_loop: return_form\n"
        "            requested_slot: return_reason\n",
    )
    (root / "domain.yml").write_text(domain)
    parser = FixedParser({
        "why do you ask?": ("chitchat", 0.45), "how are you?": ("chitchat", 0.95),
        "are you a bot?": ("bot_challenge", 0.95), "it is a robot": ("bot_challenge", 0.4),
    })  # fmt: skip
    dm = make_dm(project=load_project(root), parser=parser)
    start = '/request_return{"order_number": "NW-10001", "product": "lamp"}'
    for sender, text in [("u", "why do you ask?"), ("b", "it is a robot")]:
        await dm.handle(sender, start)
        assert _texts(await dm.handle(sender, text)) == [
            "Return for lamp on order NW-10001 is registered."
        ], text
        state = await dm.store.load(sender)
        assert state is not None and state.slots["return_reason"] == text
    # Said with confidence, the form ignores it and asks again.
    for sender, text in [("s", "how are you?"), ("c", "are you a bot?")]:
        await dm.handle(sender, start)
        replies = _texts(await dm.handle(sender, text))
        assert replies[-1] == "Why are you returning the lamp?", (text, replies)
        assert (await dm.store.load(sender)).slots["return_reason"] is None  # type: ignore[union-attr]


async def test_free_text_a_mapping_takes_at_another_question_fills_its_slot(
    make_dm, tmp_path: Path
) -> None:
    # As Rasa: a from_text mapping whose condition names the order-number question takes
    # what is said there for its own slot. "don't need it anymore" at a return's order
    # question was set aside (only the reason's own question took free text) and, not
    # understood, got "didn't get that", then the offer of a person.
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    domain = (root / "domain.yml").read_text()
    aimed = (
        "      - type: from_text\n        intent: inform\n"
        "        conditions:\n          - active_loop: return_form\n"
        "            requested_slot: order_number\n"
    )
    domain = domain.replace(
        "            requested_slot: return_reason\n",
        "            requested_slot: return_reason\n" + aimed,
        1,
    )
    (root / "domain.yml").write_text(domain)
    parser = FixedParser({
        "I want to return something": ("request_return", 0.95),
        "don't need it anymore": ("inform", 0.9), "hello": ("greet", 0.95),
    })  # fmt: skip
    dm = make_dm(project=load_project(root), parser=parser)
    await dm.handle("a", "I want to return something")
    assert _texts(await dm.handle("a", "don't need it anymore")) == ["What is your order number?"]
    state = await dm.store.load("a")
    assert state is not None and state.slots["return_reason"] == "don't need it anymore"
    assert state.requested_slot == "order_number" and state.fallback_count == 0
    # the reason is not asked for again once the rest is given
    await dm.handle("a", '/inform{"order_number": "NW-10001"}')
    assert _texts(await dm.handle("a", '/inform{"product": "lamp"}')) == [
        "Return for lamp on order NW-10001 is registered."
    ]
    # Another intent, which the mapping does not name, fills nothing.
    await dm.handle("g", "I want to return something")
    await dm.handle("g", "hello")
    state = await dm.store.load("g")
    assert state is not None and state.slots["return_reason"] is None
    # Aimed at the order question of another form, it takes nothing in this one, though
    # another of its conditions (this form, any question) holds.
    elsewhere = aimed.replace(
        "          - active_loop: return_form\n            requested_slot: order_number\n",
        "          - active_loop: return_form\n          - active_loop: other_form\n"
        "            requested_slot: order_number\n",
    )
    assert elsewhere != aimed
    (root / "domain.yml").write_text(domain.replace(aimed, elsewhere, 1))
    dm = make_dm(project=load_project(root), parser=parser)
    await dm.handle("o", "I want to return something")
    await dm.handle("o", "don't need it anymore")
    state = await dm.store.load("o")
    assert state is not None and state.slots["return_reason"] is None
