"""Custom actions for the dialogue tests, written with rasa-sdk as a Rasa team would."""

import re
from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import (
    ActiveLoop,
    AllSlotsReset,
    ConversationResumed,
    FollowupAction,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection
from rasa_sdk.types import DomainDict

KNOWN_ORDERS = {"NW-10001": "shipped", "NW-10002": "processing"}


class ActionCheckOrder(Action):
    def name(self) -> str:
        return "action_check_order"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        number = tracker.get_slot("order_number")
        status = KNOWN_ORDERS.get(number or "", "unknown")
        dispatcher.utter_message(text=f"Order {number} is {status}.")
        return [SlotSet("vip", True)]


class ValidateReturnForm(FormValidationAction):
    def name(self) -> str:
        return "validate_return_form"

    def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not re.fullmatch(r"NW-\d{5}", str(value)):
            dispatcher.utter_message(text="Order numbers look like NW-12345.")
            return {"order_number": None}
        if value not in KNOWN_ORDERS:
            dispatcher.utter_message(text=f"I can't find order {value}.")
            return {"order_number": None}
        return {"order_number": value}

    def validate_product(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if str(value).lower() == "gift":
            # a validator choosing the next question (rasa-sdk's dynamic forms do)
            return {"product": "gift", "requested_slot": "return_reason"}
        if str(value).lower() == "voucher":
            return {"product": "voucher", "requested_slot": None}  # nothing more to ask
        if str(value).lower() == "mystery":
            return {"product": "mystery", "requested_slot": "product"}  # ask it once more
        return {"product": str(value).lower()}


class ActionPause(Action):
    def name(self) -> str:
        return "action_pause"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="Pausing for a human.")
        return [{"event": "pause"}]


class ActionHumanHandoff(Action):
    """A project's own handoff action, as a Rasa team might have one (opens a ticket)."""

    def name(self) -> str:
        return "action_human_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="Ticket T-1 is open; a person will answer here.")
        return []


class ActionCrash(Action):
    def name(self) -> str:
        return "action_crash"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        raise RuntimeError("boom")


class ActionReject(Action):
    def name(self) -> str:
        return "action_reject"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        raise ActionExecutionRejection("action_reject", "not now")


class ActionManyEvents(Action):
    def name(self) -> str:
        return "action_many_events"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        when = datetime.now() + timedelta(minutes=5)
        return [
            SlotSet("vip", True),
            ReminderScheduled("remind", trigger_date_time=when, name="check_in"),
            ActiveLoop("return_form"),
            SlotSet("requested_slot", "order_number"),
            FollowupAction("utter_greet"),
        ]


class ActionReset(Action):
    def name(self) -> str:
        return "action_reset"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        return [AllSlotsReset()]


class ActionRestartEvents(Action):
    def name(self) -> str:
        return "action_restart_events"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_goodbye")
        return [Restarted()]


class ActionRestartAndGreet(Action):
    def name(self) -> str:
        return "action_restart_and_greet"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        return [Restarted(), FollowupAction("utter_greet")]


class ActionResume(Action):
    def name(self) -> str:
        return "action_resume"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        return [ConversationResumed()]


class ActionSetReminder(Action):
    """A reminder in a minute, named "nudge", with the product it is about."""

    def name(self) -> str:
        return "action_set_reminder"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="I'll remind you.")
        when = datetime.now() + timedelta(minutes=1)
        entities = {"product": tracker.get_slot("product") or "kettle"}
        return [ReminderScheduled("EXTERNAL_reminder", when, entities=entities, name="nudge")]


class ActionSetLastingReminder(Action):
    def name(self) -> str:
        return "action_set_lasting_reminder"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        when = datetime.now() + timedelta(minutes=2)
        return [
            ReminderScheduled(
                "EXTERNAL_reminder",
                when,
                entities=[{"entity": "product", "value": "lamp"}],
                name="lasting",
                kill_on_user_message=False,
            )
        ]


class ActionCancelReminders(Action):
    def name(self) -> str:
        return "action_cancel_reminders"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        return [ReminderCancelled(intent_name="EXTERNAL_reminder")]
