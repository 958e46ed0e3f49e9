"""The shop's order system, as the demo's stand-in for it, and order numbers as customers
write them."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

# The order-number format the NLU regex finds: two letters, an optional dash or space, five
# digits ("NW 48213" was refused as not an order number; so was "NW–48213", an en dash
# pasted from an email). Every order starts with NW, so five digits alone are one too
# ("order 48213" was refused).
ORDER_NUMBER = re.compile(r"^\s*#?(?:([A-Za-z]{2})[-\u2010-\u2015\u2212\s]?)?(\d{5})\s*$")

# "status" is the order system's; "news" says it in a sentence after "Your order NW-…"
# ("is shipped" and "is delivered. It was delivered on Friday." read oddly).
# "due_in_days": when the carrier expects to deliver an order on its way, counted from
# today, so that the stand-in's orders stay as they are: one due tomorrow, one overdue.
ORDERS: dict[str, dict[str, Any]] = {
    "NW-48213": {"status": "shipped", "news": "has shipped: it left our warehouse on Tuesday "
                 "and should arrive within 1-2 working days.", "due_in_days": 1,
                 "items": ["wireless headphones", "phone case"]},
    "NW-72946": {"status": "shipped", "news": "has shipped: it left our warehouse last week.",
                 "due_in_days": -2, "items": ["travel mug"]},
    "NW-10472": {"status": "being packed", "news": "is being packed, and will be handed to the "
                 "carrier today.", "items": ["yoga mat", "water bottle"]},
    "NW-55820": {"status": "delivered", "news": "was delivered on Monday and signed for.",
                 "items": ["running shoes"]},
    "NW-33091": {"status": "delayed", "news": "is delayed: the carrier reports a delay of about "
                 "two days. We're sorry for the wait.", "due_in_days": 2,
                 "items": ["desk lamp", "laptop sleeve"]},
    "NW-61248": {"status": "cancelled", "news": "was cancelled, and the payment was refunded to "
                 "your card.", "items": ["coffee grinder"]},
    "NW-27530": {"status": "delivered", "news": "was delivered on Friday.",
                 "items": ["wireless headphones", "phone case"]},
    "NW-39164": {"status": "delivered", "news": "was delivered yesterday.",
                 "items": ["desk lamp", "laptop sleeve"]},
}  # fmt: skip


def due_date(number: str, today: date) -> date | None:
    """The day the carrier expects to deliver an order on its way; None when not known."""
    days = ORDERS[number].get("due_in_days")
    return None if days is None else today + timedelta(days=days)


NOT_AN_ORDER_NUMBER = (
    "That doesn't look like an order number. It has two letters and five digits, like NW-12345."
)


def normalise_order_number(text: str) -> str | None:
    """``nw48213`` -> ``NW-48213``; None when the text is not an order number.

    Full-width characters, as a Japanese or Chinese keyboard types them ("ＮＷ-４８２１３"),
    read as their ASCII twins: they were "not an order number"."""
    match = ORDER_NUMBER.match(unicodedata.normalize("NFKC", text or ""))
    if match is None:
        return None
    return f"{(match.group(1) or 'NW').upper()}-{match.group(2)}"


# Between the orders of "48213 and 55820" or "NW-48213, NW-33091" (the tagger may take
# them as one span). Spaces alone are no separator: a phone number's digits stay one value.
ORDER_SEPARATOR = re.compile(r"\s*(?:,|;|&|\band\b|\bor\b|\bplus\b)\s*", re.IGNORECASE)


def order_numbers(values: list[Any]) -> list[str | None]:
    """The order numbers of the NLU's values, each once, a value that names several split
    into them; None for a value that is no order number."""
    found: list[str | None] = []
    for value in values:
        text = str(value or "")
        numbers = [normalise_order_number(p) for p in ORDER_SEPARATOR.split(text) if p]
        if len(numbers) < 2 or None in numbers:
            numbers = [normalise_order_number(text)]
        found += numbers
    return list(dict.fromkeys(found))


def named_orders(values: list[Any]) -> list[str]:
    """The well-formed order numbers of the NLU's values (see ``order_numbers``)."""
    return [n for n in order_numbers(values) if n]


# Five digits in a row: an order number ("NW-48213", "48213"); no item's name has them.
HOLDS_ORDER_NUMBER = re.compile(r"(?<!\d)\d{5}(?!\d)")


def holds_order_number(text: str) -> bool:
    """Whether ``text`` (an answer to the item question, say) has an order number in it."""
    return HOLDS_ORDER_NUMBER.search(unicodedata.normalize("NFKC", text)) is not None


def given_order(tracker: Tracker, slot_value: Any) -> Any:
    """The order the latest message gives: its one well-formed order number, else the
    slot's value (the NLU's last). A pasted signature's phone number or web address, also
    tagged as an order number, came last: "NW-48213 hasn't arrived" with a signature was
    "That doesn't look like an order number", and the order asked for again."""
    named = named_orders([*tracker.get_latest_entity_values("order_number")])
    return named[0] if len(named) == 1 else slot_value


def not_found(number: str) -> str:
    # The number is well formed (known_order says when it is not): no "(it looks like
    # NW-12345)", as "12345" was told NW-12345 was not found and that numbers look so.
    return (
        f"I couldn't find an order {number}. Please check the number in your confirmation "
        "email; if it is right, ask for a person and we will look into it."
    )


def known_order(slot_value: Any, dispatcher: CollectingDispatcher) -> str | None:
    """The order number a reply gives, if such an order exists; else says what is wrong."""
    number = normalise_order_number(str(slot_value or ""))
    if number is None:
        dispatcher.utter_message(text=NOT_AN_ORDER_NUMBER)
    elif number not in ORDERS:
        dispatcher.utter_message(text=not_found(number))
        return None
    return number
