"""The rule and story policy on its own: what a story's steps require of the conversation."""

from __future__ import annotations

from typing import Any

from bot.dialogue.policy import Policy, conversation_tokens
from bot.project import Rule, Step, Story

TRACK = Story(
    "track an order, number given later",
    (
        Step("intent", "track_order"),
        Step("action", "action_check_order_status"),
        Step("intent", "inform", entities=({"entity": "order_number", "value": "NW-48213"},)),
        Step("action", "action_check_order_status"),
    ),
)


def user(intent: str, *entities: str) -> dict[str, Any]:
    parse = {"intent": {"name": intent}, "entities": [{"entity": e} for e in entities]}
    return {"event": "user", "parse_data": parse}


def predict(policy: Policy, events: list[dict[str, Any]]) -> str | None:
    return policy.predict(conversation_tokens(events), slots={}, active_loop=None)


def test_a_story_step_with_entities_continues_only_a_message_that_has_them() -> None:
    # Any `inform` continued the story: "running shoes" (a product) got the order status.
    policy = Policy([], [TRACK])
    assert predict(policy, [user("inform", "order_number")]) == "action_check_order_status"
    assert predict(policy, [user("inform", "order_number", "product")]) == (
        "action_check_order_status"
    )
    assert predict(policy, [user("inform", "product")]) is None
    assert predict(policy, [user("inform")]) is None
    # A step that names no entities still takes a message with some, as before.
    assert predict(policy, [user("track_order", "order_number")]) == "action_check_order_status"


def test_nothing_before_a_restart_counts() -> None:
    # A form ended by a custom action's Restarted() read as completed, and its submit rule
    # ran (a ticket opened on a reset). As Rasa's applied events, a restart starts afresh.
    story = Story(
        "open a ticket",
        (
            Step("intent", "open_ticket"),
            Step("action", "ticket_form"),
            Step("action", "action_open_ticket"),
        ),
    )
    events = [user("open_ticket"), {"event": "action", "name": "ticket_form"}]
    assert predict(Policy([], [story]), events) == "action_open_ticket"
    assert predict(Policy([], [story]), [*events, {"event": "restart"}]) is None


def test_a_rule_on_the_question_a_form_asks_holds_at_that_question_only() -> None:
    # Rasa's requested_slot is categorical: a rule for "no" at the order number question
    # also answered "no" at the item question (a text slot's value means only "set").
    rule = Rule(
        "no order number at hand",
        (Step("intent", "deny"), Step("action", "utter_no_order_number")),
        condition=(
            Step("active_loop", "return_form"),
            Step("slot_was_set", slots={"requested_slot": "order_number"}),
        ),
    )
    policy = Policy([rule], [])
    tokens = conversation_tokens([user("deny")])

    def asked(slot: str | None) -> str | None:
        slots = {"requested_slot": slot}
        return policy.predict(tokens, slots=slots, active_loop="return_form")

    assert asked("order_number") == "utter_no_order_number"
    assert asked("product") is None
    assert asked(None) is None
