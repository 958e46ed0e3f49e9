"""Every branch of turn handling, on a real SQL store and transcript, with rasa-sdk actions
run in-process by rasa-sdk's executor."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import replace
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.actions import ActionError, ActionRejected, ActionResult, InProcessActionRunner
from bot.dialogue import BotMessage, DialogueManager, FaqChoice, build_action_runner, builtin
from bot.dialogue.config import (
    DEFAULT_BYE_WHILE_WAITING_TEXT,
    DEFAULT_CHOOSE_TEXT,
    DEFAULT_CLOSED_TEXT,
    DEFAULT_CONFIRM_MANY_TEXT,
    DEFAULT_CONFIRM_TEXT,
    DEFAULT_FAQ_GONE_TEXT,
    DEFAULT_FORM_ON_HOLD_TEXT,
    DEFAULT_FORM_STARTED_ON_HOLD_TEXT,
    DEFAULT_GO_ON_TEXT,
    DEFAULT_JOINED_TEXT,
    DEFAULT_LEFT_QUEUE_TEXT,
    DEFAULT_NO_LONGER_WAITING_TEXT,
    DEFAULT_NOTED_TEXT,
    DEFAULT_OFFER_HUMAN_TEXT,
    DEFAULT_RELEASED_IN_FORM_TEXT,
    DEFAULT_RELEASED_TEXT,
    DEFAULT_REPHRASE_TEXT,
    DEFAULT_STILL_WAITING_TEXT,
    DEFAULT_STOPPED_TEXT,
    DEFAULT_SUGGEST_ONE_TEXT,
    DEFAULT_SUGGEST_ONE_WAITING_TEXT,
    DEFAULT_TRANSFERRED_TEXT,
    DEFAULT_WAITING_TEXT,
    DialogueConfig,
)
from bot.dialogue.policy import Policy, conversation_tokens
from bot.dialogue.slots import coerce
from bot.errors import BotError, ConflictError
from bot.project import ResponseVariant, Rule, Slot, Step
from bot.sessions import RedisSessionStore
from tests.dialogue.conftest import AskedFaq, FixedParser, KeywordFaq


def texts(messages: list[BotMessage]) -> list[str | None]:
    return [m.text for m in messages]


async def transcript(dm: DialogueManager, cid: str) -> list[tuple[str, dict]]:
    page = await dm.transcripts.read(cid, limit=1000)
    return [(e.type, e.data) for e in page.events]


async def test_rule_answers_and_everything_lands_in_the_transcript(make_dm) -> None:
    dm = make_dm()
    assert texts(await dm.handle("u1", "hi there")) == ["Hello! How can I help?"]
    events = await transcript(dm, "u1")
    kinds = [k for k, _ in events]
    assert kinds[0] == "session" and "user" in kinds and kinds[-1] == "bot"
    user = next(d for k, d in events if k == "user")
    assert user["parse"]["intent"]["name"] == "greet" and user["low_confidence"] is False
    assert ("action", {"name": "utter_greet"}) in events
    state = await dm.store.load("u1")
    assert state is not None and state.version == 1


async def test_story_continues_and_blank_lines_split_messages(make_dm) -> None:
    dm = make_dm()
    await dm.handle("u2", "/greet")
    replies = await dm.handle("u2", "/affirm")
    assert texts(replies) == ["First part.", "Second part."]
    assert replies[0].buttons == ()
    assert replies[1].buttons == ({"title": "Yes", "payload": "/affirm"},)


async def test_form_asks_validates_through_the_action_and_submits(make_dm) -> None:
    dm = make_dm()
    assert texts(await dm.handle("f", "/request_return")) == ["What is your order number?"]
    rejected = await dm.handle("f", '/inform{"order_number": "NW-99999"}')
    assert texts(rejected) == ["I can't find order NW-99999.", "What is your order number?"]
    assert texts(await dm.handle("f", '/inform{"order_number": "NW-10001"}')) == [
        "Which product do you want to return?"
    ]
    assert texts(await dm.handle("f", '/inform{"product": "Desk LAMP"}')) == [
        "Why are you returning the desk lamp?"
    ]
    done = await dm.handle("f", "It arrived broken")
    assert texts(done) == ["Return for desk lamp on order NW-10001 is registered."]
    state = await dm.store.load("f")
    assert state is not None
    assert state.active_form is None and state.requested_slot is None
    assert state.slots["return_reason"] == "It arrived broken"


async def test_form_uses_entities_given_when_it_starts(make_dm) -> None:
    dm = make_dm()
    replies = await dm.handle(
        "g", '/request_return{"order_number": "NW-10002", "product": "Chair"}'
    )
    assert texts(replies) == ["Why are you returning the chair?"]


async def test_interruption_in_a_form_is_answered_then_the_form_asks_again(make_dm) -> None:
    dm = make_dm()
    await dm.handle("i", "/request_return")
    replies = await dm.handle("i", "shipping?")
    assert texts(replies) == ["Shipping takes 2-4 days.", "What is your order number?"]
    state = await dm.store.load("i")
    assert state is not None and state.active_form == "return_form"


async def test_restart_and_session_start_work_anywhere_a_form_included(make_dm) -> None:
    # Rasa's default intents. "/restart" in the middle of a form got "I didn't quite
    # understand that" and the form asked again: the user had no way out.
    dm = make_dm()
    await dm.handle("r", '/inform{"product": "sofa"}')
    assert texts(await dm.handle("r", "/request_return")) == ["What is your order number?"]
    assert texts(await dm.handle("r", "/restart")) == []  # the project has no utter_restart
    state = await dm.store.load("r")
    assert state is not None and state.active_form is None and state.requested_slot is None
    assert state.slots.get("product") is None
    assert texts(await dm.handle("r", "/greet")) == ["Hello! How can I help?"]
    # A new session leaves the form too, and carries the slots over as the project says.
    await dm.handle("s", '/inform{"product": "sofa"}')
    await dm.handle("s", "/request_return")
    assert texts(await dm.handle("s", "/session_start")) == []
    state = await dm.store.load("s")
    assert state is not None and state.active_form is None
    assert state.slots.get("product") == "sofa"
    assert ("action", {"name": "action_restart"}) in await transcript(dm, "r")


async def test_restart_while_waiting_for_a_person_leaves_the_queue(make_dm) -> None:
    # An agent would otherwise pick up a conversation its user had started over.
    dm = make_dm()
    await dm.handle("rq", "/human_handoff")
    assert (await dm.transcripts.get("rq")).handoff == "pending_human"  # type: ignore[union-attr]
    await dm.handle("rq", "/restart")
    assert (await dm.transcripts.get("rq")).handoff == "bot"  # type: ignore[union-attr]
    assert (
        "handoff",
        {"to": "bot", "from": "pending_human", "reason": "user restarted the conversation"},
    ) in await transcript(dm, "rq")
    # A restart from a custom action does the same.
    await dm.handle("rq", "/pause_me")
    await dm.handle("rq", "/restart_me")
    assert (await dm.transcripts.get("rq")).handoff == "bot"  # type: ignore[union-attr]


async def test_stop_leaves_the_form(make_dm) -> None:
    dm = make_dm()
    await dm.handle("s", "/request_return")
    assert texts(await dm.handle("s", "/stop")) == ["OK, I stopped the return."]
    state = await dm.store.load("s")
    assert state is not None and state.active_form is None


async def test_an_unsure_stop_in_a_form_is_taken_as_the_answer(make_dm) -> None:
    # "changed my mind", a reason for a return, read as a stop at 0.22 ended the return.
    parser = FixedParser({"changed my mind": ("stop", 0.3), "stop it": ("stop", 0.9)})
    dm = make_dm(parser=parser)
    start = '/request_return{"order_number": "NW-10002", "product": "Chair"}'
    assert texts(await dm.handle("u", start)) == ["Why are you returning the chair?"]
    assert texts(await dm.handle("u", "changed my mind")) == [
        "Return for chair on order NW-10002 is registered."
    ]
    await dm.handle("v", start)
    assert texts(await dm.handle("v", "stop it")) == ["OK, I stopped the return."]
    # Where nothing takes free text, an unsure stop is not understood, and the form goes on.
    await dm.handle("w", "/request_return")
    replies = await dm.handle("w", "changed my mind")
    assert texts(replies) == [
        "Sorry, could you say that differently?",
        "What is your order number?",
    ]
    state = await dm.store.load("w")
    assert state is not None and state.active_form == "return_form"
    # Outside a form the project's own stop is judged as any intent (its rule answers).
    await dm.handle("w", "/restart")
    assert texts(await dm.handle("w", "changed my mind")) == ["Okay, nothing to stop."]


class _OneSuggestionFaq(KeywordFaq):
    async def decide(self, text: str) -> FaqChoice:
        if "card" in text:
            return FaqChoice("suggest", (self.entries["pay_card"],))
        return await super().decide(text)


async def test_yes_and_no_answer_the_faqs_suggestions(make_dm) -> None:
    # "delivery" got suggestions; "no" got the demo's goodbye (its story for a "no") and
    # "yes" was asked what they would like to know, even with one option shown.
    table = {"yes": ("affirm", 0.95), "no": ("deny", 0.95)}
    dm = make_dm(parser=FixedParser(table), faq=_OneSuggestionFaq())
    one = await dm.handle("s1", "card?")
    assert texts(one) == [DEFAULT_SUGGEST_ONE_TEXT] and len(one[0].buttons) == 1
    assert texts(await dm.handle("s1", "yes")) == ["We take Visa and Mastercard."]
    user = [d for k, d in await transcript(dm, "s1") if k == "user"][-1]
    assert user["faq"]["entry"] == "pay_card" and user["faq"]["decision"] == "chosen"
    several = await dm.handle("s2", "pay how?")
    assert texts(several) == ["Did you mean one of these?"]
    which = await dm.handle("s2", "yes")
    assert texts(which) == [DEFAULT_CHOOSE_TEXT] and which[0].buttons == several[0].buttons
    # "yes" again and again comes to the offer of a person, not "Which one?" for ever.
    again = await dm.handle("s2", "yes")
    assert texts(again) == [DEFAULT_CHOOSE_TEXT] and again[0].buttons == several[0].buttons
    assert texts(await dm.handle("s2", "yes")) == [DEFAULT_OFFER_HUMAN_TEXT]
    assert (await dm.transcripts.get("s2")).handoff == "bot"  # type: ignore[union-attr]
    # "No" asks for other words, and is a step of the fallback: suggestions do not reset it.
    assert texts(await dm.handle("s3", "card?")) == [DEFAULT_SUGGEST_ONE_TEXT]
    assert texts(await dm.handle("s3", "no")) == [DEFAULT_REPHRASE_TEXT]
    assert texts(await dm.handle("s3", "card?")) == [DEFAULT_SUGGEST_ONE_TEXT]
    assert texts(await dm.handle("s3", "no")) == [DEFAULT_OFFER_HUMAN_TEXT]
    assert (await dm.transcripts.get("s3")).handoff == "bot"  # type: ignore[union-attr]
    # ... and no further: an offer passed over, suggestions, then a miss offers again.
    await dm.handle("s4", "zzz1")
    assert texts(await dm.handle("s4", "zzz2")) == [DEFAULT_OFFER_HUMAN_TEXT]
    assert texts(await dm.handle("s4", "card?")) == [DEFAULT_SUGGEST_ONE_TEXT]
    assert texts(await dm.handle("s4", "zzz3")) == [DEFAULT_OFFER_HUMAN_TEXT]
    assert (await dm.transcripts.get("s4")).handoff == "bot"  # type: ignore[union-attr]
    # While waiting for a person a "no" to them is told where the user stands.
    await dm.handle("s5", "/human_handoff")
    assert texts(await dm.handle("s5", "card?")) == [
        f"{DEFAULT_STILL_WAITING_TEXT} Meanwhile, did you mean this?"
    ]
    assert texts(await dm.handle("s5", "no")) == [DEFAULT_WAITING_TEXT]
    # ... and a "yes" is the suggestion's answer (it was told it still waited, unanswered).
    assert texts(await dm.handle("s5", "card?")) == [DEFAULT_SUGGEST_ONE_WAITING_TEXT]
    assert texts(await dm.handle("s5", "yes")) == [
        "We take Visa and Mastercard.",
        DEFAULT_STILL_WAITING_TEXT,
    ]


async def test_an_unsure_interruption_in_a_form_is_the_answer_or_not_understood(make_dm) -> None:
    # The demo's NLU read "the order arrived late", a return's reason, as tracking an order
    # at 0.25 and gave the order's status; "delivery" typed for the order number was read
    # the same and asked for an order number twice. Any intent below form_min_confidence.
    parser = FixedParser({
        "my order is late": ("check_order", 0.3), "hello?": ("greet", 0.3),
        "hello": ("greet", 0.9), "shipping?": ("faq", 0.9), "no thanks": ("deny", 0.42),
    })  # fmt: skip
    dm = make_dm(parser=parser)
    start = '/request_return{"order_number": "NW-10002", "product": "Chair"}'
    await dm.handle("a", start)
    assert texts(await dm.handle("a", "my order is late")) == [
        "Return for chair on order NW-10002 is registered."
    ]
    state = await dm.store.load("a")
    assert state is not None and state.slots["return_reason"] == "my order is late"
    # The console's low-confidence flag stays for what the model did not understand.
    user = [d for k, d in await transcript(dm, "a") if k == "user"][-1]
    assert user["low_confidence"] is False and user["unsure_in_form"] is True
    # Where nothing takes free text it is not understood, and the form asks again.
    await dm.handle("b", "/request_return")
    assert texts(await dm.handle("b", "my order is late")) == [
        "Sorry, could you say that differently?",
        "What is your order number?",
    ]
    assert texts(await dm.handle("b", "hello?")) == [DEFAULT_OFFER_HUMAN_TEXT]  # a second miss
    # A yes or no answers the offer, however unsure: "no thanks" at 0.42 was taken as not
    # understood, and the next miss handed the user over.
    assert texts(await dm.handle("b", "no thanks")) == ["What is your order number?"]
    assert (await dm.transcripts.get("b")).handoff == "bot"  # type: ignore[union-attr]
    # Sure interruptions are still handled, then the form asks again.
    assert texts(await dm.handle("b", "hello")) == [
        "Hello! How can I help?",
        "What is your order number?",
    ]
    assert texts(await dm.handle("b", "shipping?")) == [
        "Shipping takes 2-4 days.",
        "What is your order number?",
    ]


async def test_stop_in_a_form_without_a_rule_for_it_says_it_stopped(make_dm, project) -> None:
    rules = [r for r in project.rules if not r.name.startswith("stop ")]
    dm = make_dm()
    dm.policy = Policy(rules, list(project.stories))
    await dm.handle("s", "/request_return")
    assert texts(await dm.handle("s", "/stop")) == [DEFAULT_STOPPED_TEXT]
    state = await dm.store.load("s")
    assert state is not None and state.active_form is None and state.requested_slot is None


async def test_custom_action_sets_slots_and_speaks(make_dm) -> None:
    dm = make_dm()
    replies = await dm.handle("c", '/check_order{"order_number": "NW-10001"}')
    assert texts(replies) == ["Order NW-10001 is shipped."]
    state = await dm.store.load("c")
    assert state is not None and state.slots["vip"] is True


async def test_an_action_sees_the_tracker_rasa_would_give_it(make_dm, project) -> None:
    # No action_listen events, and latest_action_name None or the bot's previous action:
    # actions that test for "action_listen" or walk the events by it behaved differently.
    calls: list[dict[str, Any]] = []
    runner = build_action_runner(project)
    assert runner is not None

    class Recording:
        async def run(self, call: dict[str, Any]) -> ActionResult:
            calls.append(call)
            return await runner.run(call)

        def names(self) -> set[str] | None:
            return runner.names()

        async def aclose(self) -> None:
            await runner.aclose()

    dm = make_dm(actions=Recording())
    await dm.handle("tr", "hi there")
    await dm.handle("tr", '/check_order{"order_number": "NW-10001"}')
    tracker = calls[-1]["tracker"]
    assert tracker["latest_action_name"] == "action_listen"
    assert tracker["latest_action"] == {"action_name": "action_listen"}
    kinds = [(e["event"], e.get("name")) for e in tracker["events"]]
    users = [i for i, (kind, _) in enumerate(kinds) if kind == "user"]
    assert len(users) == 2 and all(kinds[i - 1] == ("action", "action_listen") for i in users)
    assert ("action", "utter_greet") in kinds[users[0] : users[1]]


async def test_a_crashing_action_gives_an_apology_and_loses_nothing(make_dm) -> None:
    dm = make_dm()
    replies = await dm.handle("x", "/crash")
    assert len(replies) == 1 and "went wrong" in (replies[0].text or "")
    events = await transcript(dm, "x")
    failed = [d for k, d in events if k == "action" and d.get("name") == "action_crash"]
    assert failed and "boom" in failed[0]["error"]
    assert texts(await dm.handle("x", "/greet")) == ["Hello! How can I help?"]


async def test_a_rejected_action_falls_through_to_fallback(make_dm) -> None:
    dm = make_dm()
    replies = await dm.handle("r", "/reject_me")
    assert texts(replies) == ["Sorry, could you say that differently?"]


async def test_pause_event_from_an_action_queues_for_a_human(make_dm) -> None:
    dm = make_dm()
    assert texts(await dm.handle("p", "/pause_me")) == ["Pausing for a human."]
    summary = await dm.transcripts.get("p")
    assert summary is not None and summary.handoff == "pending_human"


async def holder(dm: DialogueManager, conversation_id: str) -> str | None:
    state = await dm.store.load(conversation_id)
    return state.holder if state is not None else None


def listen(dm: DialogueManager) -> list[tuple[str, BotMessage]]:
    """What the manager pushes to channels outside users' turns (agent replies, releases)."""
    delivered: list[tuple[str, BotMessage]] = []

    async def sink(cid: str, message: BotMessage) -> None:
        delivered.append((cid, message))

    dm.add_listener(sink)
    return delivered


async def test_a_projects_own_handoff_action_runs_and_the_conversation_is_queued(
    make_dm,
) -> None:
    dm = make_dm()
    assert texts(await dm.handle("own", "/escalate")) == [
        "Ticket T-1 is open; a person will answer here."
    ]
    summary = await dm.transcripts.get("own")
    assert summary is not None and summary.handoff == "pending_human"
    # Its action is recorded once (test stories saw it twice: the project's, then deskbot's).
    actions = [d["name"] for kind, d in await transcript(dm, "own") if kind == "action"]
    assert actions == ["action_human_handoff"]


async def test_release_and_close_are_the_holders_and_force_names_whom_it_takes_from(
    make_dm,
) -> None:
    dm = make_dm()
    await dm.handle("held", "/human_handoff")
    await dm.takeover("held", "ann")
    for act in (dm.release, dm.close):
        with pytest.raises(ConflictError, match="ann has taken"):
            await act("held", "bob")
    # Bob decided on an old view (Cy had it): refused, though he forces it.
    with pytest.raises(ConflictError, match="ann has this conversation now, not cy"):
        await dm.takeover("held", "bob", force=True, holder="cy")
    await dm.release("held", "bob", force=True, holder="ann")
    assert (await dm.transcripts.get("held")).handoff == "bot"  # type: ignore[union-attr]


PROJECT_TICKET = "Ticket T-1 is open; a person will answer here."  # its action_human_handoff


class _QuietPause:
    """A project's handoff action that pauses the conversation and says nothing."""

    def names(self) -> set[str]:
        return {"action_handoff"}

    async def run(self, action_call: dict) -> ActionResult:  # type: ignore[type-arg]
        return ActionResult(events=[{"event": "pause"}])

    async def aclose(self) -> None:
        return None


class _Down(_QuietPause):
    async def run(self, action_call: dict) -> ActionResult:  # type: ignore[type-arg]
        raise ActionError("action 'action_handoff' failed at http://actions: ConnectError")


async def test_a_handoff_action_that_says_nothing_or_fails_still_brings_a_person(
    make_dm,
) -> None:
    for cid, runner in (("q1", _QuietPause()), ("q2", _Down())):
        dm = make_dm(actions=runner)
        assert texts(await dm.handle(cid, "/human_handoff")) == ["Connecting you to a person."]
        assert (await dm.transcripts.get(cid)).handoff == "pending_human"  # type: ignore[union-attr]


class _Ticket(_QuietPause):
    """A project's handoff action that opens a ticket."""

    def __init__(self) -> None:
        self.calls = 0

    async def run(self, action_call: dict) -> ActionResult:  # type: ignore[type-arg]
        self.calls += 1
        text = f"Ticket {self.calls} opened; a person will reply here."
        return ActionResult(events=[], responses=[{"text": text}])


async def test_every_way_to_a_person_runs_the_projects_handoff_action_once(make_dm) -> None:
    # It ran only where a rule named it: repeated fallbacks and a yes to the offer of a
    # person went to the built-in handoff, and the project's ticket was never opened.
    runner = _Ticket()
    dm = make_dm(actions=runner)
    await dm.handle("y", "zzz1")
    assert texts(await dm.handle("y", "zzz2")) == [DEFAULT_OFFER_HUMAN_TEXT]
    assert texts(await dm.handle("y", "yes")) == ["Ticket 1 opened; a person will reply here."]
    assert (await dm.transcripts.get("y")).handoff == "pending_human"  # type: ignore[union-attr]
    # Asking again while waiting is told where the user stands, and opens no second ticket.
    assert texts(await dm.handle("y", "/human_handoff")) == [DEFAULT_WAITING_TEXT]
    assert runner.calls == 1
    for miss in ("zzz1", "zzz2", "zzz3"):
        said = texts(await dm.handle("f", miss))
    assert said == ["Ticket 2 opened; a person will reply here."]
    assert (await dm.transcripts.get("f")).handoff == "pending_human"  # type: ignore[union-attr]
    assert runner.calls == 2


class _Refuses(_Ticket):
    async def run(self, action_call: dict) -> ActionResult:  # type: ignore[type-arg]
        self.calls += 1
        raise ActionRejected("not now")


async def test_each_path_to_a_person_hands_over_through_the_project_once(make_dm, project) -> None:
    # A request no rule answers, and a rule that predicts the fallback, reach the project's
    # action too; a rule naming it while the user waits opens no second ticket; one that
    # refuses is not asked again in the same turn (it was, by the manager's own handoff).
    unruled = tuple(r for r in project.rules if r.name != "handoff")
    runner = _Ticket()
    dm = make_dm(project=replace(project, rules=unruled), actions=runner)
    assert texts(await dm.handle("r", "/human_handoff")) == [
        "Ticket 1 opened; a person will reply here."
    ]
    unsure = Rule("unsure", (Step("intent", "inform"), Step("action", "action_default_fallback")))
    dm = make_dm(
        project=replace(project, rules=(*unruled, unsure)),
        actions=runner,
        parser=FixedParser({"hmm": ("inform", 0.9)}),
    )
    for _ in range(3):
        said = texts(await dm.handle("g", "hmm"))
    assert said == ["Ticket 2 opened; a person will reply here."]
    assert runner.calls == 2
    # The project's own ticket action (named by its escalate rule), asked again while waiting.
    dm = make_dm()
    assert texts(await dm.handle("w", "/escalate")) == [PROJECT_TICKET]
    again = " ".join(texts(await dm.handle("w", "/escalate")))
    assert "Ticket" not in again and "queue" in again
    refusing = _Refuses()
    dm = make_dm(actions=refusing)  # its handoff rule names action_handoff, which refuses
    assert texts(await dm.handle("x", "/human_handoff")) == ["Connecting you to a person."]
    assert refusing.calls == 1
    assert (await dm.transcripts.get("x")).handoff == "pending_human"  # type: ignore[union-attr]


async def test_an_unsure_request_for_a_person_is_not_acted_on(make_dm) -> None:
    # "when is your support team available?" read as human_handoff at 0.39 queued the user
    # for a person; an unsure reading is treated as not understood (the FAQ first).
    table = {
        "when is support available?": ("human_handoff", 0.39),
        "get me a human": ("human_handoff", 0.8),
    }
    dm = make_dm(parser=FixedParser(table))
    unsure = texts(await dm.handle("u", "when is support available?"))
    assert unsure and unsure != ["Connecting you to a person."]
    assert (await dm.transcripts.get("u")).handoff == "bot"  # type: ignore[union-attr]
    assert texts(await dm.handle("s", "get me a human")) == ["Connecting you to a person."]


async def test_an_unsure_intent_yields_to_a_surer_faq_answer(make_dm) -> None:
    # "how many days do I have to send something back" read as shipping_time at 0.34 got the
    # delivery-times reply although the FAQ answered it at 0.99.
    table = {
        "shipping, you say?": ("greet", 0.5),
        "shipping hello": ("greet", 0.95),
        "pay hello": ("greet", 0.5),
        "shipping or a person": ("human_handoff", 0.6),
    }
    dm = make_dm(parser=FixedParser(table))
    assert texts(await dm.handle("a", "shipping, you say?")) == ["Shipping takes 2-4 days."]
    user = [d for k, d in await transcript(dm, "a") if k == "user"][-1]
    assert user["faq"] == {
        "entry": "shipping_time",
        "score": 0.9,
        "decision": "answer",
        "over_intent": {"name": "greet", "confidence": 0.5, "exact": False},
    }
    # A sure intent keeps its reply; a FAQ that only suggests does not outrank one; a
    # request for a person keeps its meaning.
    assert texts(await dm.handle("b", "shipping hello")) == ["Hello! How can I help?"]
    assert texts(await dm.handle("c", "pay hello")) == ["Hello! How can I help?"]
    assert texts(await dm.handle("d", "shipping or a person")) == ["Connecting you to a person."]
    # Nor does a FAQ answer less sure than the intent; and a project can turn this off.
    unsure_faq = KeywordFaq()
    unsure_faq.entries["shipping_time"] = replace(unsure_faq.entries["shipping_time"], score=0.45)
    dm = make_dm(parser=FixedParser(table), faq=unsure_faq)
    assert texts(await dm.handle("e", "shipping, you say?")) == ["Hello! How can I help?"]
    dm = make_dm(parser=FixedParser(table), config=DialogueConfig(faq_over_intent=0.0))
    assert texts(await dm.handle("f", "shipping, you say?")) == ["Hello! How can I help?"]


async def test_a_sure_canned_reply_yields_to_an_entrys_own_phrasing(make_dm) -> None:
    # Staff added "What are the delivery costs for Switzerland?" to the FAQ; the message
    # itself got the project's generic shipping-cost reply (its intent read at 0.97).
    own = KeywordFaq()
    own.entries["shipping_time"] = replace(own.entries["shipping_time"], exact=True)
    table = {"shipping hello": ("greet", 0.95), "pay hello": ("greet", 0.95)}
    dm = make_dm(parser=FixedParser(table), faq=own)
    assert texts(await dm.handle("x", "shipping hello")) == ["Shipping takes 2-4 days."]
    user = [d for k, d in await transcript(dm, "x") if k == "user"][-1]
    assert user["faq"]["over_intent"] == {"name": "greet", "confidence": 0.95, "exact": True}
    # a suggestion, however exact, does not; nor anything when the project turned it off
    assert texts(await dm.handle("y", "pay hello")) == ["Hello! How can I help?"]
    off = make_dm(parser=FixedParser(table), faq=own, config=DialogueConfig(faq_over_intent=0))
    assert texts(await off.handle("z", "shipping hello")) == ["Hello! How can I help?"]
    # An intent that starts a form yields to the entry's own phrasing as well ("package
    # says delivered but nothing here", in the FAQ, started tracking an order at 0.83),
    # but not when it came with entities: those are the user's data for the form.
    sure_form = {"shipping back?": ("request_return", 0.95)}
    dm = make_dm(parser=FixedParser(sure_form), faq=own)
    assert texts(await dm.handle("v", "shipping back?")) == ["Shipping takes 2-4 days."]
    dm = make_dm(parser=_EntityParser({"shipping a sofa": ("request_return", 0.95)}), faq=own)
    assert texts(await dm.handle("v", "shipping a sofa")) != ["Shipping takes 2-4 days."]
    # 0 turns yielding off for intents that start a form too (it had stopped doing so)
    unsure = {"shipping return?": ("request_return", 0.45)}
    dm = make_dm(parser=FixedParser(unsure))
    assert texts(await dm.handle("w", "shipping return?")) == ["Shipping takes 2-4 days."]
    off = make_dm(parser=FixedParser(unsure), config=DialogueConfig(faq_over_intent=0))
    assert texts(await off.handle("w", "shipping return?")) != ["Shipping takes 2-4 days."]


async def test_one_turn_searches_the_faq_once(make_dm) -> None:
    # An unsure intent the FAQ only has suggestions for keeps the message; with no rule it
    # does nothing, and the FAQ's suggestions answer. They were searched for twice.
    faq = AskedFaq()
    dm = make_dm(parser=FixedParser({"pay how?": ("thank_you_not_in_rules", 0.5)}), faq=faq)
    replies = await dm.handle("once", "pay how?")
    assert [b["title"] for b in replies[-1].buttons][:2] == [
        "Can I pay by card?",
        "Can I pay with PayPal?",
    ]
    assert faq.asked == ["pay how?"]
    # A sure intent yields only to an entry's own phrasing, which is looked up, not searched
    # for: encoding the message for the search was most of such a turn's time.
    faq = AskedFaq()
    faq.entries["shipping_time"] = replace(faq.entries["shipping_time"], exact=True)
    table = {"hi, shipping?": ("greet", 0.95), "hi, pay?": ("greet", 0.95)}
    dm = make_dm(parser=FixedParser(table), faq=faq)
    assert texts(await dm.handle("sure", "hi, pay?")) == ["Hello! How can I help?"]
    assert faq.asked == []
    assert texts(await dm.handle("sure", "hi, shipping?")) == ["Shipping takes 2-4 days."]
    assert faq.asked == ["hi, shipping?"]


class _EntityParser(FixedParser):
    async def parse(self, text: str) -> dict[str, Any]:
        parse = await super().parse(text)
        if "sofa" in text:
            start = text.index("sofa")
            parse["entities"] = [
                {"entity": "product", "value": "sofa", "start": start, "end": start + 4}
            ]
        return parse


class _BrokenFaq(KeywordFaq):
    async def decide(self, text: str) -> FaqChoice:
        raise RuntimeError("the index is not loaded")


async def test_only_a_canned_reply_yields_to_the_faq(make_dm) -> None:
    # An unsure intent whose rule starts a form or runs a custom action, or that came with
    # entities, is the bot's own work: the FAQ does not take it over.
    table = {
        "shipping back a return": ("request_return", 0.6),
        "shipping, return?": ("request_return", 0.4),
        "shipping of my sofa": ("greet", 0.5),
        "shipping, you say?": ("greet", 0.5),
    }
    dm = make_dm(parser=_EntityParser(table))
    assert texts(await dm.handle("g", "shipping back a return")) == ["What is your order number?"]
    assert texts(await dm.handle("h", "shipping of my sofa")) == ["Hello! How can I help?"]
    # ... unless the intent is below the lower bar for such work
    assert texts(await dm.handle("j", "shipping, return?")) == ["Shipping takes 2-4 days."]
    # A FAQ that fails leaves the answer to the intent, as before the FAQ was asked.
    dm = make_dm(parser=_EntityParser(table), faq=_BrokenFaq())
    assert texts(await dm.handle("i", "shipping, you say?")) == ["Hello! How can I help?"]


async def test_an_unsure_intent_that_would_do_work_is_asked_about_first(make_dm) -> None:
    # The demo's NLU read "delivery" as a request to track an order at 0.24 (over its own
    # threshold) and asked for an order number. Below confirm_action a form or custom action
    # is offered as a button first, with the FAQ's suggestions for the message.
    table = {
        "a return?": ("request_return", 0.45),
        "pay for a return?": ("request_return", 0.45),
        "my order?": ("check_order", 0.3),
        "return it": ("request_return", 0.8),
        "hello?": ("greet", 0.3),
        "yes": ("affirm", 0.95),
        "no": ("deny", 0.95),
        "maybe yes": ("nlu_fallback", 0.4),  # what the model says below its threshold
    }
    dm = make_dm(parser=FixedParser(table))
    asked = await dm.handle("c1", "a return?")
    assert texts(asked) == [DEFAULT_CONFIRM_TEXT]
    assert asked[0].buttons == ({"title": "Request return", "payload": "/request_return"},)
    state = await dm.store.load("c1")
    assert state is not None and state.active_form is None  # nothing started yet
    user = [d for k, d in await transcript(dm, "c1") if k == "user"][-1]
    assert user["confirm"] == {"intent": "request_return", "confidence": 0.45}
    # Clicking the button, or a typed "yes", does what the intent would have done, and the
    # unsure turn is taken back: rules, stories and actions see the message as understood.
    assert texts(await dm.handle("c1", "/request_return")) == ["What is your order number?"]
    await dm.handle("c2", "a return?")
    assert texts(await dm.handle("c2", "yes")) == ["What is your order number?"]
    assert texts(await dm.handle("sure", "return it")) == ["What is your order number?"]
    sure = await dm.store.load("sure")
    for cid in ("c1", "c2"):
        state = await dm.store.load(cid)
        assert state is not None and sure is not None and state.active_form == "return_form"
        assert conversation_tokens(state.events) == conversation_tokens(sure.events)
        assert state.latest_message["text"] == "a return?"  # what an action reads
        assert state.latest_message["intent"] == {"name": "request_return", "confidence": 1.0}
    user = [d for k, d in await transcript(dm, "c2") if k == "user"][-1]
    assert user["text"] == "yes"  # the transcript keeps what was written
    assert user["confirmed"] == {"intent": "request_return", "text": "a return?"}
    # "No" asks for other words; a "yes" not understood is not taken as one, nor is a
    # "yes" after a turn that answered something else.
    await dm.handle("c3", "a return?")
    assert texts(await dm.handle("c3", "no")) == [DEFAULT_REPHRASE_TEXT]
    # ... a step of the fallback: "no" again comes to the offer of a person, and never
    # further: after an offer the user passed over, a "no" to the question handed them over.
    assert texts(await dm.handle("c3", "a return?")) == [DEFAULT_CONFIRM_TEXT]
    assert texts(await dm.handle("c3", "no")) == [DEFAULT_OFFER_HUMAN_TEXT]
    assert texts(await dm.handle("c3", "a return?")) == [DEFAULT_CONFIRM_TEXT]
    assert texts(await dm.handle("c3", "no")) == [DEFAULT_OFFER_HUMAN_TEXT]
    assert (await dm.transcripts.get("c3")).handoff == "bot"  # type: ignore[union-attr]
    declined = [d for k, d in await transcript(dm, "c3") if k == "action"][-1]
    assert declined["declined"] == "/request_return"
    await dm.handle("c4", "a return?")
    assert texts(await dm.handle("c4", "maybe yes")) != ["What is your order number?"]
    await dm.handle("c4b", "a return?")
    assert texts(await dm.handle("c4b", "/reset_me")) == []  # says nothing
    assert texts(await dm.handle("c4b", "yes")) != ["What is your order number?"]
    # The FAQ's suggestions join the question; "yes" to several asks which, offering them
    # again (rasa-webchat shows the last message's buttons only); a choice then counts.
    several = await dm.handle("c5", "pay for a return?")
    assert texts(several) == [DEFAULT_CONFIRM_MANY_TEXT]
    assert [b["title"] for b in several[0].buttons] == [
        "Request return",
        "Can I pay by card?",
        "Can I pay with PayPal?",
    ]
    user = [d for k, d in await transcript(dm, "c5") if k == "user"][-1]
    assert user["faq"] == {
        "decision": "suggest",
        "entry": "pay_card",
        "score": 0.4,
        "options": ["pay_card", "pay_paypal"],
    }
    which = await dm.handle("c5", "yes")
    assert texts(which) == [DEFAULT_CHOOSE_TEXT] and which[0].buttons == several[0].buttons
    assert texts(await dm.handle("c5", "/request_return")) == ["What is your order number?"]
    state = await dm.store.load("c5")
    assert state is not None and state.latest_message["text"] == "pay for a return?"
    assert "action_default_ask_affirmation" not in str(conversation_tokens(state.events))
    # A custom action is asked about too; a sure intent, a canned reply and a payload are not.
    assert texts(await dm.handle("c6", "my order?")) == [DEFAULT_CONFIRM_TEXT]
    assert texts(await dm.handle("c7", "return it")) == ["What is your order number?"]
    assert texts(await dm.handle("c8", "hello?")) == ["Hello! How can I help?"]
    # A project can turn it off.
    dm = make_dm(parser=FixedParser(table), config=DialogueConfig(confirm_action=0.0))
    assert texts(await dm.handle("c9", "a return?")) == ["What is your order number?"]


async def test_handoff_takeover_silence_agent_messages_release_close(make_dm) -> None:
    dm = make_dm()
    delivered = listen(dm)
    await dm.handle("h", '/inform{"product": "sofa"}')
    assert texts(await dm.handle("h", "/human_handoff")) == ["Connecting you to a person."]
    assert (await dm.transcripts.get("h")).handoff == "pending_human"  # type: ignore[union-attr]
    with pytest.raises(ConflictError):
        await dm.agent_message("h", "ann", "too early")
    await dm.takeover("h", "ann")
    assert await dm.handle("h", "/greet") == []  # the bot is silent while a human has it
    assert await dm.handle("h", "are you there?") == []
    message = await dm.agent_message("h", "ann", "Hi, Ann here <b>!</b>\n\nHow can I help?")
    assert message.sender == "agent" and message.to_socketio()["metadata"]["agent"] == "ann"
    # The user hears that a person joined; a person's paragraphs stay one message.
    assert [(c, m.sender, m.text) for c, m in delivered] == [
        ("h", "bot", DEFAULT_JOINED_TEXT),
        ("h", "agent", "Hi, Ann here <b>!</b>\n\nHow can I help?"),
    ]
    assert message.split() == [message]
    events = await transcript(dm, "h")
    assert [d["text"] for k, d in events if k == "user"][-2:] == ["/greet", "are you there?"]
    assert ("agent", {"text": message.text, "agent": "ann"}) in events
    await dm.release("h", "ann")
    assert texts(await dm.handle("h", "/greet")) == ["Hello! How can I help?"]
    state = await dm.store.load("h")
    assert state is not None and state.slots["product"] == "sofa"  # slots survive the handoff
    await dm.close("h", "ann")
    assert delivered[-1] == ("h", BotMessage(text=DEFAULT_CLOSED_TEXT))
    summary = await dm.transcripts.get("h")
    assert summary is not None and (summary.handoff, summary.status) == ("closed", "closed")
    with pytest.raises(ConflictError):
        await dm.takeover("h", "bob")
    assert texts(await dm.handle("h", "/greet")) == ["Hello! How can I help?"]
    summary = await dm.transcripts.get("h")
    assert summary is not None and (summary.handoff, summary.status) == ("bot", "open")
    handoffs = [(d["from"], d["to"]) for k, d in await transcript(dm, "h") if k == "handoff"]
    assert handoffs == [
        ("bot", "pending_human"),
        ("pending_human", "human"),
        ("human", "bot"),
        ("bot", "closed"),
        ("closed", "bot"),
    ]


async def test_released_in_the_middle_of_a_form_the_bot_asks_its_question_again(make_dm) -> None:
    # The user was told "How can I help?" while the form still waited for an order number.
    dm = make_dm()
    delivered = listen(dm)
    assert texts(await dm.handle("rf", "/request_return")) == ["What is your order number?"]
    await dm.takeover("rf", "ann")
    await dm.release("rf", "ann")
    assert [m.text for _, m in delivered[1:]] == [
        DEFAULT_RELEASED_IN_FORM_TEXT,
        "What is your order number?",
    ]
    assert texts(await dm.handle("rf", '/inform{"order_number": "NW-10001"}')) == [
        "Which product do you want to return?"
    ]


async def test_a_message_no_one_answered_is_answered_after_the_release(make_dm) -> None:
    # Given back without a word to what the user wrote meanwhile, the user got "You're
    # chatting with the assistant again." and the question from before, the message unread.
    dm = make_dm()
    delivered = listen(dm)
    assert texts(await dm.handle("ua", "/request_return")) == ["What is your order number?"]
    await dm.takeover("ua", "ann")
    assert await dm.handle("ua", '/inform{"order_number": "NW-10001"}') == []
    await dm.release("ua", "ann")
    assert [m.text for _, m in delivered[1:]] == [
        DEFAULT_RELEASED_IN_FORM_TEXT,
        "Which product do you want to return?",
    ]
    state = await dm.store.load("ua")
    assert state is not None and state.slots["order_number"] == "NW-10001"
    assert state.requested_slot == "product"
    # Answered by the agent, it is not answered again; nor is a request for a person (it
    # would queue the user again as the agent leaves), nor what the bot cannot read.
    for said, agent_reply in (("/greet", "Hi, Ann here"), ("/human_handoff", None),
                              ("hmm", None)):  # fmt: skip
        await dm.takeover("ua", "ann")
        await dm.handle("ua", said)
        if agent_reply:
            await dm.agent_message("ua", "ann", agent_reply)
        before = len(delivered)
        await dm.release("ua", "ann")
        assert [m.text for _, m in delivered[before:]] == [
            DEFAULT_RELEASED_IN_FORM_TEXT,
            "Which product do you want to return?",
        ], said
        state = await dm.store.load("ua")
        assert state is not None and state.handoff == "bot", said


async def test_a_form_waits_for_the_person_asked_for_and_goes_on_after_the_release(
    make_dm,
) -> None:
    # The project's handoff rule leaves the form active (no action_deactivate_loop), as in
    # Rasa: the user goes on with the return after the agent.
    dm = make_dm()
    delivered = listen(dm)
    await dm.handle("wf", '/request_return{"order_number": "NW-10001", "product": "Lamp"}')
    # At handoff time the bot says a person is coming, and does not ask the form's question.
    assert texts(await dm.handle("wf", "/human_handoff")) == ["Connecting you to a person."]
    state = await dm.store.load("wf")
    assert state is not None and state.handoff == "pending_human"
    assert (state.active_form, state.requested_slot) == ("return_form", "return_reason")
    # Waiting, the form is on hold: "anyone there?" was taken as the return's reason, and
    # the return registered; a greeting got the welcome, not where the user stands.
    assert texts(await dm.handle("wf", "anyone there?")) == [DEFAULT_FORM_ON_HOLD_TEXT]
    assert texts(await dm.handle("wf", "/greet")) == [DEFAULT_WAITING_TEXT]
    state = await dm.store.load("wf")
    assert state is not None and state.slots["return_reason"] is None
    assert state.active_form == "return_form"
    await dm.takeover("wf", "ann")
    assert await dm.handle("wf", "it broke, can you help?") == []  # for Ann, not the form
    await dm.release("wf", "ann")
    assert [m.text for _, m in delivered] == [
        DEFAULT_JOINED_TEXT,
        DEFAULT_RELEASED_IN_FORM_TEXT,
        "Why are you returning the lamp?",
    ]
    assert texts(await dm.handle("wf", "It arrived broken")) == [
        "Return for lamp on order NW-10001 is registered."
    ]
    state = await dm.store.load("wf")
    assert state is not None and state.active_form is None
    assert state.slots["return_reason"] == "It arrived broken"


async def test_a_form_started_while_waiting_for_a_person_asks_after_the_release(make_dm) -> None:
    # It asked its first question in the queue, then refused every answer as meant for the
    # person: the user was asked and ignored.
    dm = make_dm()
    delivered = listen(dm)
    await dm.handle("sw", "/human_handoff")
    assert texts(await dm.handle("sw", '/request_return{"product": "Lamp"}')) == [
        DEFAULT_FORM_STARTED_ON_HOLD_TEXT  # not "I'll carry on where we left off"
    ]
    state = await dm.store.load("sw")
    assert state is not None and state.handoff == "pending_human"
    assert (state.active_form, state.requested_slot) == ("return_form", "order_number")
    await dm.takeover("sw", "ann")
    await dm.release("sw", "ann")
    assert [m.text for _, m in delivered][-2:] == [
        DEFAULT_RELEASED_IN_FORM_TEXT,
        "What is your order number?",
    ]
    assert texts(await dm.handle("sw", '/inform{"order_number": "NW-10001"}')) == [
        "Why are you returning the lamp?"
    ]


async def test_an_unsure_yes_or_no_is_not_asked_about(make_dm, project) -> None:
    # A shrug after an order's status, read as "no" at 0.4, got "Did you mean this? [No,
    # let's go on]"; the project's rule would have run its code for a "no" there.
    rule = Rule(
        "no after hello",
        (
            Step("intent", "greet"),
            Step("action", "utter_greet"),
            Step("intent", "deny"),
            Step("action", "action_check_order"),
        ),
    )
    table = {"hello": ("greet", 0.95), "🤷": ("deny", 0.4), "nope": ("deny", 0.95)}
    dm = make_dm(project=replace(project, rules=(*project.rules, rule)),
                 parser=FixedParser(table))  # fmt: skip
    await dm.handle("yn", "hello")
    assert texts(await dm.handle("yn", "🤷")) == ["Sorry, could you say that differently?"]
    assert (await dm.store.load("yn")).fallback_count == 1  # type: ignore[union-attr]
    preview = await dm.chat_reading(await dm.parser.parse("🤷"))
    assert preview["by"] == "faq" and preview["action"] is None  # Try shows the same
    # a sure "no" there runs the project's code, as before
    await dm.handle("sure", "hello")
    replies = await dm.handle("sure", "nope")
    assert DEFAULT_REPHRASE_TEXT not in texts(replies) and DEFAULT_CONFIRM_TEXT not in texts(
        replies
    )


async def test_an_unsure_guess_at_a_form_while_waiting_starts_nothing(make_dm) -> None:
    # "retrun polciy?" read as a return at 0.23 started the return form on hold, and "never
    # mind" then stopped a return the user had never asked for.
    parser = FixedParser(
        {
            "retrun polciy?": ("request_return", 0.23),
            "I want to return something": ("request_return", 0.95),
            "never mind": ("stop", 0.9),
        }
    )
    dm = make_dm(parser=parser)
    await dm.handle("ug", "/human_handoff")
    assert texts(await dm.handle("ug", "retrun polciy?")) == [DEFAULT_NOTED_TEXT]
    state = await dm.store.load("ug")
    assert state is not None and state.active_form is None and state.handoff == "pending_human"
    assert texts(await dm.handle("ug", "never mind")) == [DEFAULT_LEFT_QUEUE_TEXT]
    # A sure request still starts the form on hold, and outside the queue the guess is asked
    # about as before.
    await dm.handle("us", "/human_handoff")
    assert texts(await dm.handle("us", "I want to return something")) == [
        DEFAULT_FORM_STARTED_ON_HOLD_TEXT
    ]
    state = await dm.store.load("us")
    assert state is not None and state.active_form == "return_form"
    asked = await dm.handle("ub", "retrun polciy?")
    assert [b["payload"] for b in asked[0].buttons][:1] == ["/request_return"]


async def test_never_mind_while_waiting_for_a_person_leaves_the_queue(make_dm) -> None:
    # "Never mind, I don't need a person" got "No problem" and stayed queued: an agent would
    # later take over a chat its user had left.
    parser = FixedParser({"never mind": ("stop", 0.9), "maybe stop": ("stop", 0.35)})
    dm = make_dm(parser=parser)
    await dm.handle("nq", "/human_handoff")
    assert texts(await dm.handle("nq", "maybe stop")) != [DEFAULT_LEFT_QUEUE_TEXT]  # unsure
    state = await dm.store.load("nq")
    assert state is not None and state.handoff == "pending_human"
    assert texts(await dm.handle("nq", "never mind")) == [DEFAULT_LEFT_QUEUE_TEXT]
    state = await dm.store.load("nq")
    assert state is not None and state.handoff == "bot"
    # In a form on hold it also stops the form, through the project's rule: the return was
    # stopped ("anything else I can help with?") and the user left queued.
    await dm.handle("nf", "/request_return")
    await dm.handle("nf", "/human_handoff")
    assert texts(await dm.handle("nf", "never mind")) == [
        DEFAULT_NO_LONGER_WAITING_TEXT,
        "OK, I stopped the return.",
    ]
    state = await dm.store.load("nf")
    assert state is not None and state.handoff == "bot" and state.active_form is None


async def test_goodbye_while_waiting_for_a_person_keeps_the_place(make_dm, project) -> None:
    # "bye" in the queue got "Goodbye!" and then "You're still in the queue"; taking the
    # user out of the queue instead lost the place of one who said "I'll come back later".
    parser = FixedParser({"bye": ("goodbye", 0.9), "never mind": ("stop", 0.9)})
    dm = make_dm(parser=parser)
    await dm.handle("gq", "/human_handoff")
    assert texts(await dm.handle("gq", "bye")) == [DEFAULT_BYE_WHILE_WAITING_TEXT]
    assert (await dm.store.load("gq")).handoff == "pending_human"  # type: ignore[union-attr]
    assert texts(await dm.handle("gq", "never mind")) == [DEFAULT_LEFT_QUEUE_TEXT]
    # outside the queue a goodbye is the project's
    assert texts(await dm.handle("gq", "bye")) == ["Goodbye!"]
    # A project with no stop intent has no "never mind": there a goodbye leaves the queue.
    intents = tuple(i for i in project.domain.intents if i != "stop")
    unstoppable = replace(project, domain=replace(project.domain, intents=intents))
    dm = make_dm(parser=parser, project=unstoppable)
    await dm.handle("gn", "/human_handoff")
    assert texts(await dm.handle("gn", "bye")) == [DEFAULT_NO_LONGER_WAITING_TEXT, "Goodbye!"]
    assert (await dm.store.load("gn")).handoff == "bot"  # type: ignore[union-attr]


async def test_closing_a_conversation_ends_the_form_it_was_in(make_dm) -> None:
    # Closed is dealt with: the user who came back got the form's question again after the
    # greeting, and their next words were taken as its answer.
    dm = make_dm()
    await dm.handle("cf", '/request_return{"order_number": "NW-10001"}')
    await dm.handle("cf", "/human_handoff")
    await dm.takeover("cf", "ann")
    await dm.close("cf", "ann")
    state = await dm.store.load("cf")
    assert state is not None and (state.active_form, state.requested_slot) == (None, None)
    assert state.slots["order_number"] is None  # a return begun again starts afresh
    assert texts(await dm.handle("cf", "/greet")) == ["Hello! How can I help?"]
    assert texts(await dm.handle("cf", '/inform{"product": "Lamp"}')) == [
        "Sorry, could you say that differently?"
    ]


SOCKETIO_ASK = "What is your order number? It is in the email we sent you."


@pytest.mark.parametrize(
    ("started_on", "channel", "question"),
    [
        ("socketio", "rest", "What is your order number?"),
        ("rest", "socketio", SOCKETIO_ASK),
    ],
)
async def test_the_question_asked_again_after_a_release_is_in_the_users_channel(
    make_dm, started_on: str, channel: str, question: str
) -> None:
    # The release is the agent's act, on no channel of its own: the question came in the
    # REST variant to a user on socket.io. The channel the user last wrote on decides.
    dm = make_dm()
    delivered = listen(dm)
    other = SOCKETIO_ASK if question != SOCKETIO_ASK else "What is your order number?"
    assert texts(await dm.handle("ch", "/request_return", channel=started_on)) == [other]
    await dm.handle("ch", "/human_handoff", channel=channel)
    await dm.takeover("ch", "ann")
    await dm.release("ch", "ann")
    assert [m.text for _, m in delivered] == [
        DEFAULT_JOINED_TEXT,
        DEFAULT_RELEASED_IN_FORM_TEXT,
        question,
    ]


REFUSING_ASK = """
from rasa_sdk import Action
from rasa_sdk.interfaces import ActionExecutionRejection


class AskOrderNumber(Action):
    def name(self):
        return "action_ask_order_number"

    def run(self, dispatcher, tracker, domain):
        if tracker.latest_message["intent"]["name"] == "human_handoff":
            raise ActionExecutionRejection(self.name(), "not after a request for a person")
        dispatcher.utter_message(text="Your order number, please?")
        return []
"""


async def test_a_release_stands_when_the_forms_ask_action_refuses(
    make_dm, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    # The refusal (rasa-sdk's ActionExecutionRejection; an action server's 400) escaped the
    # release: the agent's release failed and the conversation stayed theirs.
    actions = tmp_path / "refusing_ask_actions.py"
    actions.write_text(REFUSING_ASK)
    dm = make_dm(actions=InProcessActionRunner(actions))
    delivered = listen(dm)
    # The form asks through the project's action, so the release below asks it too.
    assert texts(await dm.handle("ra", "/request_return")) == ["Your order number, please?"]
    await dm.handle("ra", "/human_handoff")
    await dm.takeover("ra", "ann")
    with caplog.at_level(logging.WARNING, logger="bot.dialogue.agents"):
        await dm.release("ra", "ann")
    assert "return_form refused to ask for order_number after a release" in caplog.text
    # The user hears who answers now; the refused question is not replaced by another.
    assert [m.text for _, m in delivered] == [DEFAULT_JOINED_TEXT, DEFAULT_RELEASED_IN_FORM_TEXT]
    state = await dm.store.load("ra")
    assert state is not None and (state.handoff, state.agent) == ("bot", None)
    assert (state.active_form, state.requested_slot) == ("return_form", "order_number")
    handoffs = [(d["from"], d["to"]) for k, d in await transcript(dm, "ra") if k == "handoff"]
    assert handoffs[-1] == ("human", "bot")
    # The form still waits for the answer, and takes it.
    assert texts(await dm.handle("ra", '/inform{"order_number": "NW-10001"}')) == [
        "Which product do you want to return?"
    ]


def test_a_float_slot_takes_numbers_only() -> None:
    # "nan" and "inf" parse as floats; PostgreSQL's JSON refused them and the turn was lost.
    amount = Slot(name="amount", type="float")
    assert [coerce(amount, v) for v in ("12.5", 3, "nan", "inf", "-Infinity", "x")] == [
        12.5,
        3.0,
        None,
        None,
        None,
        None,
    ]


async def test_of_several_entities_for_one_slot_the_last_fills_it(make_dm) -> None:
    # As Rasa does: "the blue running shoes" tagged "blue" and "running shoes" as products,
    # and the first made the return form refuse the item.
    dm = make_dm()
    await dm.handle("two", '/request_return{"order_number": "NW-10001"}')
    replies = await dm.handle("two", '/inform{"product": ["blue", "Desk LAMP"]}')
    assert texts(replies) == ["Why are you returning the desk lamp?"]
    assert coerce(Slot(name="product", type="text"), ["blue", "desk lamp"]) == "desk lamp"
    assert coerce(Slot(name="items", type="list"), ["a", "b"]) == ["a", "b"]


@pytest.mark.parametrize("kind", ["sql", "redis"])
async def test_lost_state_keeps_the_agent_who_holds_the_conversation(
    make_dm, kind: str, request: pytest.FixtureRequest
) -> None:
    # Redis restarted without persistence (or the state's TTL passed) while Ann answered:
    # the transcript still says who has the conversation, so the bot must not cut in.
    store = None
    if kind == "redis":
        url, prefix = (request.getfixturevalue(n) for n in ("redis_url", "redis_prefix"))
        store = RedisSessionStore(Redis.from_url(url), prefix=prefix)
    dm = make_dm(store=store)
    await dm.handle("lost", "/greet")
    await dm.handle("lost", "/human_handoff")
    await dm.takeover("lost", "ann")
    await dm.store.delete("lost")  # the state is gone; the transcript is not
    assert await dm.handle("lost", "/greet") == []  # still Ann's: the bot stays silent
    message = await dm.agent_message("lost", "ann", "Still here")
    assert message.text == "Still here"
    with pytest.raises(ConflictError, match="ann has taken this conversation over"):
        await dm.agent_message("lost", "bob", "me too")
    sessions = [d for k, d in await transcript(dm, "lost") if k == "session"]
    assert [d["new_conversation"] for d in sessions] == [True, False]
    await dm.release("lost", "ann")
    await dm.close("lost", "ann")
    await dm.store.delete("lost")
    # a closed conversation lost too: the user's next message reopens it, as it would have
    assert texts(await dm.handle("lost", "/greet")) == ["Hello! How can I help?"]
    summary = await dm.transcripts.get("lost")
    assert summary is not None and (summary.handoff, summary.status) == ("bot", "open")
    # State that expired after its lifetime of idleness starts over as it always did: an
    # agent who never gave a conversation back does not keep the user from the bot forever.
    await dm.handle("idle", "/human_handoff")
    await dm.takeover("idle", "ann")
    dm.store.ttl_seconds = 1.0  # type: ignore[attr-defined]
    await asyncio.sleep(1.3)
    await dm.store.delete("idle")
    assert texts(await dm.handle("idle", "/greet")) == ["Hello! How can I help?"]
    await dm.store.close()


async def test_one_agent_at_a_time_and_the_user_hears_of_the_release(make_dm) -> None:
    dm = make_dm()
    delivered = listen(dm)
    await dm.handle("two", "/human_handoff")
    await dm.takeover("two", "ann")
    await dm.takeover("two", "ann")  # taking it again is harmless
    assert await holder(dm, "two") == "ann"
    with pytest.raises(ConflictError, match="ann has taken this conversation over"):
        await dm.takeover("two", "bob")
    with pytest.raises(ConflictError, match="ann has taken"):
        await dm.agent_message("two", "bob", "me too")
    await dm.takeover("two", "bob", force=True)  # Ann went home
    assert await holder(dm, "two") == "bob"
    with pytest.raises(ConflictError, match="bob has taken"):
        await dm.agent_message("two", "ann", "still here")
    await dm.agent_message("two", "bob", "Bob here.")
    await dm.release("two", "bob")
    assert await holder(dm, "two") is None
    assert [(cid, m.sender, m.text) for cid, m in delivered] == [
        ("two", "bot", DEFAULT_JOINED_TEXT),
        ("two", "bot", DEFAULT_TRANSFERRED_TEXT),  # Bob took it from Ann
        ("two", "agent", "Bob here."),
        ("two", "bot", DEFAULT_RELEASED_TEXT),
    ]
    events = await transcript(dm, "two")
    assert ("bot", {"text": DEFAULT_RELEASED_TEXT}) in events
    reasons = [d["reason"] for k, d in events if k == "handoff"]
    assert reasons[-3:] == ["agent took over", "taken over from ann", "agent released it"]
    # Released while still queued (nobody free): the user learns who answers now, too.
    await dm.handle("q", "/human_handoff")
    await dm.release("q", "ann")
    assert [(cid, m.text) for cid, m in delivered[4:]] == [("q", DEFAULT_RELEASED_TEXT)]
    # Closed: there is nothing to give back (the user's next message reopens it), or to close.
    await dm.close("q", "ann")
    with pytest.raises(ConflictError, match="is closed; the user's next message reopens it"):
        await dm.release("q", "ann")
    with pytest.raises(ConflictError, match="already closed"):
        await dm.close("q", "ann")


async def test_two_stage_fallback_then_handoff(make_dm) -> None:
    dm = make_dm()
    first = await dm.handle("fb", "blorp")
    assert texts(first) == ["Sorry, could you say that differently?"]
    second = await dm.handle("fb", "zzz qqq")
    assert "talk to a person" in (second[0].text or "")
    assert second[0].buttons[0]["payload"] == "/human_handoff"
    third = await dm.handle("fb", "???")
    # The project's own handoff action (it opens a ticket) hands over, as a rule naming it would.
    assert texts(third) == [PROJECT_TICKET]
    summary = await dm.transcripts.get("fb")
    assert summary is not None and summary.handoff == "pending_human"
    assert summary.has_low_confidence


async def test_no_to_the_offer_of_a_person_invites_a_rephrase(make_dm) -> None:
    dm = make_dm()
    await dm.handle("no", "blorp")
    assert "talk to a person" in texts(await dm.handle("no", "zzz qqq"))[0]
    assert texts(await dm.handle("no", "/deny")) == [DEFAULT_REPHRASE_TEXT]
    assert texts(await dm.handle("no", "blorp"))[0].startswith("Sorry")  # counted afresh
    summary = await dm.transcripts.get("no")
    assert summary is not None and summary.handoff == "bot"


async def test_the_offer_of_a_person_in_a_form_is_not_followed_by_its_question(make_dm) -> None:
    # The form's question after the offer hid the offer's Yes/No buttons in rasa-webchat,
    # which shows quick replies on the last message only; and it asked two things at once.
    dm = make_dm()
    await dm.handle("of", "/request_return")
    assert texts(await dm.handle("of", "blorp")) == [
        "Sorry, could you say that differently?",
        "What is your order number?",
    ]
    offer = await dm.handle("of", "zzz qqq")
    assert texts(offer) == [DEFAULT_OFFER_HUMAN_TEXT]
    assert [b["payload"] for b in offer[0].buttons] == ["/human_handoff", "/deny"]
    # "No, I'll rephrase" brings the form's question back, not "tell me in other words".
    assert texts(await dm.handle("of", "/deny")) == ["What is your order number?"]
    assert texts(await dm.handle("of", '/inform{"order_number": "NW-10001"}')) == [
        "Which product do you want to return?"
    ]
    # The form's answer, given instead of a reply to the offer, is taken as one.
    await dm.handle("oa", "/request_return")
    await dm.handle("oa", "blorp")
    await dm.handle("oa", "zzz qqq")
    assert texts(await dm.handle("oa", '/inform{"order_number": "NW-10001"}')) == [
        "Which product do you want to return?"
    ]


async def test_typing_yes_to_the_offer_of_a_person_accepts_it(make_dm) -> None:
    dm = make_dm()
    await dm.handle("y", "blorp")
    offer = await dm.handle("y", "zzz qqq")
    assert "talk to a person" in (offer[0].text or "")
    await dm.handle("y", "/affirm")
    assert (await dm.transcripts.get("y")).handoff == "pending_human"  # type: ignore[union-attr]
    # Without the offer just before, "yes" is an ordinary affirm: after one miss, and when the
    # fallback count alone says "offer" (as after a project rule answered a miss) but the bot
    # said something else.
    await dm.handle("n", "blorp")
    await dm.handle("n", "/affirm")
    assert (await dm.transcripts.get("n")).handoff == "bot"  # type: ignore[union-attr]
    await dm.handle("m", "blorp")
    state = await dm.store.load("m")
    assert state is not None
    state.fallback_count = 2  # handoff_after_fallbacks - 1
    await dm.store.save(state, state.version)
    await dm.handle("m", "/affirm")
    assert (await dm.transcripts.get("m")).handoff == "bot"  # type: ignore[union-attr]


async def test_the_offers_yes_button_hands_over_whatever_the_project_does_with_the_intent(
    make_dm, project
) -> None:
    # The helpdesk's story answers human_handoff by listing bots to hand off to: the offer's
    # "Yes, talk to a person" got that list, and no person.
    bots = Rule("other bots", (Step("intent", "human_handoff"), Step("action", "utter_greet")))
    rules = tuple(r for r in project.rules if r.name != "handoff")
    dm = make_dm(project=replace(project, rules=(*rules, bots)))
    assert texts(await dm.handle("ob", "/human_handoff")) == ["Hello! How can I help?"]
    for conversation, answer in (("oc", "/human_handoff"), ("ot", "Yes, talk to a person")):
        await dm.handle(conversation, "blorp")
        assert texts(await dm.handle(conversation, "zzz qqq")) == [DEFAULT_OFFER_HUMAN_TEXT]
        await dm.handle(conversation, answer)
        state = await dm.store.load(conversation)
        assert state is not None and state.handoff == "pending_human"


async def test_a_projects_own_offer_of_a_person_is_answered_as_the_fallbacks(
    make_dm, project
) -> None:
    # The demo's "Sorry I haven't been more helpful. Would you like to talk to a person?" to
    # "this bot is stupid": a typed "yes" got whatever the project does with a yes, and in a
    # form the form's question came after the offer and hid its Yes/No buttons.
    yes_no = ({"title": "Yes", "payload": "/human_handoff"}, {"title": "No", "payload": "/deny"})
    offer = ResponseVariant("Sorry. Would you like to talk to a person?", buttons=yes_no)
    domain = replace(
        project.domain,
        intents=(*project.domain.intents, "fed_up"),
        responses={**project.domain.responses, "utter_sorry": (offer,)},
    )
    sorry = Rule("fed up", (Step("intent", "fed_up"), Step("action", "utter_sorry")))
    dm = make_dm(project=replace(project, domain=domain, rules=(*project.rules, sorry)))
    assert texts(await dm.handle("fy", "/fed_up")) == [offer.text]
    await dm.handle("fy", "/affirm")
    assert (await dm.transcripts.get("fy")).handoff == "pending_human"  # type: ignore[union-attr]
    await dm.handle("fn", "/fed_up")
    # The message was understood: "in other words" (the fallback's no) read as a rebuke
    assert texts(await dm.handle("fn", "/deny")) == [DEFAULT_GO_ON_TEXT]
    assert (await dm.transcripts.get("fn")).handoff == "bot"  # type: ignore[union-attr]
    await dm.handle("ff", "/request_return")
    assert texts(await dm.handle("ff", "/fed_up")) == [offer.text]  # the offer comes last
    assert texts(await dm.handle("ff", "/deny")) == ["What is your order number?"]
    # Already waiting for a person, the user is told where they stand, not offered one.
    assert texts(await dm.handle("fw", "/human_handoff")) == ["Connecting you to a person."]
    waiting = " ".join(str(t) for t in texts(await dm.handle("fw", "/fed_up")))
    assert "queue" in waiting and offer.text not in waiting
    # A menu with a person among other choices (a greeting's buttons) offers no yes or no.
    menu = ({"payload": "/human_handoff"}, {"payload": "/request_return"})
    assert not builtin.is_offer_of_a_person("Hello! How can I help?", menu)


async def test_while_waiting_for_a_person_the_bot_says_so_and_never_goes_silent(make_dm) -> None:
    dm = make_dm()
    assert texts(await dm.handle("w", "/human_handoff")) == ["Connecting you to a person."]
    # What it does not understand is most often the user's problem told for the person
    # ("it was supposed to come yesterday"): noted, not "Sorry, I didn't understand".
    for text in ("blorp", "zzz qqq", "???", "blorp again"):
        replies = texts(await dm.handle("w", text))
        assert replies == [DEFAULT_NOTED_TEXT]
    # A second request is told where it stands (the project's rule said "Connecting you"
    # again, then "still in the queue"); a user who gets an answer from the bot hears they
    # still wait (an FAQ answer alone read as if the request had been dropped), and
    # suggestions say so themselves (a reminder after them would hide their buttons).
    assert texts(await dm.handle("w", "/human_handoff")) == [DEFAULT_WAITING_TEXT]
    assert texts(await dm.handle("w", "shipping?")) == [
        "Shipping takes 2-4 days.",
        DEFAULT_STILL_WAITING_TEXT,
    ]
    assert texts(await dm.handle("w", "pay by what?")) == [
        f"{DEFAULT_STILL_WAITING_TEXT} Meanwhile, did you mean one of these?"
    ]
    # A greeting in the queue is told where it stands, not welcomed anew; so are a "yes"
    # and a "no" (the demo's story said goodbye to a user it left queued).
    for said in ("/greet", "/affirm", "/deny"):
        assert texts(await dm.handle("w", said)) == [DEFAULT_WAITING_TEXT]
    handoffs = [(d["from"], d["to"]) for k, d in await transcript(dm, "w") if k == "handoff"]
    assert handoffs == [("bot", "pending_human")]


async def test_understood_turn_resets_the_fallback_count(make_dm) -> None:
    dm = make_dm()
    await dm.handle("fr", "blorp")
    await dm.handle("fr", "/greet")
    assert texts(await dm.handle("fr", "blorp")) == ["Sorry, could you say that differently?"]


async def test_faq_answer_suggest_and_choice(make_dm) -> None:
    dm = make_dm()
    assert texts(await dm.handle("q", "shipping?")) == ["Shipping takes 2-4 days."]
    suggested = await dm.handle("q", "how do i pay")
    assert suggested[0].text == "Did you mean one of these?"
    payloads = [b["payload"] for b in suggested[0].buttons]
    assert payloads[0] == "/faq" + json.dumps({"faq_key": "pay_card"})
    assert texts(await dm.handle("q", payloads[1])) == ["Yes, PayPal works."]
    users = [d for k, d in await transcript(dm, "q") if k == "user"]
    assert [u["faq"]["decision"] for u in users] == ["answer", "suggest", "chosen"]
    assert users[0]["faq"]["entry"] == "shipping_time"
    # A custom action sees the answered entry as Rasa's ResponseSelector gives it
    tracker = await dm.tracker("q")
    chosen = tracker["latest_message"]["response_selector"]["faq"]["response"]
    assert (chosen["intent_response_key"], chosen["utter_action"]) == (
        "faq/pay_paypal",
        "utter_faq/pay_paypal",
    )
    assert chosen["responses"] == [{"text": "Yes, PayPal works."}]
    first = next(e for e in tracker["events"] if e["event"] == "user")
    assert first["parse_data"]["response_selector"]["all_retrieval_intents"] == ["faq"]
    assert (
        "response_selector"
        not in next(
            e for e in tracker["events"] if e["event"] == "user" and e["text"] == "how do i pay"
        )["parse_data"]
    )  # suggested, not answered
    # A button kept from before an entry was removed: said so, not counted as a miss.
    gone = await dm.handle("q", "/faq" + json.dumps({"faq_key": "retired_entry"}))
    assert texts(gone) == [DEFAULT_FAQ_GONE_TEXT]
    state = await dm.store.load("q")
    assert state is not None and state.fallback_count == 0


async def test_without_faq_or_model_the_bot_still_falls_back(make_dm) -> None:
    dm = make_dm(faq=None, parser=None)
    assert texts(await dm.handle("n", "anything")) == ["Sorry, could you say that differently?"]
    assert texts(await dm.handle("n", "/greet")) == ["Hello! How can I help?"]


async def test_concurrent_messages_of_one_conversation_are_serialised(make_dm) -> None:
    dm = make_dm()
    replies = await asyncio.gather(*(dm.handle("busy", "/greet") for _ in range(20)))
    assert all(texts(r) == ["Hello! How can I help?"] for r in replies)
    events = await transcript(dm, "busy")
    kinds = [k for k, _ in events if k in ("user", "bot")]
    assert kinds == ["user", "bot"] * 20  # each reply directly follows its message
    state = await dm.store.load("busy")
    assert state is not None and state.version == 20


async def test_session_expires_and_carries_slots_over(make_dm) -> None:
    dm = make_dm()
    await dm.handle("e", '/inform{"product": "bed"}')
    await dm.handle("e", "/request_return")
    state = await dm.store.load("e")
    assert state is not None and state.active_form == "return_form"
    state.last_activity_at = time.time() - 2 * 3600  # the domain expires sessions after 60 min
    await dm.store.save(state, state.version)
    await dm.handle("e", "/greet")
    state = await dm.store.load("e")
    assert state is not None
    assert state.active_form is None  # the old form does not survive the new session
    assert state.slots["product"] == "bed"  # carry_over_slots_to_new_session: true
    sessions = [d for k, d in await transcript(dm, "e") if k == "session"]
    assert len(sessions) == 2


async def test_bad_input_is_refused_with_a_clear_error(make_dm) -> None:
    dm = make_dm()
    with pytest.raises(BotError, match="sender id"):
        await dm.handle("", "hi")
    with pytest.raises(BotError, match="limit is 5000"):
        await dm.handle("long", "x" * 5001)
    assert await dm.transcripts.get("long") is None


async def test_annotation_is_checked_and_recorded(make_dm) -> None:
    dm = make_dm()
    await dm.handle("a", "hi there")
    seq = next(e.seq for e in (await dm.transcripts.read("a")).events if e.type == "user")
    await dm.annotate("a", seq, "greet", [{"entity": "product", "start": 0, "end": 2}], "ann")
    with pytest.raises(BotError, match="offsets"):
        await dm.annotate("a", seq, "greet", [{"entity": "product", "start": 0, "end": 99}], "ann")
    with pytest.raises(BotError, match="no user message"):
        await dm.annotate("a", 999, "greet", [], "ann")
    notes = [d for k, d in await transcript(dm, "a") if k == "annotation"]
    assert notes == [
        {
            "seq": seq,
            "text": "hi there",
            "intent": "greet",
            "entities": [{"entity": "product", "start": 0, "end": 2}],
        }
    ]


@pytest.mark.parametrize("kind", ["postgresql"])
async def test_a_conversation_on_postgresql(make_dm, kind: str) -> None:
    dm = make_dm(kind)
    await dm.handle("pg", "/request_return")
    await dm.handle("pg", '/inform{"order_number": "NW-10001", "product": "lamp"}')
    assert texts(await dm.handle("pg", "too small")) == [
        "Return for lamp on order NW-10001 is registered."
    ]


async def test_events_from_actions_are_applied(make_dm) -> None:
    dm = make_dm()
    replies = await dm.handle("ev", "/many_events")
    assert texts(replies) == ["Hello! How can I help?"]  # the followup ran after the action
    state = await dm.store.load("ev")
    assert state is not None
    assert state.slots["vip"] is True
    assert state.active_form == "return_form" and state.requested_slot == "order_number"
    assert [r.name for r in await dm.reminders.pending("ev")] == ["check_in"]
    await dm.handle("ev", '/inform{"product": "vase"}')
    await dm.handle("ev", "/reset_me")
    state = await dm.store.load("ev")
    assert state is not None and state.slots["product"] is None and state.slots["vip"] is False


async def test_restart_and_resume_events(make_dm) -> None:
    dm = make_dm()
    await dm.handle("rs", '/inform{"product": "rug"}')
    assert texts(await dm.handle("rs", "/restart_me")) == ["Goodbye!"]
    state = await dm.store.load("rs")
    assert state is not None and state.slots["product"] is None
    await dm.handle("rs", "/pause_me")
    assert (await dm.transcripts.get("rs")).handoff == "pending_human"  # type: ignore[union-attr]
    await dm.handle("rs", "/resume_me")
    assert (await dm.transcripts.get("rs")).handoff == "bot"  # type: ignore[union-attr]


async def test_a_restart_from_a_custom_action_ends_the_form_and_keeps_its_followup(
    make_dm,
) -> None:
    # After Restarted() the policy sees a fresh conversation (tests/dialogue/test_policy.py);
    # a FollowupAction returned with it still runs, as in Rasa (it was dropped).
    dm = make_dm()
    await dm.handle("rr", '/request_return{"order_number": "NW-10001"}')
    assert texts(await dm.handle("rr", "/restart_and_greet")) == ["Hello! How can I help?"]
    state = await dm.store.load("rr")
    assert state is not None and state.active_form is None
    assert state.slots["order_number"] is None


async def test_a_question_is_not_taken_as_free_text_for_the_form(make_dm) -> None:
    dm = make_dm()
    await dm.handle("t", '/request_return{"order_number": "NW-10001", "product": "mug"}')
    replies = await dm.handle("t", "shipping?")  # parsed as faq (0.9); return_reason is free text
    assert texts(replies) == ["Shipping takes 2-4 days.", "Why are you returning the mug?"]
    state = await dm.store.load("t")
    assert state is not None and state.slots["return_reason"] is None
    # Something a rule answers by itself (a greeting) is answered too, then the form asks again.
    assert texts(await dm.handle("t", "hi there")) == [
        "Hello! How can I help?",
        "Why are you returning the mug?",
    ]
    # Anything else is the answer: here a message the model does not recognise.
    assert texts(await dm.handle("t", "the handle came off")) == [
        "Return for mug on order NW-10001 is registered."
    ]


async def test_a_question_the_faq_cannot_answer_is_the_forms_free_text(make_dm) -> None:
    # "wrong size" as a return's reason, read as a question at 0.93, got the FAQ's
    # suggestions and the question again, every time: the user could never answer it.
    parser = FixedParser(
        {
            "wrong size": ("faq", 0.93),
            "pay later?": ("faq", 0.9),
            "shipping too slow": ("faq", 0.9),
        }
    )
    dm = make_dm(parser=parser)
    await dm.handle("w", '/request_return{"order_number": "NW-10001", "product": "mug"}')
    assert texts(await dm.handle("w", "wrong size")) == [
        "Return for mug on order NW-10001 is registered."
    ]
    state = await dm.store.load("w")
    assert state is not None and state.slots["return_reason"] == "wrong size"
    # Suggestions alone do not make a message the FAQ's.
    await dm.handle("p", '/request_return{"order_number": "NW-10001", "product": "mug"}')
    assert texts(await dm.handle("p", "pay later?")) == [
        "Return for mug on order NW-10001 is registered."
    ]
    # One the FAQ answers is answered, and the form asks again; said again, it is the answer.
    await dm.handle("s", '/request_return{"order_number": "NW-10001", "product": "mug"}')
    assert texts(await dm.handle("s", "shipping too slow")) == [
        "Shipping takes 2-4 days.",
        "Why are you returning the mug?",
    ]
    assert texts(await dm.handle("s", "shipping too slow")) == [
        "Return for mug on order NW-10001 is registered."
    ]


class BrokenParser:
    async def parse(self, text: str) -> dict:  # type: ignore[type-arg]
        raise RuntimeError("model file is corrupt")


class BrokenFaq:
    async def decide(self, text: str) -> None:
        raise RuntimeError("index unavailable")

    async def has_phrasing(self, text: str) -> bool:
        raise RuntimeError("index unavailable")

    async def entry(self, key: str) -> None:
        raise RuntimeError("index unavailable")


async def test_a_failing_model_or_faq_loses_no_message(make_dm) -> None:
    dm = make_dm(parser=BrokenParser())
    replies = await dm.handle("b1", "hello?")
    assert texts(replies) == ["Sorry, could you say that differently?"]  # treated as not understood
    assert texts(await dm.handle("b1", "/greet")) == ["Hello! How can I help?"]
    dm = make_dm(faq=BrokenFaq())
    replies = await dm.handle("b2", "shipping?")
    assert len(replies) == 1 and "went wrong" in (replies[0].text or "")
    events = await transcript(dm, "b2")
    assert [d["text"] for k, d in events if k == "user"] == ["shipping?"]
    assert any(k == "action" and d["name"] == "error" for k, d in events)
    state = await dm.store.load("b2")
    assert state is not None and state.version == 1


async def test_the_chat_reading_says_what_a_turn_does(make_dm) -> None:
    # The FAQ editor's "Try" said the project answered where the bot asked "Did you mean
    # this?" first; each reading here is checked against the turn itself.
    table = {
        "shipping return?": ("request_return", 0.45),
        "return maybe": ("request_return", 0.3),
        "hi there": ("greet", 0.95),
        "a human": ("human_handoff", 0.9),
        "zzz": ("nlu_fallback", 0.1),
        "how do I pay?": ("faq", 0.9),
        "dog food?": ("faq", 0.9),
    }
    dm = make_dm(parser=FixedParser(table))
    expected = {
        "shipping return?": ("faq", None, ["Shipping takes 2-4 days."]),
        "return maybe": ("intent", "action_default_ask_affirmation", [DEFAULT_CONFIRM_TEXT]),
        "hi there": ("intent", "utter_greet", ["Hello! How can I help?"]),
        "a human": ("intent", "utter_handoff", ["Connecting you to a person."]),
        "zzz": ("faq", None, None),
        "/restart": ("intent", "action_restart", []),
        "how do I pay?": ("faq", None, ["Did you mean one of these?"]),
        "dog food?": ("faq", None, None),
    }
    for number, (text, (by, action, replies)) in enumerate(expected.items()):
        parse = await dm.parse(text)
        reading = await dm.chat_reading(parse)
        assert (reading["by"], reading["action"] if by == "intent" else None) == (by, action)
        said = await dm.handle(f"cr{number}", text)
        if replies is not None:
            assert texts(said) == replies, text
        # What the FAQ editor's Try shows is what the turn said, buttons and all.
        reply = await dm.chat_reply(parse, reading)
        shown = [(m["text"], m.get("buttons", [])) for m in reply["messages"]]
        assert shown == [(m.text, [dict(b) for b in m.buttons]) for m in said], text
        # the project's own handoff action is named, not run (it may open a ticket)
        assert reply["then"] == ("action_handoff" if text == "a human" else None), text
    assert (await dm.chat_reading(await dm.parse("hi there")))["phrasing_wins"]
    # Not offered where the message starts a form: as a phrasing it would stop the form
    # starting for whoever types it.
    sure = make_dm(parser=FixedParser({"start a return": ("request_return", 0.99)}))
    assert not (await sure.chat_reading(await sure.parse("start a return")))["phrasing_wins"]


def test_a_mappings_own_intent_fills_its_slot_though_the_form_ignores_it(project) -> None:
    # As Rasa: ignored_intents join not_intent; an intent a mapping names still fills it.
    from bot.dialogue.slots import extract_slots
    from bot.project import SlotMapping

    mapping = SlotMapping(type="from_intent", intent=("chitchat",), value="chatty")
    slot = replace(project.domain.slots["vip"], type="text", mappings=(mapping,))
    form = replace(project.domain.forms["return_form"], ignored_intents=("chitchat",))
    domain = replace(
        project.domain,
        slots={**project.domain.slots, "vip": slot},
        forms={**project.domain.forms, "return_form": form},
    )
    parse = {"text": "lol", "intent": {"name": "chitchat", "confidence": 0.9}, "entities": []}
    found = extract_slots(domain, parse, active_loop="return_form", requested_slot="product")
    assert found == {"vip": "chatty"}


def test_a_mapping_condition_naming_no_form_holds_only_while_none_runs(project) -> None:
    # As Rasa 3: ``active_loop: null`` in a condition means "no form running"; it held during
    # any form, so an entity meant for small talk overwrote the form's slot.
    from bot.dialogue.slots import extract_slots
    from bot.project import MappingCondition, SlotMapping

    free = SlotMapping(type="from_entity", entity="product", conditions=(MappingCondition(),))
    in_form = SlotMapping(
        type="from_entity", entity="product", conditions=(MappingCondition("return_form"),)
    )
    parse = {"text": "a chair", "intent": {"name": "inform", "confidence": 0.9},
             "entities": [{"entity": "product", "value": "chair"}]}  # fmt: skip
    for mapping, outside, inside in ((free, "chair", None), (in_form, None, "chair")):
        slot = replace(project.domain.slots["product"], mappings=(mapping,))
        domain = replace(project.domain, slots={**project.domain.slots, "product": slot})
        found = extract_slots(domain, parse, active_loop=None, requested_slot=None)
        assert found.get("product") == outside
        found = extract_slots(domain, parse, active_loop="return_form", requested_slot="product")
        assert found.get("product") == inside


async def test_a_forms_ignored_intents_fill_none_of_its_slots(make_dm, project) -> None:
    # Rasa's forms.<name>.ignored_intents: such a message is not an answer to the form's
    # question, whatever its mappings say; it is handled as an interruption.
    form = replace(project.domain.forms["return_form"], ignored_intents=("chitchat",))
    forms = {**project.domain.forms, "return_form": form}
    ignoring = replace(project, domain=replace(project.domain, forms=forms))
    table = {"lol nice weather": ("chitchat", 0.9), "it broke": ("inform", 0.9)}
    start = '/request_return{"order_number": "NW-10002"}'
    for sender, chosen, reason in (("c1", project, "lol nice weather"), ("c2", ignoring, None)):
        dm = make_dm(parser=FixedParser(table), project=chosen)
        await dm.handle(sender, start)
        # from_entity mappings are ignored as well as free text
        await dm.handle(sender, '/chitchat{"product": "Chair"}')
        state = await dm.store.load(sender)
        assert state is not None
        assert state.slots["product"] == (None if reason is None else "chair")
        if reason is None:
            await dm.handle(sender, '/inform{"product": "Chair"}')
        replies = await dm.handle(sender, "lol nice weather")
        state = await dm.store.load(sender)
        assert state is not None and state.slots["return_reason"] == reason
        if reason is None:
            assert texts(replies) == ["Sorry, could you say that differently?",
                                      "Why are you returning the chair?"]  # fmt: skip
            assert state.requested_slot == "return_reason"
            assert texts(await dm.handle(sender, "it broke")) == [
                "Return for chair on order NW-10002 is registered."
            ]


async def test_a_form_the_starting_message_fills_is_submitted_at_once(make_dm, project) -> None:
    # "where is order NW-48213?" started the demo's order form with its one slot filled and
    # the bot said nothing: the submit rule (action: form, active_loop: null) never matched.
    form = replace(project.domain.forms["return_form"], required_slots=("order_number", "product"))
    forms = {**project.domain.forms, "return_form": form}
    short = replace(project, domain=replace(project.domain, forms=forms))
    dm = make_dm(project=short)
    start = '/request_return{"order_number": "NW-10002", "product": "Chair"}'
    assert texts(await dm.handle("p", start)) == [
        "Return for chair on order NW-10002 is registered."
    ]
    state = await dm.store.load("p")
    assert state is not None and state.active_form is None and state.requested_slot is None
    # one run of the form in the transcript: it ended, it did not run twice
    actions = [d["name"] for k, d in await transcript(dm, "p") if k == "action"]
    assert actions.count("return_form") == 1
    # A value the validator refuses is asked for again, not submitted.
    assert texts(await dm.handle("q", start.replace("NW-10002", "NW-99999"))) == [
        "I can't find order NW-99999.",
        "What is your order number?",
    ]


class _GermanParser(FixedParser):
    async def parse(self, text: str) -> dict[str, Any]:
        parse = await super().parse(text)
        if text.startswith("Guten"):
            parse["language"] = {"name": "de", "confidence": 0.99}
        return parse


async def test_a_message_in_another_language_is_told_which_the_bot_speaks(make_dm) -> None:
    dm = make_dm(parser=_GermanParser({"Guten Tag, wo ist mein Paket?": ("greet", 0.9)}))
    replies = await dm.handle("de", "Guten Tag, wo ist mein Paket?")
    assert texts(replies) == ["Sorry, I can only chat in English. Could you write in English?"]
    user = [d for k, d in await transcript(dm, "de") if k == "user"][-1]
    assert user["other_language"] == {"code": "de", "name": "German"}
    reading = await dm.chat_reading(await dm.parse("Guten Tag, wo ist mein Paket?"))
    assert (reading["by"], reading["language"], reading["own"]) == ("language", "German", "English")
    reply = await dm.chat_reply(await dm.parse("Guten Tag, wo ist mein Paket?"))
    assert [m["text"] for m in reply["messages"]] == texts(replies)
    # asked again, the offer of a person follows the same words (it replaced them)
    again = await dm.handle("de", "Guten Tag, wo ist mein Paket?")
    assert texts(again) == [
        "Sorry, I can only chat in English. Could you write in English?",
        DEFAULT_OFFER_HUMAN_TEXT,
    ]
    # a third time, handed to a person (who may speak it), and told so
    third = await dm.handle("de", "Guten Tag, wo ist mein Paket?")
    assert texts(third) == [PROJECT_TICKET]
    # a form's answer is let be: a street or a product may look like another language
    await dm.handle("form", "/request_return")
    await dm.handle("form", '/inform{"order_number": "NW-10001", "product": "lamp"}')
    answered = await dm.handle("form", "Guten Tag, the lamp is too small")
    assert texts(answered) == ["Return for lamp on order NW-10001 is registered."]


class _ReadAsParser(FixedParser):
    """A German message whose order number the NLU read alone (``NluParser``'s read_as)."""

    async def parse(self, text: str) -> dict[str, Any]:
        parse = await super().parse(text)
        start = text.find("NW-10001")
        if start >= 0:
            parse["entities"] = [
                {"entity": "order_number", "start": start, "end": start + 8, "value": "NW-10001"}
            ]
            parse["language"] = {"name": "de", "confidence": 0.99, "read_as": "NW-10001"}
        return parse


async def test_a_message_in_another_language_is_answered_by_what_its_entities_say(
    make_dm,
) -> None:
    # "Wo ist meine Bestellung NW-48213?" got only "I can only chat in English": the order
    # number is the same in every language, and its status is told after that note.
    table = {"Wo ist meine Bestellung NW-10001?": ("check_order", 0.95)}
    dm = make_dm(parser=_ReadAsParser(table))
    replies = await dm.handle("ra", "Wo ist meine Bestellung NW-10001?")
    assert texts(replies) == [
        "Sorry, I can only chat in English. Could you write in English?",
        "Order NW-10001 is shipped.",
    ]
    user = [d for k, d in await transcript(dm, "ra") if k == "user"][-1]
    assert user["other_language"] == {"code": "de", "name": "German"}
    state = await dm.store.load("ra")
    assert state is not None and state.fallback_count == 0  # answered, not a miss
    # read alone, but not understood: the note alone, as a step of the fallback
    dm = make_dm(parser=_ReadAsParser({"Bestellung NW-10001??": ("nlu_fallback", 0.2)}))
    replies = await dm.handle("rl", "Bestellung NW-10001??")
    assert texts(replies) == ["Sorry, I can only chat in English. Could you write in English?"]


async def test_a_question_the_faq_cannot_answer_comes_to_the_offer_of_a_person(
    make_dm, project
) -> None:
    # The demo's rule sends faq to action_faq; with nothing to answer it fell back, and the
    # turn counted as understood: "Do you sell dog food?" got "rephrase" again and again.
    faq_rule = Rule("faq", (Step("intent", "faq"), Step("action", "action_faq")))
    with_rule = replace(project, rules=(*project.rules, faq_rule))
    dm = make_dm(project=with_rule, parser=FixedParser({"dog food?": ("faq", 0.95)}))
    first = texts(await dm.handle("df", "dog food?"))
    assert first and first != [DEFAULT_OFFER_HUMAN_TEXT]
    assert DEFAULT_OFFER_HUMAN_TEXT in texts(await dm.handle("df", "dog food?"))


async def test_the_same_question_over_the_same_suggestions_comes_to_a_person(make_dm) -> None:
    # A browser trial: the question asked again got the same "Did you mean …?" each time.
    dm = make_dm(parser=FixedParser({"pay how?": ("faq", 0.9)}))
    first = await dm.handle("sa", "pay how?")
    assert [b["title"] for b in first[-1].buttons][:2] == [
        "Can I pay by card?",
        "Can I pay with PayPal?",
    ]
    assert texts(await dm.handle("sa", "pay how?")) == [DEFAULT_OFFER_HUMAN_TEXT]
    user = [d for k, d in await transcript(dm, "sa") if k == "user"][-1]
    assert user["faq"] == {"decision": "none", "suggested_again": True}
    # another question is suggested for as before
    other = make_dm(parser=FixedParser({"pay how?": ("faq", 0.9), "pay when?": ("faq", 0.9)}))
    await other.handle("sb", "pay how?")
    assert (await other.handle("sb", "pay when?"))[-1].buttons


def test_entries_asked_the_same_way_get_buttons_told_apart_by_their_answers() -> None:
    # One button stood for both ("Did you mean: How much does shipping cost?"), and only
    # one entry's answer could ever be chosen.
    from bot.dialogue.builtin import faq_buttons
    from bot.dialogue.ports import FaqAnswer

    options = [
        FaqAnswer(
            "cost",
            "How much does shipping cost?",
            "**Standard** delivery is [free](https://x.example/s) over 50 euros, express 9 euros.",
            0.5,
        ),
        FaqAnswer("dup", "how much does shipping COST", "dup", 0.4),
        FaqAnswer("gift", "Do you sell gift cards?", "Yes.", 0.3),
    ]
    buttons = faq_buttons(options)
    assert [b["title"] for b in buttons] == [
        "How much does shipping cost? (Standard delivery is free over 50\u2026)",
        "how much does shipping COST (dup)",
        "Do you sell gift cards?",
    ]
    assert [json.loads(b["payload"][4:])["faq_key"] for b in buttons] == ["cost", "dup", "gift"]
