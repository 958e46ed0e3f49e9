"""The return form: its checks, and forgetting a finished return's details."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from .history import (
    another_item,
    carried_over,
    earlier_value,
    order_given_now,
    set_this_turn,
    started_now,
)
from .orders import (
    NOT_AN_ORDER_NUMBER,
    ORDERS,
    given_order,
    holds_order_number,
    known_order,
    named_orders,
    normalise_order_number,
)
from .status import ASKS_WHERE, NOT_RETURNABLE, offer_return, refused_order, status_line
from .words import (
    ASKS_BACK,
    BOTH,
    CHANGED_MIND,
    FILLERS,
    JUST_NO,
    NO_REASON,
    NO_REASON_GIVEN,
    NOT_A_REASON,
    OKAY,
    ONE_AT_A_TIME,
    QUESTION_BACK,
    REASON_HELP,
    WHICH_ITEM_HELP,
    WHY_ASKED,
    find_item,
    gives_no_reason,
    is_wide,
    items_named,
    words_of,
)


class ValidateReturnForm(FormValidationAction):
    """Checks the return form's slots: a known order, an item from it, a reason."""

    def name(self) -> str:
        return "validate_return_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        reason = _reason_in_request(tracker)
        given = any(  # a reason given now, at another question, is the newer word
            e.get("event") == "slot" and e.get("name") == "return_reason" and e.get("value")
            for e in events
        )
        refused = refused_order(tracker)
        if reason is not None and not given and refused is None:
            # "... and it arrived broken, the box was crushed" was asked "why are you
            # returning it?" as if unsaid: noted, and said back so it can be corrected
            dispatcher.utter_message(text=f"I've noted the reason: \u201c{reason}\u201d.")
            events = [*events, SlotSet("return_reason", reason)]
        if started_now(tracker) and refused is not None:
            # "NW-48213 and how do I return it?": told where it is and why it has nothing to
            # return, the return ends. "What's your order number?" after it read as if the
            # number in the message had not been read.
            return [
                *events,
                SlotSet("product", None),
                SlotSet("return_reason", None),
                ActiveLoop(None),
                SlotSet("requested_slot", None),
                FollowupAction("utter_anything_else_for_now"),
            ]
        return events

    def validate_order_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accept a well-formed order number that exists in the order system."""
        if carried_over(tracker):
            # one tracked, or the last return's: used unsaid, "no, from a different order"
            # was then taken as the reason and the wrong order's item returned
            return {"order_number": None}
        given = [*tracker.get_latest_entity_values("order_number")] or [slot_value]
        named = named_orders(given)
        if len(named) > 1:
            # "NW-33091 and NW-55820" returned the last order's item unsaid: one order at a
            # time, said, not asked (the form's own question follows)
            dispatcher.utter_message(text=f"Let's do one order at a time: {' or '.join(named)} "
                                     "first, then the other.")  # fmt: skip
            return {"order_number": None}
        slot_value = given_order(tracker, slot_value)
        asked = tracker.get_slot("requested_slot") == "order_number"
        if not asked and normalise_order_number(str(slot_value or "")) is None:
            # a number in another answer ("the size is 3 too small"), read as an order
            # number, wiped the return's order: it is kept, and the answer stands
            return {"order_number": earlier_value(tracker, "order_number")}
        number = known_order(slot_value, dispatcher)
        if number is None:
            return {"order_number": None}
        if ORDERS[number]["status"] in NOT_RETURNABLE:
            # Where it is, then why it has nothing to return: "Where is NW-48213 and how do I
            # return it?", read as a return, was told only the latter.
            dispatcher.utter_message(text=status_line(number))
            offer_return(number, dispatcher)
            return {"order_number": None}
        said = str((tracker.latest_message or {}).get("text") or "")
        if order_given_now(tracker) and ASKS_WHERE.search(said):
            dispatcher.utter_message(text=status_line(number))
        product = tracker.get_slot("product")
        items = list(ORDERS[number]["items"])
        cleared: dict[str, Any] = {}
        if product and holds_order_number(str(product)):
            # The item question answered with an order ("NW-48213", "actually it's order
            # NW-55820") is no item: it was "Order NW-48213 has no NW-48213."
            product, cleared = None, {"product": None}
        if product:
            # The item given before the order, or the old order's item when the order
            # changed: checked against this order (its return was registered on it), and
            # said when it is not there (it was dropped unsaid).
            item = find_item(str(product), items)
            if item is None:
                dispatcher.utter_message(text=f"Order {number} has no {product}.")
            return {"order_number": number, "product": item}
        if len(items) == 1:
            # "Which item would you like to return?" with one button to press
            dispatcher.utter_message(text=f"Order {number} has one item, the {items[0]}.")
            return {"order_number": number, "product": items[0]}
        return {"order_number": number, **cleared}

    def validate_product(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accept an item that is part of the order, one at a time."""
        product = str(slot_value or "").strip().lower().removeprefix("the ").strip()
        order = ORDERS.get(str(tracker.get_slot("order_number") or ""))
        items: list[str] = list(order["items"]) if order else []
        said = str((tracker.latest_message or {}).get("text") or "")
        both = words_of(said) in BOTH
        if both and len(items) == 1:
            return {"product": items[0]}  # "everything" of a one-item order is that item
        if words_of(said) in CHANGED_MIND:
            # it was "That item isn't in this order"
            dispatcher.utter_message(response="utter_how_to_stop_return")
            return {"product": None}
        if both or len(items_named(said, items)) > 1:
            # "the headphones and the phone case" registered the phone case alone, unsaid.
            dispatcher.utter_message(text=ONE_AT_A_TIME)
            return {"product": None}
        match = find_item(product, items)
        asked = tracker.get_slot("requested_slot")
        if match is None and items and asked not in (None, "product"):
            # Something tagged as an item in another answer ("it doesn't fit my phone" as the
            # reason) is no change of item: "That item isn't in this order" dropped the
            # return's item, and the user was asked for it again.
            return {"product": earlier_value(tracker, "product")}
        named = next(tracker.get_latest_entity_values("order_number"), None)
        if match is None and named and normalise_order_number(str(named)):
            # "NW-48213" (or "actually it's order NW-55820") at the item question is about
            # the order, no item: "That item isn't in this order" was wrong. The order's
            # own check, when it came first, may have picked the item of a one-item order.
            now = str(tracker.get_slot("product") or "")
            return {"product": None if holds_order_number(now) else now or None}
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        no_item = said.rstrip().endswith("?") or product in NOT_A_REASON | OKAY
        if match is None and (no_item or intent in ("affirm", "clarify")):
            # "what's the difference?", "ok" or "👍" names no item: the question again, with
            # the items as buttons ("That item isn't in this order" answered them)
            if intent == "clarify":
                # "huh?" or "what do you mean?" got the same question again, unexplained
                dispatcher.utter_message(text=WHICH_ITEM_HELP)
            return {"product": None}
        if not product or (items and match is None):
            listed = ", ".join(items) if items else "your order"
            dispatcher.utter_message(text=f"That item isn't in this order. It contains: {listed}.")
            return {"product": None}
        return {"product": match or product}

    def validate_return_reason(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accept any reason of a few characters that is not a yes, a no or a call for help
        ("help" and "yes" were registered as reasons); "no reason" or "I don't know" is
        the answer that there is none (a return needs no reason)."""
        reason = str(slot_value or "").strip()
        if tracker.get_slot("requested_slot") == "order_number":
            return _reason_before_the_order(reason, dispatcher, tracker)
        named = next(tracker.get_latest_entity_values("order_number"), None)
        if named and normalise_order_number(str(named)):
            # "actually it's order NW-55820" changes the order; it is no reason
            return {"return_reason": None}
        order = ORDERS.get(str(tracker.get_slot("order_number") or ""))
        switched = another_item(tracker, order) if set_this_turn(tracker, "product") else None
        if switched is not None:
            # "changed my mind, I want the headphones instead" changes the item; it was
            # registered as the reason, and the return submitted at once. The item itself
            # named in a reason ("it doesn't fit my laptop") is a reason: it was dropped,
            # and the question asked again without a word.
            dispatcher.utter_message(text=f"OK, the {switched} then.")
            return {"return_reason": None}
        item = find_item(reason, list(order["items"])) if order else None
        if item is not None:
            # An item of the order and nothing more ("sleeve", "actually the sleeve") is the
            # user choosing another item, which the NLU did not tag: the lamp's return was
            # registered with "actually the sleeve" as its reason.
            if item != tracker.get_slot("product"):
                dispatcher.utter_message(text=f"OK, the {item} then.")  # it changed unsaid
                return {"product": item, "return_reason": None}
            dispatcher.utter_message(text=REASON_HELP)
            return {"return_reason": None}
        said = words_of(reason)
        if said in JUST_NO:
            dispatcher.utter_message(response="utter_how_to_stop_return")
            return {"return_reason": None}
        if gives_no_reason(reason):
            return {"return_reason": NO_REASON}
        if len(reason) < 3 and not (len(reason) == 2 and all(map(is_wide, reason))):
            # not a question: the form asks its own right after ("👍" got two in a row).
            # Two Chinese or Japanese characters are words ("太小": too small).
            dispatcher.utter_message(text="That's a bit short for a reason.")
            return {"return_reason": None}
        if not FILLERS.sub(" ", said).strip():
            dispatcher.utter_message(text="Take your time. " + REASON_HELP)
            return {"return_reason": None}
        asked = reason.rstrip().endswith("?") and ASKS_BACK.match(said)
        if asked or QUESTION_BACK.match(said):
            # a question back ("why do you need to know?", "what do you mean?") is no reason
            dispatcher.utter_message(text=WHY_ASKED)
            return {"return_reason": None}
        # A button's payload ("/inform{...}") clicked late is no reason either.
        if said in NOT_A_REASON or reason.startswith("/"):
            dispatcher.utter_message(text=REASON_HELP)
            return {"return_reason": None}
        return {"return_reason": reason}


# What a reason for a return sounds like, in the message that asks for the return.
_REASON_WORDS = re.compile(
    r"\b(?:broken|damaged|crushed|cracked|scratched|torn|faulty|defective|stopped working"
    r"|(?:does ?n[o']?t|won'?t|will not) (?:work|fit|turn on|charge)|not working"
    r"|too (?:small|big|large|tight|loose|short|long)|wrong (?:size|colou?r|item|model)"
    r"|changed my mind|no longer (?:need|want)|do ?n'?t (?:need|want|like) (?:it|them))\b",
    re.IGNORECASE,
)
_CLAUSES = re.compile(r"[,.;!?\n]|\s(?:and|but|so)\s", re.IGNORECASE)
# A clause that asks ("do refunds take long if it is damaged?") is a question, not a reason.
_ASKING = re.compile(
    r"^(?:also\s+)?(?:how|what|when|where|why|who|which|can|could|do|does|did|is|are|will"
    r"|would|should|may)\b",
    re.IGNORECASE,
)


def reason_said(text: str) -> str | None:
    """The clauses of ``text`` that give a reason for returning ("it arrived broken"), the
    words after "because" where they have them, joined by "and" ("it's broken and it
    doesn't fit": the second was dropped); None when none does."""
    found = []
    for clause in _CLAUSES.split(text):
        clause = clause.strip()
        if _REASON_WORDS.search(clause) and not _ASKING.match(clause):
            clause = re.split(r"\bbecause\b", clause, flags=re.IGNORECASE)[-1].strip(" '\"")
            if clause:
                found.append(clause)
    return " and ".join(found) or None


def _reason_in_request(tracker: Tracker) -> str | None:
    """The reason given in the message that started this return, while no reason has been
    set since. (The form checks nothing when it starts with nothing filled, as Rasa's: the
    reason is noted at its first check, when the order number comes.)"""
    events = tracker.events
    now = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=0)
    for i in range(len(events) - 1, -1, -1):
        event = events[i]
        # (this message's candidate for it is the form's check's to judge)
        if event.get("event") == "slot" and event.get("name") == "return_reason" and i < now:
            return None
        if event.get("event") == "active_loop" and event.get("name") == "return_form":
            asked = [e for e in events[:i] if e.get("event") == "user"]
            return reason_said(str(asked[-1].get("text") or "")) if asked else None
    return None


EARLY_REASON_NOTED = "Got it, I've noted that as the reason for the return."


def _reason_before_the_order(
    reason: str, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    """A reason given where the order number is asked for ("dont need it anymore" got
    "didn't get that", then the offer of a person): noted, so the reason question is not
    asked later. Only a clear one: the order number itself, an item, a date or an "I don't
    know", which may be about the order number, keeps what was noted before (the number
    given next wiped it), and the form asks for the number again."""
    if reason and reason == earlier_value(tracker, "return_reason"):
        # noted before and checked again as the return is asked for again ("I want to
        # return an item" at this question): "Got it, I've noted that" answered it
        return {"return_reason": reason}
    said = words_of(reason)
    entities = (tracker.latest_message or {}).get("entities") or []
    digits = any(char.isdigit() for char in reason)
    if digits and not entities:
        # "1" or "4821": meant as the number, in which no order number was found
        dispatcher.utter_message(text=NOT_AN_ORDER_NUMBER)
    unclear = (
        bool(entities)
        or digits
        or reason.startswith("/")
        or reason.rstrip().endswith("?")
        or said in NOT_A_REASON | OKAY | JUST_NO | NO_REASON_GIVEN
        or len(said) < 3
        or not FILLERS.sub(" ", said).strip()
    )
    if unclear:
        return {"return_reason": earlier_value(tracker, "return_reason")}
    dispatcher.utter_message(text=EARLY_REASON_NOTED)
    return {"return_reason": reason}


class ActionClearReturnDetails(Action):
    """Forget the item and reason of a return that was submitted or stopped.

    A second return found them filled: the form ended as it started, and the bot said
    nothing. The order number stays, as the order the conversation is about.
    """

    def name(self) -> str:
        return "action_clear_return_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        return [
            SlotSet("product", None),
            SlotSet("return_reason", None),
            SlotSet("return_order_refused", None),
        ]
