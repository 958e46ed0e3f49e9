"""Northwind Shop custom actions, written with rasa-sdk.

deskbot runs them in-process, or a rasa-sdk server does (``python -m rasa_sdk --actions
actions``) when ``action_endpoint`` is set. The orders they look up are the stand-in
order system of ``orders.py``.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from .orders import (
    NOT_AN_ORDER_NUMBER,
    ORDERS,
    given_order,
    holds_order_number,
    known_order,
    named_orders,
    normalise_order_number,
    not_found,
    order_numbers,
)

BOTH = {"both", "both of them", "all", "all of them", "everything", "the whole order"}
ONE_AT_A_TIME = (
    "Let's return one item at a time. Which one first? You can return the other right after."
)
NOT_A_REASON = {
    "help", "help me", "yes", "yeah", "yep", "sure", "okay", "hmm", "hm", "what", "why",
    "huh", "please", "hello", "hi",
}  # fmt: skip
OKAY = {"ok", "okay", "k", "fine", "alright", "all right", "got it", "i see"}
# A return needs no reason: these are answers, recorded as NO_REASON (they were told how
# to stop the return, again and again, as if they had said no).
NO_REASON_GIVEN = {
    "no reason", "no particular reason", "none", "nothing", "i don't know", "idk",
    "dunno", "no idea", "not sure", "just because", "rather not say", "i'd rather not say",
    "prefer not to say", "i prefer not to say", "n a", "na",
}  # fmt: skip
NO_REASON = "no reason given"
# A bare "no" to "why are you returning it?" may mean "no, I don't want to": the user is
# told how to stop, as a "no" anywhere else in the form is.
JUST_NO = {"no", "nope", "nah", "no thanks", "no thank you", "n"}
# A reason at the reason question; at the item question, a user who may want to stop.
CHANGED_MIND = {
    "changed my mind",
    "i changed my mind",
    "i've changed my mind",
    "i ve changed my mind",
}
REASON_HELP = (
    "Tell me in a few words why you're returning it, for example \u201cit's too small\u201d or "
    "\u201cit arrived damaged\u201d. To stop the return, say \u201cstop\u201d."
)
# A question or a pause at the reason question is no reason ("why do you need to know?",
# "wait" and "hmm let me think" were registered as reasons, and the return submitted). A
# pause is a message of fillers only: "um, it is too small" is a reason.
FILLERS = re.compile(
    r"\b(?:wait|hold on|hang on|(?:just )?(?:one|a) (?:sec|second|moment|minute)|hmm+|um+|"
    r"uh+|erm|let me think|let me see|good question|i need to think|well|so|ok|okay)\b"
)
# A question back: a message ending in "?" that starts like one ("does not fit?" is a
# reason), or one of these said without the "?".
ASKS_BACK = re.compile(
    r"^(?:why|what|how|who|do (?:i|you|we)|does (?:it|that)|is (?:it|that|this)|"
    r"can (?:i|you)|must i|should i|will (?:you|it)|would you)\b"
)
QUESTION_BACK = re.compile(
    r"^(?:why(?: do you (?:need|want) (?:to know|that|it))?|what do you mean|"
    r"what does that mean|do i (?:have|need) to(?: say| tell you| give (?:a|one))?|must i|"
    r"is that necessary|how come)$"
)
WHICH_ITEM_HELP = (
    "I need to know which item of the order you're sending back, so I can register its "
    "return. Choose it below or type its name; to stop the return, say \u201cstop\u201d."
)
WHY_ASKED = (
    "We ask so we can improve our products, and it helps us process the return faster. A "
    "return needs no reason, though: say \u201cno reason\u201d and I'll register it without one."
)


# Letters of any script, and apostrophes ("don't", "it’s"): a reason written in Russian or
# Japanese ("слишком маленький") had no words at all, and was taken for a pause ("Take your
# time") again and again.
WORD = re.compile(r"(?:[^\W\d_]|')+")


def words_of(text: str) -> str:
    """The message's words, lowercased, one space apart (to compare with the sets above)."""
    return " ".join(WORD.findall(text.lower().replace("\u2019", "'")))


# Words that name no item ("I want to return the case for my phone", "no, sorry, I meant
# the sleeve"; the "s" of "it's", which the item's words are split from).
NOT_ITEM_WORDS = {
    "i", "a", "an", "the", "my", "me", "it", "its", "this", "that", "one", "want", "to",
    "return", "would", "like", "please", "for", "of", "from", "order", "item", "and", "both",
    "actually", "no", "sorry", "oops", "oh", "meant", "mean", "instead", "rather", "s",
}  # fmt: skip


def find_item(said: str, items: list[str]) -> str | None:
    """The order's one item whose words name every word the user wrote, allowing a typo
    ("headfones", "water bottel"); None when none does or several do ("wireless charger",
    "shoe laces" and "clamp" are not the headphones, the shoes and the lamp)."""
    words = [w for w in re.findall(r"[a-z]+", said.lower()) if w not in NOT_ITEM_WORDS]
    if not words:
        return None
    named = [i for i in items if all(any(_same_word(w, p) for p in i.split()) for w in words)]
    return named[0] if len(named) == 1 else None


def items_named(said: str, items: list[str]) -> list[str]:
    """The order's items a message names, each part of "x and y" or "x, y" on its own."""
    parts = re.split(r",|&|\band\b|\bplus\b|\bas well as\b", said.lower())
    named = [find_item(part, items) for part in parts]
    return list(dict.fromkeys(item for item in named if item))


def _same_word(typed: str, word: str) -> bool:
    """The same word, or a typo of it (same first letter, mostly the same letters)."""
    if typed == word:
        return True
    close = difflib.SequenceMatcher(None, typed, word).ratio() >= 0.8
    return len(typed) > 3 and typed[0] == word[0] and close


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
        order = ORDERS.get(str(tracker.get_slot("order_number") or ""))
        text = STATUS_DISPUTED.get(order["status"]) if order else None
        if text is None:  # being packed, cancelled, or no order: nothing to add but a person
            dispatcher.utter_message(response="utter_offer_person_after_status")
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


def is_wide(char: str) -> bool:
    """A character of a Chinese, Japanese or Korean script (a word or syllable, not a
    letter); not an emoji, which is wide too."""
    return unicodedata.east_asian_width(char) == "W" and unicodedata.category(char) == "Lo"


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


def status_line(number: str) -> str:
    """Where an order known to the order system is."""
    order = ORDERS[number]
    return f"Your order {number} is {order['status']}. {order['detail']}"


# A return asked for beside the order's status ("... and how do I return it?"), and the
# status beside a return ("Where is NW-55820 and how do I return it?" read as a return).
ASKS_FOR_RETURN = re.compile(r"\breturn(?:ing)?\b|\bsend\b.*\bback\b", re.IGNORECASE)
ASKS_WHERE = re.compile(r"\bwhere\b|\bstatus\b|\btrack", re.IGNORECASE)


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


def remembered_order(tracker: Tracker, *, to_return: bool = False) -> str | None:
    """The last order the user gave earlier in the conversation, if it exists (and, for a
    return, has something to return: the order just refused was offered again). Not one
    of several the latest message gave: of "NW-33091 and NW-55820", refused by the return
    as two orders at once, the second was offered as the order "from earlier"."""
    given = named_orders([*tracker.get_latest_entity_values("order_number")])
    earlier = len(given) < 2
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            earlier = True
        if earlier and event.get("event") == "slot" and event.get("name") == "order_number":
            number = normalise_order_number(str(event.get("value") or ""))
            if number in ORDERS and not (to_return and ORDERS[number]["status"] in NOT_RETURNABLE):
                return number
    return None


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


class ValidateReturnForm(FormValidationAction):
    """Checks the return form's slots: a known order, an item from it, a reason."""

    def name(self) -> str:
        return "validate_return_form"

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
        if said in NO_REASON_GIVEN:
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


class _AskOrderNumber:
    """Ask a form's order-number question, with the order the user gave earlier in the
    conversation as a button (one click for "the same order"; typing another works)."""

    form = ""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        earlier = remembered_order(tracker, to_return=self.form == "return_form")
        if earlier is None:
            own = f"utter_ask_{self.form}_order_number"
            ask = own if own in domain.get("responses", {}) else "utter_ask_order_number"
            dispatcher.utter_message(response=ask)
            return []
        dispatcher.utter_message(
            text=f"Which order is it about? Is it {earlier}, or another one? You can type its "
            "number (it looks like NW-12345).",
            buttons=[
                {"title": earlier, "payload": "/inform" + json.dumps({"order_number": earlier})}
            ],
        )
        return []


class ActionAskReturnOrderNumber(_AskOrderNumber, Action):
    form = "return_form"

    def name(self) -> str:
        return "action_ask_return_form_order_number"


class ActionAskStatusOrderNumber(_AskOrderNumber, Action):
    form = "order_status_form"

    def name(self) -> str:
        return "action_ask_order_status_form_order_number"


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
        return [SlotSet("product", None), SlotSet("return_reason", None)]
