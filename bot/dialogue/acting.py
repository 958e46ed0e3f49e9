"""Running what the rules and stories predict: responses, forms, built-in and custom
actions, until the bot listens."""

from __future__ import annotations

import logging
import random
from typing import Any, Literal

from bot.actions import ActionError, ActionNotFound, ActionRejected
from bot.dialogue import builtin
from bot.dialogue.config import DEFAULT_ERROR_TEXT
from bot.dialogue.faq_turns import FaqTurns
from bot.dialogue.forms import FormLoop
from bot.dialogue.messages import BotMessage
from bot.dialogue.policy import LISTEN
from bot.dialogue.responses import render_response
from bot.dialogue.turn import Turn

log = logging.getLogger(__name__)
Outcome = Literal["listen", "continue", "rejected"]


class Acting(FaqTurns):
    """Mixed into the dialogue manager, whose attributes these are (a predicted FAQ action
    answers through ``FaqTurns``)."""

    forms: FormLoop
    rng: random.Random

    async def _predict_and_run(self, turn: Turn, intent: str | None) -> bool:
        """Run predicted actions until the policy says listen; True if any ran."""
        conversation = turn.conversation
        ran = False
        while turn.actions_run < self.config.max_actions_per_turn:
            name = self.policy.next_action(conversation)
            conversation.followup_action = None  # run once
            if name is None or name == LISTEN:
                break
            turn.actions_run += 1
            outcome = await self._run_action(turn, name, intent)
            if outcome == "rejected":
                break  # let the FAQ or the fallback take this message
            ran = True
            if outcome == "listen":
                break  # the bot asked something and waits for the user
        return ran

    async def _run_action(self, turn: Turn, name: str, intent: str | None) -> Outcome:
        """Run one action: then listen, go on predicting, or (rejected) let others answer."""
        if name in self.domain.forms:
            return "listen" if await self.forms.activate(turn, name, intent) else "continue"
        if name == builtin.FAQ_ACTION or self.domain.is_retrieval_action(name):
            parse = turn.conversation.latest_message or {}
            if not await self._answer_faq(turn, parse, turn.user_data):
                await self._fall_back(turn)
            return "continue"
        if name in builtin.FALLBACK_ACTIONS:
            await self._fall_back(turn)
            return "continue"
        if name.startswith("utter_"):
            message = render_response(
                self.domain, name, turn.slots, channel=turn.channel, rng=self.rng
            )
            turn.action(name)
            if message is None:
                log.error("response %s is not in the domain", name)
            else:
                turn.say(message)
            return "continue"
        if name in builtin.HANDOFF_ACTIONS:
            return await self._hand_over(turn, "a rule asked for a person", named=name)
        handled = await builtin.run(turn, name, self.domain)
        if handled is not None:
            return "listen" if handled else "continue"
        return await self._custom_outcome(turn, name)

    async def _fall_back(self, turn: Turn, **options: Any) -> None:
        """The two-stage fallback (``builtin.fallback``), handing over as ``_hand_over``."""
        await builtin.fallback(turn, self.domain, self.config, hand_over=self._hand_over, **options)

    async def _hand_over(self, turn: Turn, reason: str, named: str | None = None) -> Outcome:
        """Queue the conversation for a person through the project's own handoff action (one
        that opens a ticket, say): ``named``, the one a rule names, if the project has it
        (else the built-in handoff, as in Rasa); with no rule, whichever the project has.
        Repeated fallbacks, a yes to the offer of a person and a request no rule answers
        went straight to the built-in handoff, so the project's action ran only where a rule
        named it. It runs once a turn (one that refused is not asked twice), and not for a
        user already waiting, who is told where they stand: a second ticket would open."""
        if named is not None:
            own = named if self.custom.has(named) else None
        else:
            own = next((n for n in sorted(builtin.HANDOFF_ACTIONS) if self.custom.has(n)), None)
        waiting = turn.conversation.handoff == "pending_human"
        if own is not None and not waiting and not turn.handoff_tried:
            turn.handoff_tried = True
            outcome = await self._custom_outcome(turn, own, reason)
            if outcome != "rejected":
                return outcome
        await builtin.handoff(turn, self.domain, reason)
        return "continue"

    async def _custom_outcome(self, turn: Turn, name: str, reason: str | None = None) -> Outcome:
        """Run a custom action. A Rasa project's own handoff action (opening a ticket, say)
        runs unchanged, then the conversation joins the agents' queue as with the built-in
        one: whatever happens to the project's action (an action server without it, down, or
        failing), the user still gets their person (``reason``: why, for the transcript)."""
        handoff = name in builtin.HANDOFF_ACTIONS
        waiting = turn.conversation.handoff == "pending_human"
        recorded = True  # the project's action is in the turn's actions, once
        since = len(turn.conversation.events)
        try:
            await self.custom.run(turn, name)
        except ActionRejected as error:
            turn.action(name, error=f"rejected: {error}")
            return "rejected"
        except ActionError as error:
            # The domain may list the built-in handoff action, which the server lacks.
            recorded = not (handoff and isinstance(error, ActionNotFound))
            if recorded:
                log.warning("custom action %s failed: %s", name, error)
                turn.action(name, error=str(error))
                if not handoff:
                    turn.say(BotMessage(text=DEFAULT_ERROR_TEXT))
        if handoff:
            # Its own pause event may have queued the conversation already: a user who was
            # not waiting still hears that a person is coming, not that they wait in a queue.
            await builtin.handoff(
                turn,
                self.domain,
                reason or f"{name} asked for a person",
                was_waiting=waiting,
                record=not recorded,
            )
        restarted = any(e.get("event") == "restart" for e in turn.conversation.events[since:])
        if restarted and turn.conversation.followup_action is None:
            return "listen"  # started over, as the built-in restart: nothing follows
        return "continue"
