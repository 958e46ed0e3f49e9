"""Filling slots from a parsed message through the domain's slot mappings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bot.project import Domain, Slot, SlotMapping
from bot.project.domain import VALIDATE_SLOT_MAPPINGS
from nlu.result import FALLBACK_INTENT


def _conditions_hold(
    mapping: SlotMapping, active_loop: str | None, requested_slot: str | None
) -> bool:
    if not mapping.conditions:
        return True
    for condition in mapping.conditions:
        # As Rasa 3: a condition is read against the form running, and one naming no form
        # (``active_loop: null``) holds only while none runs; it held during any form.
        if condition.active_loop != active_loop:
            continue
        if condition.requested_slot is not None and condition.requested_slot != requested_slot:
            continue
        return True
    return False


def extraction_actions(
    domain: Domain,
    active_loop: str | None,
    requested_slot: str | None,
    intent: str | None,
    *,
    unsure: bool = False,
) -> list[str]:
    """The custom actions that read a message for its slots, in the order Rasa runs them:
    each action a ``custom`` mapping names (whose conditions hold and whose intents allow
    the message's), then ``action_validate_slot_mappings`` when the domain lists it. A
    form's own validation action (``validate_<form>``) is the form's, not these."""
    named = [
        mapping.action
        for slot in domain.slots.values()
        for mapping in slot.mappings
        if mapping.type == "custom"
        and mapping.action
        and not mapping.action.startswith("validate_")
        and mapping.action != VALIDATE_SLOT_MAPPINGS
        and _conditions_hold(mapping, active_loop, requested_slot)
        and _intent_allowed(mapping, intent, _ignored_intents(domain, mapping, active_loop), unsure)
    ]
    if VALIDATE_SLOT_MAPPINGS in domain.actions:
        named.append(VALIDATE_SLOT_MAPPINGS)
    return list(dict.fromkeys(named))


def _intent_allowed(
    mapping: SlotMapping, intent: str | None, ignored: tuple[str, ...] = (), unsure: bool = False
) -> bool:
    if mapping.intent:  # as Rasa: an intent named here fills the slot, ignored or not
        return intent in mapping.intent
    # An unsure reading excludes no answer: "why do you need to know?" read as chitchat at
    # 0.45, an intent the return form ignores, was neither the reason nor the question the
    # form's own check answers, but "Sorry, I didn't get that". It is judged as a message
    # not understood is (a project may exclude those).
    said = FALLBACK_INTENT if unsure else intent
    return not (said in mapping.not_intent or said in ignored)


def _ignored_intents(
    domain: Domain, mapping: SlotMapping, active_loop: str | None
) -> tuple[str, ...]:
    """The active form's ``ignored_intents``, which count as the mapping's ``not_intent``.

    As Rasa does: for every mapping without conditions, or with one naming that form. A
    message of such an intent fills none of the form's slots, so the form hands it to the
    rules and the FAQ (an interruption) and asks its question again.
    """
    form = domain.forms.get(active_loop) if active_loop else None
    if form is None or not form.ignored_intents:
        return ()
    if mapping.conditions and all(c.active_loop != active_loop for c in mapping.conditions):
        return ()
    return form.ignored_intents


def _aimed_elsewhere(
    mapping: SlotMapping, slot: str, active_loop: str | None, requested_slot: str | None
) -> bool:
    """Whether a condition of the mapping that holds names ``requested_slot``, another
    slot's question (one naming it for another form does not count)."""
    return requested_slot not in (None, slot) and any(
        c.requested_slot == requested_slot and c.active_loop == active_loop
        for c in mapping.conditions
    )


def _entity_value(mapping: SlotMapping, entities: list[dict[str, Any]]) -> Any:
    values = [
        e.get("value")
        for e in entities
        if e.get("entity") == mapping.entity
        and (mapping.role is None or e.get("role") == mapping.role)
        and (mapping.group is None or e.get("group") == mapping.group)
    ]
    if not values:
        return None
    return values if len(values) > 1 else values[0]


def coerce(slot: Slot, value: Any) -> Any:
    """Fit a value to the slot's type; None when it cannot fit (a categorical miss, say)."""
    if value is None:
        return None
    if slot.type == "list":
        return value if isinstance(value, list) else [value]
    if isinstance(value, list):
        # As Rasa: of several entities for one slot, the last ("the blue running shoes" has
        # product "blue", then "running shoes"; the first made the return form refuse it).
        value = value[-1]
    if slot.type == "bool":
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "yes", "1"):
                return True
            if lowered in ("false", "no", "0"):
                return False
            return None
        return bool(value)
    if slot.type == "float":
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        # "nan" and "inf" parse, but are no amount, and JSON (PostgreSQL's) refuses them
        return number if math.isfinite(number) else None
    if slot.type == "categorical" and slot.values:
        for allowed in slot.values:
            if str(allowed).lower() == str(value).lower():
                return allowed
        return None
    return value


def extract_slots(
    domain: Domain,
    parse: Mapping[str, Any],
    *,
    active_loop: str | None,
    requested_slot: str | None,
    only: set[str] | None = None,
    include_text: bool = True,
    aimed_text: bool = False,
    unsure: bool = False,
) -> dict[str, Any]:
    """Slot values this message sets: ``{slot: value}`` (custom mappings are the actions').

    ``include_text=False`` leaves out ``from_text`` mappings: what the message says by itself.
    ``aimed_text`` keeps, even then, a ``from_text`` mapping whose condition names another
    slot's question (``requested_slot``): the project takes that text at that question on
    purpose, as Rasa does (a return's reason given when asked for the order number).
    ``unsure``: the intent was read with too little confidence to exclude the message from
    a mapping (``not_intent``, a form's ``ignored_intents``); an intent a mapping names
    still fills it.
    """
    intent = (parse.get("intent") or {}).get("name")
    entities = list(parse.get("entities") or [])
    text = parse.get("text")
    found: dict[str, Any] = {}
    for name, slot in domain.slots.items():
        if only is not None and name not in only:
            continue
        for mapping in slot.mappings:
            if not _conditions_hold(mapping, active_loop, requested_slot):
                continue
            ignored = _ignored_intents(domain, mapping, active_loop)
            if not _intent_allowed(mapping, intent, ignored, unsure):
                continue
            value: Any = None
            if mapping.type == "from_entity":
                value = _entity_value(mapping, entities)
            elif mapping.type == "from_text" and (
                include_text
                or (aimed_text and _aimed_elsewhere(mapping, name, active_loop, requested_slot))
            ):
                # Unlike Rasa, free text without conditions fills a slot only while a form
                # asks for it: otherwise every message would overwrite it.
                if mapping.conditions or requested_slot == name:
                    value = text
            elif mapping.type == "from_intent":
                value = mapping.value if mapping.intent else None
            elif mapping.type == "from_trigger_intent":
                continue  # applied when the form starts
            value = coerce(slot, value)
            if value is not None:
                found[name] = value
                break
    return found


def trigger_intent_slots(domain: Domain, form: str, intent: str | None) -> dict[str, Any]:
    """Slots a form fills from the intent that started it (``from_trigger_intent``)."""
    found: dict[str, Any] = {}
    for name, slot in domain.slots.items():
        for mapping in slot.mappings:
            if mapping.type == "from_trigger_intent" and _intent_allowed(mapping, intent):
                # As in Rasa, only the conditions' forms count: no slot is requested yet
                # when the form starts, so a requested_slot condition would never hold.
                forms = {c.active_loop for c in mapping.conditions}
                if mapping.conditions and form not in forms:
                    continue
                found[name] = coerce(slot, mapping.value)
                break
    return {k: v for k, v in found.items() if v is not None}
