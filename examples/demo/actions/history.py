"""What the conversation said before the latest message: slots as they were, the form
started now or earlier, the order given earlier."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from .orders import (
    ORDERS,
    named_orders,
    normalise_order_number,
)
from .status import NOT_RETURNABLE
from .words import find_item


def earlier_value(tracker: Tracker, slot: str) -> Any:
    """The value ``slot`` had when the user's latest message came (the last set before it
    was this message's own when a form set it twice: "NW-33091-2" at a return's start was
    kept as the order, unchecked)."""
    before = current = None
    for event in tracker.events:
        if event.get("event") == "user":
            before = current
        elif event.get("event") == "slot" and event.get("name") == slot:
            current = event.get("value")
    return before


def set_this_turn(tracker: Tracker, slot: str) -> bool:
    """Whether the user's latest message set ``slot`` (a form validates it alongside)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == slot:
            return True
    return False


def another_item(tracker: Tracker, order: dict[str, Any] | None) -> str | None:
    """The other item of the order the latest message named, if it named one (not the
    return's item again, nor something else)."""
    items = list(order["items"]) if order else []
    named = find_item(str(tracker.get_slot("product") or ""), items)
    return named if named is not None and named != earlier_value(tracker, "product") else None


def order_given_now(tracker: Tracker) -> bool:
    """Whether the user's latest message names an order number (typed, or a button's)."""
    return next(tracker.get_latest_entity_values("order_number"), None) is not None


def carried_over(tracker: Tracker) -> bool:
    """Whether the order number a form starts with comes from earlier in the chat, not
    from the message that started it: then the form asks which order, offering that one
    as a button (``_AskOrderNumber``), rather than use it unasked."""
    return started_now(tracker) and not order_given_now(tracker)


def started_now(tracker: Tracker) -> bool:
    """Whether the active form was started by the latest message (not already running)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif event.get("event") == "active_loop" and seen_user:
            return event.get("name") != tracker.active_loop_name
    return True


def remembered_order(
    tracker: Tracker, *, to_return: bool = False, before_now: bool = False
) -> str | None:
    """The last order the user gave earlier in the conversation, if it exists (and, for a
    return, has something to return: the order just refused was offered again). Not one
    of several the latest message gave: of "NW-33091 and NW-55820", refused by the return
    as two orders at once, the second was offered as the order "from earlier";
    ``before_now``: none this turn set (an order refused in it)."""
    given = named_orders([*tracker.get_latest_entity_values("order_number")])
    earlier = len(given) < 2 and not before_now
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            earlier = True
        if earlier and event.get("event") == "slot" and event.get("name") == "order_number":
            number = normalise_order_number(str(event.get("value") or ""))
            if number in ORDERS and not (to_return and ORDERS[number]["status"] in NOT_RETURNABLE):
                return number
    return None
