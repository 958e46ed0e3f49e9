"""The form loop: ask for each required slot, validate answers, submit when all are filled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from bot.actions import ActionRejected
from bot.dialogue.config import (
    DEFAULT_ERROR_TEXT,
    DEFAULT_FORM_ON_HOLD_TEXT,
    DEFAULT_FORM_STARTED_ON_HOLD_TEXT,
)
from bot.dialogue.messages import BotMessage
from bot.dialogue.policy import LISTEN
from bot.dialogue.responses import render_response
from bot.dialogue.slots import extract_slots, trigger_intent_slots
from bot.dialogue.turn import Turn
from bot.project import Domain, Form

# Runs a custom action inside a form (validation or a custom ask); False when none is defined.
CustomAction = Callable[[Turn, str], Awaitable[bool]]
# Runs a form's validation action for its custom slot mappings: (turn, action, the form's
# slots, what to record first); True when it filled one of them and was kept.
CustomExtraction = Callable[[Turn, str, Collection[str], Callable[[], None]], Awaitable[bool]]


class FormLoop:
    """Drives one form through a turn; the dialogue manager owns the surrounding turn."""

    def __init__(
        self,
        domain: Domain,
        run_custom: CustomAction,
        has_action: Callable[[str], bool],
        extract_custom: CustomExtraction | None = None,
    ):
        self.domain = domain
        self.run_custom = run_custom
        self.has_action = has_action
        self.extract_custom = extract_custom

    def form(self, name: str) -> Form:
        return self.domain.forms[name]

    def asks(self, name: str | None) -> tuple[str, ...]:
        """The slots form ``name`` asks for (none when no form runs)."""
        return self.domain.forms[name].required_slots if name in self.domain.forms else ()

    def missing(self, turn: Turn, form: Form) -> list[str]:
        return [s for s in form.required_slots if turn.slots.get(s) is None]

    async def activate(self, turn: Turn, name: str, intent: str | None) -> bool:
        """Start the form; True when it is waiting for the user, False when already complete.

        A form started while another is active replaces it, as in Rasa. What the starting
        message names for the form's slots fills them ("I want to return order NW-48213"
        while another form asked something: the number was lost with that form's answers).
        """
        since = len(turn.conversation.events)
        by_the_message = _first_since_the_user(turn.conversation.events)
        again = turn.conversation.active_form == name  # asked for again, in the middle of it
        turn.action(name)
        turn.set_active_loop(name)
        form = self.form(name)
        named: dict[str, Any] = {}
        if by_the_message:  # not a form a rule starts after another one ended this turn
            named = extract_slots(
                self.domain,
                turn.conversation.latest_message or {},
                active_loop=name,
                requested_slot=None,
                only=set(form.required_slots),
                include_text=False,
            )
        named.update(trigger_intent_slots(self.domain, name, intent))
        for slot, value in named.items():
            turn.set_slot(slot, value, source="form")
        prefilled = [s for s in form.required_slots if turn.slots.get(s) is not None]
        if prefilled:
            await self.validate(turn, name, {s: turn.slots[s] for s in prefilled})
        if not self.missing(turn, form):
            # Filled by the message that started it ("where is order NW-48213?"): the
            # project's rule about the form's end must follow, as after a last answer.
            self.last_run(turn, name)
        return await self.ask_next_or_finish(turn, name, since, started=not again)

    @staticmethod
    def last_run(turn: Turn, name: str) -> None:
        """The form's run that finds its slots filled, which rules about a form's end (a
        submit rule: ``action: <form>``, ``active_loop: null``) follow. To the transcript it
        is the form ending, not another run."""
        turn.rasa_event({"event": "action", "name": name})
        turn.conversation.latest_action = name

    async def fill(self, turn: Turn, name: str, candidates: dict[str, Any]) -> bool:
        """Take this message's slot values; True while the form still waits for the user."""
        form = self.form(name)
        own = {k: v for k, v in candidates.items() if k in form.required_slots}
        since = len(turn.conversation.events)
        turn.action(name)
        if own:
            await self.validate(turn, name, own)
        return await self.ask_next_or_finish(turn, name, since)

    def custom_mapped(self, name: str, slot: str | None) -> bool:
        """Whether form ``name``'s validation action extracts ``slot`` itself (a ``custom``
        mapping with no action of its own, Rasa's ``extract_<slot>``)."""
        found = self.domain.slots.get(slot or "")
        return found is not None and any(
            mapping.type == "custom" and mapping.action in (None, f"validate_{name}")
            for mapping in found.mappings
        )

    async def fill_by_extraction(self, turn: Turn, name: str) -> bool | None:
        """Let the form's validation action extract its custom-mapped slots from a message
        its mappings took nothing from; None when it took nothing either (the message is
        not the form's), else as ``fill``: True while the form waits for the user."""
        if self.extract_custom is None:
            return None
        since = len(turn.conversation.events)
        form = self.form(name)
        if not await self.extract_custom(
            turn, f"validate_{name}", form.required_slots, lambda: turn.action(name)
        ):
            return None
        return await self.ask_next_or_finish(turn, name, since)

    async def validate(self, turn: Turn, name: str, values: dict[str, Any]) -> None:
        """Set candidate values, then let ``validate_<form>`` confirm or clear them.

        A rejection (HTTP 400 / ActionExecutionRejection) clears the candidates so the form
        asks again; so does a validator that could not run (action server down, or it
        crashed): an unchecked value must not be submitted as if it had passed.
        """
        for slot, value in values.items():
            turn.set_slot(slot, value, source="user", force=True)
        validator = f"validate_{name}"
        if not self.has_action(validator):
            return
        try:
            ran = accepted = await self.run_custom(turn, validator)
        except ActionRejected:
            ran, accepted = True, False
        if not accepted:
            for slot in values:
                turn.set_slot(slot, None, source="validation")
        if not ran:
            turn.say(BotMessage(text=DEFAULT_ERROR_TEXT))

    async def ask_next_or_finish(
        self, turn: Turn, name: str, since: int | None = None, *, started: bool = False
    ) -> bool:
        """Ask for the next slot, or end the form. As Rasa's ``request_next_slot``: the slot
        the form's validation asked for (``SlotSet("requested_slot", …)`` in this run, whose
        events start at ``since``; ``None`` ends the form), else the first one missing, so a
        change of an earlier answer that the validator refused is asked for again first."""
        if turn.conversation.active_form != name:
            return False  # its validator ended it (an active_loop event)
        form = self.form(name)
        missing = self.missing(turn, form)
        next_slot = missing[0] if missing else None
        for event in turn.conversation.events[since:] if since is not None else ():
            if event.get("event") == "slot" and event.get("name") == "requested_slot":
                # the validator's choice, the first it made; None ends the form early
                next_slot = event.get("value")
                break
        if next_slot is None:
            turn.set_active_loop(None)
            return False
        turn.set_slot("requested_slot", next_slot, source="form")
        if turn.conversation.handoff == "pending_human":
            # On hold while the user waits for a person, who may take the conversation at
            # any moment: a question asked now would have its answer refused. The release
            # asks it.
            if not turn.said_anything:  # "carry on where we left off", unless just started
                on_hold = (
                    DEFAULT_FORM_STARTED_ON_HOLD_TEXT if started else DEFAULT_FORM_ON_HOLD_TEXT
                )
                turn.say(BotMessage(text=on_hold))
            return True
        await self.ask(turn, name, next_slot)
        return True

    async def ask(self, turn: Turn, form: str, slot: str) -> None:
        turn.form_asked = True
        turn.question_at = turn.mark()
        for action in (f"action_ask_{form}_{slot}", f"action_ask_{slot}"):
            if self.has_action(action) and await self.run_custom(turn, action):
                return
        for response in (f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"):
            message = render_response(self.domain, response, turn.slots, channel=turn.channel)
            if message is not None:
                turn.action(response, inside_form=True)
                turn.say(message)
                return
        turn.say(BotMessage(text=f"Please tell me your {slot.replace('_', ' ')}."))


def _first_since_the_user(events: list[dict[str, Any]]) -> bool:
    """Whether no action has run since the user's latest message (the form about to start
    answers that message itself)."""
    for event in reversed(events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") != LISTEN:
            return False
    return True
