"""What the bot says of an order's status: where it is, why it has nothing to return yet,
and what to do when the customer says it has not come."""

from __future__ import annotations

import json
import re
from datetime import date

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from .orders import (
    ORDERS,
    due_date,
    named_orders,
)

# Orders with nothing to return yet, or any more, and what the return form says of them.
# Each was accepted before: a return registered for an order still in the warehouse, and
# for one on its way, before it had arrived.
_ON_ITS_WAY = (
    "Order {number} is still on its way, so there's nothing to return yet: once it has "
    "arrived, you can return it here. If you no longer want it, you can refuse the parcel "
    "when it's delivered, and we'll refund you once it's back with us."
)
NOT_RETURNABLE = {
    "being packed": "Order {number} hasn't left our warehouse yet, so there's nothing to "
    "return: you can still cancel it in My account > Orders.",
    "cancelled": "Order {number} was cancelled, so there's nothing to return.",
    "shipped": _ON_ITS_WAY,
    "delayed": _ON_ITS_WAY,
}


def refused_order(tracker: Tracker) -> str | None:
    """The one order the latest message named, when it has nothing to return."""
    named = named_orders([*tracker.get_latest_entity_values("order_number")])
    number = named[0] if len(named) == 1 else None
    refused = number in ORDERS and ORDERS[number]["status"] in NOT_RETURNABLE
    return number if refused else None


#: Said after the status of an order on its way past its due day: it was told only after
#: the customer said it had not come ("where is NW-72946" got "it left our warehouse last
#: week", two days after it was due).
OVERDUE = (
    " By now it should have reached you; if it hasn't, tell me and a member of our team "
    "will look into it with the carrier."
)


def status_line(number: str, today: date | None = None) -> str:
    """Where an order known to the order system is."""
    order = ORDERS[number]
    due = due_date(number, today or date.today()) if order["status"] == "shipped" else None
    late = OVERDUE if due is not None and due < (today or date.today()) else ""
    return f"Your order {number} {order['news']}{late}"


# A return asked for beside the order's status ("... and how do I return it?"), and the
# status beside a return ("Where is NW-55820 and how do I return it?" read as a return).
ASKS_FOR_RETURN = re.compile(r"\breturn(?:ing)?\b|\bsend\b.*\bback\b", re.IGNORECASE)
# "And my other order?" right after a status is no dispute of it: the number is asked for.
# (Not "I ordered a new phone and it hasn't come", nor "no other news?")
ASKS_ANOTHER = re.compile(
    r"\b(?:an)?other\s+(?:order|parcel|package|one)s?\b"
    r"|\b(?:different|second|new)\s+(?:order|parcel|package)s?\b",
    re.IGNORECASE,
)
# "Has NW-27530 arrived? I want to return it", read as a return, was not told either.
ASKS_WHERE = re.compile(
    r"\bwhere\b|\bstatus\b|\btrack|\b(?:has|have|did|is)\b(?:\s+\S+){0,4}?\s+"
    r"(?:arriv|c[ao]me\b|ship|deliver|dispatch)",
    re.IGNORECASE,
)


def offer_return(number: str, dispatcher: CollectingDispatcher) -> None:
    """Why the order has nothing to return yet, or a button to return from it."""
    refusal = NOT_RETURNABLE.get(ORDERS[number]["status"])
    if refusal is not None:
        dispatcher.utter_message(text=refusal.format(number=number))
        return
    payload = "/return_item" + json.dumps({"order_number": number})
    dispatcher.utter_message(
        text=f"You can return an item from order {number} here.",
        buttons=[{"title": "Return an item", "payload": payload}],
    )


# "But I never got it" / "no it hasn't come" right after an order's status disputes it: it
# got "Goodbye" or "didn't get that". What helps depends on where the order is.
STATUS_DISPUTED = {
    "delivered": "I'm sorry it hasn't reached you. Please check with neighbours and your "
    "building's mail room, and look for a delivery note. If it hasn't turned up within 2 "
    "working days, a member of our team will open an investigation with the carrier and send "
    "a replacement or a refund.",
    "shipped": "It's with the carrier, and the tracking link in your shipping email shows "
    "where it is now. If it hasn't arrived within 3 working days, a member of our team will "
    "look into it.",
    "delayed": "I'm sorry for the wait. The carrier's delay usually clears within two days; "
    "if it hasn't arrived by then, a member of our team will look into it.",
}


def day_name(day: date) -> str:
    """``Wednesday 2 December``."""
    return f"{day:%A} {day.day} {day:%B}"


def status_disputed(number: str, today: date, again: bool = False) -> tuple[str, bool] | None:
    """What to say to "it still hasn't arrived" of an order known to the order system, and
    whether to offer a person now; None when there is nothing to add to its status.

    An order on its way before its due day is on time: it is told when to expect it, not
    offered a person (it was "a member of our team will look into it", and a person, the day
    before it was due). Past that day, something has gone wrong: a person is offered. Said
    ``again`` right after, the customer is not content to wait: a person is offered then
    too (it was "Which order is it about?", as if the order had not been talked about)."""
    order = ORDERS[number]
    due = due_date(number, today) if order["status"] in ("shipped", "delayed") else None
    if due is not None and due >= today:
        sorry = "I'm sorry for the wait. " if order["status"] == "delayed" else ""
        when = "today" if due == today else f"by {day_name(due)}"
        if again:
            return (
                f"I'm sorry it still hasn't come. It should arrive {when}, but if you'd "
                "rather not wait, a member of our team can look into it with the carrier.",
                True,
            )
        return (
            f"{sorry}It's still on its way, and should arrive {when}. The tracking link in "
            "your shipping email shows where it is now. If it hasn't come by then, tell me "
            "and I'll find you a person to look into it.",
            False,
        )
    if due is not None:
        return (
            f"I'm sorry: it should have arrived by {day_name(due)}. A member of our team can "
            "look into it with the carrier.",
            True,
        )
    text = STATUS_DISPUTED.get(order["status"])
    return None if text is None else (text, True)
