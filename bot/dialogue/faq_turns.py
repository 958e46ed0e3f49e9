"""The FAQ's part in a turn: answering, suggesting, yielding an unsure intent to a surer FAQ
answer, and asking about an unsure intent before acting on it."""

from __future__ import annotations

import logging
from typing import Any

from bot.dialogue import builtin, confirm
from bot.dialogue.config import DEFAULT_FAQ_GONE_TEXT, MAX_SUGGESTIONS, DialogueConfig, is_low
from bot.dialogue.custom_actions import CustomActions
from bot.dialogue.messages import BotMessage
from bot.dialogue.policy import LISTEN, Policy, conversation_tokens
from bot.dialogue.ports import FaqAnswer, FaqChoice, FaqSource
from bot.dialogue.turn import Turn
from bot.language import language_name
from bot.project import Domain
from bot.readable import faq_question
from bot.state import Conversation
from nlu.result import FALLBACK_INTENT

log = logging.getLogger(__name__)


class FaqTurns:
    """Mixed into the dialogue manager, whose attributes these are."""

    domain: Domain
    policy: Policy
    faq: FaqSource | None
    custom: CustomActions
    config: DialogueConfig
    _yes_no: set[str]  # the config's affirm and deny intents

    async def _fall_back(self, turn: Turn, **options: Any) -> None:
        raise NotImplementedError  # Acting's, which the dialogue manager mixes in over this

    async def _answered_in_parts(self, turn: Turn, text: str, user_data: dict[str, Any]) -> bool:
        return False  # MoreQuestions', which the dialogue manager mixes in over this

    async def _faq_over_intent(
        self, turn: Turn, parse: dict[str, Any], user_data: dict[str, Any]
    ) -> bool:
        """Answer from the FAQ instead of an understood but unsure intent, when the FAQ is
        surer: a story's canned reply at 0.4 was sent where the FAQ had the right entry at
        0.99. False (nothing said or recorded) leaves the message to the intent.

        A canned reply (an ``utter_`` response, or nothing at all) yields below
        ``faq_over_intent``; an intent that would start a form or run a custom action, the
        bot's own work, below ``faq_over_action``; either, at any confidence, to an entry
        that has the message as one of its phrasings (staff wrote this very question into
        the FAQ: "package says delivered but nothing here" started tracking an order). One
        that came with entities (data the user gave for that work) never yields. Requests
        for a person and to stop keep their meaning.
        """
        intent = parse.get("intent") or {}
        sure = float(intent.get("confidence") or 0.0)
        text = str(parse.get("text") or "")
        if (
            self.faq is None
            or intent.get("name") in self.config.handoff_intents
            or intent.get("name") in self.config.stop_intents
            or parse.get("entities")
            or not text
            or text.startswith("/")
        ):
            return False
        upcoming = self.policy.next_action(turn.conversation)
        canned = upcoming is None or upcoming == LISTEN or upcoming.startswith("utter_")
        try:
            if not await self._may_outrank(text, sure, canned):
                return False
            choice = await self._faq_choice(turn, text)
        except Exception:  # the intent was going to answer anyway: let it
            log.exception("FAQ search failed; the intent answers instead")
            return False
        best = answer_of(choice)
        if best is None or not self._outranks(best, sure, canned):
            return False
        builtin.say_faq_answer(turn, best, user_data, decision="answer")
        over = {"name": intent.get("name"), "confidence": sure, "exact": best.exact}
        user_data["faq"]["over_intent"] = over
        return True

    def _limit(self, canned: bool) -> float:
        """Below this confidence an intent yields to a surer FAQ answer (``faq_over_intent``
        0 turns yielding off, for every intent)."""
        over = self.config.faq_over_intent
        return over if canned or over <= 0 else min(over, self.config.faq_over_action)

    async def _may_outrank(self, text: str, sure: float, canned: bool) -> bool:
        """Whether an FAQ answer could go out instead of the intent's action: a sure intent
        yields only to an entry's own phrasing, known without a search (which encodes the
        message: most of a turn's time, on every sure intent)."""
        limit = self._limit(canned)
        if limit <= 0 or self.faq is None:
            return False
        return sure < limit or await self.faq.has_phrasing(text)

    def _outranks(self, best: FaqAnswer, sure: float, canned: bool) -> bool:
        """Whether an FAQ answer goes out instead of the intent's action: the entry's own
        phrasing, or below the limit a surer one (the retriever's calibrated confidence)."""
        limit = self._limit(canned)
        if limit <= 0:
            return False
        return best.exact or (sure < limit and best.score > sure)

    async def chat_reading(self, parse: dict[str, Any]) -> dict[str, Any]:
        """Who would answer a message that opens a conversation, by the rules a turn
        follows: ``by`` "faq", or "intent" with the ``action`` the project runs first
        (``action_handoff`` for a request for a person, ``CONFIRM_ACTION`` when the bot asks
        whether it understood). For the FAQ editor's "Try", which showed the FAQ's verdict
        where the chat answered with an intent's canned reply. ``phrasing_wins``: adding
        the message as an entry's phrasing would make the FAQ answer it."""
        intent = parse.get("intent") or {}
        name = intent.get("name")
        sure = float(intent.get("confidence") or 0.0)
        text = str(parse.get("text") or "")
        reading = {"intent": name, "confidence": round(sure, 4), "by": "intent", "action": None}
        other = (parse.get("language") or {}).get("name")
        if other:  # the bot says which language it speaks
            names = {"language": language_name(other), "own": language_name(self.config.language)}
            return {**reading, "by": "language", "phrasing_wins": False, **names}
        if is_low(intent, self.config, careful_stop=False):
            return {**reading, "by": "faq", "phrasing_wins": False}
        default = builtin.DEFAULT_INTENT_ACTIONS.get(name or "")
        events = [{"event": "user", "parse_data": parse}]
        upcoming = default or self.policy.predict(
            conversation_tokens(events), slots={}, active_loop=None
        )
        if name in self.config.handoff_intents:
            upcoming = upcoming or "action_handoff"
        canned = upcoming is None or upcoming == LISTEN or upcoming.startswith("utter_")
        yields = not (
            default
            or name in self.config.handoff_intents
            or name in self.config.stop_intents
            or parse.get("entities")
            or self.faq is None
        )
        # Offered for a canned reply only: a phrasing equal to what starts a form would stop
        # the form from starting for whoever types it (the FAQ would answer instead).
        reading.update(action=upcoming, phrasing_wins=yields and canned and self._limit(True) > 0)
        if upcoming in (None, LISTEN) or name in self.config.faq_intents:
            return {**reading, "by": "faq"}  # nothing the project does with it: the FAQ's
        if yields and self.faq is not None and await self._may_outrank(text, sure, canned):
            best = answer_of(await self._decide(text))
            if best is not None and self._outranks(best, sure, canned):
                return {**reading, "by": "faq"}
        if yields and self._does_work(upcoming) and sure < self.config.confirm_action:
            if name in self._yes_no:
                return {**reading, "by": "faq"}  # not understood, as in the chat
            reading["action"] = confirm.CONFIRM_ACTION  # asked first: "Did you mean …?"
        return reading

    async def _faq_takes_it(self, turn: Turn, parse: dict[str, Any]) -> bool:
        """Whether a message that interrupts a form's free-text question is not its answer.
        A question for the FAQ is, only when the FAQ answers it, and not when the user says
        it again after the form asked again: "wrong size" as a return's reason, read as a
        question at 0.93, got suggestions (the size guide, exchanges) and the question
        again, every time. Other interruptions (a request for a person, a stop) always are.
        """
        intent = (parse.get("intent") or {}).get("name")
        text = str(parse.get("text") or "")
        if intent not in self.config.faq_intents or self.faq is None or text.startswith("/"):
            return True
        try:
            choice = await self._faq_choice(turn, text)
        except Exception:  # the form's answer it is, then; the FAQ would not have answered
            log.exception("FAQ search failed; the message answers the form's question")
            return False
        best = answer_of(choice)
        if best is None:
            return False
        # An entry's own wording is the FAQ's however often it is sent.
        return best.exact or not _said_again(turn.conversation.events, text)

    def _unsure_work_while_waiting(self, turn: Turn, parse: dict[str, Any]) -> bool:
        """Whether a guess at work (a form or the project's code) is to be left alone while
        the user waits for a person: the bot cannot ask whether it understood ("Did you
        mean …?" waits for the person too), and "retrun polciy?", read as a return at 0.23,
        started the return form on hold; "never mind" then stopped a return the user had
        never asked for. The message goes to the FAQ, else it is noted for the person."""
        intent = parse.get("intent") or {}
        conversation = turn.conversation
        return (
            conversation.handoff == "pending_human"
            and not str(parse.get("text") or "").startswith("/")
            and float(intent.get("confidence") or 0.0) < self.config.confirm_action
            and not parse.get("entities")
            and conversation.active_form is None
            and self._does_work(self.policy.next_action(conversation))
        )

    async def _confirm_unsure(
        self, turn: Turn, parse: dict[str, Any], user_data: dict[str, Any]
    ) -> bool:
        """Ask before starting a form or running a custom action on an unsure intent
        ("delivery" read as tracking an order at 0.24 asked for an order number): a button
        for the intent, then the FAQ's suggestions for the message. False (nothing said or
        recorded) leaves the message to the intent.

        Not for a sure intent (``confirm_action``), one that came with entities (data for
        that work), a button's payload, in a form or while waiting for a person.
        """
        intent = parse.get("intent") or {}
        name = intent.get("name")
        sure = float(intent.get("confidence") or 0.0)
        text = str(parse.get("text") or "")
        conversation = turn.conversation
        if (
            not name
            or sure >= self.config.confirm_action
            or name in self.config.handoff_intents
            or name in self.config.stop_intents
            or parse.get("entities")
            or not text
            or text.startswith("/")
            or conversation.active_form is not None
            or conversation.handoff != "bot"
        ):
            return False
        upcoming = self.policy.next_action(conversation)
        if not self._does_work(upcoming):
            return False
        if self._sure_of(upcoming, parse, conversation):
            return False
        if name in self._yes_no:
            # A shrug after an order's status, read as "no" at 0.4, got "Did you mean this?
            # [No, let's go on]": a yes or no the bot is unsure of is not understood.
            await self._fall_back(turn)
            return True
        choice = None
        if self.faq is not None:
            try:
                choice = await self._faq_choice(turn, text)
            except Exception:  # the question about the intent is still worth asking
                log.exception("FAQ search failed; asking about the intent alone")
        self._ask_about(turn, name, choice, user_data)
        user_data["confirm"] = {"intent": name, "confidence": sure}
        return True

    def _sure_of(
        self, action: str | None, parse: dict[str, Any], conversation: Conversation
    ) -> bool:
        """Whether the readings that lead to ``action`` are together sure enough
        (``confirm_action``): right after an order's status, "but I don't have it yet" read
        as tracking an order at 0.50 and as "no" at 0.32 disputes the status either way, and
        "Did you mean this? [Track my order]" asked about what made no difference."""
        together = 0.0
        for reading in parse.get("intent_ranking") or ():
            name = reading.get("name")
            if (
                name
                and name != FALLBACK_INTENT
                and (self.policy.next_action_as(conversation, name) == action)
            ):
                together += float(reading.get("confidence") or 0.0)
        return together >= self.config.confirm_action

    def _ask_about(
        self, turn: Turn, name: str, choice: FaqChoice | None, user_data: dict[str, Any]
    ) -> None:
        """Ask whether the message meant intent ``name``: a button for it, then the FAQ's
        suggestions in ``choice``."""
        options: list[FaqAnswer] = []
        if choice is not None and choice.decision in ("answer", "suggest"):
            options = list(choice.options[: self.config.confirm_faq_options])
        buttons = (
            {"title": self.domain.intent_title(name), "payload": f"/{name}"},
            *builtin.faq_buttons(options),
        )
        if options:
            builtin.note_suggestions(user_data, options)
        confirm.ask(turn, name, buttons, [o.key for o in options])

    def _does_work(self, action: str | None) -> bool:
        """Whether ``action`` starts a form or runs the project's own code (not a response,
        the FAQ, a handoff or another action every bot has), as ``_run_action`` decides."""
        if action is None:
            return False
        if action in self.domain.forms:
            return True
        return not (
            action == LISTEN
            or action.startswith("utter_")
            or action == builtin.FAQ_ACTION
            or self.domain.is_retrieval_action(action)
            or action in builtin.HANDOFF_ACTIONS
            or action in builtin.BUILT_IN_ACTIONS
            or not self.custom.has(action)
        )

    async def _answer_faq(
        self, turn: Turn, parse: dict[str, Any], user_data: dict[str, Any]
    ) -> bool:
        """Answer from the FAQ, or offer its suggestions; False when it has neither."""
        if self.faq is None:
            return False
        key = builtin.faq_key(parse)
        if key is not None:
            entry = await self.faq.entry(key)
            if entry is None:
                # An old "did you mean" button for an entry removed or switched off since:
                # not the user's misunderstanding, so no fallback step either.
                user_data["faq"] = {"entry": key, "decision": "gone"}
                turn.action(builtin.FAQ_ACTION, faq=key, error="no longer answered")
                turn.say(BotMessage(text=DEFAULT_FAQ_GONE_TEXT))
                return True
            builtin.say_faq_answer(turn, entry, user_data, decision="chosen")
            return True
        text = str(parse.get("text") or "")
        if not text or text.startswith("/"):
            return False
        choice = await self._faq_choice(turn, text)
        if choice.decision == "answer" and choice.options:
            builtin.say_faq_answer(turn, choice.options[0], user_data, decision="answer")
            return True
        if await self._answered_in_parts(turn, text, user_data):
            return True
        if choice.decision == "suggest" and choice.options:
            if self._suggested_again(turn, text, list(choice.options)):
                # The question asked again over the same "Did you mean …?": none of them,
                # and the same buttons once more went round in circles. Not understood, at
                # the step that offers a person.
                user_data["faq"] = {"decision": "none", "suggested_again": True}
                conversation = turn.conversation
                conversation.fallback_count = max(
                    conversation.fallback_count, self.config.before_offer
                )
                return False
            builtin.say_faq_suggestions(turn, list(choice.options), user_data)
            return True
        user_data["faq"] = {"decision": "none"}
        return False

    @staticmethod
    def _suggested_again(turn: Turn, text: str, options: list[FaqAnswer]) -> bool:
        """Whether the user repeated the message the bot just made these suggestions for."""
        shown = [b.get("payload") for b in confirm.pending(turn.conversation)]
        same = [b["payload"] for b in builtin.faq_buttons(options[:MAX_SUGGESTIONS])]
        return shown == same and _said_again(turn.conversation.events, text)

    async def _faq_choice(self, turn: Turn, text: str) -> FaqChoice:
        """The FAQ's decision on ``text``; an intent that kept the message from the FAQ and
        then did nothing with it falls back to the FAQ, which is not searched again."""
        assert self.faq is not None
        choice = turn.faq_choices.get(text)
        if choice is None:
            choice = turn.faq_choices[text] = await self._decide(text)
        return choice

    async def _decide(self, text: str) -> FaqChoice:
        """The FAQ's decision on a message as the model reads it, without the markup or code
        pasted around it; the chat, the editor's Try and ``/model/parse`` all ask this."""
        assert self.faq is not None
        question = faq_question(text)
        return FaqChoice("none") if question is None else await self.faq.decide(question)


def _said_again(events: list[dict[str, Any]], text: str) -> bool:
    """Whether the user's message before this one (the latest) was the same text."""
    said = [e.get("text") for e in events if e.get("event") == "user"]
    same = " ".join(text.split()).casefold()
    return len(said) >= 2 and " ".join(str(said[-2] or "").split()).casefold() == same


def answer_of(choice: FaqChoice) -> FaqAnswer | None:
    return choice.options[0] if choice.decision == "answer" and choice.options else None
