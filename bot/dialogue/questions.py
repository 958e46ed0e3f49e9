"""Replies to the bot's own questions: "Did you mean …?" and the offer of a person."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.dialogue import builtin, confirm
from bot.dialogue.builtin import HandOver
from bot.dialogue.config import (
    DEFAULT_GO_ON_TEXT,
    DEFAULT_OFFER_HUMAN_TEXT,
    DEFAULT_REPHRASE_TEXT,
    DialogueConfig,
)
from bot.dialogue.forms import FormLoop
from bot.dialogue.messages import BotMessage
from bot.dialogue.shortcut import parse_shortcut
from bot.dialogue.turn import Turn
from bot.project import Domain
from bot.state import Conversation


class Questions:
    """Mixed into the dialogue manager, whose attributes these are."""

    domain: Domain
    config: DialogueConfig
    forms: FormLoop
    # The dialogue manager's (``Acting``): the fallback, and a handoff through the project's
    # own handoff action.
    _fall_back: Callable[..., Awaitable[None]]
    _hand_over: HandOver

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

    async def _answer_to_the_offer(self, turn: Turn, intent: str | None) -> bool:
        """A "yes" or "no" to the offer of a person the last turn made, typed or its button
        (``/human_handoff`` and ``/deny``); False when the message is neither."""
        conversation = turn.conversation
        if not builtin.offered_a_person(conversation):
            return False
        # The Yes button (clicked, or its title typed) is the user's yes. Left to the rules, it
        # got whatever a project answers to asking for a person: the helpdesk's story offered
        # other bots to hand off to, and the user who said yes to a person never got one.
        clicked = (conversation.latest_message or {}).get("text") == builtin.OFFER_YES_PAYLOAD
        if intent in self.config.affirm_intents or clicked:
            conversation.fallback_count = 0
            await self._hand_over(turn, "user accepted the offer of a person")
            return True
        if intent not in self.config.deny_intents:
            return False
        # "No, I'll rephrase": an invitation to go on, not whatever a story does with a
        # "no" (the demo's says goodbye).
        conversation.fallback_count = 0
        turn.action("action_default_fallback", declined="offer of a person")
        form, requested = conversation.active_form, conversation.requested_slot
        if form is not None and requested and conversation.handoff == "bot":
            # The offer stood in for the form's question; now the question comes back.
            turn.action(form)
            await self.forms.ask(turn, form, requested)
        else:
            # "In other words" answers a no to the fallback's offer, which followed a
            # message not understood; a project's own offer followed one that was ("it
            # hasn't come" to an order's status), and "in other words" read as a rebuke.
            said = builtin.last_said(conversation) or {}
            by_fallback = said.get("text") == DEFAULT_OFFER_HUMAN_TEXT
            turn.say(BotMessage(text=DEFAULT_REPHRASE_TEXT if by_fallback else DEFAULT_GO_ON_TEXT))
        return True

    async def _question_step(
        self, turn: Turn, rephrase: BotMessage, declined: str | None = None
    ) -> None:
        """A reply that leaves the question open is a step of the fallback, so that it
        comes to the offer of a person, as other misunderstandings do, and no further."""
        self._hold_at_the_offer(turn.conversation)
        details: dict[str, Any] = {} if declined is None else {"declined": declined}
        await self._fall_back(turn, rephrase=rephrase, **details)

    def _hold_at_the_offer(self, conversation: Conversation) -> None:
        """Keep the fallback's next step at most the offer of a person: after a question
        (a "Did you mean …?"), a user who passed over an earlier offer is offered again,
        never handed over unasked."""
        conversation.fallback_count = min(conversation.fallback_count, self.config.before_offer)


def _shortcut_intent(text: str) -> str | None:
    """The intent a ``/intent{...}`` message names (None for typed text)."""
    parsed = parse_shortcut(text) if text.startswith("/") else None
    return None if parsed is None else (parsed.get("intent") or {}).get("name")
