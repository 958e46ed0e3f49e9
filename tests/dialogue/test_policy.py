"""The rule and story policy on its own: what a story's steps require of the conversation."""

from __future__ import annotations

from typing import Any

from bot.dialogue.policy import Policy, SlotHistory, conversation_tokens
from bot.dialogue.tracker import bounded_events
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


def test_a_rule_starting_with_an_action_reads_its_condition_before_that_action() -> None:
    # The slots an action sets are its step's doing, not what the rule started from.
    rule = Rule(
        "a first offer, declined",
        (Step("action", "action_offer"), Step("intent", "deny"), Step("action", "utter_ok")),
        condition=(Step("slot_was_set", slots={"offered": None}),),
    )
    events = [
        {"event": "action", "name": "action_offer"},
        {"event": "slot", "name": "offered", "value": True},
        user("deny"),
    ]
    now = {"offered": True}
    history = SlotHistory(events, now)
    assert (
        Policy([rule], []).predict(conversation_tokens(events), slots=history, active_loop=None)
        == "utter_ok"
    )
    offered_before = [{"event": "slot", "name": "offered", "value": True}, *events]
    history = SlotHistory(offered_before, now)
    tokens = conversation_tokens(offered_before)
    assert Policy([rule], []).predict(tokens, slots=history, active_loop=None) is None


def test_the_slots_before_the_events_kept_are_restated() -> None:
    # A rule's condition may be read before the events the state keeps: the question set
    # long before read as never asked, and the return ended without a word.
    asked = [
        {"event": "slot", "name": "requested_slot", "value": "order_number"},
        {"event": "slot", "name": "refused", "value": True},
    ]
    chatter = [e for _ in range(60) for e in (user("faq"), {"event": "action", "name": "x"})]
    events = [*asked, *chatter, user("deny")]
    kept = bounded_events(events, 50)
    assert kept[:2] == asked and len(kept) == 52
    deny = len(conversation_tokens(kept)) - 1
    kept += [
        {"event": "action", "name": "action_deactivate_loop"},
        {"event": "slot", "name": "requested_slot", "value": None},
        {"event": "slot", "name": "refused", "value": None},
    ]
    ended = {"requested_slot": None, "refused": None}
    assert SlotHistory(kept, ended).at(deny) == {"requested_slot": "order_number", "refused": True}
    plain_cut = [*events[-50:], *kept[-3:]]  # as the state was cut before
    assert SlotHistory(plain_cut, ended).at(deny)["requested_slot"] is None
    # cut again, the restated slots are restated in turn; a restart forgets them
    assert bounded_events(kept, 10)[:2] == asked
    assert bounded_events([*asked, {"event": "restart"}, *chatter], 10)[0] == chatter[-10]


def test_a_form_started_before_the_events_kept_is_restated() -> None:
    # A form started before the cut and ended after it read as never active: the rule that
    # submits it (condition: the form active) did not run in a long conversation.
    rule = Rule(
        "submit",
        (
            Step("action", "return_form"),
            Step("active_loop", None),
            Step("action", "utter_return_submitted"),
        ),
        condition=(Step("active_loop", "return_form"),),
    )
    policy = Policy([rule], [])
    started = [
        {"event": "action", "name": "return_form"},
        {"event": "active_loop", "name": "return_form"},
    ]
    chatter = [e for _ in range(60) for e in (user("faq"), {"event": "action", "name": "x"})]
    ended = [
        user("inform"),
        {"event": "action", "name": "return_form"},
        {"event": "active_loop", "name": None},
    ]

    def after(events: list[dict[str, Any]]) -> str | None:
        return policy.predict(conversation_tokens(events), slots={}, active_loop=None)

    assert after([*started, *chatter, *ended]) == "utter_return_submitted"
    kept = bounded_events([*started, *chatter], 50)
    assert kept[0] == {"event": "active_loop", "name": "return_form"}
    assert after([*kept, *ended]) == "utter_return_submitted"
    assert after([*started, *chatter][-50:] + ended) is None  # as the state was cut before
    # a form ended before the cut, or a restart, leaves nothing to restate
    assert bounded_events([*started, *ended, *chatter], 50)[0] == chatter[-50]
    assert bounded_events([*started, {"event": "restart"}, *chatter], 50)[0] == chatter[-50]
