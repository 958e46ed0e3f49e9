"""The forms' own questions: which item (as buttons), which order (the one given earlier
as a button)."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from .history import remembered_order, started_now
from .orders import ORDERS, holds_order_number, named_orders
from .status import NOT_RETURNABLE, refused_order


class ActionAskProduct(Action):
    """Ask which item to return with the order's items as buttons, so a user need not
    spell one (the form's question is the last message, where rasa-webchat shows buttons).
    Without this action the domain's utter_ask_product asks, without buttons."""

    def name(self) -> str:
        return "action_ask_product"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        number = tracker.get_slot("order_number")
        order = ORDERS.get(str(number or ""))
        buttons = [
            {"title": item, "payload": "/inform" + json.dumps({"product": item})}
            for item in (order["items"] if order else [])
        ]
        dispatcher.utter_message(
            text=f"Which item from order {number} would you like to return?", buttons=buttons
        )
        return []


#: After why an order has nothing to return.
ANOTHER_ORDER_OR_STOP = (
    "If the item is from another order, type its number; otherwise say \u201cstop\u201d to stop "
    "the return."
)
#: Asked again after a number was refused (not found, or not an order number): the question's
#: "it looks like NW-12345" had been the very number "12345" just refused.
ASK_ANOTHER_ORDER = "Which order number should I try instead? It is in your confirmation email."


def _gave_a_number(tracker: Tracker) -> bool:
    """Whether the latest message gave one order number (which the form has just refused,
    since it asks again). Two at once were told to come one at a time: the question then
    asks as the first time."""
    latest = tracker.latest_message or {}
    tagged = [e.get("value") for e in latest.get("entities") or []
              if e.get("entity") == "order_number"]  # fmt: skip
    if len(named_orders(tagged)) > 1:
        return False
    return bool(tagged) or holds_order_number(str(latest.get("text") or ""))


class _AskOrderNumber:
    """Ask a form's order-number question, with the order the user gave earlier in the
    conversation as a button (one click for "the same order"; typing another works)."""

    form = ""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        returning = self.form == "return_form"
        refused = refused_order(tracker) if returning else None
        # The order just tracked, on its way: why it has nothing to return is said at once
        # ("What's your order number?", and the number typed again was then refused).
        # (not when this message gave a number of its own, refused: that one is asked about)
        started = returning and started_now(tracker) and not _gave_a_number(tracker)
        tracked = remembered_order(tracker, before_now=True) if started else None
        on_its_way = tracked if tracked and ORDERS[tracked]["status"] in NOT_RETURNABLE else None
        noted = _noted_refusal(tracker, bool(refused or on_its_way)) if returning else []
        if on_its_way is not None and refused is None:
            why = NOT_RETURNABLE[ORDERS[on_its_way]["status"]].format(number=on_its_way)
            dispatcher.utter_message(text=f"{why} {ANOTHER_ORDER_OR_STOP}")
            return noted
        if refused is not None:
            # just told why that order has nothing to return: "What's your order number?"
            # read as if the number had not been read
            dispatcher.utter_message(text=ANOTHER_ORDER_OR_STOP)
            return noted
        earlier = remembered_order(tracker, to_return=self.form == "return_form")
        # The item named first ("the phone case" at this question, or in the request) is
        # said back: the same question again read as if the item had not been heard.
        item = tracker.get_slot("product") if self.form == "return_form" else None
        if earlier is None and item:
            dispatcher.utter_message(
                text=f"Which order {_is(item)} the {item} from? Its order number is in your "
                "confirmation email; it looks like NW-12345."
            )
            return noted
        if earlier is None and _gave_a_number(tracker):
            dispatcher.utter_message(text=ASK_ANOTHER_ORDER)
            return noted
        if earlier is None:
            own = f"utter_ask_{self.form}_order_number"
            ask = own if own in domain.get("responses", {}) else "utter_ask_order_number"
            dispatcher.utter_message(response=ask)
            return noted
        about = f"Which order {_is(item)} the {item} from?" if item else "Which order is it about?"
        dispatcher.utter_message(
            text=f"{about} Is it {earlier}, or another one? You can type its "
            "number (it looks like NW-12345).",
            buttons=[
                {"title": earlier, "payload": "/inform" + json.dumps({"order_number": earlier})}
            ],
        )
        return noted


def _is(item: str) -> str:
    """The verb for an item: "the running shoes are", "the phone case is"."""
    return "are" if item.endswith("s") and not item.endswith("ss") else "is"


def _noted_refusal(tracker: Tracker, refused: bool) -> list[dict[str, Any]]:
    """``return_order_refused`` as this question leaves it: set after an order with nothing
    to return (a "no" then stops the return), cleared otherwise."""
    value = True if refused else None
    return (
        []
        if tracker.get_slot("return_order_refused") == value
        else [SlotSet("return_order_refused", value)]
    )


class ActionAskReturnOrderNumber(_AskOrderNumber, Action):
    form = "return_form"

    def name(self) -> str:
        return "action_ask_return_form_order_number"


class ActionAskStatusOrderNumber(_AskOrderNumber, Action):
    form = "order_status_form"

    def name(self) -> str:
        return "action_ask_order_status_form_order_number"
