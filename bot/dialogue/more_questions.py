"""Reading a message that asks more than one thing, and answering each of its questions.

"Where is NW-48213 and can I change my delivery address?" was read as one intent, the FAQ's,
and answered about the address alone: the request to track the order was lost. A message of
several parts is read part by part as well: when the whole reads as a question for the FAQ
and one part, read alone, is a sure request for the bot's own work (tracking, a return), the
turn acts on that request; after the turn's reply each other question is asked of the FAQ on
its own, and a confident answer to it is added. Only one flow runs: a second request for the
bot's work is left for the user to ask, as two flows at once would interleave their
questions. An added answer is an aside: in the transcript, and said in the Rasa tracker, but
not an action rules and stories see, so they go on from the turn's own action.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from typing import Any

from bot.dialogue import builtin
from bot.dialogue.config import is_low
from bot.dialogue.faq_turns import FaqTurns, answer_of
from bot.dialogue.messages import BotMessage
from bot.dialogue.ports import FaqAnswer, FaqChoice
from bot.dialogue.turn import Turn
from bot.readable import readable_text

log = logging.getLogger(__name__)

# A part starts as a question with a question word, or a helper verb before its subject
# ("can I", "is there"): after "and" only these start a second question ("... and can I
# change it"); other "and"s join the parts of one ("return the shoes and have a refund",
# "arrived broken and is missing the lamp").
_WH = r"how|what|what's|whats|when|where|where's|why|who|which"
_AUX = r"can|could|do|does|did|is|are|will|would|should|may|have|has|am"
_SUBJECT = r"i|you|we|they|he|she|it|there|my|your|our|the|this|that|these|those"
_ASKS = rf"(?:{_WH})\b|(?:{_AUX})\s+(?:{_SUBJECT})\b"
_QUESTION_START = re.compile(rf"^(?:{_ASKS})", re.IGNORECASE)
_AND = rf"(?:and also|and)\s+(?=(?:{_ASKS}))"
# "... to canada? and how much is it?": the "and" after a sentence's end is no part's word
# (markdown's emphasis may close after it: "**do you ship to canada?** and how much is it?")
_BREAKS = re.compile(rf"(?<=[?!.])[*_~`]*\s+(?:{_AND})?|;\s*|,?\s+{_AND}", re.IGNORECASE)
_WORD = re.compile(r"\w+")
#: A part needs this many words to be asked of the FAQ ("and you?" is not a question to it).
MIN_WORDS = 3


@functools.lru_cache(maxsize=64)  # read up to four times a turn; 1.3 ms at 4,600 characters
def parts_of(text: str) -> tuple[str, ...]:
    """The parts of ``text`` that say something of their own (sentences, and what follows
    "and" when it starts as a question), in order; empty for a message of one part. Split as
    read, without markup: in "<b>do you ship to canada?</b> and <i>how much is it?</i>" the
    "and" comes before a question."""
    pieces = [
        " ".join(piece.split()).strip(" ,*_~`") for piece in _BREAKS.split(readable_text(text))
    ]
    if sum(1 for piece in pieces if piece) < 2:
        return ()
    return tuple(piece for piece in pieces if len(_WORD.findall(piece)) >= MIN_WORDS)


def questions_in(text: str) -> list[str]:
    """The parts of ``text`` that ask a question of their own, in order: a sentence that ends
    with "?" or starts as a question does ("I want to return my shoes. How long do refunds
    take?" has one, the second), and so does what follows "and" when it starts as one
    ("where is my order and can I change the address" has two). Empty for a message of one
    part."""
    return [
        part
        for part in parts_of(text)
        if part.endswith("?") or _QUESTION_START.match(part) is not None
    ]


class MoreQuestions(FaqTurns):
    """Mixed into the dialogue manager, whose attributes these are."""

    _small_talk: set[str]  # greetings, yes and no, what the project answers with an offer

    def _reads_parts(self, turn: Turn, text: str) -> bool:
        """Whether a message is read in parts at all: not a button's payload, nor once a
        person is involved (a closed conversation reopens with this message)."""
        return (
            self.config.more_questions > 0
            and not text.startswith("/")
            and turn.conversation.handoff in ("bot", "closed")
        )

    def _most_parts(self) -> int:
        # a bound on the NLU passes and FAQ searches one message may cost
        return self.config.more_questions + 2

    async def _read_in_parts(self, turn: Turn, parse: dict[str, Any]) -> dict[str, Any]:
        """The message's reading, or, when the whole reads as a question for the FAQ (or is
        not understood, or too unsure to act on without asking) and exactly one part read
        alone is a sure request for the bot's work, that request (with the whole message's
        entities: "NW-48213" is the order to track). Not in a form, whose answer the message
        may be, nor in another language."""
        text = str(parse.get("text") or "")
        intent = parse.get("intent") or {}
        question = intent.get("name") in self.config.faq_intents
        # "where is my order? Also, can I add an item to it?" read as tracking at 0.45: the
        # FAQ's answer about adding items won, and the order was never asked for
        unsure = float(intent.get("confidence") or 0.0) < self.config.confirm_action
        if (
            not self._reads_parts(turn, text)
            or not (question or unsure or is_low(intent, self.config, careful_stop=False))
            or (parse.get("language") or {}).get("name")  # told which language the bot speaks
            or turn.conversation.active_form is not None
        ):
            return parse
        try:
            requests = await self._requests_in(turn, list(parts_of(text)), parse)
        except Exception:  # the whole message's reading stands
            log.exception("reading a message in parts failed")
            return parse
        if len(requests) != 1:
            return parse
        ((part, request),) = requests.items()
        # for the transcript: an agent sees why the reading of the whole was not taken
        turn.user_data["read_in_parts"] = {"part": part, "whole": intent}
        ranking = request.get("intent_ranking") or [request["intent"]]
        return {**parse, "intent": request["intent"], "intent_ranking": ranking}

    async def _requests_in(
        self, turn: Turn, parts: list[str], parse: dict[str, Any]
    ) -> dict[str, dict[str, Any]]:
        """The parts that are sure requests for the bot's work, one per intent, by part."""
        found = [str(e["entity"]) for e in parse.get("entities") or () if e.get("entity")]
        readings = await self._part_readings(turn, parts[: self._most_parts()])
        requests: dict[str, dict[str, Any]] = {}
        for part, reading in readings.items():
            name = (reading.get("intent") or {}).get("name")
            if self._sure_request(turn, reading, found) and name not in (
                (r.get("intent") or {}).get("name") for r in requests.values()
            ):
                requests[part] = reading
        return requests

    def _sure_request(self, turn: Turn, reading: dict[str, Any], found: list[str]) -> bool:
        """Whether a part asks for the bot's own work, surely enough to act on without
        asking first (nor yielding to the FAQ): not a question for the FAQ, small talk, a
        yes or no, or a request for a person or to stop (acted on from the whole only)."""
        intent = reading.get("intent") or {}
        name = intent.get("name")
        sure = float(intent.get("confidence") or 0.0)
        return (
            name not in self.config.faq_intents
            and name not in self._small_talk
            and name not in self.config.goodbye_intents
            and name not in self.config.handoff_intents
            and name not in self.config.stop_intents
            and not is_low(intent, self.config, careful_stop=False)
            and sure >= max(self.config.confirm_action, self._limit(False))
            and self._does_work(self.policy.next_action_if(turn.conversation, str(name), found))
        )

    async def _part_readings(self, turn: Turn, parts: list[str]) -> dict[str, dict[str, Any]]:
        """The NLU's reading of each part, read together (the model's batcher groups them)
        and once a turn."""
        new = [part for part in dict.fromkeys(parts) if part not in turn.part_readings]
        readings = await asyncio.gather(*map(self.read_typed, new))
        for part, reading in zip(new, readings, strict=True):
            turn.part_readings[part] = reading
        return {part: turn.part_readings[part] for part in parts}

    async def _answered_in_parts(self, turn: Turn, text: str, user_data: dict[str, Any]) -> bool:
        """Answer each question of a message the FAQ is unsure of as a whole, when it is
        sure of them alone ("can I pay later with klarna and do you sell gift cards?" got
        "Did you mean …?" for the two together): the first as the turn's answer, the others
        beside it. Of one question it is unsure of ("do you price match? do you have a
        newsletter?"), its own "did you mean", last, or, with nothing to suggest, that it is
        not sure of it; a question read as small talk is left. False (nothing said) when no
        question is answered, more than one is unsure, or one is a sure request for the
        bot's work (not the FAQ's to answer): the whole message's suggestions stand."""
        if self.faq is None or not self._reads_parts(turn, text):
            return False
        asked = questions_in(text)[: self.config.more_questions + 1]
        if len(asked) < 2:
            return False
        answers: dict[str, tuple[str, FaqAnswer]] = {}
        unsure: list[tuple[str, FaqChoice]] = []
        try:
            if await self._requests_in(turn, asked, user_data.get("parse") or {}):
                return False
            for question in asked:
                choice = await self._faq_choice(turn, question)
                best = answer_of(choice)
                if best is not None:
                    answers.setdefault(best.key, (question, best))
                elif await self._asks_the_faq(turn, question):
                    unsure.append((question, choice))
        except Exception:  # the whole message's suggestions are still there to give
            log.exception("answering the questions of a message one by one failed")
            return False
        if not answers or len(unsure) > 1:
            return False
        first, *others = answers.values()
        builtin.say_faq_answer(turn, first[1], user_data, decision="answer")
        user_data["faq"]["part"] = first[0]
        for question, entry in others:
            builtin.say_faq_answer(turn, entry, user_data, decision="answer", part=question)
        for question, choice in unsure:
            options = [o for o in choice.options if o.key not in answers]
            self._say_unsure_part(turn, question, options, user_data)
        return True

    @staticmethod
    def _say_unsure_part(
        turn: Turn, question: str, options: list[FaqAnswer], user_data: dict[str, Any]
    ) -> None:
        """The FAQ's "did you mean" for one question of the message, last; or, with nothing
        to suggest, or in a form (whose question stays last, and the buttons would not be),
        that it is not sure of it, before the form's question."""
        if options and turn.conversation.active_form is None and turn.question_at is None:
            builtin.say_faq_suggestions(turn, options, user_data, part=question)
            return
        with turn.before_question():
            builtin.say_part_unsure(turn, question, user_data)

    async def _asks_the_faq(self, turn: Turn, question: str) -> bool:
        """Whether one question of a message reads as a question for the FAQ (or is not
        understood), not small talk ("how are you?") or another request."""
        intent = (await self._part_readings(turn, [question]))[question].get("intent") or {}
        return intent.get("name") in self.config.faq_intents or is_low(
            intent, self.config, careful_stop=False
        )

    async def _answer_more_questions(
        self, turn: Turn, parse: dict[str, Any], user_data: dict[str, Any]
    ) -> None:
        """Add the FAQ's answers to the message's other questions (``more_questions`` in
        all, with those ``_answered_in_parts`` gave).

        Not after a reply that asks the user to choose (a "did you mean", a question about
        an unsure reading, or a reply that ends with buttons: the options would be buried,
        and rasa-webchat shows only the last message's), after a step of the fallback, nor
        once a person is involved. A part read as the intent the turn acted on is the part
        the reply answered; an entry already said is not said again, and a message whose
        one question the FAQ answered as a whole gets no second answer to it. The answers
        go before a form's question asked in this turn, which stays last. Of one question
        read alone as the FAQ's that it has no answer to, its own "did you mean" comes last
        (in a form: that it is not sure of it, before the form's question).
        """
        text = str(parse.get("text") or "")
        whole = user_data.get("faq") or {}
        last = turn.messages[-1] if turn.messages else None
        if (
            self.faq is None
            or not self._reads_parts(turn, text)
            or turn.conversation.handoff != "bot"
            or turn.fell_back
            or "confirm" in user_data
            or "other_language" in user_data
            or "typed_choice" in user_data
            or whole.get("decision") == "suggest"
            or (last is not None and _offers_choices(last) and turn.question_at is None)
        ):
            return
        asked = questions_in(text)[: self._most_parts()]
        answered_whole = whole.get("decision") == "answer" and "part" not in whole
        # "Hi there! how long does shipping take?" is that one question: the FAQ's answer to
        # the whole answered it ("I forgot my password. How do I delete my account?" is two)
        if not asked or (len(parts_of(text)) == 1 and answered_whole):
            return
        acted_on = (parse.get("intent") or {}).get("name")
        told = list(user_data.get("more_questions") or ())  # by _answered_in_parts
        said = {whole.get("entry")} | {m.get("entry") for m in told}
        added = len(told)
        unsure: tuple[str, list[FaqAnswer]] | None = None
        for question in asked:
            if added >= self.config.more_questions:
                break
            if any(m.get("text") == question for m in told):
                continue  # answered, suggested for, or said to be unsure of
            try:
                entry = await self._other_answer(turn, question, acted_on, said)
                if entry is None:
                    if unsure is None:  # one "did you mean" at most, the first
                        options = await self._suggestions_for(turn, question, said)
                        unsure = None if options is None else (question, options)
                    continue
            except Exception:  # the turn's own reply stands
                log.exception("answering another question of the message failed")
                return
            said.add(entry.key)
            with turn.before_question():
                builtin.say_faq_answer(turn, entry, user_data, decision="answer", part=question)
            added += 1
        # "do you ship to PO boxes and will I pay customs fees?": the customs answer, and
        # for the PO boxes its own "did you mean", last (never before a form's question)
        if unsure is not None and added < self.config.more_questions:
            self._say_unsure_part(turn, *unsure, user_data)

    async def _other_answer(
        self, turn: Turn, question: str, acted_on: str | None, said: set[str | None]
    ) -> FaqAnswer | None:
        """The FAQ's answer to one question of the message, or None: none when the FAQ is
        unsure of it, has said that entry, or the question reads as the intent the turn
        acted on or as another request the FAQ is not surer of (the limit for yielding to
        the FAQ, as for a whole message)."""
        best = answer_of(await self._faq_choice(turn, question))
        if best is None or best.key in said:
            return None
        reading = (await self._part_readings(turn, [question]))[question]
        intent = reading.get("intent") or {}
        name = intent.get("name")
        faq_intent = name in self.config.faq_intents
        if name == acted_on and not faq_intent:
            return None
        low = is_low(intent, self.config, careful_stop=False)
        if faq_intent or low or self._outranks(best, float(intent.get("confidence") or 0), False):
            return best
        return None

    async def _suggestions_for(
        self, turn: Turn, question: str, said: set[str | None]
    ) -> list[FaqAnswer] | None:
        """The FAQ's suggestions for one question of the message it has no answer to (empty:
        it has none), when it reads alone as a question for the FAQ. None when one of them
        was said (the question is likely the one the reply answered)."""
        choice = await self._faq_choice(turn, question)
        if choice.decision == "answer" or any(option.key in said for option in choice.options):
            return None
        reading = (await self._part_readings(turn, [question]))[question]
        # read alone as a question for the FAQ: one not understood alone may be the part
        # the reply answered ("where is my order?" of a message read as tracking)
        if (reading.get("intent") or {}).get("name") not in self.config.faq_intents:
            return None
        return list(choice.options) if choice.decision == "suggest" else []

    async def read_typed(self, text: str) -> dict[str, Any]:
        raise NotImplementedError  # the dialogue manager's


def _offers_choices(message: BotMessage) -> bool:
    """Whether a message asks the user to choose (buttons that send something; a link
    button only opens a page)."""
    return any(button.get("payload") for button in message.buttons)
