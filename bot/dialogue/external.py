"""Intents the user did not send: Rasa's ``trigger_intent`` API and reminders firing.

As in Rasa, such an intent is recorded as a user event marked external (its text
``EXTERNAL: <intent>``), its entities fill slots, and the rules and stories say what the bot
does; nothing is answered when nothing is predicted, as the user asked nothing.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.dialogue import builtin
from bot.dialogue.config import DialogueConfig
from bot.dialogue.forms import FormLoop
from bot.dialogue.messages import BotMessage
from bot.dialogue.senders import check_sender
from bot.dialogue.slots import extract_slots
from bot.dialogue.tracker import latest_input_channel, user_uttered
from bot.dialogue.turn import Turn
from bot.errors import ConflictError, InvalidInput, NotFoundError
from bot.project import Domain
from bot.reminders import Reminder, ReminderStore, StaleReminder, entity_list
from bot.sessions import SessionStore
from bot.state import Conversation

log = logging.getLogger(__name__)
EXTERNAL_PREFIX = "EXTERNAL: "


class ExternalIntents:
    """Mixed into ``DialogueManager`` (last: its turns, actions and listeners are the
    manager's)."""

    domain: Domain
    store: SessionStore
    reminders: ReminderStore
    config: DialogueConfig
    forms: FormLoop

    def _turn(
        self,
        conversation_id: str,
        *,
        channel: str = "rest",
        actor: str = "bot",
        same_session: bool = False,
    ) -> AbstractAsyncContextManager[Turn]:
        raise NotImplementedError

    async def _predict_and_run(self, turn: Turn, intent: str | None) -> bool:
        raise NotImplementedError

    async def _deliver(self, conversation_id: str, messages: list[BotMessage]) -> None:
        raise NotImplementedError

    async def _back_to_the_form(self, turn: Turn, form: str | None) -> None:
        raise NotImplementedError

    async def trigger_intent(
        self, conversation_id: str, intent: str, entities: Any = None, *, deliver: bool = False
    ) -> list[BotMessage]:
        """Act on ``intent`` as if the user had sent it (Rasa's ``trigger_intent``).

        Args:
            entities: ``{"name": "value"}`` or a list of Rasa entities.
            deliver: also push the replies to the user's channel (the widget).

        Raises:
            NotFoundError: the intent is not in the domain.
            InvalidInput: malformed entities or conversation id.
            ConflictError: an agent has the conversation, or it is closed (nothing is done).
        """
        check_sender(conversation_id)
        if intent not in self.domain.intents and intent not in builtin.DEFAULT_INTENT_ACTIONS:
            raise NotFoundError(f"the intent {intent!r} is not in the domain")
        try:
            found = entity_list(entities)
        except ValueError as error:
            raise InvalidInput(str(error)) from None
        messages = await self._external(conversation_id, intent, found)
        if deliver:
            await self._deliver(conversation_id, messages)
        return messages

    async def fire_reminder(self, reminder: Reminder) -> list[BotMessage]:
        """Fire a reminder claimed from the store, unless it no longer stands (then nothing
        changes); the replies go to the user's channel."""
        assert reminder.id is not None
        try:
            messages = await self._external(
                reminder.conversation_id, reminder.intent, reminder.entities, reminder
            )
        except StaleReminder as why:
            log.info("reminder %r not fired: %s", reminder.name, why)
            await self.reminders.remove(reminder.id)
            return []
        await self._deliver(reminder.conversation_id, messages)
        return messages

    async def _external(
        self,
        conversation_id: str,
        intent: str,
        entities: list[dict[str, Any]],
        reminder: Reminder | None = None,
    ) -> list[BotMessage]:
        reminding = reminder is not None
        async with self._turn(conversation_id, actor="system", same_session=reminding) as turn:
            conversation = turn.conversation
            # Taken under the conversation's lock: a message that cancelled it has been
            # saved by now, and of two processes that claimed it only one takes it.
            if reminder is not None and not await self.reminders.take(reminder.id or 0):
                raise StaleReminder("cancelled, replaced or fired meanwhile")
            held = _held(conversation)
            if held and reminder is None:
                # The caller is told, and nothing is recorded: it may try again later.
                raise ConflictError(f"conversation {conversation_id!r} not acted on: {held}")
            turn.channel = latest_input_channel(conversation)
            _record(turn, intent, entities, reminder)
            if held:
                return []  # an agent has it (or it was closed): the bot does not speak
            default_action = builtin.DEFAULT_INTENT_ACTIONS.get(intent)
            if default_action is not None:  # "restart" from a backend, as typed "/restart"
                await builtin.run(turn, default_action, self.domain)
                return turn.messages
            parse = conversation.latest_message or {}
            said = extract_slots(
                self.domain,
                parse,
                active_loop=conversation.active_form,
                requested_slot=conversation.requested_slot,
                include_text=False,
            )
            form = conversation.active_form
            for name, value in said.items():
                if name not in self.forms.asks(form):  # the form's answers are the user's
                    turn.set_slot(name, value, source="external")
            if await self._predict_and_run(turn, intent):
                # "Your order has shipped" in the middle of a return: then its question again.
                await self._back_to_the_form(turn, form)
        return turn.messages


def _record(
    turn: Turn, intent: str, entities: list[dict[str, Any]], reminder: Reminder | None
) -> None:
    text = EXTERNAL_PREFIX + intent
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "intent_ranking": [{"name": intent, "confidence": 1.0}],
        "entities": entities,
    }
    user_uttered(turn, text, parse, {"is_external": True})
    data: dict[str, Any] = {"intent": intent, "entities": entities}
    if reminder is not None:
        data["reminder"] = reminder.name
    held = _held(turn.conversation)
    if held:
        data["skipped"] = f"not acted on: {held}"
    turn.transcript("trigger", data)


def _held(conversation: Conversation) -> str | None:
    """Why the bot may not speak in the conversation, if it may not."""
    if conversation.handoff == "human":
        return "an agent has it"
    return "it is closed" if conversation.handoff == "closed" else None
