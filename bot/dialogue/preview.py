"""What the chat tells a message that opens a conversation, for the FAQ editor's "Try": said
by the code a turn says it with, on a conversation that is never saved. Staff saw the FAQ's
decision and scores but not the answer, the "did you mean" offer or the fallback a user got.
"""

from __future__ import annotations

from typing import Any

from bot.dialogue import builtin, confirm
from bot.dialogue.acting import Acting
from bot.dialogue.policy import LISTEN
from bot.dialogue.tracker import user_uttered
from bot.dialogue.turn import Turn
from bot.state import Conversation


class Preview(Acting):
    """Mixed into the dialogue manager, whose attributes these are."""

    async def chat_reply(
        self, parse: dict[str, Any], reading: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The messages a new chat answers ``parse`` with (``messages``, each as the
        transcript and the widget's history hold it) and ``then``: the project's own action
        (a form, custom code) that would run next, which only running it could tell, so it
        is named, not run. ``reading``: ``chat_reading(parse)``, when known already."""
        reading = reading or await self.chat_reading(parse)
        turn = Turn(Conversation(id="faq-editor-try"), channel="socketio")
        builtin.start_session(turn, self.domain, fresh=True)
        text = str(parse.get("text") or "")
        user_uttered(turn, text, parse, {})
        intent = (parse.get("intent") or {}).get("name")
        then = None
        if reading["by"] == "language":
            why = builtin.other_language(turn, self.domain, self.config.language)
            await builtin.fallback(turn, self.domain, self.config, why=why)
        elif reading["action"] == confirm.CONFIRM_ACTION:
            choice = await self._faq_choice(turn, text) if self.faq is not None else None
            self._ask_about(turn, str(intent), choice, {})
        elif reading["by"] == "faq" and await self._answer_faq(turn, parse, {}):
            pass
        elif reading["by"] == "faq" and intent != "nlu_fallback":
            await builtin.fallback(turn, self.domain, self.config)
        else:  # the project's reply; a rule may answer a message not understood at first
            then = await self._canned(turn, reading["action"], intent)
            if then is None and reading["by"] == "faq" and not turn.messages:
                await builtin.fallback(turn, self.domain, self.config)
        messages = [event.data for event in turn.log if event.type == "bot"]
        return {"messages": messages, "then": then}

    async def _canned(self, turn: Turn, first: str | None, intent: str | None) -> str | None:
        """Run ``first`` and the actions predicted after it while they only speak (responses,
        a restart, the built-in handoff and fallback) until the bot listens; the first
        other action, not run, or None."""
        own_handoff = any(self.custom.has(name) for name in builtin.HANDOFF_ACTIONS)
        speaking = set(builtin.DEFAULT_INTENT_ACTIONS.values())
        if not own_handoff:  # else a step of them may run the project's handoff action
            speaking |= builtin.HANDOFF_ACTIONS | builtin.FALLBACK_ACTIONS
        name = first or self.policy.next_action(turn.conversation)
        while name is not None and name != LISTEN:
            if turn.actions_run >= self.config.max_actions_per_turn:
                break
            if not (name.startswith("utter_") or name in speaking):
                return name
            turn.actions_run += 1
            if await self._run_action(turn, name, intent) == "listen":
                break
            name = self.policy.next_action(turn.conversation)
        return None
