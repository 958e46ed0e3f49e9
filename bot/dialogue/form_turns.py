"""A running form's part in a turn: which message is its answer, which interrupts it, and
its question asked again after an interruption."""

from __future__ import annotations

from typing import Any

from bot.dialogue import builtin
from bot.dialogue.config import DialogueConfig
from bot.dialogue.custom_actions import CustomActions
from bot.dialogue.forms import FormLoop
from bot.dialogue.policy import LISTEN, Policy
from bot.dialogue.slots import extract_slots, extraction_actions
from bot.dialogue.turn import Turn
from bot.project import Domain
from bot.state import Conversation


class FormTurns:
    """Mixed into the dialogue manager, whose attributes these are."""

    domain: Domain
    config: DialogueConfig
    policy: Policy
    forms: FormLoop
    custom: CustomActions
    # Confident messages of these intents are not taken as a form's free-text answer.
    _interruptions: set[str]
    # Intents whose rule starts a form: ``{intent: {form, ...}}``.
    _form_starters: dict[str, set[str]]
    _yes_no: set[str]

    async def _faq_takes_it(self, turn: Turn, parse: dict[str, Any]) -> bool:
        raise NotImplementedError

    async def _predict_and_run(self, turn: Turn, intent: str | None) -> bool:
        raise NotImplementedError

    async def _take_slots(
        self, turn: Turn, parse: dict[str, Any], *, low: bool, waiting: bool
    ) -> bool:
        """Set the slots the message fills, and give a running form its answers; True when
        the form took the message (it asked its next question, or what follows it ran)."""
        conversation = turn.conversation
        intent = (parse.get("intent") or {}).get("name")
        form = conversation.active_form
        requested = conversation.requested_slot
        candidates = extract_slots(
            self.domain, parse, active_loop=form, requested_slot=requested, unsure=low
        )
        upcoming = self.policy.next_action(conversation) if form is not None and not low else None
        # A request that starts another form here (the demo's "track my order" in the
        # return form runs a rule that answers it instead: no switch, but a question).
        switching = upcoming in self.domain.forms and upcoming != form
        elsewhere = intent in self._form_starters and upcoming not in (None, LISTEN, form)
        interrupts = intent in self._interruptions or switching or elsewhere
        # What the message says by itself, free text aside (but free text a mapping takes at
        # this question for another slot: it was set aside, and the message not understood).
        said = extract_slots(
            self.domain,
            parse,
            active_loop=form,
            requested_slot=requested,
            include_text=False,
            aimed_text=True,
        )
        required = self.forms.asks(form)
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
        slot_actions = extraction_actions(self.domain, form, requested, intent, unsure=low)
        if slot_actions and not waiting:
            read = await self.custom.read_slots(turn, slot_actions)
            # a form's slot its mapping's action read is the form's answer, as any mapping's
            candidates.update((k, v) for k, v in read.items() if k in required and v is not None)
        # As in Rasa, a form takes any of its slots a message names, not only the one it
        # asked for: "actually it's order NW-48213" while it asks for the item changes the
        # order (the new number was dropped without a word), unless the message is
        # something else (a question about another order).
        other = not low and not interrupts and any(name in required for name in said)
        if (
            form is not None
            and not waiting
            and (low or not interrupts)  # an unsure reading is a message not understood
            and not (requested in candidates or other)
            and self.forms.custom_mapped(form, requested)
        ):
            # Rasa's custom slot mapping: the form's validation action reads the message
            # ("outside please" for a seating preference) where no mapping of the domain did
            asking = await self.forms.fill_by_extraction(turn, form)
            if asking is not None:
                conversation.fallback_count = 0
                if not asking:
                    await self._predict_and_run(turn, intent)
                return True
        if form is None or not (requested in candidates or other) or waiting:
            # While the user waits for a person the form is on hold: what they write is for
            # the person ("anyone there?" was taken as the return's reason, and submitted).
            # The form asks its question again when an agent gives the conversation back.
            return False
        asking = await self.forms.fill(turn, form, candidates)
        conversation.fallback_count = 0
        if not asking:
            await self._predict_and_run(turn, intent)
        return True

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
