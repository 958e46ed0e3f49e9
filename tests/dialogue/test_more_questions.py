"""A message that asks more than one question gets the FAQ's answers to the others too."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.dialogue import BotMessage, FaqAnswer, FaqChoice, builtin
from bot.dialogue.more_questions import questions_in
from tests.dialogue.conftest import FixedParser, KeywordFaq

SHIPPING = "Shipping takes 2-4 days."
ASK_ORDER = "What is your order number?"


def texts(messages: list[BotMessage]) -> list[str | None]:
    return [m.text for m in messages]


@pytest.mark.parametrize(
    ("message", "questions"),
    [
        (
            "where is NW-48213 and can I change my delivery address",
            ["where is NW-48213", "can I change my delivery address"],
        ),
        (
            "I want to return my shoes. How long do refunds take?",
            ["How long do refunds take?"],
        ),
        ("Hi! Where is my order?", ["Where is my order?"]),
        ("where is my order?", []),  # one part: the message itself is the question
        ("can I pay with black and white cards", []),  # "and" inside one question
        ("do you ship abroad; what does it cost", ["do you ship abroad", "what does it cost"]),
        ("ok. thanks. bye.", []),
        ("my order is late, and also where is my refund?", ["where is my refund?"]),
        # "and" before a verb that asks nothing joins the parts of one request
        ("I want to return the shoes and have a refund", []),
        ("The box arrived broken and is missing the lamp", []),
        ("I bought shoes and can not wear them", []),
        ("I also have a question about returns", []),
        # split as read: the markup around a question hides no "and" before it
        (
            "<b>do you ship to canada?</b> and <i>how much is shipping?</i>",
            ["do you ship to canada?", "how much is shipping?"],
        ),
        ("<p>where is my order?</p>", []),
        (
            "do you ship abroad? and what does it cost?",
            ["do you ship abroad?", "what does it cost?"],
        ),
        # markdown's emphasis closing after the question mark
        (
            "**do you ship to canada?** and how much is it?",
            ["do you ship to canada?", "how much is it?"],
        ),
    ],
)
def test_the_questions_of_a_message(message: str, questions: list[str]) -> None:
    assert questions_in(message) == questions


async def test_the_other_question_of_a_message_is_answered_after_the_reply(make_dm) -> None:
    table = {
        "where is my order and how long does shipping take?": ("check_order", 0.95),
        "where is my order": ("check_order", 0.93),
        "how long does shipping take?": ("faq", 0.9),
    }
    dm = make_dm(parser=FixedParser(table))
    replies = texts(await dm.handle("two", "where is my order and how long does shipping take?"))
    assert replies == ["Order None is unknown.", SHIPPING]
    turn = await dm.transcripts.read_all("two")
    user = next(e for e in turn if e.type == "user")
    assert user.data["more_questions"] == [
        {
            "entry": "shipping_time",
            "score": 0.9,
            "decision": "answer",
            "text": "how long does shipping take?",
        }
    ]
    # the turn's own reading is what the Rasa tracker keeps: no response_selector for it
    state = await dm.store.load("two")
    assert "response_selector" not in (state.latest_message or {})  # type: ignore[union-attr]


async def test_an_answer_goes_before_the_forms_question(make_dm) -> None:
    table = {
        "I want to return something. How long does shipping take?": ("request_return", 0.95),
        "How long does shipping take?": ("faq", 0.9),
    }
    dm = make_dm(parser=FixedParser(table))
    message = "I want to return something. How long does shipping take?"
    replies = texts(await dm.handle("form", message))
    assert replies == [SHIPPING, ASK_ORDER]  # the question stays last
    state = await dm.store.load("form")
    assert state.requested_slot == "order_number"  # type: ignore[union-attr]
    said = [e["text"] for e in state.events if e.get("event") == "bot"]  # type: ignore[union-attr]
    assert said[-2:] == [SHIPPING, ASK_ORDER]
    logged = [e.data["text"] for e in await dm.transcripts.read_all("form") if e.type == "bot"]
    assert logged[-2:] == [SHIPPING, ASK_ORDER]
    # an aside: rules and stories go on from the turn's own action, the form's
    assert state.latest_action == "return_form"  # type: ignore[union-attr]
    assert state.active_form == "return_form"  # type: ignore[union-attr]
    actions = [e.get("name") for e in state.events if e.get("event") == "action"]  # type: ignore[union-attr]
    assert actions[-1] == "return_form" and builtin.FAQ_ACTION not in actions


async def test_what_the_reply_answered_is_not_answered_again(make_dm) -> None:
    table = {"how long does shipping take? how long does shipping take?": ("faq", 0.9)}
    dm = make_dm(parser=FixedParser(table))
    message = "how long does shipping take? how long does shipping take?"
    assert texts(await dm.handle("same", message)) == [SHIPPING]
    # a part read as the intent the turn acted on is the part the reply answered
    table = {
        "where is my order? where is the shipping?": ("check_order", 0.95),
        "where is the shipping?": ("check_order", 0.9),
    }
    dm = make_dm(parser=FixedParser(table))
    replies = texts(await dm.handle("acted", "where is my order? where is the shipping?"))
    assert replies == ["Order None is unknown."]


async def test_another_request_is_left_to_the_user(make_dm) -> None:
    # A sure request for other work is not run beside the turn's (two flows would mix their
    # questions), nor answered from the FAQ it does not yield to.
    message = "where is my order? how do I return the shipping box?"
    table = {
        message: ("check_order", 0.95),
        "where is my order?": ("check_order", 0.95),
        "how do I return the shipping box?": ("request_return", 0.9),
    }
    dm = make_dm(parser=FixedParser(table))
    assert texts(await dm.handle("other", message)) == ["Order None is unknown."]
    assert (await dm.store.load("other")).active_form is None  # type: ignore[union-attr]


class _NoneForMash(KeywordFaq):
    """Finds nothing for a message with keyboard mash in it."""

    async def decide(self, text: str) -> FaqChoice:
        return FaqChoice("none") if "qwerty" in text else await super().decide(text)


class _PayFirst(KeywordFaq):
    """Suggests for any message about paying, whatever else it asks."""

    async def decide(self, text: str) -> FaqChoice:
        if "pay" in text.lower():
            return FaqChoice("suggest", (self.entries["pay_card"], self.entries["pay_paypal"]))
        return await super().decide(text)


async def test_no_other_answers_after_a_question_to_the_user(make_dm) -> None:
    # After "did you mean" (about the whole message) or a fallback, an added answer would
    # bury the question or contradict the "I didn't understand".
    # (two questions the FAQ is unsure of: the suggestions for the whole stand)
    message = "can I pay later? can I pay by card? and how long does shipping take?"
    dm = make_dm(parser=FixedParser({message: ("faq", 0.9)}), faq=_PayFirst())
    replies = texts(await dm.handle("s", message))
    assert replies == ["Did you mean one of these?"]
    # (two questions not understood: the fallback for the whole)
    message = "qwerty uiop asdf? qwerty zxcv bnm? how long does shipping take?"
    table = {"how long does shipping take?": ("faq", 0.9)}  # the whole is not understood
    dm = make_dm(parser=FixedParser(table), faq=_NoneForMash())
    replies = texts(await dm.handle("f", message))
    assert replies == ["Sorry, could you say that differently?"]
    # a reply that ends with buttons to choose from: they stay last, and a typed "1" picks
    table = {
        "hi there": ("greet", 0.95),
        "yes please. how long does shipping take?": ("affirm", 0.95),
        "how long does shipping take?": ("faq", 0.9),
    }
    dm = make_dm(parser=FixedParser(table))
    await dm.handle("b", "hi there")
    replies = await dm.handle("b", "yes please. how long does shipping take?")
    assert texts(replies) == ["First part.", "Second part."] and replies[-1].buttons


async def test_a_project_may_turn_it_off(make_dm) -> None:
    from bot.dialogue.config import DialogueConfig

    table = {"where is my order? how long does shipping take?": ("check_order", 0.95)}
    dm = make_dm(parser=FixedParser(table))
    dm.config = replace(DialogueConfig(), more_questions=0)
    replies = texts(await dm.handle("off", "where is my order? how long does shipping take?"))
    assert replies == ["Order None is unknown."]


async def test_a_request_in_a_message_read_as_a_question_is_acted_on(make_dm) -> None:
    # "where is NW-48213 and can I change my delivery address?" read as a question for the
    # FAQ as a whole: the address was answered and the order never looked up.
    message = "where is my order and how long does shipping take?"
    table = {
        message: ("faq", 0.9),
        "where is my order": ("check_order", 0.93),
        "how long does shipping take?": ("faq", 0.9),
    }
    dm = make_dm(parser=FixedParser(table))
    assert texts(await dm.handle("parts", message)) == ["Order None is unknown.", SHIPPING]
    state = await dm.store.load("parts")
    assert state.latest_message["intent"]["name"] == "check_order"  # type: ignore[union-attr,index]
    user = next(e for e in await dm.transcripts.read_all("parts") if e.type == "user")
    assert user.data["read_in_parts"] == {
        "part": "where is my order",
        "whole": {"name": "faq", "confidence": 0.9},
    }


async def test_a_sure_request_in_a_message_read_unsurely_is_acted_on(make_dm) -> None:
    # Read as tracking at 0.45 as a whole, the FAQ's confident answer about adding items
    # won and the order was never asked for; "where is my order?" alone is sure.
    message = "where is my order? Also, how long does shipping take?"
    table = {
        message: ("check_order", 0.45),
        "where is my order?": ("check_order", 0.93),
        "Also, how long does shipping take?": ("faq", 0.9),
    }
    dm = make_dm(parser=FixedParser(table))
    assert texts(await dm.handle("unsure", message)) == ["Order None is unknown.", SHIPPING]
    user = next(e for e in await dm.transcripts.read_all("unsure") if e.type == "user")
    assert user.data["read_in_parts"]["whole"] == {"name": "check_order", "confidence": 0.45}
    # sure enough as a whole, the whole's reading is taken as it was
    table[message] = ("check_order", 0.8)
    dm = make_dm(parser=FixedParser(table))
    assert texts(await dm.handle("sure", message)) == ["Order None is unknown.", SHIPPING]
    user = next(e for e in await dm.transcripts.read_all("sure") if e.type == "user")
    assert "read_in_parts" not in user.data


async def test_the_whole_reading_stands_where_the_parts_do_not_agree(make_dm) -> None:
    message = "where is my order? I want to return something. how long does shipping take?"
    table = {
        message: ("faq", 0.9),
        "where is my order?": ("check_order", 0.93),
        "I want to return something.": ("request_return", 0.95),
        "how long does shipping take?": ("faq", 0.9),
    }
    dm = make_dm(parser=FixedParser(table))
    # two requests for work: which one the user wants first is theirs to say
    assert texts(await dm.handle("two", message)) == [SHIPPING]
    # an unsure part is not acted on without asking
    message = "where is my order? how long does shipping take?"
    table = {message: ("faq", 0.9), "where is my order?": ("check_order", 0.45)}
    dm = make_dm(parser=FixedParser(table))
    assert texts(await dm.handle("unsure", message)) == [SHIPPING]


class _SureOfEachAlone(KeywordFaq):
    """Unsure of shipping and paying asked together; sure of each alone."""

    async def decide(self, text: str) -> FaqChoice:
        lowered = text.lower()
        card, shipping = self.entries["pay_card"], self.entries["shipping_time"]
        if "pay" in lowered and "shipping" in lowered:
            return FaqChoice("suggest", (shipping, card))
        if "pay" in lowered:
            return FaqChoice("answer", (card,))
        return await super().decide(text)


async def test_each_question_is_answered_where_the_faq_is_unsure_of_them_together(make_dm) -> None:
    # "can I pay later with klarna and do you sell gift cards?" got "Did you mean …?" for
    # the two together, where each alone is answered.
    message = "can I pay by card and how long does shipping take?"
    table = {message: ("faq", 0.9)}
    dm = make_dm(parser=FixedParser(table), faq=_SureOfEachAlone())
    replies = texts(await dm.handle("each", message))
    assert replies == ["We take Visa and Mastercard.", SHIPPING]
    user = next(e for e in await dm.transcripts.read_all("each") if e.type == "user")
    assert (
        user.data["faq"]["entry"] == "pay_card" and user.data["faq"]["part"] == "can I pay by card"
    )
    assert [more["entry"] for more in user.data["more_questions"]] == ["shipping_time"]
    # a question the FAQ cannot answer alone ("what about gift cards?"): said so, after
    # the answers to the others (it was "Did you mean …?" for the whole, and nothing of
    # the two it could answer)
    message = "can I pay by card and how long is shipping? and what about gift cards?"
    dm = make_dm(parser=FixedParser({message: ("faq", 0.9)}), faq=_SureOfEachAlone())
    assert texts(await dm.handle("three", message)) == [
        "We take Visa and Mastercard.",
        SHIPPING,
        "I'm not sure about \u201cwhat about gift cards?\u201d: could you ask it in other words?",
    ]
    user = next(e for e in await dm.transcripts.read_all("three") if e.type == "user")
    assert user.data["more_questions"][-1] == {
        "decision": "none",
        "text": "what about gift cards?",
    }


async def test_a_question_the_faq_is_unsure_of_gets_its_own_suggestions(make_dm) -> None:
    # "do you price match? do you have a newsletter?" got "Did you mean: Do you price
    # match?" for the whole; the price-match answer, then what the newsletter might mean.
    message = "how long does shipping take? and can I pay later?"
    table = {message: ("faq", 0.9), "can I pay later?": ("faq", 0.8)}
    dm = make_dm(parser=FixedParser(table), faq=_PayFirst())
    replies = await dm.handle("part", message)
    assert texts(replies) == [
        SHIPPING,
        "About \u201ccan I pay later?\u201d: did you mean one of these?",
    ]
    assert [b["title"] for b in replies[-1].buttons] == [
        "Can I pay by card?",
        "Can I pay with PayPal?",
    ]
    user = next(e for e in await dm.transcripts.read_all("part") if e.type == "user")
    assert user.data["faq"]["entry"] == "shipping_time"
    assert user.data["more_questions"] == [
        {
            "decision": "suggest",
            "entry": "pay_card",
            "score": 0.4,
            "options": ["pay_card", "pay_paypal"],
            "text": "can I pay later?",
        }
    ]
    # a button picks the entry, as any "did you mean" does
    (chosen,) = await dm.handle("part", str(replies[-1].buttons[1]["payload"]))
    assert chosen.text == "Yes, PayPal works."
    # one not understood: the answer to the other, and that one is not (it was the
    # fallback, the shipping question unanswered); what is quoted is words, not markdown
    message = "qwerty [uiop](https://x.example) asdf? how long does shipping take?"
    dm = make_dm(
        parser=FixedParser({"how long does shipping take?": ("faq", 0.9)}), faq=_NoneForMash()
    )
    assert texts(await dm.handle("mash", message)) == [
        SHIPPING,
        "I'm not sure about \u201cqwerty uiop asdf?\u201d: could you ask it in other words?",
    ]
    # a question read as small talk is left to itself, with no "not sure"
    message = "how are you? and how long does shipping take?"
    table = {message: ("faq", 0.9), "how are you?": ("greet", 0.95)}
    dm = make_dm(parser=FixedParser(table), faq=_PayFirst())
    assert texts(await dm.handle("talk", message)) == [SHIPPING]


class _ManyAnswers(KeywordFaq):
    """Answers each question by its keyword, and finds nothing sure for the whole."""

    def __init__(self) -> None:
        super().__init__()
        for key in ("hours", "phone", "store", "gift"):
            self.entries[key] = FaqAnswer(key, f"{key}?", f"About {key}.", 0.9)

    async def decide(self, text: str) -> FaqChoice:
        found = [key for key in ("hours", "phone", "store", "gift") if key in text.lower()]
        if len(found) == 1:
            return FaqChoice("answer", (self.entries[found[0]],))
        if found:
            return FaqChoice("suggest", tuple(self.entries[key] for key in found))
        return await super().decide(text)


async def test_an_unsure_question_beside_the_answered_whole_gets_its_suggestions(make_dm) -> None:
    # "do you ship to PO boxes and will I pay customs fees?": the whole answered customs,
    # and the PO boxes went unsaid
    message = "how long does shipping take? and can I pay later?"
    dm = make_dm(parser=FixedParser({message: ("faq", 0.9), "can I pay later?": ("faq", 0.8)}))
    replies = await dm.handle("beside", message)
    assert texts(replies) == [
        SHIPPING,
        "About \u201ccan I pay later?\u201d: did you mean one of these?",
    ]
    user = next(e for e in await dm.transcripts.read_all("beside") if e.type == "user")
    assert user.data["faq"]["entry"] == "shipping_time"
    assert [m["decision"] for m in user.data["more_questions"]] == ["suggest"]
    # one the FAQ has nothing for is said to be so; one not read as a question for the FAQ
    # alone (maybe the part the reply answered) is left
    message = "how long does shipping take? and do you sell hats?"
    dm = make_dm(parser=FixedParser({message: ("faq", 0.9), "do you sell hats?": ("faq", 0.8)}))
    assert texts(await dm.handle("hats", message)) == [
        SHIPPING,
        "I'm not sure about \u201cdo you sell hats?\u201d: could you ask it in other words?",
    ]
    dm = make_dm(parser=FixedParser({message: ("faq", 0.9)}))
    assert texts(await dm.handle("unread", message)) == [SHIPPING]
    # never before a form's question, which stays last: no buttons before it
    message = "I want to return something. Can I pay later?"
    table = {message: ("request_return", 0.95), "Can I pay later?": ("faq", 0.9)}
    dm = make_dm(parser=FixedParser(table))
    assert texts(await dm.handle("form", message)) == [
        "I'm not sure about \u201cCan I pay later?\u201d: could you ask it in other words?",
        ASK_ORDER,
    ]
    # in a form, no buttons before its question: that the FAQ is not sure of it, before
    message = "how long does shipping take? and can I pay later?"
    table = {
        "I want to return something": ("request_return", 0.95),
        message: ("faq", 0.9),
        "can I pay later?": ("faq", 0.8),
    }
    dm = make_dm(parser=FixedParser(table))
    await dm.handle("in-form", "I want to return something")
    replies = await dm.handle("in-form", message)
    assert texts(replies) == [
        SHIPPING,
        "I'm not sure about \u201ccan I pay later?\u201d: could you ask it in other words?",
        ASK_ORDER,
    ]
    assert not any(m.buttons for m in replies)


async def test_a_question_the_faq_has_nothing_for_is_said_once(make_dm) -> None:
    # the whole unsure, one question answered alone and one with nothing near it: the
    # "not sure" was said by the answers in parts, then again beside them
    message = "how long does shipping take? do you sell gift cards?"
    table = {message: ("faq", 0.9), "do you sell gift cards?": ("faq", 0.8)}
    dm = make_dm(parser=FixedParser(table), faq=_UnsureOfTheWhole())
    assert texts(await dm.handle("once", message)) == [
        SHIPPING,
        "I'm not sure about \u201cdo you sell gift cards?\u201d: could you ask it in other words?",
    ]


class _UnsureOfTheWhole(KeywordFaq):
    """Suggests for a message of two questions; each alone as the keyword FAQ decides."""

    async def decide(self, text: str) -> FaqChoice:
        if "?" in text.rstrip("?"):
            return FaqChoice("suggest", (self.entries["shipping_time"], self.entries["pay_card"]))
        return await super().decide(text)


async def test_yes_to_the_suggestion_for_one_question_picks_it(make_dm) -> None:
    # "yes" to "About “…”: did you mean this?" got the project's reply to "yes"
    message = "how long does shipping take? and can I pay with paypal?"
    table = {message: ("faq", 0.9), "can I pay with paypal?": ("faq", 0.8), "yes": ("affirm", 0.95)}
    dm = make_dm(parser=FixedParser(table), faq=_OnePayOption())
    replies = await dm.handle("yes", message)
    assert texts(replies)[-1] == "About \u201ccan I pay with paypal?\u201d: did you mean this?"
    assert texts(await dm.handle("yes", "yes")) == ["Yes, PayPal works."]


class _OnePayOption(KeywordFaq):
    """Suggests PayPal alone for a question about paying, without shipping in it."""

    async def decide(self, text: str) -> FaqChoice:
        if "pay" in text.lower() and "shipping" not in text.lower():
            return FaqChoice("suggest", (self.entries["pay_paypal"],))
        return await super().decide(text)


async def test_no_more_answers_than_the_limit(make_dm) -> None:
    message = "what are your hours? what is your phone? where is your store? what about gift cards?"
    dm = make_dm(parser=FixedParser({message: ("faq", 0.9)}), faq=_ManyAnswers())
    # the whole's answer and two more (faq_more_questions 2): the fourth question waits
    assert texts(await dm.handle("limit", message)) == [
        "About hours.",
        "About phone.",
        "About store.",
    ]


async def test_two_answers_go_before_the_forms_question_in_order(make_dm) -> None:
    message = "I want to return something. what are your hours? where is your store?"
    table = {message: ("request_return", 0.95)}
    dm = make_dm(parser=FixedParser(table), faq=_ManyAnswers())
    replies = texts(await dm.handle("two-asides", message))
    assert replies == ["About hours.", "About store.", ASK_ORDER]
    state = await dm.store.load("two-asides")
    said = [e["text"] for e in state.events if e.get("event") == "bot"]  # type: ignore[union-attr]
    assert said[-3:] == replies


class _FailsForParts(KeywordFaq):
    """Unsure of the whole, and failing on anything else."""

    async def decide(self, text: str) -> FaqChoice:
        if "?" in text[:-1]:
            return FaqChoice("suggest", (self.entries["pay_card"], self.entries["pay_paypal"]))
        raise RuntimeError("the index is being rebuilt")


async def test_a_failing_search_of_a_part_leaves_the_wholes_suggestions(make_dm) -> None:
    message = "can I pay by card? and how long does shipping take?"
    dm = make_dm(parser=FixedParser({message: ("faq", 0.9)}), faq=_FailsForParts())
    replies = await dm.handle("fails", message)
    assert texts(replies) == ["Did you mean one of these?"]
    assert [b["title"] for b in replies[0].buttons][:2] == [
        "Can I pay by card?",
        "Can I pay with PayPal?",
    ]


def test_the_manager_runs_the_faqs_turns_not_their_stubs() -> None:
    # Mixins stub what another provides; the class order decides which one runs.
    from bot.dialogue.faq_turns import FaqTurns
    from bot.dialogue.form_turns import FormTurns
    from bot.dialogue.manager import DialogueManager
    from bot.dialogue.more_questions import MoreQuestions

    assert DialogueManager._faq_takes_it is FaqTurns._faq_takes_it
    assert DialogueManager._faq_takes_it is not FormTurns._faq_takes_it
    assert DialogueManager._answered_in_parts is MoreQuestions._answered_in_parts
    assert DialogueManager.read_typed is not MoreQuestions.read_typed
    assert DialogueManager._fall_back is not FaqTurns._fall_back


class _ReadsTheWhole(KeywordFaq):
    """Answers a greeting with a question, and a failed payment, as wholes, by paying."""

    async def decide(self, text: str) -> FaqChoice:
        if "hi there" in text.lower() or "payment failed" in text.lower():
            return FaqChoice("answer", (self.entries["pay_card"],))
        return await super().decide(text)


async def test_one_question_gets_one_answer_and_a_remark_beside_it_its_own(make_dm) -> None:
    # "Hi there! how long does shipping take?" is that question: the FAQ's answer to the
    # whole answered it, and a second answer to the question alone would be one too many.
    message = "Hi there! how long does shipping take?"
    dm = make_dm(parser=FixedParser({message: ("faq", 0.9)}), faq=_ReadsTheWhole())
    assert texts(await dm.handle("hi", message)) == ["We take Visa and Mastercard."]
    # A remark of its own beside the question ("I forgot my password. How do I delete my
    # account?"): the whole's answer was to the remark, and the question gets its own.
    message = "my card payment failed. how long does shipping take?"
    dm = make_dm(parser=FixedParser({message: ("faq", 0.9)}), faq=_ReadsTheWhole())
    assert texts(await dm.handle("two", message)) == ["We take Visa and Mastercard.", SHIPPING]
