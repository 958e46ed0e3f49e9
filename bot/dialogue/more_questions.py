"""Reading a message that asks more than one thing, and answering each of its questions.

"Where is NW-48213 and can I change my delivery address?" was read as one intent, the FAQ's,
and answered about the address alone: the request to track the order was lost. A message of
several parts is read part by part as well: when the whole reads as a question for the FAQ
and one part, read alone, is a sure request for the bot's own work (tracking, a return), the
turn acts on that request; after the turn's reply each other question is asked of the FAQ on
its own, and a confident answer to it is added. Only one flow runs: a second request for the
bot's work is left for the user to ask, as two flows at once would interleave their
questions.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.dialogue import builtin
from bot.dialogue.config import is_low
from bot.dialogue.faq_turns import FaqTurns, answer_of
from bot.dialogue.ports import FaqAnswer
from bot.dialogue.turn import Turn

log = logging.getLogger(__name__)

# Words a question starts with. After "and" they start a second question ("... and can I
# change it"); other "and"s join the parts of one ("black and white", "return and refund").
_STARTS = (
    r"how|what|what's|whats|when|where|where's|why|who|which|can|could|do|does|did|is|are|"
    r"will|would|should|may|have|has|am"
)
_QUESTION_START = re.compile(rf"^(?:{_STARTS})\b", re.IGNORECASE)
_BREAKS = re.compile(
    rf"(?<=[?!.])\s+|;\s*|,?\s+(?:and also|and|also|plus)\s+(?=(?:{_STARTS})\b)", re.IGNORECASE
)
_WORD = re.compile(r"\w+")
#: A part needs this many words to be asked of the FAQ ("and you?" is not a question to it).
MIN_WORDS = 3


def parts_of(text: str) -> list[str]:
    """The parts of ``text`` that say something of their own (sentences, and what follows
    "and" when it starts as a question), in order; empty for a message of one part."""
    pieces = [piece.strip(" ,") for piece in _BREAKS.split(text)]
    if sum(1 for piece in pieces if piece) < 2:
        return []
    return [piece for piece in pieces if len(_WORD.findall(piece)) >= MIN_WORDS]


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

    async def _read_in_parts(self, turn: Turn, parse: dict[str, Any]) -> dict[str, Any]:
        """The message's reading, or, when the whole reads as a question for the FAQ and
        exactly one part read alone is a sure request for the bot's work, that request (with
        the whole message's entities: "NW-48213" is the order to track). Not in a form, whose
        answer the message may be, nor while a person is involved, nor in another language."""
        text = str(parse.get("text") or "")
        conversation = turn.conversation
        intent = parse.get("intent") or {}
        if (
            self.config.more_questions <= 0
            or intent.get("name") not in self.config.faq_intents
            or (parse.get("language") or {}).get("name")  # told which language the bot speaks
            or text.startswith("/")
            or conversation.handoff != "bot"
            or conversation.active_form is not None
        ):
            return parse
        requests: dict[str, dict[str, Any]] = {}
        found = [str(e["entity"]) for e in parse.get("entities") or () if e.get("entity")]
        try:
            for part in parts_of(text):
                reading = await self._part_reading(turn, part)
                if self._sure_request(turn, reading, found):
                    requests.setdefault(reading["intent"]["name"], {**reading, "part": part})
        except Exception:  # the whole message's reading stands
            log.exception("reading a message in parts failed")
            return parse
        if len(requests) != 1:
            return parse
        (request,) = requests.values()
        # for the transcript: an agent sees why the FAQ's reading of the whole was not taken
        turn.user_data["read_in_parts"] = {"part": request["part"], "whole": intent}
        ranking = request.get("intent_ranking") or [request["intent"]]
        return {**parse, "intent": request["intent"], "intent_ranking": ranking}

    def _sure_request(self, turn: Turn, reading: dict[str, Any], found: list[str]) -> bool:
        """Whether a part asks for the bot's own work, surely enough to act on without
        asking first: not a question for the FAQ, small talk, a yes or no, or a request for
        a person or to stop (acted on from the whole message only)."""
        intent = reading.get("intent") or {}
        name = intent.get("name")
        return (
            name not in self.config.faq_intents
            and name not in self._yes_no
            and name not in self.config.greet_intents
            and name not in self.config.goodbye_intents
            and name not in self.config.handoff_intents
            and name not in self.config.stop_intents
            and not is_low(intent, self.config, careful_stop=False)
            and float(intent.get("confidence") or 0.0) >= self.config.confirm_action
            and self._does_work(self.policy.next_action_if(turn.conversation, str(name), found))
        )

    async def _part_reading(self, turn: Turn, part: str) -> dict[str, Any]:
        reading = turn.part_readings.get(part)
        if reading is None:
            reading = turn.part_readings[part] = await self.parse(part)
        return reading

    async def _answered_in_parts(self, turn: Turn, text: str, user_data: dict[str, Any]) -> bool:
        """Answer each question of a message the FAQ is unsure of as a whole, when it is
        sure of every one of them alone ("can I pay later with klarna and do you sell gift
        cards?" got "Did you mean …?" for the two together): the first as the turn's
        answer, the others beside it. False (nothing said) when one of them is not
        answered: the whole message's suggestions stand."""
        if self.faq is None or self.config.more_questions <= 0:
            return False
        asked = questions_in(text)[: self.config.more_questions + 1]
        if len(asked) < 2:
            return False
        answers: dict[str, tuple[str, FaqAnswer]] = {}
        for question in asked:
            best = answer_of(await self._faq_choice(turn, question))
            if best is None:
                return False
            answers.setdefault(best.key, (question, best))
        first, *others = answers.values()
        builtin.say_faq_answer(turn, first[1], user_data, decision="answer")
        user_data["faq"]["part"] = first[0]
        for question, entry in others:
            builtin.say_faq_answer(turn, entry, user_data, decision="answer", part=question)
        return True

    async def _answer_more_questions(
        self, turn: Turn, parse: dict[str, Any], user_data: dict[str, Any]
    ) -> None:
        """Add the FAQ's answers to the message's other questions (up to ``more_questions``).

        Not after a reply that asks the user to choose (a "did you mean" or a question about
        an unsure reading: the options are about the whole message), after a step of the
        fallback, nor once a person is involved. A part read as the intent the turn acted
        on is the part the reply answered; an entry already said is not said again. The
        answers go before a form's question asked in this turn, which stays last.
        """
        text = str(parse.get("text") or "")
        conversation = turn.conversation
        if (
            self.faq is None
            or self.config.more_questions <= 0
            or text.startswith("/")
            or turn.fell_back
            or conversation.handoff != "bot"
            or "confirm" in user_data
            or "other_language" in user_data
            or "typed_choice" in user_data
            or (user_data.get("faq") or {}).get("decision") == "suggest"
        ):
            return
        asked = questions_in(text)
        if not asked:
            return
        acted_on = (parse.get("intent") or {}).get("name")
        said = {(user_data.get("faq") or {}).get("entry")}
        said |= {more["entry"] for more in user_data.get("more_questions") or ()}
        added = 0
        for question in asked:
            if added >= self.config.more_questions:
                break
            try:
                entry = await self._other_answer(turn, question, acted_on)
            except Exception:  # the turn's own reply stands
                log.exception("answering another question of the message failed")
                return
            if entry is None or entry.key in said:
                continue
            said.add(entry.key)
            with turn.before_question():
                builtin.say_faq_answer(turn, entry, user_data, decision="answer", part=question)
            added += 1

    async def _other_answer(
        self, turn: Turn, question: str, acted_on: str | None
    ) -> FaqAnswer | None:
        """The FAQ's answer to one question of the message, or None: none when the question
        reads as the intent the turn acted on, or as another request the FAQ is not surer
        of (the limit for yielding to the FAQ, as for a whole message)."""
        reading = await self._part_reading(turn, question)
        intent = reading.get("intent") or {}
        name = intent.get("name")
        faq_intent = name in self.config.faq_intents
        if name == acted_on and not faq_intent:
            return None
        choice = await self._faq_choice(turn, question)
        best = answer_of(choice)
        if best is None:
            return None
        low = is_low(intent, self.config, careful_stop=False)
        if faq_intent or low or self._outranks(best, float(intent.get("confidence") or 0), False):
            return best
        return None

    async def parse(self, text: str) -> dict[str, Any]:
        raise NotImplementedError  # the dialogue manager's
