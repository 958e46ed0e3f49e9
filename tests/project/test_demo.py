"""The Northwind demo bot: loads, checks clean, and holds what it promises."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections import Counter
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import yaml

from bot.project import load_project
from bot.project.check import check_project
from bot.project.nlu_examples import read_nlu
from knowledge import read_file
from tests.project.conftest import DEMO


def test_demo_checks_clean() -> None:
    assert [str(p) for p in check_project(DEMO)] == []


def test_demo_contents() -> None:
    project = load_project(DEMO)
    # its README said 71 test conversations when there were 75
    told = (DEMO / "README.md").read_text()
    assert f"| {len(project.test_stories)} test conversations (" in told
    domain = project.domain
    assert domain.forms["return_form"].required_slots == (
        "order_number",
        "product",
        "return_reason",
    )
    for slot in ("order_number", "product", "return_reason"):
        assert f"utter_ask_{slot}" in domain.responses
    assert {"action_check_order_status", "validate_return_form", "action_handoff"} <= set(
        domain.actions
    )
    assert set(domain.entities) == {"order_number", "email", "product", "date"}
    examples = [e for path in project.nlu_files for e in read_nlu(path)[1]]
    per_intent = Counter(e.intent for e in examples)
    # every intent a user may type has examples; EXTERNAL_ ones are sent by the shop's systems
    assert set(per_intent) == {i for i in domain.intents if not i.startswith("EXTERNAL_")}
    assert min(per_intent.values()) >= 15, per_intent.most_common()[-3:]
    assert len(project.test_stories) >= 10
    test_actions = {s.name for t in project.test_stories for s in t.steps if s.kind == "action"}
    assert {"return_form", "action_faq", "action_handoff", "utter_default"} <= test_actions
    assert project.config.handoff.after_fallbacks == 2 and project.config.action_endpoint is None


def test_demo_faq() -> None:
    entries = yaml.safe_load((DEMO / "faq/shop_faq.yml").read_text())
    assert len(entries) >= 40
    assert len({e["id"] for e in entries}) == len(entries)
    for entry in entries:
        assert {"id", "question", "alternatives", "answer", "tags"} <= set(entry), entry["id"]
        assert set(entry) <= {"id", "question", "alternatives", "answer", "tags", "links"}
        # most have a handful; the topics that were intents before keep their examples
        assert 3 <= len(entry["alternatives"]) <= 20, entry["id"]
        assert entry["answer"].strip() and entry["tags"], entry["id"]
    drafts = read_file(DEMO / "faq/shop_faq.yml")  # the knowledge importer
    assert len(drafts) == len(entries)
    assert [(x.title, x.url) for d in drafts for x in d.links] == [
        ("Size chart", "https://northwind.example/size-guide"),
        ("Ask our fit team", "mailto:fit@northwind.example"),
    ]
    tags = {t for e in entries for t in e["tags"]}
    assert {
        "shipping",
        "returns",
        "payment",
        "account",
        "products",
        "privacy",
        "gift cards",
    } <= tags


@pytest.fixture
def actions() -> Iterator[ModuleType]:
    pytest.importorskip("rasa_sdk")
    sys.path.insert(0, str(DEMO))
    try:
        import actions as package

        # The demo's actions are modules by what they own; the tests see them as one.
        module = ModuleType("demo_actions")
        for info in pkgutil.iter_modules(package.__path__, prefix="actions."):
            part = importlib.import_module(info.name)
            module.__dict__.update({k: v for k, v in vars(part).items() if not k.startswith("_")})
        yield module
    finally:
        sys.path.remove(str(DEMO))
        for name in [n for n in sys.modules if n == "actions" or n.startswith("actions.")]:
            del sys.modules[name]


class Dispatcher:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def utter_message(self, **kwargs: Any) -> None:
        self.messages.append(kwargs)


def tracker(
    slots: dict[str, Any], entities: list[dict[str, Any]] | None = None, form: str | None = None
) -> Any:
    from rasa_sdk import Tracker

    loop = {"name": form} if form else None
    return Tracker("u1", slots, {"entities": entities or []}, [], False, None, loop, "")


def gave(number: str, slots: dict[str, Any] | None = None) -> Any:
    """A tracker whose latest message gave ``number`` (the NLU's entity), as the form's
    answer or in the message that started it."""
    return tracker(slots or {}, [{"entity": "order_number", "value": number}])


def test_the_order_status_form_takes_only_an_order_that_exists(actions: ModuleType) -> None:
    form = actions.ValidateOrderStatusForm()
    said = Dispatcher()
    # Every order starts with NW: five digits alone are one ("order 48213" was refused).
    for typed, number in (("48213", "NW-48213"), ("#nw 55820", "NW-55820"), ("12345", None)):
        assert form.validate_order_number(typed, said, gave(typed), {}) == {"order_number": number}
    assert said.messages[-1]["text"].startswith("I couldn't find an order NW-12345.")
    # Cancelled orders have a status too (the return form refuses them).
    assert form.validate_order_number("NW-61248", said, gave("NW-61248"), {}) == {
        "order_number": "NW-61248"
    }
    for typed in ("1", "NW-4821", "call me"):
        assert form.validate_order_number(typed, said, gave(typed), {}) == {"order_number": None}
        assert said.messages[-1]["text"] == actions.NOT_AN_ORDER_NUMBER


def test_a_return_takes_one_item_at_a_time(actions: ModuleType) -> None:
    from rasa_sdk import Tracker

    form = actions.ValidateReturnForm()
    said = Dispatcher()
    for text in ("the headphones and the phone case", "headphones, phone case", "both: the "
                 "wireless headphones & the case"):  # fmt: skip
        latest = {"text": text, "entities": []}
        both = Tracker("u1", {"order_number": "NW-48213"}, latest, [], False, None, None, "")
        assert form.validate_product("phone case", said, both, {}) == {"product": None}
        assert said.messages[-1]["text"] == actions.ONE_AT_A_TIME
    alone = Tracker("u1", {"order_number": "NW-55820"}, {"text": "everything"}, [], False,
                    None, None, "")  # fmt: skip
    assert form.validate_product("everything", said, alone, {}) == {"product": "running shoes"}
    for text in ("both", "All of them"):
        latest = {"text": text, "entities": []}
        both = Tracker("u1", {"order_number": "NW-48213"}, latest, [], False, None, None, "")
        assert form.validate_product(text, said, both, {}) == {"product": None}
        assert said.messages[-1]["text"] == actions.ONE_AT_A_TIME
    # an order number at the item question names no item (nothing said: the form asks)
    latest = {"text": "NW-48213", "entities": [{"entity": "order_number", "value": "NW-48213"}]}
    order = Tracker("u1", {"order_number": "NW-48213"}, latest, [], False, None, None, "")
    before = len(said.messages)
    assert form.validate_product("NW-48213", said, order, {}) == {"product": None}
    assert len(said.messages) == before
    # one item named, with "and" in the sentence, is that item
    latest = {"text": "the phone case and it is broken", "entities": []}
    one = Tracker("u1", {"order_number": "NW-48213"}, latest, [], False, None, None, "")
    assert form.validate_product("phone case", said, one, {}) == {"product": "phone case"}
    # "changed my mind" at the item question: how to stop, not "That item isn't in this order"
    latest = {"text": "I\u2019ve changed my mind", "entities": []}
    mind = Tracker("u1", {"order_number": "NW-48213"}, latest, [], False, None, None, "")
    assert form.validate_product("I've changed my mind", said, mind, {}) == {"product": None}
    assert said.messages[-1] == {"response": "utter_how_to_stop_return"}


def test_an_order_from_earlier_in_the_chat_is_asked_about_not_used(actions: ModuleType) -> None:
    # "where is NW-55820", then "I want to return an item": the return took NW-55820 unasked,
    # and "no, from a different order" was registered as the reason.
    from rasa_sdk import Tracker

    tracked = [
        {"event": "user", "text": "where is NW-55820"},
        {"event": "slot", "name": "order_number", "value": "NW-55820"},
        {"event": "user", "text": "I want to return an item"},
        {"event": "active_loop", "name": "return_form"},
        {"event": "slot", "name": "order_number", "value": "NW-55820"},
    ]
    said = Dispatcher()
    for form in (actions.ValidateReturnForm(), actions.ValidateOrderStatusForm()):
        loop = {"name": form.name().removeprefix("validate_")}
        carried = Tracker("u1", {"order_number": "NW-55820"}, {"entities": []}, tracked, False,
                          None, loop, "")  # fmt: skip
        assert form.validate_order_number("NW-55820", said, carried, {}) == {"order_number": None}
    assert said.messages == []
    # Asked again while the form runs ("I want to return an item" at its item question),
    # the form's own order stands.
    running = [tracked[3], *tracked[:3]]
    again = Tracker("u1", {"order_number": "NW-27530"}, {"entities": []}, running, False, None,
                    {"name": "return_form"}, "")  # fmt: skip
    assert actions.ValidateReturnForm().validate_order_number("NW-27530", said, again, {}) == {
        "order_number": "NW-27530"
    }
    # The question offers the earlier order as a button.
    import asyncio

    ask = actions.ActionAskReturnOrderNumber()
    assert ask.name() == "action_ask_return_form_order_number"
    asyncio.run(ask.run(said, carried, {"responses": {}}))
    assert said.messages[-1]["buttons"] == [
        {"title": "NW-55820", "payload": '/inform{"order_number": "NW-55820"}'}
    ]
    asyncio.run(ask.run(said, tracker({}), {"responses": {}}))
    assert said.messages[-1] == {"response": "utter_ask_order_number"}
    # An order the return just refused (still in the warehouse) is not offered again.
    packed = [*tracked, {"event": "slot", "name": "order_number", "value": "NW-10472"}]
    refused = Tracker("u1", {}, {"entities": []}, packed, False, None, {"name": "return_form"}, "")
    asyncio.run(ask.run(said, refused, {"responses": {}}))
    assert said.messages[-1]["buttons"][0]["title"] == "NW-55820"
    status = actions.ActionAskStatusOrderNumber()
    asyncio.run(status.run(said, refused, {"responses": {}}))
    assert said.messages[-1]["buttons"][0]["title"] == "NW-10472"  # its status can be told


def test_the_order_question_names_the_item_given_first(actions: ModuleType) -> None:
    # "the phone case" at "What's your order number?" got the same question again, as if
    # the item had not been heard; the order status form has no item to name.
    import asyncio

    said = Dispatcher()
    ask, status = actions.ActionAskReturnOrderNumber(), actions.ActionAskStatusOrderNumber()
    for item, question in (
        ("phone case", "Which order is the phone case from?"),
        ("running shoes", "Which order are the running shoes from?"),
        ("glass", "Which order is the glass from?"),
    ):
        asyncio.run(ask.run(said, tracker({"product": item}, form="return_form"), {}))
        assert said.messages[-1]["text"].startswith(f"{question} Its order number is in your")
    asyncio.run(status.run(said, tracker({"product": "glass"}), {"responses": {}}))
    assert said.messages[-1] == {"response": "utter_ask_order_number"}


def test_the_order_question_after_a_refused_number_gives_no_example(
    actions: ModuleType,
) -> None:
    # "12345" was told NW-12345 was not found, then asked again "It looks like NW-12345":
    # the example the question gives was the very number just refused.
    import asyncio

    from rasa_sdk import Tracker

    said = Dispatcher()
    for ask, form in (
        (actions.ActionAskStatusOrderNumber(), "order_status_form"),
        (actions.ActionAskReturnOrderNumber(), "return_form"),
    ):
        for typed in ("12345", "it's nw 99999"):
            latest = {"text": typed, "entities": [{"entity": "order_number", "value": typed}]}
            refused = Tracker("u1", {}, latest, [], False, None, {"name": form}, "")
            asyncio.run(ask.run(said, refused, {"responses": {}}))
            assert said.messages[-1] == {"text": actions.ASK_ANOTHER_ORDER}, (form, typed)
        # Five digits the tagger missed are a number given all the same.
        untagged = Tracker("u1", {}, {"text": "55555", "entities": []}, [], False, None,
                           {"name": form}, "")  # fmt: skip
        asyncio.run(ask.run(said, untagged, {"responses": {}}))
        assert said.messages[-1] == {"text": actions.ASK_ANOTHER_ORDER}
        # Asked the first time, the question with its example, as before.
        asyncio.run(ask.run(said, tracker({}, form=form), {"responses": {}}))
        assert said.messages[-1] == {"response": "utter_ask_order_number"}
    assert "NW-" not in actions.ASK_ANOTHER_ORDER


def test_a_return_right_after_an_order_on_its_way_says_why_at_once(actions: ModuleType) -> None:
    # "where is my order NW-48213" (shipped), then "I want to return it": "What's your order
    # number?" without a button, and the number typed again was then refused.
    import asyncio

    from rasa_sdk import Tracker

    tracked = [
        {"event": "user", "text": "where is my order NW-48213"},
        {"event": "slot", "name": "order_number", "value": "NW-48213"},
        {"event": "slot", "name": "order_number", "value": None},
        {"event": "user", "text": "I want to return it"},
        {"event": "active_loop", "name": "return_form"},
    ]
    said = Dispatcher()
    ask = actions.ActionAskReturnOrderNumber()
    started = Tracker("u1", {}, {"text": "I want to return it", "entities": []}, tracked, False,
                      None, {"name": "return_form"}, "")  # fmt: skip
    asyncio.run(ask.run(said, started, {"responses": {}}))
    (why,) = said.messages
    assert why["text"].startswith("Order NW-48213 is still on its way, so there's nothing to")
    assert why["text"].endswith(actions.ANOTHER_ORDER_OR_STOP)
    # Another number given with the request, and refused, is asked about, not the old one.
    for typed in ("I want to return NW-99999", "I want to return 12345"):
        latest = {"text": typed, "entities": [{"entity": "order_number", "value": typed[-8:]}]}
        other = Tracker("u1", {}, latest, tracked, False, None, {"name": "return_form"}, "")
        asyncio.run(ask.run(said, other, {"responses": {}}))
        assert said.messages[-1] == {"text": actions.ASK_ANOTHER_ORDER}, typed
    # Asked again later in the form, the question is asked as before (not the reason again).
    later = [*tracked, {"event": "user", "text": "hmm"}]
    again = Tracker("u1", {}, {"text": "hmm", "entities": []}, later, False, None,
                    {"name": "return_form"}, "")  # fmt: skip
    asyncio.run(ask.run(said, again, {"responses": {}}))
    assert said.messages[-1] == {"response": "utter_ask_order_number"}
    # Tracking a second order is no return: its question is as before.
    status = actions.ActionAskStatusOrderNumber()
    asyncio.run(status.run(said, started, {"responses": {}}))
    assert said.messages[-1]["buttons"][0]["title"] == "NW-48213"


def test_return_form_validation(actions: ModuleType) -> None:
    form = actions.ValidateReturnForm()
    said = Dispatcher()
    assert form.validate_order_number("nw27530", said, gave("nw27530"), {}) == {
        "order_number": "NW-27530"
    }
    assert form.validate_order_number("NW-99999", said, gave("NW-99999"), {}) == {
        "order_number": None
    }
    assert form.validate_order_number("hello", said, gave("hello"), {}) == {"order_number": None}
    # typed on a full-width keyboard, it is the same order
    wide = "\uff2e\uff37-\uff12\uff17\uff15\uff13\uff10"
    assert form.validate_order_number(wide, said, gave(wide), {}) == {"order_number": "NW-27530"}
    assert "couldn't find an order NW-99999" in said.messages[0]["text"]
    # An order on its way has nothing to return yet (its return was registered before it
    # arrived): said, and the order asked for again.
    for moving in ("NW-48213", "NW-33091"):
        assert form.validate_order_number(moving, said, gave(moving), {}) == {"order_number": None}
        assert said.messages[-1]["text"].startswith(f"Order {moving} is still on its way, so")
    # The item given before the order (or the old order's, when the order changed) is
    # checked against it: the headphones were registered as returned from NW-55820.
    item_first = gave("NW-27530", {"product": "headphones"})
    assert form.validate_order_number("NW-27530", said, item_first, {}) == {
        "order_number": "NW-27530",
        "product": "wireless headphones",
    }
    item_first = gave("NW-55820", {"product": "headphones"})
    assert form.validate_order_number("NW-55820", said, item_first, {}) == {
        "order_number": "NW-55820",
        "product": None,
    }
    assert said.messages[-1]["text"] == "Order NW-55820 has no headphones."
    # An order of one item needs no question about which
    assert form.validate_order_number("NW-55820", said, gave("NW-55820"), {}) == {
        "order_number": "NW-55820",
        "product": "running shoes",
    }
    assert said.messages[-1]["text"] == "Order NW-55820 has one item, the running shoes."
    # A number in another answer, read as an order number, keeps the return's order (it
    # was wiped, and the reason dropped): only the order question's answer is judged.
    events = [
        {"event": "slot", "name": "order_number", "value": "NW-48213"},
        {"event": "user", "text": "the size is 3 too small"},
        {"event": "slot", "name": "order_number", "value": "3"},
        {"event": "slot", "name": "order_number", "value": "3"},
    ]
    from rasa_sdk import Tracker

    three = {"entities": [{"entity": "order_number", "value": "3"}]}
    later = Tracker(
        "u1", {"requested_slot": "return_reason", "order_number": "3"}, three, events, False,
        None, None, "",
    )  # fmt: skip
    assert form.validate_order_number("3", said, later, {}) == {"order_number": "NW-48213"}
    # A malformed number in the message that starts the return is no order (it was kept,
    # set twice in the turn: "Which item from order NW-33091-2?")
    twice = {"event": "slot", "name": "order_number", "value": "NW-33091-2"}
    start = [{"event": "user", "text": "return from NW-33091-2"}, twice, twice]
    malformed = {"entities": [{"entity": "order_number", "value": "NW-33091-2"}]}
    first = Tracker("u1", {"order_number": "NW-33091-2"}, malformed, start, False, None,
                    {"name": "return_form"}, "")  # fmt: skip
    assert form.validate_order_number("NW-33091-2", said, first, {}) == {"order_number": None}

    # "changed my mind, I want the headphones instead" at the reason question changes the
    # item and is no reason (the return was submitted with it as one)
    def product_set(before: str, now: str, slots: dict[str, Any] | None = None) -> Any:
        events = [
            {"event": "slot", "name": "product", "value": before},
            {"event": "user", "text": "..."},
            {"event": "slot", "name": "product", "value": now},
        ]
        slots = {"order_number": "NW-48213", "product": now, **(slots or {})}
        return Tracker("u1", slots, {}, events, False, None, None, "")

    switched = product_set("phone case", "wireless headphones")
    assert form.validate_return_reason("changed my mind", said, switched, {}) == {
        "return_reason": None
    }
    assert said.messages[-1]["text"] == "OK, the wireless headphones then."
    # ... but the same item named in a reason is a reason: "it doesn't fit my phone", its
    # "phone" read as the item, was dropped and the question asked again without a word
    same = product_set("phone case", "phone case")
    typed = "it doesn't fit my phone"
    assert form.validate_return_reason(typed, said, same, {}) == {"return_reason": typed}
    kept = Tracker("u1", {"product": "x"}, {}, switched.events[::-1], False, None, None, "")
    assert form.validate_return_reason("it broke", said, kept, {}) == {"return_reason": "it broke"}
    # Something else read as an item in another answer keeps the return's item (it was
    # "That item isn't in this order", and the item asked for again).
    other = product_set("phone case", "laptop", {"requested_slot": "return_reason"})
    assert form.validate_product("laptop", said, other, {}) == {"product": "phone case"}
    # ... and so does the order's other item named where the NLU tagged none (the lamp's
    # return was registered with "actually the sleeve" as its reason)
    lamp = tracker({"order_number": "NW-33091", "product": "desk lamp"})
    for typed in (
        "sleeve",
        "actually the sleeve",
        "actually it's the sleeve",
        "no, sorry, I meant the laptop sleve",
    ):
        assert form.validate_return_reason(typed, said, lamp, {}) == {
            "product": "laptop sleeve",
            "return_reason": None,
        }
    assert form.validate_return_reason("the lamp", said, lamp, {}) == {"return_reason": None}
    assert "for example" in said.messages[-1]["text"]
    for typed in ("the lamp flickers", "sleeve was not in the box"):
        assert form.validate_return_reason(typed, said, lamp, {}) == {"return_reason": typed}
    # Too short a reason is said as a statement: the form's own question follows ("👍" got
    # two questions in a row).
    assert form.validate_return_reason("👍", said, lamp, {}) == {"return_reason": None}
    assert not said.messages[-1]["text"].endswith("?")
    # an order still in the warehouse has nothing to return yet
    assert form.validate_order_number("NW-10472", said, gave("NW-10472"), {}) == {
        "order_number": None
    }
    assert "hasn't left our warehouse yet" in said.messages[-1]["text"]
    in_order = tracker({"order_number": "NW-48213"})
    assert form.validate_product("the Wireless Headphones", said, in_order, {}) == {
        "product": "wireless headphones"
    }
    assert form.validate_product("yoga mat", said, in_order, {}) == {"product": None}
    # misspelt or in part, it is still the order's item; another thing is not
    typed_items = {
        "headfones": "wireless headphones",
        "wireles headphons": "wireless headphones",
        "the headphones please": "wireless headphones",
        "I want to return the case for my phone": "phone case",
        "phone": "phone case",
        "wireless charger": None,
        "phone charger": None,
        "headphone case": None,
        "help": None,
        "yes": None,
    }
    for typed, item in typed_items.items():
        assert form.validate_product(typed, said, in_order, {}) == {"product": item}
    # a question back or an "ok" names no item, and is not told it is not in the order
    for typed in ("what's the difference?", "ok"):
        before = len(said.messages)
        latest = {"text": typed, "entities": []}
        asked = Tracker("u1", {"order_number": "NW-48213"}, latest, [], False, None, None, "")
        assert form.validate_product(typed, said, asked, {}) == {"product": None}
        assert len(said.messages) == before, typed
    # an order number written with a space or a hash
    for typed in ("NW 27530", "#nw27530"):
        assert form.validate_order_number(typed, said, gave(typed), {}) == {
            "order_number": "NW-27530"
        }
    assert form.validate_return_reason("too small", said, in_order, {}) == {
        "return_reason": "too small"
    }
    # A question back or a pause is no reason; a reason that starts with a filler, or that
    # ends unsure, is one.
    for typed in ("why do you need to know?", "wait", "hmm let me think", "why", "um..."):
        assert form.validate_return_reason(typed, said, in_order, {}) == {"return_reason": None}
    reasons = ("um, it is too small", "hmm it arrived broken", "does not fit?",
               "wait, the zip was broken when it arrived", "why: it broke on day one")  # fmt: skip
    for typed in reasons:
        assert form.validate_return_reason(typed, said, in_order, {}) == {"return_reason": typed}
    # A reason in any script is one: these were no words at all, each taken for a pause
    # ("Take your time") again and again.
    for typed in ("слишком маленький", "サイズが合わない", "το μέγεθος δεν ταιριάζει", "太小"):
        before = len(said.messages)
        assert form.validate_return_reason(typed, said, in_order, {}) == {"return_reason": typed}
        assert len(said.messages) == before, typed
    assert form.validate_return_reason("👍👍", said, in_order, {}) == {"return_reason": None}
    assert said.messages[-1]["text"] == "That's a bit short for a reason."
    # "help" and "yes" were registered as reasons
    for typed in ("help", "Yes!", '/inform{"product": "phone case"}'):
        assert form.validate_return_reason(typed, said, in_order, {}) == {"return_reason": None}
        assert "for example" in said.messages[-1]["text"]
    # A return needs no reason: "I don't know" was told how to stop, again and again.
    # A shrug is one too ("🤷" was "a bit short for a reason").
    shrugs = ("\U0001f937", "\U0001f937\u200d\u2640\ufe0f",
              "\U0001f937\U0001f3fd\u200d\u2642\ufe0f", "\u00af\\_(\u30c4)_/\u00af",
              "idk \U0001f937")  # fmt: skip
    for typed in ("I don\u2019t know", "no reason", "None.", "idk", "n/a", *shrugs):
        assert form.validate_return_reason(typed, said, in_order, {}) == {
            "return_reason": "no reason given"
        }
    # ... but a bare "no" may mean "no, I don't want to": told how to stop.
    assert form.validate_return_reason("Nope", said, in_order, {}) == {"return_reason": None}
    assert said.messages[-1]["response"] == "utter_how_to_stop_return"


async def test_the_item_question_offers_the_orders_items(actions: ModuleType) -> None:
    said = Dispatcher()
    await actions.ActionAskProduct().run(said, tracker({"order_number": "NW-48213"}), {})
    asked = said.messages[-1]
    assert asked["text"] == "Which item from order NW-48213 would you like to return?"
    assert [b["title"] for b in asked["buttons"]] == ["wireless headphones", "phone case"]
    assert asked["buttons"][1]["payload"] == '/inform{"product": "phone case"}'


async def test_order_status_action(actions: ModuleType) -> None:
    action = actions.ActionCheckOrderStatus()
    said = Dispatcher()
    found = tracker({}, [{"entity": "order_number", "value": "nw-10472"}])
    events = await action.run(said, found, {})
    assert said.messages[-1]["text"].startswith("Your order NW-10472 is being packed,")
    assert events[0]["value"] == "NW-10472"
    await action.run(said, tracker({}), {})
    assert "What's your order number?" in said.messages[-1]["text"]
    await action.run(said, tracker({"order_number": "ZZ-00000"}), {})
    assert "couldn't find an order ZZ-00000" in said.messages[-1]["text"]
    await action.run(said, tracker({"order_number": "NW-12345"}), {})
    assert said.messages[-1]["text"] == (  # well formed: no example equal to it
        "I couldn't find an order NW-12345. Please check the number in your confirmation "
        "email; if it is right, ask for a person and we will look into it."
    )
    # Asked about another order during a return: answered, the return's order kept.
    returning = tracker(
        {"order_number": "NW-48213"},
        [{"entity": "order_number", "value": "NW-33091"}],
        form="return_form",
    )
    assert await action.run(said, returning, {}) == []
    assert said.messages[-1]["text"].startswith("Your order NW-33091 is delayed:")
    for asked in ("NW-99999", "+44 20 7946 0958"):  # unknown, or not an order number at all
        wrong = tracker(
            {"order_number": "NW-48213"},
            [{"entity": "order_number", "value": asked}],
            "return_form",
        )
        assert await action.run(said, wrong, {}) == []
    # A phone number the tagger took for an order number is not "an order we can't find".
    phone = tracker({}, [{"entity": "order_number", "value": "+44 20 7946 0958"}])
    assert await action.run(said, phone, {}) == [
        {"event": "slot", "timestamp": None, "name": "order_number", "value": None}
    ]
    assert said.messages[-1]["text"].startswith("That doesn't look like an order number.")


async def test_tracking_and_a_return_in_one_message_are_both_answered(
    actions: ModuleType,
) -> None:
    # "Where is NW-48213 and how do I return it?" got one of the two: the status, or (read
    # as a return) that there is nothing to return yet, and not where it is.
    from rasa_sdk import Tracker

    def asked(text: str, number: str, form: str | None = None) -> Any:
        latest = {"text": text, "entities": [{"entity": "order_number", "value": number}]}
        loop = {"name": form} if form else None
        return Tracker("u1", {}, latest, [], False, None, loop, "")

    action = actions.ActionCheckOrderStatus()
    said = Dispatcher()
    await action.run(said, asked("Where is NW-55820 and how do I return it?", "NW-55820"), {})
    status, offer = said.messages
    assert status["text"].startswith("Your order NW-55820 was delivered on")
    assert offer["buttons"] == [
        {"title": "Return an item", "payload": '/return_item{"order_number": "NW-55820"}'}
    ]
    said = Dispatcher()
    await action.run(said, asked("where's NW-48213, I want to send it back", "NW-48213"), {})
    assert [m["text"][:34] for m in said.messages] == [
        "Your order NW-48213 has shipped: i",
        "Order NW-48213 is still on its way",
    ]
    for text in ("where is NW-55820?", "and how do I return NW-55820"):  # alone, or in one
        said = Dispatcher()
        form = "return_form" if text.startswith("and") else None
        await action.run(said, asked(text, "NW-55820", form), {})
        assert len(said.messages) == 1, text
    # Read as a return: where the order is, then why there is nothing to return yet.
    said = Dispatcher()
    form = actions.ValidateReturnForm()
    given = asked("Where is NW-48213 and how do I return it?", "NW-48213", "return_form")
    assert form.validate_order_number("NW-48213", said, given, {}) == {"order_number": None}
    assert [m["text"][:34] for m in said.messages] == [
        "Your order NW-48213 has shipped: i",
        "Order NW-48213 is still on its way",
    ]


async def test_every_order_a_message_names_is_told(actions: ModuleType) -> None:
    # "NW-48213 and NW-10472" told the first order only; "48213 and 55820", tagged as one
    # span, was "not an order number"
    action = actions.ActionCheckOrderStatus()
    form = actions.ValidateOrderStatusForm()
    two = [{"entity": "order_number", "value": v} for v in ("NW-48213", "nw10472", "NW-48213")]
    phone = {"entity": "order_number", "value": "0176 55820 123"}
    for entities in (
        two,
        [{"entity": "order_number", "value": "48213 and NW-10472"}],
        [phone, *two],
    ):
        said = Dispatcher()
        events = await action.run(said, tracker({}, entities), {})
        assert [m["text"][:25] for m in said.messages] == [
            "Your order NW-48213 has s",
            "Your order NW-10472 is be",
        ]
        assert events[0]["value"] == "NW-48213"
    said = Dispatcher()
    await action.run(
        said, tracker({}, [{"entity": "order_number", "value": "NW-99999, 55820"}]), {}
    )
    assert [m["text"][:25] for m in said.messages] == [
        "I couldn't find an order ",
        "Your order NW-55820 was d",
    ]
    assert form.validate_order_number("48213 and 55820", said, gave("48213 and 55820"), {}) == {
        "order_number": "NW-48213"
    }
    # digits with spaces stay one value, not an order inside a phone number
    for typed in ("0176 55820 123", "12/05"):
        assert actions.order_numbers([typed]) == [None]


def test_what_do_you_mean_at_the_item_question_is_answered(actions: ModuleType) -> None:
    # "huh?" at "Which item would you like to return?" got the question again, unexplained
    from rasa_sdk import Tracker

    form = actions.ValidateReturnForm()
    for typed, intent, told in (
        ("huh?", "clarify", True),
        ("what do you mean?", "clarify", True),
        ("what's the difference?", "ask_difference", False),
        ("\U0001f44d", "affirm", False),  # a thumbs up was "That item isn't in this order"
    ):
        said = Dispatcher()
        message = {"text": typed, "intent": {"name": intent}, "entities": []}
        slots = {"order_number": "NW-33091", "requested_slot": "product"}
        asked = Tracker("u1", slots, message, [], False, None, {"name": "return_form"}, "")
        assert form.validate_product(typed, said, asked, {}) == {"product": None}
        assert said.messages == ([{"text": actions.WHICH_ITEM_HELP}] if told else [])


def test_a_return_takes_one_order_at_a_time(actions: ModuleType) -> None:
    # "NW-33091 and NW-55820" at the order question registered the running shoes of the
    # second order unsaid
    form = actions.ValidateReturnForm()
    two = [{"entity": "order_number", "value": v} for v in ("NW-33091", "NW-55820")]
    for entities, slot_value in ((two, "NW-55820"), (two[:1], "33091 and 55820")):
        if len(entities) == 1:
            entities = [{"entity": "order_number", "value": slot_value}]
        said = Dispatcher()
        found = tracker({"requested_slot": "order_number"}, entities, "return_form")
        assert form.validate_order_number(slot_value, said, found, {}) == {"order_number": None}
        assert said.messages[-1]["text"] == (
            "Let's do one order at a time: NW-33091 or NW-55820 first, then the other."
        )
    # The question after it offers neither as the order "from earlier" (NW-55820 was).
    import asyncio

    events = [
        {"event": "user", "text": "NW-33091 and NW-55820"},
        {"event": "slot", "name": "order_number", "value": "NW-55820"},
        {"event": "slot", "name": "order_number", "value": None},
    ]
    from rasa_sdk import Tracker

    after = Tracker("u1", {}, {"entities": two}, events, False, None, {"name": "return_form"}, "")
    said = Dispatcher()
    asyncio.run(actions.ActionAskReturnOrderNumber().run(said, after, {"responses": {}}))
    assert said.messages[-1] == {"response": "utter_ask_order_number"}


async def test_the_shipped_notice_names_the_order_it_was_sent_for(actions: ModuleType) -> None:
    said = Dispatcher()
    action = actions.ActionOrderShipped()
    returning = tracker(
        {"order_number": "NW-48213"},
        [{"entity": "order_number", "value": "nw-10472"}],
        form="return_form",
    )
    assert await action.run(said, returning, {}) == []  # the return's order is kept
    assert said.messages[-1]["text"].startswith("Good news: your order NW-10472 has shipped!")
    await action.run(said, tracker({}), {})
    assert said.messages[-1]["text"].startswith("Good news: your order has shipped!")


def test_an_order_number_at_the_item_question_is_no_item(actions: ModuleType) -> None:
    # "NW-48213" typed at "Which item would you like to return?" was "Order NW-48213 has no
    # NW-48213."; "actually it's order NW-55820" was "Order NW-55820 has no actually it's
    # order NW-55820.", then asked which item of its one item
    from rasa_sdk import Tracker

    form = actions.ValidateReturnForm()
    for typed, number, result, told in (
        ("NW-27530", "NW-27530", {"product": None}, []),
        (
            "actually it's order NW-55820",
            "NW-55820",
            {"product": "running shoes"},
            [{"text": "Order NW-55820 has one item, the running shoes."}],
        ),
    ):
        said = Dispatcher()
        message = {"text": typed, "entities": [{"entity": "order_number", "value": number}]}
        slots = {"order_number": number, "product": typed, "requested_slot": "product"}
        asked = Tracker("u1", slots, message, [], False, None, {"name": "return_form"}, "")
        assert form.validate_order_number(number, said, asked, {}) == {
            "order_number": number,
            **result,
        }
        assert said.messages == told
        # the item's own check, after the order's, keeps what the order's check chose
        asked.slots.update(result)
        assert form.validate_product(typed, said, asked, {}) == result
        assert said.messages == told


def test_a_pasted_signature_does_not_hide_the_order(actions: ModuleType) -> None:
    # "my order NW-48213 hasn't arrived" with an email signature: its phone number and
    # web address, tagged as order numbers too, came last, and the order was "not an order
    # number" and asked for again
    signature = [
        {"entity": "order_number", "value": v} for v in ("NW-48213", ": +44 20 7946 0958", "acme")
    ]
    said = Dispatcher()
    status = actions.ValidateOrderStatusForm()
    assert status.validate_order_number("acme", said, tracker({}, signature), {}) == {
        "order_number": "NW-48213"
    }
    returns = actions.ValidateReturnForm()
    delivered = [{**signature[0], "value": "NW-27530"}, *signature[1:]]
    asked = tracker({"requested_slot": "order_number"}, delivered, "return_form")
    assert returns.validate_order_number("acme", said, asked, {}) == {"order_number": "NW-27530"}
    assert said.messages == []


def test_a_reason_given_before_the_order_is_noted(actions: ModuleType) -> None:
    # "dont need it anymore" at the order-number question got "didn't get that", then the
    # offer of a person: the domain maps it to the reason there, and the check notes it.
    from rasa_sdk import Tracker

    form = actions.ValidateReturnForm()
    said = Dispatcher()

    def at_order_question(text: str, entities: list[dict[str, Any]], before: Any = None) -> Any:
        events = [
            {"event": "slot", "name": "return_reason", "value": before},
            {"event": "user", "text": text},
        ]
        latest = {"text": text, "entities": entities}
        slots = {"requested_slot": "order_number", "return_reason": text}
        return Tracker("u1", slots, latest, events, False, None, {"name": "return_form"}, "")

    typed = "dont need it anymore"
    assert form.validate_return_reason(typed, said, at_order_question(typed, []), {}) == {
        "return_reason": typed
    }
    assert said.messages[-1]["text"] == actions.EARLY_REASON_NOTED
    # The order number given next keeps the reason noted (it was wiped); an item, a date or
    # an "I don't know" is no reason there, and nothing is said of it.
    number = [{"entity": "order_number", "value": "NW-55820"}]
    before = len(said.messages)
    for text, entities in (
        ("NW-55820", number),
        ("the lamp", [{"entity": "product", "value": "lamp"}]),
        ("no idea", []),
        ("hmm", []),
    ):
        tracked = at_order_question(text, entities, before=typed)
        assert form.validate_return_reason(text, said, tracked, {}) == {"return_reason": typed}
    assert len(said.messages) == before
    # digits with no order number in them were meant as one
    assert form.validate_return_reason("1", said, at_order_question("1", []), {}) == {
        "return_reason": None
    }
    assert said.messages[-1]["text"] == actions.NOT_AN_ORDER_NUMBER
    # Checked again as the return is asked for again ("I want to return an item" there), the
    # reason noted before is kept without "Got it, I've noted that" answering the request.
    before = len(said.messages)
    again = at_order_question("I want to return an item", [], before=typed)
    assert form.validate_return_reason(typed, said, again, {}) == {"return_reason": typed}
    assert len(said.messages) == before


def test_a_return_asked_with_the_order_s_status_tells_it(actions: ModuleType) -> None:
    # "has NW-27530 arrived? I want to return it", read as a return, got the item question
    # alone; "NW-48213 and how do I return it?" was told the order is on its way, then asked
    # "What's your order number?" as if the number had not been read.
    import asyncio

    from rasa_sdk import Tracker

    form = actions.ValidateReturnForm()

    def started_by(text: str, number: str) -> Any:
        latest = {"text": text, "entities": [{"entity": "order_number", "value": number}]}
        events = [
            {"event": "user", "text": text},
            {"event": "slot", "name": "order_number", "value": number},
        ]
        slots = {"order_number": number, "requested_slot": None}
        return Tracker("u1", slots, latest, events, False, None, {"name": "return_form"}, "")

    for text in (
        "has NW-27530 arrived? I want to return it",
        "I want to return NW-27530, has it arrived?",
        "did NW-27530 come yet, I'd like to send it back",
    ):
        said = Dispatcher()
        form.validate_order_number("NW-27530", said, started_by(text, "NW-27530"), {})
        assert said.messages[0]["text"] == actions.status_line("NW-27530"), text
    said = Dispatcher()
    plain = "NW-27530 arrived broken, I want to return it"
    form.validate_order_number("NW-27530", said, started_by(plain, "NW-27530"), {})
    assert [m["text"] for m in said.messages] == []  # no status asked for, none told
    # An order with nothing to return, named in the request: the return ends.
    said = Dispatcher()
    domain = {"forms": {"return_form": {"required_slots": ["order_number"]}}, "slots": {}}
    events = asyncio.run(
        form.run(said, started_by("NW-48213 and how do I return it?", "NW-48213"), domain)
    )
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "utter_anything_else_for_now"
    assert said.messages[-1]["text"].startswith("Order NW-48213 is still on its way")
    # ... a returnable one goes on
    events = asyncio.run(form.run(said, started_by("return NW-27530", "NW-27530"), domain))
    assert not any(e["event"] == "active_loop" for e in events)


def test_an_order_s_status_reads_naturally(actions: ModuleType) -> None:
    # "Your order NW-27530 is delivered. It was delivered on Friday." and "is shipped"
    assert actions.status_line("NW-48213").startswith("Your order NW-48213 has shipped: it left")
    # Past its due day, the status says so: it was told only once the customer said it
    # had not come.
    assert actions.status_line("NW-72946").endswith(actions.OVERDUE)
    assert actions.OVERDUE not in actions.status_line("NW-48213")  # due tomorrow
    assert actions.status_line("NW-27530") == "Your order NW-27530 was delivered on Friday."
    assert actions.status_line("NW-61248").startswith("Your order NW-61248 was cancelled, and")
    for number in actions.ORDERS:
        line = actions.status_line(number)
        assert line.endswith(".") and ". It" not in line, line
        assert not any(f"is {s}" in line for s in ("shipped", "delivered", "cancelled")), line


def test_how_an_item_looks_does_not_hide_it(actions: ModuleType) -> None:
    # "I ordered a blue lamp two weeks ago and it arrived broken …": "blue lamp" was tagged
    # as the item, and the desk lamp's order was said to have "no blue lamp".
    lamp_order = ["desk lamp", "laptop sleeve"]
    assert actions.find_item("blue lamp", lamp_order) == "desk lamp"
    assert actions.find_item("the big black office chair", ["office chair"]) == "office chair"
    assert actions.find_item("blue", lamp_order) is None  # a colour alone names nothing
    assert actions.find_item("blue kettle", lamp_order) is None
    form = actions.ValidateReturnForm()
    said = Dispatcher()
    complained = gave("NW-39164", {"product": "blue lamp"})
    assert form.validate_order_number("NW-39164", said, complained, {}) == {
        "order_number": "NW-39164",
        "product": "desk lamp",
    }
    assert said.messages == []


def test_a_reason_in_the_request_for_a_return_is_the_reason(actions: ModuleType) -> None:
    # "... and it arrived broken, the box was crushed" was then asked "Could you tell me
    # briefly why you're returning it?", as if it had not been said.
    said = actions.reason_said
    complaint = (
        "I ordered a blue lamp two weeks ago, order NW-39164, and it arrived broken, "
        "the box was crushed and I want my money back"
    )
    # its clauses, not the whole complaint
    assert said(complaint) == "it arrived broken and the box was crushed"
    assert said("I want to return it, it's broken and it doesn't fit") == (
        "it's broken and it doesn't fit"
    )
    # a question beside the reason is not part of it
    asked = "I want to return my shoes, they are too small. Do refunds take long if it is damaged?"
    assert said(asked) == "they are too small"
    assert said("return it, broken, and also can I get a refund for the wrong size?") == "broken"
    assert said("I want to return it because it doesn't fit") == "it doesn't fit"
    assert said("They're a size too small. How do I send them back?") == "They're a size too small"
    assert said("return the lamp, wrong colour") == "wrong colour"
    assert said("I dont need it anymore, how do I return it") == "I dont need it anymore"
    for plain in ("I want to return an item", "/return_item", "how do returns work?", ""):
        assert said(plain) is None, plain


def test_an_order_that_has_not_come_is_told_by_its_due_day(actions: ModuleType) -> None:
    # "it still hasn't arrived" of an order due tomorrow was told to wait 3 working days and
    # offered a person; one past its day needs a person.
    from datetime import date

    monday = date(2026, 11, 30)
    text, offer = actions.status_disputed("NW-48213", monday)
    assert text.startswith("It's still on its way, and should arrive by Tuesday 1 December.")
    assert not offer
    text, offer = actions.status_disputed("NW-33091", monday)
    assert text.startswith("I'm sorry for the wait. It's still on its way") and not offer
    # said again right after, on time or not, the customer would rather not wait
    text, offer = actions.status_disputed("NW-48213", monday, again=True)
    assert text.startswith("I'm sorry it still hasn't come. It should arrive by Tuesday 1")
    assert offer
    text, offer = actions.status_disputed("NW-72946", monday)
    assert text.startswith("I'm sorry: it should have arrived by Saturday 28 November.") and offer
    # no due day known: what to do by where it is, and a person
    text, offer = actions.status_disputed("NW-55820", monday)
    assert text.startswith("I'm sorry it hasn't reached you.") and offer
    assert actions.status_disputed("NW-10472", monday) is None


def test_only_a_message_about_another_order_asks_for_its_number(actions: ModuleType) -> None:
    # Right after a status, these are about another order, whose number is asked for...
    for said in (
        "where is my other order?",
        "and the other one?",
        "I have another order too",
        "what about my second order",
    ):
        assert actions.ASKS_ANOTHER.search(said), said
    # ...and these about the order just told (they were asked "the other order's number")
    for said in (
        "I ordered a new phone and it hasn't come",
        "no other news?",
        "it hasn't come, can I get a new one?",
        "No, I got a different item",
        "still not here, second time I ask",
        "the other day you said it would arrive",
        "no, another week has passed",
    ):
        assert not actions.ASKS_ANOTHER.search(said), said


async def test_the_return_s_number_question_notes_an_order_with_nothing_to_return(
    actions: ModuleType,
) -> None:
    # A "no" to "If the item is from another order, type its number" stops the return; a
    # "no" to the question asked afresh is "I don't have it at hand".
    ask = actions.ActionAskReturnOrderNumber()
    said = Dispatcher()
    refused = tracker({}, [{"entity": "order_number", "value": "NW-48213"}], "return_form")
    assert await ask.run(said, refused, {}) == [
        {"event": "slot", "timestamp": None, "name": "return_order_refused", "value": True}
    ]
    assert said.messages[-1]["text"].startswith("If the item is from another order")
    afresh = tracker({"return_order_refused": True}, form="return_form")
    assert await ask.run(said, afresh, {"responses": {}}) == [
        {"event": "slot", "timestamp": None, "name": "return_order_refused", "value": None}
    ]
    assert await ask.run(said, tracker({}, form="return_form"), {"responses": {}}) == []
