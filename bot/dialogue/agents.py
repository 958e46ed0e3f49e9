"""What agents do to a conversation: take it over, write to the user, give it back, close it,
and annotate its messages. One agent has a conversation at a time."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.actions import ActionRejected
from bot.dialogue.config import (
    DEFAULT_CLOSED_TEXT,
    DEFAULT_JOINED_TEXT,
    DEFAULT_RELEASED_IN_FORM_TEXT,
    DEFAULT_RELEASED_TEXT,
    DEFAULT_TRANSFERRED_TEXT,
)
from bot.dialogue.forms import FormLoop
from bot.dialogue.messages import BotMessage, MessageSink
from bot.dialogue.responses import render_response
from bot.dialogue.turn import Turn
from bot.errors import ConflictError, InvalidInput, NotFoundError
from bot.payloads import shows_anything
from bot.project import Domain
from bot.sessions import SessionStore
from bot.state import Conversation, agent_actor, agent_name
from bot.transcripts import TranscriptEvent, TranscriptLog

log = logging.getLogger(__name__)


class AgentDesk:
    """The agents' side of ``DialogueManager`` (a mixin: it runs its changes as turns of the
    manager, under the conversation's lock)."""

    domain: Domain
    store: SessionStore
    transcripts: TranscriptLog
    _listeners: list[MessageSink]
    forms: FormLoop

    def _turn(
        self, conversation_id: str, *, channel: str = "rest", actor: str = "bot"
    ) -> AbstractAsyncContextManager[Turn]:
        raise NotImplementedError

    def _unanswered(self, turn: Turn) -> tuple[dict[str, Any], dict[str, Any]] | None:
        raise NotImplementedError

    async def _answer(self, turn: Turn, parse: dict[str, Any], user_data: dict[str, Any]) -> None:
        raise NotImplementedError

    async def takeover(
        self, conversation_id: str, agent: str, *, force: bool = False, holder: str | None = None
    ) -> None:
        """Take the conversation from the bot, or with ``force`` from the agent who has it
        (``holder``: only if it is still them)."""
        async with self._turn(conversation_id, actor=agent_actor(agent)) as turn:
            conversation = turn.conversation
            if conversation.handoff == "closed":
                raise ConflictError(f"conversation {conversation_id!r} is closed")
            other = _other_holder(conversation, agent, "take it over", force, holder)
            if other:
                reason = f"taken over from {other}"
                turn.transcript("handoff", {"to": "human", "from": "human", "reason": reason})
            conversation.agent = agent
            joined = conversation.handoff != "human"
            turn.set_handoff("human", "agent took over")
            # A user left without a word would think the bot had broken, or wonder why
            # someone else now writes.
            if joined:
                self._tell_user(turn, "utter_agent_joined", DEFAULT_JOINED_TEXT)
            elif other:
                self._tell_user(turn, "utter_agent_changed", DEFAULT_TRANSFERRED_TEXT)
        await self._deliver(conversation_id, turn.messages)

    async def release(
        self, conversation_id: str, agent: str, *, force: bool = False, holder: str | None = None
    ) -> None:
        """Give the conversation back to the bot, which tells the user so."""
        async with self._turn(conversation_id, actor=agent_actor(agent)) as turn:
            conversation = turn.conversation
            if conversation.handoff == "bot":
                raise ConflictError(f"conversation {conversation_id!r} is already with the bot")
            if conversation.handoff == "closed":
                raise ConflictError(
                    f"conversation {conversation_id!r} is closed; the user's next message "
                    "reopens it with the bot"
                )
            _other_holder(conversation, agent, "give it back", force, holder)
            turn.set_handoff("bot", "agent released it")
            conversation.agent = None
            conversation.fallback_count = 0
            # Talking to a person or waiting for one: either way, say who answers now; and
            # a form left waiting for an answer asks for it again (the user, told "How can I
            # help?", did not know the bot still expected it). A message no one answered is
            # answered now, as the bot would have (a form's question follows where it would).
            form, slot = conversation.active_form, conversation.requested_slot
            turn.channel = _channel(turn)  # the user's, for the answers' variants
            unanswered = self._unanswered(turn)
            if unanswered is not None:
                self._tell_user(turn, "utter_back_to_bot", DEFAULT_RELEASED_IN_FORM_TEXT)
                turn.user_data = unanswered[1]
                await self._answer(turn, *unanswered)
            elif form is not None and slot is not None:
                self._tell_user(turn, "utter_back_to_bot", DEFAULT_RELEASED_IN_FORM_TEXT)
                try:
                    await self.forms.ask(turn, form, slot)
                except ActionRejected as error:  # the release stands; the user just answers
                    log.warning("%s refused to ask for %s after a release: %s", form, slot, error)
            else:
                self._tell_user(turn, "utter_back_to_bot", DEFAULT_RELEASED_TEXT)
        await self._deliver(conversation_id, turn.messages)

    def _tell_user(self, turn: Turn, response: str, default: str) -> None:
        """Say the domain's ``response``, or ``default`` when it has none."""
        message = render_response(
            self.domain, response, turn.conversation.slots, channel=_channel(turn)
        )
        turn.say(message or BotMessage(text=default))

    async def close(
        self, conversation_id: str, agent: str, *, force: bool = False, holder: str | None = None
    ) -> None:
        async with self._turn(conversation_id, actor=agent_actor(agent)) as turn:
            if turn.conversation.handoff == "closed":
                raise ConflictError(f"conversation {conversation_id!r} is already closed")
            _other_holder(turn.conversation, agent, "close it", force, holder)
            turn.set_handoff("closed", "agent closed it")
            turn.conversation.agent = None
            form = turn.conversation.active_form
            if form is not None:
                # Closed means dealt with: the form left waiting took the words that reopened
                # the conversation, days later maybe, as its answer, or asked again after them;
                # and its half-given answers went out with the next one ("Why are you
                # returning the lamp?" to a user who came back about a chair).
                turn.set_active_loop(None)
                for slot in self.domain.forms[form].required_slots:
                    if turn.conversation.slots.get(slot) is not None:
                        turn.set_slot(slot, None)
            turn.transcript("status", {"to": "closed"})
            self._tell_user(turn, "utter_chat_closed", DEFAULT_CLOSED_TEXT)
        await self._deliver(conversation_id, turn.messages)

    async def agent_message(self, conversation_id: str, agent: str, text: str) -> BotMessage:
        """Send an agent's words to the user; the agent must have taken the conversation."""
        if not shows_anything(text):
            raise InvalidInput("text: an agent message needs text")
        message = BotMessage(text=text, sender="agent", agent=agent)
        async with self._turn(conversation_id, actor=agent_actor(agent)) as turn:
            conversation = turn.conversation
            if conversation.handoff == "closed":  # where taking it over is refused too
                raise ConflictError(
                    f"conversation {conversation_id!r} is closed; the user's next message "
                    "reopens it with the bot"
                )
            if conversation.handoff != "human":
                raise ConflictError("take the conversation over before writing to the user")
            if conversation.agent and conversation.agent != agent:
                raise ConflictError(
                    f"{_as_shown(conversation.agent, agent)} has taken this conversation over; "
                    "take it over yourself before writing to the user"
                )
            turn.rasa_event({"event": "bot", "text": text, "metadata": {"agent": agent}})
            turn.transcript("agent", {"text": text, "agent": agent})
        await self._deliver(conversation_id, [message])
        return message

    async def _deliver(self, conversation_id: str, messages: list[BotMessage]) -> None:
        """Push messages made outside the user's own turn to the listeners (their widget)."""
        for message in messages:
            for sink in list(self._listeners):
                try:
                    await sink(conversation_id, message)
                except Exception:
                    log.exception("a message sink failed for %s", conversation_id)

    async def annotate(
        self,
        conversation_id: str,
        seq: int,
        intent: str,
        entities: list[dict[str, Any]],
        agent: str,
    ) -> None:
        """Record the right intent and entities of user message ``seq`` for retraining."""
        page = await self.transcripts.read(conversation_id, after=seq - 1, limit=1)
        if not page.events or page.events[0].seq != seq or page.events[0].type != "user":
            raise NotFoundError(f"conversation {conversation_id!r} has no user message {seq}")
        data = page.events[0].data
        text = str(data.get("text", ""))
        if text.startswith("/") or data.get("typed_choice"):
            # what a button sent, or a "2" typed for one: it meant that only where shown
            raise InvalidInput(f"message {seq} chose a button; it is no example to learn from")
        for entity in entities:
            start, end = entity.get("start"), entity.get("end")
            if (
                not isinstance(start, int)
                or not isinstance(end, int)
                or not 0 <= start < end <= len(text)
            ):
                raise InvalidInput(
                    f"entity {entity.get('entity')!r} has offsets outside the message"
                )
        await self.transcripts.append(
            conversation_id,
            [
                TranscriptEvent(
                    "annotation",
                    {"seq": seq, "text": text, "intent": intent, "entities": entities},
                    actor=agent_actor(agent),
                )
            ],
        )


def _other_holder(
    conversation: Conversation, agent: str, doing: str, force: bool, expected: str | None
) -> str | None:
    """The other agent who has the conversation, once ``agent`` may act on it anyway.

    Raises:
        ConflictError: another agent has it and ``force`` is not given, or ``expected`` names
            someone other than who has it now (the agent decided on an old view).
    """
    holder = conversation.holder
    if not holder or holder == agent:
        return None
    if not force:
        raise ConflictError(
            f"{_as_shown(holder, agent)} has taken this conversation over; {doing} only if "
            "they are gone (force=true)"
        )
    if expected is not None and expected != holder:
        now, before = _as_shown(holder, agent), _as_shown(expected, agent)
        if now == before:  # two logins of one name: only their tokens tell them apart
            now, before = holder, expected
        raise ConflictError(f"{now} has this conversation now, not {before}; look again")
    return holder


def _as_shown(holder: str, agent: str) -> str:
    """``holder`` as the console shows them to ``agent``: "ana", not the token's "ana#2",
    and "ana (another login)" when ``agent`` is an ana too (the console's "ana" alone would
    read as themselves)."""
    name = agent_name(holder)
    return f"{name} (another login)" if name == agent_name(agent) else name


def _channel(turn: Turn) -> str:
    """The channel the user last wrote on (an agent's action has none of its own)."""
    for event in reversed(turn.conversation.events):
        if event.get("event") == "user":
            return str(event.get("input_channel") or turn.channel)
    return turn.channel
