"""Tracking an order: its status, told for a number or a form; a status disputed; the
shop's news that it has shipped."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from .history import carried_over, earlier_value
from .orders import (
    NOT_AN_ORDER_NUMBER,
    ORDERS,
    given_order,
    known_order,
    named_orders,
    normalise_order_number,
    not_found,
    order_numbers,
)
from .status import ASKS_ANOTHER, ASKS_FOR_RETURN, offer_return, status_disputed, status_line


class ActionCheckOrderStatus(Action):
    """Tell the user where their order is, from the order number slot or the last message."""

    def name(self) -> str:
        return "action_check_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        raws = [v for v in tracker.get_latest_entity_values("order_number") if v]
        raws = raws or [tracker.get_slot("order_number")]
        if not raws[0]:
            if tracker.active_loop_name != "return_form":  # there, the form asks for it
                dispatcher.utter_message(
                    text="Sure! What's your order number? It looks like NW-12345."
                )
            return []
        # Each order the message names is told: "NW-48213 and NW-10472" told the first only.
        # (a phone number tagged beside a real order number is left unsaid)
        numbers: list[str | None] = [*named_orders(raws)] or order_numbers(raws)
        for number in numbers:
            order = ORDERS.get(number or "")
            if number is None:  # the tagger took something else for one (a phone number)
                dispatcher.utter_message(text=NOT_AN_ORDER_NUMBER)
            elif order is None:
                dispatcher.utter_message(text=not_found(number))
            else:
                dispatcher.utter_message(text=status_line(number))
        if tracker.active_loop_name == "return_form":
            # A question about another order in the middle of a return: answered, but the
            # return keeps its own order (it used to switch to this one, or lose it, unsaid).
            return []
        known = [number for number in numbers if number in ORDERS]
        said = str((tracker.latest_message or {}).get("text") or "")
        if len(known) == 1 and ASKS_FOR_RETURN.search(said):
            # "Where is NW-55820 and how do I return it?": the return was left unanswered.
            offer_return(known[0], dispatcher)
        return [SlotSet("order_number", known[0] if known else None)]


class ActionStatusDisputed(Action):
    """Answer a "no" to the order status just told, by where the order is."""

    def name(self) -> str:
        return "action_status_disputed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        named = named_orders([*tracker.get_latest_entity_values("order_number")])
        if named and named[0] != earlier_value(tracker, "order_number"):
            # "and where is NW-10472?" asks about another order: its status, as tracking
            return await ActionCheckOrderStatus().run(dispatcher, tracker, domain)
        said = str((tracker.latest_message or {}).get("text") or "")
        if not named and ASKS_ANOTHER.search(said):
            # "where is my other order?" was read as the last order's "still not here"
            dispatcher.utter_message(
                text="Sure! What's the other order's number? It looks like NW-12345."
            )
            return []
        number = str(tracker.get_slot("order_number") or "")
        again = _last_action(tracker) == self.name()
        said = status_disputed(number, date.today(), again) if number in ORDERS else None
        if said is None:  # being packed, cancelled, or no order: nothing to add but a person
            dispatcher.utter_message(response="utter_offer_person_after_status")
            return []
        text, offer = said
        if not offer:
            dispatcher.utter_message(text=text)
            return []
        # Yes/No, as the fallback's offer: a typed "yes" hands over (is_offer_of_a_person)
        dispatcher.utter_message(
            text=f"{text} Would you like to talk to a person now?",
            buttons=[
                {"title": "Yes, please", "payload": "/human_handoff"},
                {"title": "No, thanks", "payload": "/deny"},
            ],
        )
        return []


def _last_action(tracker: Tracker) -> str | None:
    """The bot's action before the latest message (this one's is not among the events yet)."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") != "action_listen":
            return str(event.get("name"))
    return None


class ActionOrderShipped(Action):
    """Tell the user their order has shipped: the shop's systems send ``EXTERNAL_order_shipped``
    with the order number (Rasa's ``trigger_intent``), the user typed nothing."""

    def name(self) -> str:
        return "action_order_shipped"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        # From the message, not the slot: a return in progress keeps its own order.
        raw = next(tracker.get_latest_entity_values("order_number"), None)
        number = normalise_order_number(str(raw or ""))
        order = f"your order {number}" if number else "your order"
        dispatcher.utter_message(
            text=f"Good news: {order} has shipped! You'll get its tracking link by email, "
            'and you can ask me "where is my order?" any time.'
        )
        return []


class ValidateOrderStatusForm(FormValidationAction):
    """Checks the order number asked for to tell an order's status."""

    def name(self) -> str:
        return "validate_order_status_form"

    def validate_order_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if carried_over(tracker):
            # asked about rather than told again unasked ("track my order" again told the
            # last order's status)
            return {"order_number": None}
        several = named_orders([slot_value])
        if len(several) > 1:
            # "48213 and 55820" is no malformed number: the status action tells each one
            return {"order_number": several[0]}
        return {"order_number": known_order(given_order(tracker, slot_value), dispatcher)}
