"""The rule and story policy on its own: what a story's steps require of the conversation."""

from __future__ import annotations

from typing import Any

from bot.dialogue.policy import Policy, SlotHistory, conversation_tokens
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


def test_the_rule_whose_condition_asks_more_wins_in_any_order() -> None:
    # Each slot of a condition counts: a rule on requested_slot and a flag lost to one on
    # requested_slot alone written above it (both were "two condition steps").
    def rule(name: str, action: str, **slots: Any) -> Rule:
        return Rule(
            name,
            (Step("intent", "deny"), Step("action", action)),
            condition=(
                Step("active_loop", "return_form"),
                Step("slot_was_set", slots={"requested_slot": "order_number", **slots}),
            ),
        )

    general = rule("no number at hand", "utter_no_order_number")
    specific = rule("no other order", "action_stop_return", refused=True)
    tokens = conversation_tokens([user("deny")])
    for rules in ([general, specific], [specific, general]):
        policy = Policy(rules, [])

        def after(refused: bool | None, policy: Policy = policy) -> str | None:
            slots = {"requested_slot": "order_number", "refused": refused}
            return policy.predict(tokens, slots=slots, active_loop="return_form")

        assert after(True) == "action_stop_return"
        assert after(None) == "utter_no_order_number"


def test_a_rule_s_condition_is_read_where_its_steps_begin() -> None:
    # A rule on requested_slot whose first action ends the form stopped there: by its next
    # step the form no longer asked, and the condition was read as failing.
    rule = Rule(
        "no other order",
        (
            Step("intent", "deny"),
            Step("action", "action_deactivate_loop"),
            Step("active_loop", None),
            Step("action", "utter_return_stopped"),
        ),
        condition=(
            Step("active_loop", "return_form"),
            Step("slot_was_set", slots={"requested_slot": "order_number", "refused": True}),
        ),
    )
    policy = Policy([rule], [])
    asked = [
        {"event": "action", "name": "return_form"},
        {"event": "active_loop", "name": "return_form"},
        {"event": "slot", "name": "requested_slot", "value": "order_number"},
        {"event": "slot", "name": "refused", "value": True},
    ]
    events = [*asked, user("deny")]

    def predict_now(events: list[dict[str, Any]], slots: dict[str, Any], loop: str | None) -> Any:
        history = SlotHistory(events, slots)
        return policy.predict(conversation_tokens(events), slots=history, active_loop=loop)

    now = {"requested_slot": "order_number", "refused": True}
    assert predict_now(events, now, "return_form") == "action_deactivate_loop"
    events += [
        {"event": "action", "name": "action_deactivate_loop"},
        {"event": "active_loop", "name": None},
        {"event": "slot", "name": "requested_slot", "value": None},
        {"event": "slot", "name": "refused", "value": None},
    ]
    ended = {"requested_slot": None, "refused": None}
    assert predict_now(events, ended, None) == "utter_return_stopped"
    # the current slots alone, as before: the rule stops after its first action
    assert policy.predict(conversation_tokens(events), slots=ended, active_loop=None) is None
    # and it never starts where its condition did not hold when the message came
    unrefused = [*asked[:3], user("deny")]
    assert predict_now(unrefused, {"requested_slot": "order_number"}, "return_form") is None
