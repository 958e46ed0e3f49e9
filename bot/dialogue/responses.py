"""Rendering domain responses (``utter_*``) and action responses into bot messages."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.dialogue.messages import BotMessage
from bot.project import Domain, ResponseVariant, fill


def _fill_any(value: Any, slots: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return fill(value, slots)
    if isinstance(value, list):
        return [_fill_any(v, slots) for v in value]
    if isinstance(value, dict):
        return {k: _fill_any(v, slots) for k, v in value.items()}
    return value


def _matches(variant: ResponseVariant, slots: Mapping[str, Any], channel: str | None) -> bool:
    if variant.channel and variant.channel != channel:
        return False
    return all(
        slots.get(str(c.get("name"))) == c.get("value")
        for c in variant.condition
        if c.get("type", "slot") == "slot"
    )


def render_variant(variant: ResponseVariant, slots: Mapping[str, Any]) -> BotMessage:
    return BotMessage(
        text=fill(variant.text, slots) if variant.text is not None else None,
        buttons=tuple(_fill_any(dict(b), slots) for b in variant.buttons),
        image=fill(variant.image, slots) if variant.image else None,
        custom=_fill_any(variant.custom, slots) if variant.custom is not None else None,
        attachment=variant.attachment,
    )


def render_response(
    domain: Domain,
    name: str,
    slots: Mapping[str, Any],
    *,
    channel: str | None = None,
    rng: random.Random | None = None,
) -> BotMessage | None:
    """One variant of the named response, slots filled; None when the domain lacks it.

    Variants whose conditions hold win over unconditional ones, as in Rasa.
    """
    variants = domain.response_for(name)
    if not variants:
        return None
    usable = [v for v in variants if _matches(v, slots, channel)]
    conditional = [v for v in usable if v.condition or v.channel]
    pool = conditional or usable or list(variants)
    chosen = (rng or random).choice(pool)
    return render_variant(chosen, slots)


# What rasa-sdk's CollectingDispatcher writes into every message, kwargs aside.
_MESSAGE_KEYS = frozenset(
    ("text", "buttons", "elements", "custom", "template", "response", "image", "attachment")
)


def message_from_action(
    response: Mapping[str, Any],
    domain: Domain,
    slots: Mapping[str, Any],
    *,
    channel: str | None = None,
) -> BotMessage | None:
    """A message a custom action asked for: a named response, or text/buttons/image/custom.

    rasa-sdk's ``dispatcher.utter_message(response=..., **kwargs)`` puts ``kwargs`` beside the
    message's own keys; as in Rasa, they fill the response's ``{placeholders}`` before slots,
    the variant is the output channel's, the action's buttons follow the response's, and
    what else the action gave (text, image, custom, attachment) wins over the response's.
    A response the domain lacks says nothing.
    """
    custom = response.get("custom") or response.get("json_message") or None
    given = BotMessage(
        text=response.get("text") or None,
        buttons=tuple(response.get("buttons") or ()),
        image=response.get("image") or None,
        custom=custom,
        attachment=response.get("attachment") or None,
    )
    name = response.get("response") or response.get("template")
    if not name:
        empty = not (given.text or given.buttons or given.image or custom or given.attachment)
        return None if empty else given
    values = {k: v for k, v in response.items() if k not in _MESSAGE_KEYS}
    drafted = render_response(domain, str(name), {**slots, **values}, channel=channel)
    if drafted is None:
        return None
    return replace(
        drafted,
        text=given.text or drafted.text,
        buttons=(*drafted.buttons, *given.buttons),
        image=given.image or drafted.image,
        custom=given.custom or drafted.custom,
        attachment=given.attachment or drafted.attachment,
    )
