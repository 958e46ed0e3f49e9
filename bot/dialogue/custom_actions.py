"""Custom actions (rasa-sdk code, in process or on an action server) run within a turn."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any

from bot.actions import ActionError, ActionRejected, ActionResult, ActionRunner
from bot.dialogue.responses import message_from_action
from bot.dialogue.tracker import action_call, apply_events
from bot.dialogue.turn import Turn
from bot.project import Domain

log = logging.getLogger(__name__)


class CustomActions:
    """Calls a project's custom actions and applies what they say and return."""

    def __init__(self, domain: Domain, runner: ActionRunner | None) -> None:
        self.domain = domain
        self.runner = runner
        # Sent with every call; built once rather than per call.
        self._domain_wire = domain.to_wire()
        self._known = runner.names() if runner is not None else set()

    def has(self, name: str) -> bool:
        """Whether ``name`` can run as a custom action (the runner knows it, or, for a
        runner that cannot list its actions, the domain does)."""
        if self.runner is None:
            return False
        if self._known is not None:
            return name in self._known
        return name in self.domain.actions

    async def run(self, turn: Turn, name: str, *, inside_form: bool = False) -> None:
        """Run ``name``, say its messages and apply its events.

        Raises:
            ActionError: no runner, or the action failed (``ActionRejected``: it refused).
        """
        self._apply(turn, name, await self._call(turn, name), inside_form=inside_form)

    async def _call(self, turn: Turn, name: str) -> ActionResult:
        if self.runner is None:
            raise ActionError(f"action {name!r} needs custom action code and none is configured")
        return await self.runner.run(
            action_call(name, turn.conversation, self._domain_wire, turn.channel)
        )

    def _apply(
        self,
        turn: Turn,
        name: str,
        result: ActionResult,
        *,
        inside_form: bool = False,
        aside: bool = False,
        **details: Any,
    ) -> None:
        turn.action(name, inside_form=inside_form, aside=aside, **details)
        for response in result.responses:
            message = message_from_action(response, self.domain, turn.slots, channel=turn.channel)
            if message is not None:
                turn.say(message)
        apply_events(turn, result.events, self.domain)

    async def run_for_form(self, turn: Turn, name: str) -> bool:
        """Run a form's validation action; False when there is none or it failed (the form
        then goes on without it). Raises ``ActionRejected`` as the form must hear it."""
        if not self.has(name):
            return False
        try:
            await self.run(turn, name, inside_form=True)
        except ActionRejected:
            raise
        except ActionError as error:
            log.warning("form action %s failed: %s", name, error)
            turn.action(name, inside_form=True, error=str(error))
            return False
        return True

    async def extract_for_form(
        self, turn: Turn, name: str, slots: Collection[str], before: Callable[[], None]
    ) -> bool:
        """Run a form's validation action ``name`` for its custom slot mappings (rasa-sdk's
        ``extract_<slot>`` methods) on a message that filled none of the form's ``slots``.
        What it says and sets is kept (after ``before``) only when it sets one of them (to
        None too: a value it extracted and refused, with its reason): as Rasa rejects the
        form's run otherwise, and the message is handled as any other. False when there is
        no such action, it failed, or it set none of them."""
        if not self.has(name):
            return False
        try:
            result = await self._call(turn, name)
        except ActionRejected:  # the message is not the form's
            return False
        except ActionError as error:
            log.warning("form action %s failed: %s", name, error)
            turn.transcript("action", {"name": name, "inside_form": True, "error": str(error)})
            return False
        if not any(e.get("event") == "slot" and e.get("name") in slots for e in result.events):
            return False
        before()
        self._apply(turn, name, result, inside_form=True)
        return True

    async def read_slots(self, turn: Turn, names: list[str]) -> dict[str, Any]:
        """Run the actions that read a message for its slots (Rasa's ``action_extract_slots``
        runs them) and return the slots they set. What they say is said and what they set
        is set; their other events are dropped, as Rasa drops them (a restart or a form's
        end there would pull the turn from under the message). To rules and stories they
        are no step (asides in the transcript). One that fails is recorded there and the
        turn goes on without it."""
        found: dict[str, Any] = {}
        for name in names:
            if not self.has(name):
                continue
            try:
                result = await self._call(turn, name)
            except ActionError as error:
                log.warning("slot action %s failed: %s", name, error)
                turn.transcript(
                    "action",
                    {"name": name, "aside": True, "reads_slots": True, "error": str(error)},
                )
                continue
            kept = [e for e in result.events if e.get("event") in ("slot", "bot")]
            if len(kept) < len(result.events):
                dropped = sorted({str(e.get("event")) for e in result.events} - {"slot", "bot"})
                log.warning("slot action %s: events %s ignored", name, ", ".join(dropped))
            self._apply(turn, name, replace(result, events=kept), aside=True, reads_slots=True)
            found.update(
                (str(e.get("name")), e.get("value")) for e in kept if e.get("event") == "slot"
            )
        return found
