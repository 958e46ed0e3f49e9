"""The dialogue manager: one user turn from text to replies (the agents' controls are in
``bot.dialogue.agents``)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

from bot.actions import ActionRunner
from bot.dialogue import builtin
from bot.dialogue.agents import AgentDesk
from bot.dialogue.choice import the_one_offered, typed_choice
from bot.dialogue.config import (
    DEFAULT_ERROR_TEXT,
    DEFAULT_STOPPED_TEXT,
    DialogueConfig,
    is_low,
)
from bot.dialogue.custom_actions import CustomActions
from bot.dialogue.external import ExternalIntents
from bot.dialogue.form_turns import FormTurns
from bot.dialogue.forms import FormLoop
from bot.dialogue.messages import BotMessage, MessageSink
from bot.dialogue.more_questions import MoreQuestions
from bot.dialogue.policy import Policy
from bot.dialogue.ports import FaqSource, Parser
from bot.dialogue.preview import Preview
from bot.dialogue.questions import Questions
from bot.dialogue.senders import check_sender
from bot.dialogue.shortcut import parse_shortcut
from bot.dialogue.tracker import bounded_events, tracker_state, user_uttered
from bot.dialogue.turn import Turn
from bot.dialogue.waiting import Waiting
from bot.errors import BotError
from bot.language import language_name
from bot.project import Domain, Rule, Story, is_external_intent, retrieval_key
from bot.readable import only_markup, readable_text
from bot.reminders import Cancel, ReminderStore, StaleReminder
from bot.sessions import SessionStore
from bot.state import Conversation, Handoff
from bot.transcripts import TranscriptLog

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 5000


# MoreQuestions right after Preview: FaqTurns, which both build on, must come before the
# mixins that stub its methods (Python's MRO puts a shared base after all who name it).
class DialogueManager(
    AgentDesk, Preview, MoreQuestions, Questions, Waiting, FormTurns, ExternalIntents
):
    """Joins NLU, rules and stories, forms, the FAQ base and custom actions into replies.

    Every turn holds the conversation's lock, so turns of one conversation run one at a time
    on any worker; state is saved and the transcript appended once per turn.
    """

    def __init__(
        self,
        *,
        domain: Domain,
        rules: list[Rule],
        stories: list[Story],
        store: SessionStore,
        transcripts: TranscriptLog,
        parser: Parser | None = None,
        faq: FaqSource | None = None,
        actions: ActionRunner | None = None,
        config: DialogueConfig | None = None,
        rng: random.Random | None = None,
        reminders: ReminderStore | None = None,
    ) -> None:
        self.domain = domain
        self.policy = Policy(rules, stories)
        self.store = store
        self.transcripts = transcripts
        # Beside the transcript, in the same database: a reminder outlives the process.
        self.reminders = reminders or ReminderStore(transcripts.engine)
        self.parser = parser
        self.faq = faq
        self.custom = CustomActions(domain, actions)
        self.config = config or DialogueConfig()
        self.rng = rng or random.Random()
        self.forms = FormLoop(
            domain, self.custom.run_for_form, self.custom.has, self.custom.extract_for_form
        )
        self._listeners: list[MessageSink] = []
        # Confident messages of these intents are not taken as a form's free-text answer.
        self._interruptions = {
            *self.config.faq_intents,
            *self.config.handoff_intents,
            *self.config.stop_intents,
            *self.policy.answered_intents(domain.forms),
        } - {"inform", "affirm", "deny"}
        # An intent that starts one form interrupts another where it runs something else
        # ("where is my order NW-10472?" in the return form was taken as its reason).
        self._form_starters = self.policy.form_starters(domain.forms)
        self._yes_no = {*self.config.affirm_intents, *self.config.deny_intents}
        self._can_stop = any(name in domain.intents for name in self.config.stop_intents)
        # Said while waiting for a person, these are told where the user stands; so are
        # those a project's rule answers with its own offer of a person (the demo's apology
        # to "this bot is stupid" offered a person to a user already queued for one).
        offers = {
            name
            for name, variants in domain.responses.items()
            if any(builtin.is_offer_of_a_person(v.text, v.buttons) for v in variants)
        }
        self._small_talk = {
            *self.config.greet_intents,
            *self._yes_no,
            *self.policy.intents_answered_by(offers),
        }

    # ----------------------------------------------------------------- public API
    def add_listener(self, sink: MessageSink) -> None:
        """Receive messages produced outside a user's own turn (agent replies)."""
        self._listeners.append(sink)

    def ready(self) -> dict[str, bool]:
        return {"nlu": self.parser is not None, "faq": self.faq is not None}

    async def tracker(
        self, conversation_id: str, include_events: str = "AFTER_RESTART"
    ) -> dict[str, Any]:
        """Rasa's tracker JSON of a conversation (``GET /conversations/{id}/tracker``); an
        unknown id has an empty one, as in Rasa. ``include_events`` as ``tracker_state``
        reads it."""
        state = await self.store.load(conversation_id)
        if state is None:
            slots = {name: slot.initial_value for name, slot in self.domain.slots.items()}
            state = Conversation(id=conversation_id, slots=slots)
        return tracker_state(state, events=include_events)

    async def parse(self, text: str) -> dict[str, Any]:
        """Rasa's parse JSON for a text (the ``/intent{...}`` shortcut skips the model)."""
        shortcut = parse_shortcut(text)
        if shortcut is not None:
            # Rasa's /faq/ask_hours picks that response of a retrieval intent: here, the
            # FAQ entry it became, as a "did you mean" button picks one.
            intent = shortcut["intent"]["name"]
            base, slash, _ = intent.partition("/")
            if slash and base in self.domain.retrieval_intents and not builtin.faq_key(shortcut):
                chosen = {"entity": builtin.FAQ_KEY_ENTITY, "value": retrieval_key(intent)}
                shortcut["entities"].append({**chosen, "start": 0, "end": 0})
            return shortcut
        readable = readable_text(text)
        if self.parser is None or only_markup(text, readable):
            return _not_understood(text)
        # The model reads the text without the markup or code around it; the parse keeps
        # the message as typed, at the same offsets.
        return {**await self.parser.parse(readable), "text": text}

    async def model_parse(self, text: str) -> dict[str, Any]:
        """Rasa's ``/model/parse``: :meth:`parse`, and for a question for the FAQ the entry
        the chat would answer it with, as Rasa's ``response_selector`` (none when the FAQ
        would not answer). Not part of a turn, which searches the FAQ itself."""
        parsed = await self.parse(text)
        intent = (parsed.get("intent") or {}).get("name")
        if self.faq is None or intent not in self.config.faq_intents or text.startswith("/"):
            return parsed
        choice = await self._decide(text)
        if choice.decision != "answer":
            return parsed
        return {**parsed, "response_selector": builtin.response_selector(choice.options[0])}

    async def read_typed(self, text: str) -> dict[str, Any]:
        """:meth:`parse` of what the user typed (a message, or a part of one): an intent
        only the shop's systems send is not understood. "/EXTERNAL_order_shipped{...}"
        typed in the widget told the user their order had shipped (``trigger_intent``
        sends such intents, with an agent's token)."""
        parse = await self.parse(text)
        if is_external_intent((parse.get("intent") or {}).get("name")):
            return _not_understood(text)
        return parse

    async def _read(self, turn: Turn, text: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """The button the message picks, if any, and its parse. A typed "2" or a button's
        title is a click on that button, and so is a "yes" to a form's question about the
        one choice it offered ("Is it NW-27530, or another one?": the yes was not
        understood, and the question asked again)."""
        listening = turn.conversation.handoff != "human"
        chosen = typed_choice(turn.conversation, text) if listening else None
        parse = await (self.parse(str(chosen["payload"])) if chosen else self.read_typed(text))
        offered = the_one_offered(turn.conversation) if listening and not chosen else None
        if offered and (parse.get("intent") or {}).get("name") in self.config.affirm_intents:
            return offered, await self.parse(str(offered["payload"]))
        return chosen, parse

    async def handle(
        self,
        sender_id: str,
        text: str,
        metadata: dict[str, Any] | None = None,
        *,
        channel: str = "rest",
    ) -> list[BotMessage]:
        """Handle one user message and return the bot's replies (none while an agent has it)."""
        check_sender(sender_id)
        if len(text) > MAX_MESSAGE_CHARS:
            raise BotError(f"message is {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}")
        async with self._turn(sender_id, channel=channel, actor="bot") as turn:
            chosen = None
            try:
                chosen, parse = await self._read(turn, text)
                if not chosen:
                    parse = await self._read_in_parts(turn, parse)
            except Exception:
                # The message is still recorded and answered: a broken model loses nothing.
                log.exception("parsing failed for conversation %s", sender_id)
                parse = _not_understood(text)
            user_data = self._record_user(turn, text, parse, metadata)
            if chosen:
                user_data["typed_choice"] = {k: chosen.get(k) for k in ("title", "payload")}
            if turn.conversation.handoff == "human":
                return []  # the agent answers; the message is in the transcript for them
            await self._answer(turn, parse, user_data)
        return turn.messages

    async def _answer(self, turn: Turn, parse: dict[str, Any], user_data: dict[str, Any]) -> None:
        """The bot's answer to the user's message; a failure is said, never raised."""
        waiting = turn.conversation.handoff == "pending_human"
        try:
            await self._respond(turn, parse, user_data)
            await self._answer_more_questions(turn, parse, user_data)
            if waiting and turn.conversation.handoff == "pending_human":
                builtin.remind_of_the_queue(turn)
        except Exception as error:
            log.exception("turn failed for conversation %s", turn.conversation.id)
            turn.transcript(
                "action", {"name": "error", "error": f"{type(error).__name__}: {error}"}
            )
            turn.say(BotMessage(text=DEFAULT_ERROR_TEXT))

    def _unanswered(self, turn: Turn) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The user's last message and its reading, when no one answered it and the bot
        understands it: written while an agent had the conversation, given back without a
        word ("where is my order NW-10472?" got "You're chatting with the assistant again."
        and a question from before it)."""
        event = next(
            (e for e in reversed(turn.conversation.events) if e.get("event") in ("user", "bot")),
            None,
        )
        if event is None or event.get("event") != "user":
            return None
        parse = dict(event.get("parse_data") or {})
        reading = self._reading(turn.conversation, parse.get("intent") or {}, for_bot=True)
        if reading["low_confidence"] or reading.get("unsure_in_form"):
            return None  # "hmm" to the agent, answered "Sorry, I didn't get that"
        if (parse.get("intent") or {}).get("name") in self.config.handoff_intents:
            return None  # asked a person for a person: queued again as the agent leaves
        data = {"text": event.get("text"), "parse": parse, "faq": None, "channel": turn.channel}
        return parse, {**data, **reading}

    async def finish_form(self, sender_id: str, *, channel: str = "rest") -> list[BotMessage]:
        """End the active form as if its last answer had come, then run what follows.

        For test conversations: Rasa's test stories write a form's happy path as
        ``active_loop: <form>`` then ``active_loop: null``, without the answers.
        """
        check_sender(sender_id)
        async with self._turn(sender_id, channel=channel, actor="bot") as turn:
            form = turn.conversation.active_form
            if form is not None:
                self.forms.last_run(turn, form)
                turn.set_active_loop(None)
                await self._predict_and_run(turn, None)
        return turn.messages

    async def set_slots(
        self, sender_id: str, slots: Mapping[str, Any], *, channel: str = "rest"
    ) -> None:
        """Set slots as the bot would, outside any message.

        For test conversations: Rasa's tests apply a story's ``slot_was_set`` steps, so a
        story may set a slot the bot itself would not (a user known as a VIP, say).
        """
        check_sender(sender_id)
        async with self._turn(sender_id, channel=channel, actor="bot") as turn:
            for name, value in slots.items():
                turn.set_slot(name, value)

    # ----------------------------------------------------------------- one turn
    @asynccontextmanager
    async def _turn(
        self,
        conversation_id: str,
        *,
        channel: str = "rest",
        actor: str = "bot",
        same_session: bool = False,
    ) -> AsyncIterator[Turn]:
        """One turn under the conversation's lock; its state and transcript are written
        when the block ends, and nothing when it raises.

        Raises:
            StaleReminder: ``same_session`` and the conversation's session has ended.
        """
        async with self.store.lock(conversation_id):
            stored = await self.store.load(conversation_id)
            if same_session and (stored is None or self._session_expired(stored)):
                raise StaleReminder(f"the session of {conversation_id} has ended")
            expected = stored.version if stored else 0
            conversation = stored or Conversation(id=conversation_id)
            known = stored is not None or await self._recover(conversation)
            turn = Turn(conversation, channel=channel, actor=actor)
            if stored is None or self._session_expired(conversation):
                builtin.start_session(turn, self.domain, fresh=not known)
            yield turn
            await self._commit(turn, expected)
            # Under the lock still: a reminder about to fire sees what this turn cancelled.
            try:
                await self.reminders.apply(conversation_id, turn.reminders)
            except Exception:
                # The turn is saved and its replies are due: a reminder lost (or one left
                # that a message should have cancelled) is the lesser harm.
                log.exception("could not store the reminders of %s", conversation_id)

    async def _recover(self, conversation: Conversation) -> bool:
        """Take who answers a conversation from its transcript when its state is gone.

        State can be lost while the transcript keeps the conversation: its TTL passed, or
        Redis restarted without persistence. Starting over as "bot" would let the bot answer
        a user an agent is talking to, and refuse that agent's next message. Slots and form
        progress are not rebuilt; the conversation starts a new session. Returns whether the
        transcript knew the conversation.
        """
        summary = await self.transcripts.get(conversation.id)
        if summary is None:
            return False
        idle = (datetime.now(UTC) - summary.updated_at).total_seconds()
        if idle > self.store.ttl_seconds:
            return True  # idle past the state's lifetime: it expired; start over as before
        conversation.handoff = cast(Handoff, summary.handoff)
        conversation.paused = summary.handoff == "human"
        if summary.handoff == "human":
            conversation.agent = await self.transcripts.last_agent(conversation.id)
        return True

    def _session_expired(self, conversation: Conversation) -> bool:
        minutes = self.domain.session_config.expiration_minutes
        if minutes <= 0:
            return False
        return time.time() - conversation.last_activity_at > minutes * 60

    async def _commit(self, turn: Turn, expected: int) -> None:
        conversation = turn.conversation
        limit = self.config.max_history_events
        if len(conversation.events) > limit:
            conversation.events = bounded_events(conversation.events, limit)
        conversation.last_activity_at = time.time()
        # The transcript first: if saving state then fails, nothing that was said is lost.
        await self.transcripts.append(conversation.id, turn.log)
        await self.store.save(conversation, expected)

    def _record_user(
        self, turn: Turn, text: str, parse: dict[str, Any], metadata: dict[str, Any] | None
    ) -> dict[str, Any]:
        conversation = turn.conversation
        if conversation.handoff == "closed":
            turn.set_handoff("bot", "user wrote after close")
            turn.transcript("status", {"to": "open"})
        intent = parse.get("intent") or {}
        # A message to the agent who has the conversation is not the bot's to understand:
        # flagged, every taken-over chat filled the console's low-confidence view.
        reading = self._reading(conversation, intent, for_bot=conversation.handoff != "human")
        # "is_external" is the bot's own mark of an intent the user did not send.
        metadata = {k: v for k, v in (metadata or {}).items() if k != "is_external"}
        user_uttered(turn, text, parse, metadata)
        # Rasa's kill_on_user_msg: a reminder set before this message is no longer wanted.
        turn.reminders.append(Cancel(only_killed_by_messages=True))
        data: dict[str, Any] = {
            "text": text,
            "parse": parse,
            "faq": None,
            "channel": turn.channel,
            **reading,
            **turn.user_data,  # what was noted while reading it (read_in_parts)
        }
        if metadata:
            data["metadata"] = metadata
        turn.transcript("user", data, actor="user")
        turn.user_data = data
        return data

    def _reading(
        self, conversation: Conversation, intent: dict[str, Any], *, for_bot: bool
    ) -> dict[str, Any]:
        """How sure the bot is of a message: ``low_confidence``, and ``unsure_in_form``
        where a form's question makes it act on it as not understood (the transcript's
        low-confidence flag, the console's filter, stays for what the model itself did not
        understand)."""
        # Stopping wrongly costs a form's answers or a place in the agents' queue.
        careful = conversation.active_form is not None or conversation.handoff == "pending_human"
        low = for_bot and is_low(intent, self.config, careful_stop=careful)
        reading: dict[str, Any] = {"low_confidence": low}
        if for_bot and not low and self._unsure_in_form(conversation, intent):
            reading["unsure_in_form"] = True
        return reading

    async def _respond(self, turn: Turn, parse: dict[str, Any], user_data: dict[str, Any]) -> None:
        conversation = turn.conversation
        language = parse.get("language") or {}
        other = language.get("name")
        low = bool(user_data["low_confidence"] or user_data.get("unsure_in_form"))
        if other and not conversation.requested_slot and not user_data.get("typed_choice"):
            # Read in the project's language, it was a guess ("Hallo, wo ist meine
            # Bestellung?" got the greeting); a form's answer (a name, an address) is let be.
            user_data["other_language"] = {"code": other, "name": language_name(other)}
            why = builtin.other_language(turn, self.domain, self.config.language)
            if low or not language.get("read_as"):
                await self._fall_back(turn, why=why, language=other)
                return
            # Its entities alone were understood (an order number): said which language
            # the bot speaks, then answered as they were read.
            turn.say(why)
        answered = await self._answer_to_question(turn, parse, user_data, low=low)
        if answered is None:
            return
        parse = answered
        intent = (parse.get("intent") or {}).get("name")
        form = conversation.active_form
        default_action = builtin.DEFAULT_INTENT_ACTIONS.get(intent or "")
        if default_action is not None and not low:
            await builtin.run(turn, default_action, self.domain)
            return
        if not low and await self._while_waiting(turn, intent):
            return
        if not low and await self._answer_to_the_offer(turn, intent):
            return
        waiting = conversation.handoff == "pending_human"
        if await self._take_slots(turn, parse, low=low, waiting=waiting):
            return
        understood = False
        if not low:
            if builtin.faq_key(parse) is not None or intent in self.config.faq_intents:
                understood = await self._answer_faq(turn, parse, user_data)
            else:
                understood = await self._faq_over_intent(turn, parse, user_data)
                if not understood and await self._confirm_unsure(turn, parse, user_data):
                    return  # a question, not yet understood: the fallback count stands
            if not understood and not self._unsure_work_while_waiting(turn, parse):
                understood = await self._predict_and_run(turn, intent)
            if not understood and form is not None and intent in self.config.stop_intents:
                await builtin.run(turn, "action_deactivate_loop", self.domain)
                turn.say(BotMessage(text=DEFAULT_STOPPED_TEXT))
                understood = True
            if not understood and intent in self.config.handoff_intents:
                await self._hand_over(turn, "user asked for a person")
                understood = True
        if not understood:
            understood = await self._answer_faq(turn, parse, user_data)
        if understood:
            if turn.fell_back:
                # The rule's FAQ action had no answer and said so: a step of the fallback.
                # Counted back to 0, "Do you sell dog food?" asked again and again got
                # "rephrase" each time, never the offer of a person.
                pass
            elif (user_data.get("faq") or {}).get("decision") != "suggest":
                conversation.fallback_count = 0
            else:
                # Suggestions are a question, not yet an answer: "no" to them, again and
                # again, comes to the offer of a person, and no further.
                self._hold_at_the_offer(conversation)
        elif (
            # with no handoff on its own (0), nothing escalates: the project's rule each time
            (conversation.fallback_count == 0 or not self.config.handoff_after_fallbacks)
            and intent == "nlu_fallback"
            and conversation.handoff != "pending_human"  # the fallback says they are queued
            and await self._predict_and_run(turn, intent)
        ):
            conversation.fallback_count = 1  # the project's own rule answered the first miss
        else:
            await self._fall_back(turn)
        await self._back_to_the_form(turn, form)


def _not_understood(text: str) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.0},
        "intent_ranking": [],
        "entities": [],
    }
