"""The domain: intents, entities, slots, responses, forms, actions, session config.

Read from Rasa's ``domain.yml`` (2.x or 3.x) by ``bot.project.domain_reader``; these classes are
what the dialogue manager and the action bridge use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

SlotType = Literal["text", "bool", "categorical", "float", "list", "any"]
MappingType = Literal["from_entity", "from_text", "from_intent", "from_trigger_intent", "custom"]
# Rasa's action_extract_slots runs this action after a message's slots are set, when the
# domain lists it (rasa-sdk's ValidationAction: extract_<slot> and validate_<slot> methods).
VALIDATE_SLOT_MAPPINGS = "action_validate_slot_mappings"

# A doubled brace is a brace written out (Rasa's str.format escape, as in Rasa's documented
# button payload '/inform{{"insurance":"motor"}}'); a {name} without braces or a newline in
# it is a placeholder.
_PLACEHOLDER = re.compile(r"{{|}}|{([^\n{}]+?)}")


@dataclass(frozen=True)
class MappingCondition:
    """A mapping applies only while ``active_loop`` runs (and asks for ``requested_slot``)."""

    active_loop: str | None = None
    requested_slot: str | None = None


@dataclass(frozen=True)
class SlotMapping:
    """How a slot is filled from a user turn (Rasa 3 ``mappings:``)."""

    type: MappingType
    entity: str | None = None
    role: str | None = None
    group: str | None = None
    intent: tuple[str, ...] = ()
    not_intent: tuple[str, ...] = ()
    value: Any = None
    action: str | None = None
    conditions: tuple[MappingCondition, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        """The mapping as Rasa writes it in the domain."""
        out: dict[str, Any] = {"type": self.type}
        for key in ("entity", "role", "group", "action"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.intent:
            out["intent"] = list(self.intent)
        if self.not_intent:
            out["not_intent"] = list(self.not_intent)
        if self.type in ("from_intent", "from_trigger_intent"):
            out["value"] = self.value
        if self.conditions:
            out["conditions"] = [
                {k: v for k, v in vars(c).items() if k == "active_loop" or v is not None}
                for c in self.conditions
            ]
        return out


@dataclass(frozen=True)
class Slot:
    """A slot: typed memory of the conversation."""

    name: str
    type: SlotType = "text"
    initial_value: Any = None
    influence_conversation: bool = True
    values: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    mappings: tuple[SlotMapping, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        """The slot definition as Rasa writes it in the domain."""
        out: dict[str, Any] = {
            "type": self.type,
            "initial_value": self.initial_value,
            "influence_conversation": self.influence_conversation,
            "mappings": [m.to_wire() for m in self.mappings],
        }
        if self.type == "categorical":
            out["values"] = list(self.values)
        if self.type == "float":
            out["min_value"] = self.min_value
            out["max_value"] = self.max_value
        return out


@dataclass(frozen=True)
class ResponseVariant:
    """One variant of a response (``utter_x``); a response picks one at random."""

    text: str | None = None
    buttons: tuple[dict[str, Any], ...] = ()
    image: str | None = None
    custom: dict[str, Any] | None = None
    attachment: Any = None
    condition: tuple[dict[str, Any], ...] = ()
    channel: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The variant as Rasa writes it (absent keys omitted)."""
        out: dict[str, Any] = {}
        if self.text is not None:
            out["text"] = self.text
        if self.buttons:
            out["buttons"] = [dict(b) for b in self.buttons]
        for key in ("image", "custom", "attachment", "channel"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.condition:
            out["condition"] = [dict(c) for c in self.condition]
        return out


@dataclass(frozen=True)
class Form:
    """A form: slots asked for in order until all are filled."""

    name: str
    required_slots: tuple[str, ...] = ()
    ignored_intents: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntentConfig:
    """Which entities an intent keeps; ``use_entities`` None means all of them."""

    use_entities: tuple[str, ...] | None = None
    ignore_entities: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntityConfig:
    """Roles and groups an entity may carry."""

    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionConfig:
    """When a conversation session expires, and whether slots survive into the next one."""

    expiration_minutes: float = 60.0
    carry_over_slots: bool = True


def retrieval_key(intent: str) -> str:
    """The FAQ entry key a retrieval intent's response becomes: ``ask_hours`` for
    ``faq/ask_hours`` (the FAQ's own), ``chitchat/ask_name`` for the others."""
    base, _, key = intent.partition("/")
    return key if base == "faq" else intent


@dataclass(frozen=True)
class Domain:
    """Everything a bot can understand, remember and say.

    ``actions`` holds the custom action names the domain lists (forms and ``utter_`` responses
    are actions too; see ``action_names``). ``lines`` maps ``"slot:x"``, ``"response:x"``,
    ``"form:x"``, ``"intent:x"``, ``"entity:x"`` and ``"action:x"`` to where each is declared.
    """

    intents: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    slots: dict[str, Slot] = field(default_factory=dict)
    responses: dict[str, tuple[ResponseVariant, ...]] = field(default_factory=dict)
    forms: dict[str, Form] = field(default_factory=dict)
    actions: tuple[str, ...] = ()
    session_config: SessionConfig = SessionConfig()
    intent_config: dict[str, IntentConfig] = field(default_factory=dict)
    entity_config: dict[str, EntityConfig] = field(default_factory=dict)
    store_entities_as_slots: bool = True
    version: str = "3.1"
    lines: dict[str, tuple[str, int]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def action_names(self) -> tuple[str, ...]:
        """Every action the domain knows: responses, custom actions and forms, no duplicates."""
        names = [*self.responses, *self.actions, *self.forms]
        return tuple(dict.fromkeys(names))

    @cached_property  # read on every action the bot runs; a domain never changes
    def retrieval_responses(self) -> dict[str, str]:
        """Rasa's retrieval intents: ``utter_faq/x`` -> ``faq/x`` for each response of one."""
        found = {}
        for name in self.responses:
            if name.startswith("utter_") and "/" in name:
                intent = name.removeprefix("utter_")
                if intent.split("/", 1)[0] in self.intents:
                    found[name] = intent
        return found

    @cached_property
    def retrieval_intents(self) -> tuple[str, ...]:
        """The retrieval intents (``faq``, ``chitchat``) whose responses the domain holds;
        deskbot answers them from the FAQ base, where ``deskbot train`` puts those
        responses."""
        return tuple(dict.fromkeys(i.split("/", 1)[0] for i in self.retrieval_responses.values()))

    def is_retrieval_action(self, name: str) -> bool:
        """``utter_faq`` for retrieval intent ``faq``, unless the domain has such a response."""
        base = name.removeprefix("utter_")
        return name != base and base in self.retrieval_intents and name not in self.responses

    @cached_property
    def _button_titles(self) -> dict[str, str]:
        titles: dict[str, str] = {}
        for variants in self.responses.values():
            for variant in variants:
                for button in variant.buttons:
                    payload = str(button.get("payload") or "")
                    title = str(button.get("title") or "")
                    # "Track order {order_number}" names one order, not the intent
                    if payload.startswith("/") and title and not placeholders(title):
                        titles.setdefault(payload[1:], title)
        return titles

    def intent_title(self, intent: str) -> str:
        """How to name ``intent`` to a user: the title of a button of the project's that
        sends it ("Track my order" for ``/track_order``), else its name in words."""
        title = self._button_titles.get(intent)
        if title:
            return title
        words = intent.replace("_", " ").replace("/", " ").strip()
        return words[:1].upper() + words[1:]

    def response_for(self, name: str) -> tuple[ResponseVariant, ...] | None:
        """The variants of response ``name`` (e.g. ``utter_greet``), or None if it has none."""
        return self.responses.get(name)

    def entities_for(self, intent: str) -> tuple[str, ...]:
        """The entities an intent keeps (``use_entities`` / ``ignore_entities``)."""
        config = self.intent_config.get(intent, IntentConfig())
        kept = self.entities if config.use_entities is None else config.use_entities
        return tuple(e for e in kept if e not in config.ignore_entities)

    def to_wire(self) -> dict[str, Any]:
        """The domain JSON an action server expects (Rasa's ``Domain.as_dict()``)."""
        return {
            "version": self.version,
            "config": {"store_entities_as_slots": self.store_entities_as_slots},
            "session_config": {
                "session_expiration_time": self.session_config.expiration_minutes,
                "carry_over_slots_to_new_session": self.session_config.carry_over_slots,
            },
            "intents": [self._intent_wire(name) for name in self.intents],
            "entities": [self._entity_wire(name) for name in self.entities],
            "slots": {name: slot.to_wire() for name, slot in self.slots.items()},
            "responses": {
                name: [v.to_wire() for v in variants] for name, variants in self.responses.items()
            },
            "actions": list(self.actions),
            "forms": {
                name: {
                    "required_slots": list(form.required_slots),
                    **(
                        {"ignored_intents": list(form.ignored_intents)}
                        if form.ignored_intents
                        else {}
                    ),
                }
                for name, form in self.forms.items()
            },
            "e2e_actions": [],
        }

    def _intent_wire(self, name: str) -> str | dict[str, Any]:
        config = self.intent_config.get(name)
        if config is None or config == IntentConfig():
            return name
        body: dict[str, Any] = {
            "use_entities": True if config.use_entities is None else list(config.use_entities)
        }
        if config.ignore_entities:
            body["ignore_entities"] = list(config.ignore_entities)
        return {name: body}

    def _entity_wire(self, name: str) -> str | dict[str, Any]:
        config = self.entity_config.get(name)
        if config is None or config == EntityConfig():
            return name
        body = {k: list(v) for k, v in (("roles", config.roles), ("groups", config.groups)) if v}
        return {name: body}


def placeholders(template: str) -> tuple[str, ...]:
    """The ``{name}`` placeholders of a response text, in order (not ``{{name}}``)."""
    return tuple(m.group(1).strip() for m in _PLACEHOLDER.finditer(template) if m.group(1))


def fill(template: str, slots: Mapping[str, Any]) -> str:
    """Replace ``{slot}`` placeholders with slot values; unknown names are left as they are.

    A slot whose value is None prints as ``None``, and ``{{`` and ``}}`` print as one brace,
    as in Rasa: a button's payload ``/inform{{"city":"Berlin"}}`` sends
    ``/inform{"city":"Berlin"}`` (it was sent doubled, and its entity was lost).
    """

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]
        name = name.strip()
        return str(slots[name]) if name in slots else match.group(0)

    return _PLACEHOLDER.sub(value, template)


def is_external_intent(name: object) -> bool:
    """Rasa's convention for intents only ``trigger_intent`` and reminders send, never
    the user: ``EXTERNAL_order_shipped``."""
    return isinstance(name, str) and name.startswith("EXTERNAL_")
