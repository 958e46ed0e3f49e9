"""Actions every bot has: sessions, fallback, handoff, FAQ answers, restart, loop control."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.dialogue.config import (
    DEFAULT_FALLBACK_TEXT,
    DEFAULT_FORM_ON_HOLD_TEXT,
    DEFAULT_HANDOFF_TEXT,
    DEFAULT_NOTED_TEXT,
    DEFAULT_OFFER_HUMAN_TEXT,
    DEFAULT_OTHER_LANGUAGE_TEXT,
    DEFAULT_PART_UNSURE_TEXT,
    DEFAULT_STILL_WAITING_TEXT,
    DEFAULT_SUGGEST_ONE_TEXT,
    DEFAULT_SUGGEST_ONE_WAITING_TEXT,
    DEFAULT_SUGGEST_PART_ONE_TEXT,
    DEFAULT_SUGGEST_PART_TEXT,
    DEFAULT_SUGGEST_TEXT,
    DEFAULT_SUGGEST_WAITING_TEXT,
    DEFAULT_WAITING_TEXT,
    MAX_SUGGESTIONS,
    DialogueConfig,
)
from bot.dialogue.messages import BotMessage
from bot.dialogue.ports import FaqAnswer
from bot.dialogue.responses import render_response
from bot.dialogue.tracker import restart
from bot.dialogue.turn import Turn
from bot.language import language_name
from bot.project import Domain
from bot.reminders import Cancel
from bot.state import Conversation
from knowledge.entries import same_words

# Queues a conversation for a person, with the reason for the transcript.
HandOver = Callable[[Turn, str], Awaitable[object]]

FAQ_ACTION = "action_faq"
FAQ_KEY_ENTITY = "faq_key"


def start_session(turn: Turn, domain: Domain, *, fresh: bool) -> None:
    """Begin a session: slots carried over per ``session_config``, form and history reset."""
    conversation = turn.conversation
    carried = dict(conversation.slots) if domain.session_config.carry_over_slots else {}
    conversation.events = []
    conversation.slots = {n: s.initial_value for n, s in domain.slots.items()}
    conversation.slots.update({k: v for k, v in carried.items() if k in conversation.slots})
    conversation.active_form = None
    conversation.requested_slot = None
    conversation.fallback_count = 0
    conversation.followup_action = None
    conversation.session_started_at = time.time()
    turn.reminders.append(Cancel())  # as in Rasa, what the last session set is dropped
    turn.rasa_event({"event": "action", "name": "action_session_start"})
    turn.rasa_event({"event": "session_started"})
    for name, value in conversation.slots.items():
        if value is not None:
            turn.rasa_event({"event": "slot", "name": name, "value": value})
    turn.transcript("session", {"event": "session_started", "new_conversation": fresh})


def faq_key(parse: dict[str, Any]) -> str | None:
    """The FAQ entry a "did you mean" button chose: ``/faq{"faq_key": "..."}``."""
    for entity in parse.get("entities") or []:
        if entity.get("entity") == FAQ_KEY_ENTITY and entity.get("value"):
            return str(entity["value"])
    return None


def say_faq_answer(
    turn: Turn,
    entry: FaqAnswer,
    user_data: dict[str, Any],
    decision: str,
    *,
    part: str | None = None,
) -> None:
    """Say an entry's answer. ``part``: the answer is to that question of the message, one
    of several it asks, beside the turn's own reply (its record is kept apart)."""
    record = {"entry": entry.key, "score": entry.score, "decision": decision}
    if part is None:
        user_data["faq"] = record
        turn.action(FAQ_ACTION, faq=entry.key, score=entry.score)
    else:
        user_data.setdefault("more_questions", []).append({**record, "text": part})
        turn.action(FAQ_ACTION, aside=True, faq=entry.key, score=entry.score, question=part)
    buttons = [dict(b) for b in entry.buttons]
    buttons += [
        {"title": link.get("title", link.get("url")), "url": link.get("url"), "type": "web_url"}
        for link in entry.links
    ]
    turn.say(BotMessage(text=entry.answer, buttons=tuple(buttons)))
    if part is None:
        note_response_selector(turn, entry)


def note_response_selector(turn: Turn, entry: FaqAnswer) -> None:
    """Put the answered entry in the user message's ``response_selector``, as Rasa's
    ResponseSelector does, so that a custom action can tell which FAQ was answered
    (``latest_message["response_selector"]["faq"]["response"]["intent_response_key"]``, as
    Rasa's docs show it) by the same key as in the Rasa project it came from."""
    selector = response_selector(entry)
    conversation = turn.conversation
    if conversation.latest_message is not None:
        conversation.latest_message = {**conversation.latest_message, "response_selector": selector}
    for event in reversed(conversation.events):
        if event.get("event") == "user":
            event["parse_data"] = {**(event.get("parse_data") or {}), "response_selector": selector}
            break


def response_selector(entry: FaqAnswer) -> dict[str, Any]:
    """Rasa's ``response_selector`` of a parse that ``entry`` answers."""
    key = entry.key if "/" in entry.key else f"faq/{entry.key}"  # see retrieval_key
    retrieval_intent = key.partition("/")[0]
    chosen = {
        "response": {
            "responses": [{"text": entry.answer}],
            "confidence": entry.score,
            "intent_response_key": key,
            "utter_action": f"utter_{key}",
        },
        "ranking": [{"confidence": entry.score, "intent_response_key": key}],
    }
    return {
        "all_retrieval_intents": [retrieval_intent],
        "default": chosen,
        retrieval_intent: chosen,
    }


def say_faq_suggestions(
    turn: Turn, options: list[FaqAnswer], user_data: dict[str, Any], *, part: str | None = None
) -> None:
    """Say "did you mean …?" with a button for each option. ``part``: of that question of
    the message, whose other questions were answered (its record is kept apart)."""
    top = options[:MAX_SUGGESTIONS]
    keys = [o.key for o in top]
    if part is None:
        note_suggestions(user_data, top)
        turn.action(FAQ_ACTION, suggestions=keys)
        if turn.conversation.handoff == "pending_human":  # see remind_of_the_queue
            many, one = DEFAULT_SUGGEST_WAITING_TEXT, DEFAULT_SUGGEST_ONE_WAITING_TEXT
        else:
            many, one = DEFAULT_SUGGEST_TEXT, DEFAULT_SUGGEST_ONE_TEXT
    else:
        user_data.setdefault("more_questions", []).append({**_suggested(top), "text": part})
        turn.action(FAQ_ACTION, aside=True, suggestions=keys, question=part)
        texts = (DEFAULT_SUGGEST_PART_TEXT, DEFAULT_SUGGEST_PART_ONE_TEXT)
        many, one = (text.format(part=quoted(part)) for text in texts)
    turn.say(BotMessage(text=many if len(top) > 1 else one, buttons=faq_buttons(top)))


def say_part_unsure(turn: Turn, part: str, user_data: dict[str, Any]) -> None:
    """Say that one question of the message, whose others were answered, is not one the
    FAQ can answer: left unsaid, it read as if it had not been read."""
    user_data.setdefault("more_questions", []).append({"decision": "none", "text": part})
    turn.action(FAQ_ACTION, aside=True, question=part, unsure=True)
    turn.say(BotMessage(text=DEFAULT_PART_UNSURE_TEXT.format(part=quoted(part))))


# Markdown's marks: the widget shows a bot message's markdown, and a user's words said back
# are words ("[click](https://…)" would be a link in the bot's message: its text is kept).
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKS = re.compile(r"[\[\]*`~<>#|\\]")
#: A longer question is cut when said back.
QUOTED_CHARS = 80


def quoted(said: str) -> str:
    """What the user said, to be said back in a bot message: its words, no markdown."""
    words = " ".join(_MARKS.sub("", _LINK.sub(r"\1", said)).split())
    return words if len(words) <= QUOTED_CHARS else words[: QUOTED_CHARS - 1].rstrip() + "\u2026"


def note_suggestions(user_data: dict[str, Any], options: list[FaqAnswer]) -> None:
    """Record the FAQ's suggestions for the user's message in its transcript data."""
    user_data["faq"] = _suggested(options)


def _suggested(options: list[FaqAnswer]) -> dict[str, Any]:
    return {
        "decision": "suggest",
        "entry": options[0].key,
        "score": options[0].score,
        "options": [o.key for o in options],
    }


#: Characters of an answer that tell apart two entries asked the same way.
GIST_CHARS = 40


def faq_buttons(options: list[FaqAnswer]) -> tuple[dict[str, str], ...]:
    """ "Did you mean" buttons, each choosing one entry.

    Entries asked the same way are told apart by the start of their answers: one button
    stood for both ("Did you mean: How much does shipping cost?") and only one entry's
    answer could ever be chosen.
    """
    asked = [same_words(o.question) for o in options]
    return tuple(
        {
            "title": o.question if asked.count(words) == 1 else f"{o.question} ({_gist(o.answer)})",
            "payload": "/faq" + json.dumps({FAQ_KEY_ENTITY: o.key}),
        }
        for o, words in zip(options, asked, strict=True)
    )


def _gist(answer: str) -> str:
    """The start of an answer, its markdown marks left out, cut at a word."""
    line = next((x for x in answer.splitlines() if x.strip()), "")
    plain = " ".join(re.sub(r"\]\([^)]*\)|[*_`#>\[\]]", " ", line).split())
    if len(plain) <= GIST_CHARS:
        return plain
    return plain[:GIST_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"


async def handoff(
    turn: Turn,
    domain: Domain,
    reason: str,
    *,
    was_waiting: bool | None = None,
    record: bool = True,
) -> None:
    """Move the conversation to the agents' queue and tell the user so (``was_waiting``:
    whether they were queued before this turn, when the turn itself may have queued them;
    ``record``: False when the project's own handoff action was recorded already)."""
    already = turn.conversation.handoff == "pending_human" if was_waiting is None else was_waiting
    if record:
        turn.action("action_handoff", reason=reason)
    turn.set_handoff("pending_human", reason)
    if turn.said_anything:
        return
    if already:  # asked again while waiting: say where they stand rather than nothing
        turn.say(BotMessage(text=DEFAULT_WAITING_TEXT))
        return
    message = render_response(domain, "utter_handoff", turn.slots, channel=turn.channel)
    turn.say(message or BotMessage(text=DEFAULT_HANDOFF_TEXT))


async def fallback(
    turn: Turn,
    domain: Domain,
    config: DialogueConfig,
    *,
    rephrase: BotMessage | None = None,
    why: BotMessage | None = None,
    hand_over: HandOver | None = None,
    **details: Any,
) -> None:
    """Two-stage fallback: ask to rephrase (``rephrase``, else the domain's
    ``utter_default``), then offer a person, then hand off (``details`` go to the
    transcript's record of the step).

    ``why``, what kept the bot from understanding (the message is in another language), is
    said in place of the rephrase step's message and before the offer of a person or the
    note that the user waits for one; not with a handoff, whose person answers instead.
    ``hand_over`` queues the conversation at the last step (the project's own handoff
    action, where it has one; else ``handoff``).
    """
    conversation = turn.conversation
    turn.fell_back = True
    if conversation.handoff == "pending_human":
        # Already waiting for a person: offering one again, or escalating, would say nothing
        # new (and silence reads as a broken bot).
        # (The project's utter_default may itself invite asking for a person.)
        turn.action("action_default_fallback", attempt=0)
        if why is not None:
            turn.say(why)
        if conversation.active_form is not None and conversation.requested_slot:
            # A form on hold: the order number typed in the queue was "not understood".
            turn.say(BotMessage(text=DEFAULT_FORM_ON_HOLD_TEXT))
            return
        turn.say(BotMessage(text=DEFAULT_NOTED_TEXT))
        return
    conversation.fallback_count += 1
    count = conversation.fallback_count
    turn.action("action_default_fallback", attempt=count, **details)
    # 0: never on its own (a bot without agents), the rephrase step each time
    escalates = config.handoff_after_fallbacks > 0
    if escalates and count >= config.handoff_after_fallbacks:
        conversation.fallback_count = 0
        if hand_over is None:
            await handoff(turn, domain, "repeated fallback")
        else:
            await hand_over(turn, "repeated fallback")
    elif escalates and count == config.handoff_after_fallbacks - 1:
        if why is not None:
            turn.say(why)
        turn.say(
            BotMessage(
                text=DEFAULT_OFFER_HUMAN_TEXT,
                buttons=(
                    {"title": "Yes, talk to a person", "payload": OFFER_YES_PAYLOAD},
                    {"title": "No, I'll rephrase", "payload": OFFER_NO_PAYLOAD},
                ),
            )
        )
    else:
        message = (
            why
            or rephrase
            or render_response(domain, "utter_default", turn.slots, channel=turn.channel)
        )
        turn.say(message or BotMessage(text=DEFAULT_FALLBACK_TEXT))


def other_language(turn: Turn, domain: Domain, language: str) -> BotMessage:
    """What the bot says to a message in another language than the project's
    (``utter_other_language``, else which language it speaks)."""
    own = render_response(domain, "utter_other_language", turn.slots, channel=turn.channel)
    text = DEFAULT_OTHER_LANGUAGE_TEXT.format(language=language_name(language))
    return own or BotMessage(text=text)


HANDOFF_ACTIONS = frozenset({"action_handoff", "action_human_handoff"})
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})
# The offer of a person's Yes button. Rasa's usual name for a request for a person keeps the
# button meaningful in the transcript and when clicked after a later turn.
OFFER_YES_PAYLOAD = "/human_handoff"
OFFER_NO_PAYLOAD = "/deny"
# The others ``run`` carries out itself.
BUILT_IN_ACTIONS = frozenset({
    "action_default_fallback", "action_two_stage_fallback", "action_restart",
    "action_deactivate_loop", "action_session_start", "action_back",
})  # fmt: skip

# Rasa's default intents and the actions they run in every project, before any rule, a form
# included: the way out of a conversation gone wrong. (Rasa's third, ``back``, which reverts
# the previous user message, is not supported.)
DEFAULT_INTENT_ACTIONS = {"restart": "action_restart", "session_start": "action_session_start"}


async def run(turn: Turn, name: str, domain: Domain) -> bool | None:
    """Run a built-in action; None when ``name`` is not one (it is a custom action).

    Not the handoff and fallback actions: the dialogue manager runs those (``Acting``), as
    they may hand over through the project's own handoff action."""
    conversation = turn.conversation
    if name == "action_restart":
        turn.action(name)
        restart(turn, domain)
        start_session(turn, domain, fresh=False)
        said = render_response(domain, "utter_restart", turn.slots, channel=turn.channel)
        if said is not None:  # as Rasa's action_restart, when the domain has one
            turn.say(said)
        return True
    if name == "action_deactivate_loop":
        turn.action(name)
        if conversation.active_form:
            turn.set_active_loop(None)
        return False
    if name == "action_session_start":
        start_session(turn, domain, fresh=False)
        return False
    if name == "action_back":
        turn.action(name)
        return True
    return None


def is_offer_of_a_person(text: str | None, buttons: Any) -> bool:
    """Whether a bot message offers a person: the fallback's offer, or a project's own
    response that asks the same with a Yes button to a person and a No ("Sorry I haven't
    been more helpful. Would you like to talk to a person?"). Its typed "yes" got whatever
    the project does with a yes, and in a form the form's question buried its buttons."""
    payloads = {str(b.get("payload")) for b in buttons or () if isinstance(b, dict)}
    return text == DEFAULT_OFFER_HUMAN_TEXT or {OFFER_YES_PAYLOAD, OFFER_NO_PAYLOAD} <= payloads


def offers_a_person(turn: Turn) -> bool:
    """Whether this turn ends with an offer of a person (``is_offer_of_a_person``)."""
    last = turn.messages[-1] if turn.messages else None
    return last is not None and is_offer_of_a_person(last.text, last.buttons)


def remind_of_the_queue(turn: Turn) -> None:
    """A user in the agents' queue who got an answer from the bot is told they still wait
    (an FAQ answer alone read as if the request for a person had been dropped); not after a
    message with buttons, which rasa-webchat shows on the last message only."""
    said = [m for m in turn.messages if m.text]
    if not said or said[-1].buttons or any(QUEUE_PHRASE in (m.text or "") for m in said):
        return
    turn.say(BotMessage(text=DEFAULT_STILL_WAITING_TEXT))


QUEUE_PHRASE = "in the queue for a member of our team"


def offered_a_person(conversation: Conversation) -> bool:
    """Whether the bot's last message was an offer of a person (``is_offer_of_a_person``)."""
    said = last_said(conversation)
    return said is not None and is_offer_of_a_person(
        said.get("text"), (said.get("data") or {}).get("buttons")
    )


def last_said(conversation: Conversation) -> dict[str, Any] | None:
    """The event of the bot's last message, if any."""
    return next((e for e in reversed(conversation.events) if e.get("event") == "bot"), None)
