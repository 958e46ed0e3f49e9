"""The dialogue manager: one user turn from text to replies (the agents' controls are in
``bot.dialogue.agents``)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

from bot.actions import ActionRunner
from bot.dialogue import builtin, confirm
from bot.dialogue.acting import Acting
from bot.dialogue.agents import AgentDesk
from bot.dialogue.choice import typed_choice
from bot.dialogue.config import (
    DEFAULT_BYE_WHILE_WAITING_TEXT,
    DEFAULT_ERROR_TEXT,
    DEFAULT_LEFT_QUEUE_TEXT,
    DEFAULT_NO_LONGER_WAITING_TEXT,
    DEFAULT_OTHER_LANGUAGE_TEXT,
    DEFAULT_REPHRASE_TEXT,
    DEFAULT_STOPPED_TEXT,
    DialogueConfig,
    is_low,
)
from bot.dialogue.custom_actions import CustomActions
from bot.dialogue.external import ExternalIntents
from bot.dialogue.forms import FormLoop
from bot.dialogue.messages import BotMessage, MessageSink
from bot.dialogue.policy import LISTEN, Policy
from bot.dialogue.ports import FaqSource, Parser
from bot.dialogue.responses import render_response
from bot.dialogue.senders import check_sender
from bot.dialogue.shortcut import parse_shortcut
from bot.dialogue.slots import extract_slots
from bot.dialogue.tracker import tracker_state
from bot.dialogue.turn import Turn
from bot.errors import BotError
from bot.language import LANGUAGES
from bot.project import Domain, Rule, Story, retrieval_key
from bot.reminders import Cancel, ReminderStore, StaleReminder
from bot.sessions import SessionStore
from bot.state import Conversation, Handoff
from bot.transcripts import TranscriptLog

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 5000


class DialogueManager(AgentDesk, Acting, ExternalIntents):
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
        self.forms = FormLoop(domain, self.custom.run_for_form, self.custom.has)
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
        # Said while waiting for a person, these are told where the user stands.
        self._small_talk = {*self.config.greet_intents, *self._yes_no}

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
        unknown id has an empty one, as in Rasa.

        Args:
            include_events: Rasa's ``AFTER_RESTART`` and ``APPLIED`` (the events after the
                last restart), ``ALL`` (the session's events, restarts included; earlier
                sessions' are in the transcript), or ``NONE``.
        """
        state = await self.store.load(conversation_id)
        if state is None:
            slots = {name: slot.initial_value for name, slot in self.domain.slots.items()}
            state = Conversation(id=conversation_id, slots=slots)
        tracker = tracker_state(state)
        if include_events == "NONE":
            tracker["events"] = None
        elif include_events in ("AFTER_RESTART", "APPLIED"):
            events = tracker["events"]
            restarts = [i for i, e in enumerate(events) if e.get("event") == "restart"]
            tracker["events"] = events[restarts[-1] + 1 :] if restarts else events
        return tracker

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
        if self.parser is None:
            return _not_understood(text)
        return await self.parser.parse(text)

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
            if turn.conversation.handoff != "human":
                chosen = typed_choice(turn.conversation, text)
            try:
                # A typed "2" or a button's title is a click on that button.
                parse = await self.parse(str(chosen["payload"]) if chosen else text)
            except Exception:
                # The message is still recorded and answered: a broken model loses nothing.
                log.exception("parsing failed for conversation %s", sender_id)
                parse = _not_understood(text)
            user_data = self._record_user(turn, text, parse, metadata)
            if chosen:
                user_data["typed_choice"] = {k: chosen.get(k) for k in ("title", "payload")}
            if turn.conversation.handoff == "human":
                return []  # the agent answers; the message is in the transcript for them
            waiting = turn.conversation.handoff == "pending_human"
            try:
                await self._respond(turn, parse, user_data)
                if waiting and turn.conversation.handoff == "pending_human":
                    builtin.remind_of_the_queue(turn)
            except Exception as error:
                log.exception("turn failed for conversation %s", sender_id)
                turn.transcript(
                    "action", {"name": "error", "error": f"{type(error).__name__}: {error}"}
                )
                turn.say(BotMessage(text=DEFAULT_ERROR_TEXT))
        return turn.messages

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
            conversation.events = conversation.events[-limit:]
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
        # Stopping wrongly costs a form's answers or a place in the agents' queue.
        careful = conversation.active_form is not None or conversation.handoff == "pending_human"
        low = is_low(intent, self.config, careful_stop=careful)
        # "is_external" is the bot's own mark of an intent the user did not send.
        metadata = {k: v for k, v in (metadata or {}).items() if k != "is_external"}
        conversation.latest_message = {**parse, "metadata": metadata}
        # As Rasa's tracker: the bot listened, then the user spoke; an action run next sees
        # latest_action_name "action_listen" (the policy and transcripts skip it).
        turn.rasa_event({"event": "action", "name": LISTEN})
        conversation.latest_action = LISTEN
        # Rasa's kill_on_user_msg: a reminder set before this message is no longer wanted.
        turn.reminders.append(Cancel(only_killed_by_messages=True))
        turn.rasa_event(
            {
                "event": "user",
                "text": text,
                "parse_data": parse,
                "input_channel": turn.channel,
                "metadata": metadata or {},
            }
        )
        data: dict[str, Any] = {
            "text": text,
            "parse": parse,
            "low_confidence": low,
            "faq": None,
            "channel": turn.channel,
        }
        if metadata:
            data["metadata"] = metadata
        if not low and self._unsure_in_form(conversation, intent):
            # Acted on as not understood; the transcript's low-confidence flag (the console's
            # filter) stays for what the model itself did not understand.
            data["unsure_in_form"] = True
        turn.transcript("user", data, actor="user")
        turn.user_data = data
        return data

    async def _respond(self, turn: Turn, parse: dict[str, Any], user_data: dict[str, Any]) -> None:
        conversation = turn.conversation
        other = (parse.get("language") or {}).get("name")
        if other and not conversation.requested_slot and not user_data.get("typed_choice"):
            # Read in the project's language, it was a guess ("Hallo, wo ist meine
            # Bestellung?" got the greeting); a form's answer (a name, an address) is let be.
            user_data["other_language"] = {"code": other, "name": LANGUAGES.get(other, other)}
            hint = self._other_language(turn)
            step = conversation.fallback_count + 1
            if step >= self.config.handoff_after_fallbacks and conversation.handoff == "bot":
                # handed to a person, who may speak it (the console says which it is)
                await builtin.fallback(turn, self.domain, self.config, language=other)
            elif (
                conversation.handoff == "pending_human"
                or step >= self.config.handoff_after_fallbacks - 1
            ):
                # said before the offer of a person, which replaces "rephrase"
                turn.say(hint)
                await builtin.fallback(turn, self.domain, self.config, language=other)
            else:
                await builtin.fallback(
                    turn, self.domain, self.config, rephrase=hint, language=other
                )
            return
        intent = (parse.get("intent") or {}).get("name")
        low = bool(user_data["low_confidence"] or user_data.get("unsure_in_form"))
        answered = await self._answer_to_question(turn, parse, user_data, low=low)
        if answered is None:
            return
        parse = answered
        intent = (parse.get("intent") or {}).get("name")
        candidates = extract_slots(
            self.domain,
            parse,
            active_loop=conversation.active_form,
            requested_slot=conversation.requested_slot,
        )
        form = conversation.active_form
        requested = conversation.requested_slot
        default_action = builtin.DEFAULT_INTENT_ACTIONS.get(intent or "")
        if default_action is not None and not low:
            await builtin.run(turn, default_action, self.domain, self.config)
            return
        waiting = conversation.handoff == "pending_human"
        if (
            waiting
            and not low
            and (intent in self._small_talk or intent in self.config.handoff_intents)
        ):
            # "hello? anyone there?" in the queue got the welcome and its "Talk to a person"
            # (in a form on hold too: the user is not asked its question while waiting); a
            # "no" got the demo's goodbye, though the user stayed queued; "yes" was asked
            # what they would like to know; asking for a person again got "I'm connecting
            # you" once more, then "You're still in the queue".
            await builtin.handoff(turn, self.domain, f"user said {intent} while waiting")
            return
        if waiting and not low and intent in self.config.goodbye_intents:
            # "Bye" in the queue got the demo's "Have a great day!", then "You're still in
            # the queue". Leaving the queue on a goodbye lost the place of a user who meant
            # to come back ("I'll come back later" reads as one): it is kept, and they are
            # told the answer waits here and how to give the place up. A project with no
            # way to say so (no stop intent) leaves the queue on it, as the only way out.
            if self._can_stop:
                turn.say(BotMessage(text=DEFAULT_BYE_WHILE_WAITING_TEXT))
                return
            turn.set_handoff("bot", "user said goodbye while waiting")
            waiting = False
            turn.say(BotMessage(text=DEFAULT_NO_LONGER_WAITING_TEXT))
        if waiting and not low and intent in self.config.stop_intents:
            # "Never mind, I don't need a person" was told "No problem" and left queued: an
            # agent would later take over a chat its user had left. In a form on hold the
            # form's own stop follows (the project's rule says what it stopped).
            turn.set_handoff("bot", "user no longer waits")
            waiting = False
            if form is None:
                turn.say(BotMessage(text=DEFAULT_LEFT_QUEUE_TEXT))
                return
            # "Okay, I've stopped the return" alone left the user unsure whether a person
            # would still come.
            turn.say(BotMessage(text=DEFAULT_NO_LONGER_WAITING_TEXT))
        if (
            not low
            and intent in self.config.affirm_intents
            and builtin.offered_a_person(conversation)
        ):
            # The last turn offered a person (its buttons send /human_handoff); typing "yes"
            # means the same.
            conversation.fallback_count = 0
            await builtin.handoff(turn, self.domain, "user accepted the offer of a person")
            return
        if (
            not low
            and intent in self.config.deny_intents
            and builtin.offered_a_person(conversation)
        ):
            # "No, I'll rephrase": an invitation to go on, not whatever a story does with a
            # "no" (the demo's says goodbye).
            conversation.fallback_count = 0
            turn.action("action_default_fallback", declined="offer of a person")
            if form is not None and requested and conversation.handoff == "bot":
                # The offer stood in for the form's question; now the question comes back.
                turn.action(form)
                await self.forms.ask(turn, form, requested)
            else:
                turn.say(BotMessage(text=DEFAULT_REPHRASE_TEXT))
            return
        upcoming = self._upcoming(conversation) if form is not None and not low else None
        # A request that starts another form here (the demo's "track my order" in the
        # return form runs a rule that answers it instead: no switch, but a question).
        switching = upcoming in self.domain.forms and upcoming != form
        elsewhere = intent in self._form_starters and upcoming not in (None, LISTEN, form)
        interrupts = intent in self._interruptions or switching or elsewhere
        # What the message says by itself, free text aside.
        said = extract_slots(
            self.domain, parse, active_loop=form, requested_slot=requested, include_text=False
        )
        spec = self.domain.forms.get(form) if form is not None else None
        required = spec.required_slots if spec is not None else ()
        if (
            requested in candidates
            and not low
            and interrupts
            and (switching or requested not in said)
            and (switching or elsewhere or await self._faq_takes_it(turn, parse))
        ):
            # Free text would fill the slot, but the message is confidently something else
            # (a question, a request for a person, something a rule answers): handle that,
            # then ask again. A request for another form is that form's, entities and all
            # ("I want to return order NW-48213" while tracking one tracked it).
            del candidates[requested]
        for name, value in candidates.items():
            if name not in required:
                turn.set_slot(name, value, source="user")
        # As in Rasa, a form takes any of its slots a message names, not only the one it
        # asked for: "actually it's order NW-48213" while it asks for the item changes the
        # order (the new number was dropped without a word), unless the message is
        # something else (a question about another order).
        other = not low and not interrupts and any(name in required for name in said)
        if form is not None and (requested in candidates or other) and not waiting:
            # While the user waits for a person the form is on hold: what they write is for
            # the person ("anyone there?" was taken as the return's reason, and submitted).
            # The form asks its question again when an agent gives the conversation back.
            asking = await self.forms.fill(turn, form, candidates)
            conversation.fallback_count = 0
            if not asking:
                await self._predict_and_run(turn, intent)
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
                await builtin.run(turn, "action_deactivate_loop", self.domain, self.config)
                turn.say(BotMessage(text=DEFAULT_STOPPED_TEXT))
                understood = True
            if not understood and intent in self.config.handoff_intents:
                await builtin.handoff(turn, self.domain, "user asked for a person")
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
            conversation.fallback_count == 0
            and intent == "nlu_fallback"
            and conversation.handoff != "pending_human"  # the fallback says they are queued
            and await self._predict_and_run(turn, intent)
        ):
            conversation.fallback_count = 1  # the project's own rule answered the first miss
        else:
            await builtin.fallback(turn, self.domain, self.config)
        await self._back_to_the_form(turn, form)

    async def _back_to_the_form(self, turn: Turn, form: str | None) -> None:
        """After an interruption of ``form``, ask its question again."""
        conversation = turn.conversation
        if (
            form is not None
            and conversation.active_form == form
            and conversation.requested_slot
            and not turn.form_asked
            and conversation.handoff == "bot"
            and not builtin.offers_a_person(turn)
        ):
            # The form runs again, as in Rasa: a story or rule about what follows sees it.
            # Not after the offer of a person: two questions at once, and the offer's Yes/No
            # buttons went unseen under the form's (rasa-webchat shows a message's quick
            # replies only while it is the last one). "No" brings the question back.
            turn.action(form)
            await self.forms.ask(turn, form, conversation.requested_slot)

    async def _answer_to_question(
        self, turn: Turn, parse: dict[str, Any], user_data: dict[str, Any], *, low: bool
    ) -> dict[str, Any] | None:
        """A reply to the bot's "Did you mean …?": the parse to go on with (a confirmed
        option's, or the message's own when it answers nothing), or None when the reply was
        dealt with here (a "no", or a "yes" to several options)."""
        conversation = turn.conversation
        intent = (parse.get("intent") or {}).get("name")
        offered = confirm.pending(conversation)
        if not offered or low:
            return parse
        first = str(offered[0]["payload"])
        if intent in self.config.deny_intents:
            if conversation.handoff == "pending_human":
                await builtin.handoff(turn, self.domain, "user said no while waiting")
            else:  # not understood after all
                await self._question_step(turn, BotMessage(text=DEFAULT_REPHRASE_TEXT), first)
            return None
        yes = intent in self.config.affirm_intents
        if yes and len(offered) > 1:
            if confirm.asked_which(conversation):  # "yes" again
                await self._question_step(turn, confirm.which(offered))
            else:
                confirm.ask_which(turn, offered)
            return None
        option = parse_shortcut(first) or {}
        if builtin.faq_key(option) is not None:  # an FAQ entry: "yes" is its button
            return {**option, "text": parse.get("text", "")} if yes else parse
        if yes or _shortcut_intent(str(parse.get("text") or "")) == _shortcut_intent(first):
            return confirm.accept(turn, first, parse, user_data)
        return parse

    async def _question_step(
        self, turn: Turn, rephrase: BotMessage, declined: str | None = None
    ) -> None:
        """A reply that leaves the question open is a step of the fallback, so that it
        comes to the offer of a person, as other misunderstandings do, and no further."""
        self._hold_at_the_offer(turn.conversation)
        details = {} if declined is None else {"declined": declined}
        await builtin.fallback(turn, self.domain, self.config, rephrase=rephrase, **details)

    def _other_language(self, turn: Turn) -> BotMessage:
        own = render_response(self.domain, "utter_other_language", turn.slots, channel=turn.channel)
        name = LANGUAGES.get(self.config.language.split("-")[0].lower(), self.config.language)
        return own or BotMessage(text=DEFAULT_OTHER_LANGUAGE_TEXT.format(language=name))

    def _hold_at_the_offer(self, conversation: Conversation) -> None:
        """Keep the fallback's next step at most the offer of a person: after a question
        (a "Did you mean …?"), a user who passed over an earlier offer is offered again,
        never handed over unasked."""
        offer_at = max(0, self.config.handoff_after_fallbacks - 2)
        conversation.fallback_count = min(conversation.fallback_count, offer_at)

    def _unsure_in_form(self, conversation: Conversation, intent: dict[str, Any]) -> bool:
        """Whether, while a form asks its question, a reading is too unsure to interrupt it
        (``form_min_confidence``): then it is the answer, or not understood. A yes or no is
        an answer, to the form or to the offer of a person, and judged as any intent."""
        return (
            conversation.active_form is not None
            and bool(conversation.requested_slot)
            and intent.get("name") not in self._yes_no
            and float(intent.get("confidence") or 0.0) < self.config.form_min_confidence
        )


def _not_understood(text: str) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.0},
        "intent_ranking": [],
        "entities": [],
    }


def _shortcut_intent(text: str) -> str | None:
    """The intent a ``/intent{...}`` message names (None for typed text)."""
    parsed = parse_shortcut(text) if text.startswith("/") else None
    return None if parsed is None else (parsed.get("intent") or {}).get("name")
