"""Reading Rasa ``domain.yml`` (a file or a folder of files, 2.x or 3.x) into a ``Domain``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from bot.project.domain import (
    Domain,
    EntityConfig,
    Form,
    IntentConfig,
    MappingCondition,
    ResponseVariant,
    SessionConfig,
    Slot,
    SlotMapping,
    SlotType,
)
from bot.project.source import ProjectError, Where, line_of, plain, read_yaml, require_list
from bot.project.source import require_mapping as mapping

SLOT_TYPES = {"text", "bool", "categorical", "float", "list", "any"}
_OLD_SLOT_TYPES = {"unfeaturized": "any"}
MAPPING_TYPES = {"from_entity", "from_text", "from_intent", "from_trigger_intent", "custom"}
_VARIANT_KEYS = {"text", "buttons", "image", "custom", "attachment", "condition", "channel"}
_IGNORED_VARIANT_KEYS = {"metadata", "id"}


@dataclass
class _Parts:
    """A domain being assembled from several files."""

    intents: dict[str, IntentConfig] = field(default_factory=dict)
    entities: dict[str, EntityConfig] = field(default_factory=dict)
    slots: dict[str, Slot] = field(default_factory=dict)
    responses: dict[str, tuple[ResponseVariant, ...]] = field(default_factory=dict)
    forms: dict[str, Form] = field(default_factory=dict)
    actions: dict[str, None] = field(default_factory=dict)
    session: SessionConfig = field(default_factory=SessionConfig)
    store_entities_as_slots: bool = True
    version: str = "3.1"
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)
    # 2.x form mappings, added to their slots once every file is read.
    form_mappings: dict[str, list[SlotMapping]] = field(default_factory=dict)
    slots_without_mappings: set[str] = field(default_factory=set)


def domain_files(path: Path) -> list[Path]:
    """The YAML files making up a domain: ``path`` itself, or every ``*.yml`` under a folder."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    return [path]


def read_domain(paths: Iterable[Path], extra_responses: Iterable[Path] = ()) -> Domain:
    """Merge domain files (and ``responses:`` found in data files) into one ``Domain``.

    Raises:
        ProjectError: malformed YAML or a wrong shape, naming file and line.
    """
    parts = _Parts()
    for path in paths:
        _read_file(parts, path, responses_only=False)
    for path in extra_responses:
        _read_file(parts, path, responses_only=True)
    for slot_name, extra in parts.form_mappings.items():
        slot = parts.slots.get(slot_name)
        if slot is not None:
            parts.slots[slot_name] = replace(slot, mappings=(*slot.mappings, *extra))
    _auto_fill_legacy_slots(parts)
    return Domain(
        intents=tuple(parts.intents),
        entities=tuple(parts.entities),
        slots=parts.slots,
        responses=parts.responses,
        forms=parts.forms,
        actions=tuple(parts.actions),
        session_config=parts.session,
        intent_config={k: v for k, v in parts.intents.items() if v != IntentConfig()},
        entity_config={k: v for k, v in parts.entities.items() if v != EntityConfig()},
        store_entities_as_slots=parts.store_entities_as_slots,
        version=parts.version,
        lines=parts.lines,
    )


def _read_file(parts: _Parts, path: Path, *, responses_only: bool) -> None:
    data = mapping(read_yaml(path), Where(str(path), 1), "a domain file")
    file = str(path)
    if "responses" in data:
        _read_responses(parts, data["responses"], file)
    if responses_only:
        return
    if "version" in data:
        parts.version = str(data["version"])
    if "templates" in data:  # Rasa 1.x name for responses
        _read_responses(parts, data["templates"], file)
    _read_intents(
        parts, require_list(data.get("intents"), _at(data, "intents", file), "intents"), file
    )
    _read_entities(
        parts, require_list(data.get("entities"), _at(data, "entities", file), "entities"), file
    )
    slots = mapping(data.get("slots"), _at(data, "slots", file), "slots")
    for name, body in slots.items():
        parts.slots[str(name)] = _slot(parts, str(name), body, Where(file, line_of(slots, name)))
        parts.lines[f"slot:{name}"] = (file, line_of(slots, name))
    forms = data.get("forms")
    if isinstance(forms, list):  # Rasa 1.x: form names only, slots asked in code
        forms = {str(name): {"required_slots": []} for name in forms}
    forms = mapping(forms, _at(data, "forms", file), "forms")
    for name, body in forms.items():
        parts.forms[str(name)] = _form(parts, str(name), body, Where(file, line_of(forms, name)))
        parts.lines[f"form:{name}"] = (file, line_of(forms, name))
    actions = require_list(data.get("actions"), _at(data, "actions", file), "actions")
    for index, item in enumerate(actions):
        name = str(next(iter(item))) if isinstance(item, Mapping) and item else str(item)
        parts.actions[name] = None
        parts.lines[f"action:{name}"] = (file, line_of(actions, index))
    if "session_config" in data:
        session = mapping(
            data["session_config"], _at(data, "session_config", file), "session_config"
        )
        parts.session = SessionConfig(
            expiration_minutes=float(session.get("session_expiration_time", 60) or 0),
            carry_over_slots=bool(session.get("carry_over_slots_to_new_session", True)),
        )
    config = mapping(data.get("config"), _at(data, "config", file), "config")
    if "store_entities_as_slots" in config:
        parts.store_entities_as_slots = bool(config["store_entities_as_slots"])


def _at(node: Any, key: str, file: str) -> Where:
    return Where(file, line_of(node, key))


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _read_intents(parts: _Parts, items: list[Any], file: str) -> None:
    for index, item in enumerate(items):
        where = Where(file, line_of(items, index))
        if isinstance(item, Mapping):
            if len(item) != 1:
                raise ProjectError(file, where.line, "an intent entry must have exactly one name")
            name, body = next(iter(item.items()))
            body = mapping(body, where, f"intent {name}")
            use = body.get("use_entities", True)
            config = IntentConfig(
                use_entities=None if use is True else () if use is False else _names(use),
                ignore_entities=_names(body.get("ignore_entities")),
            )
        else:
            name, config = item, IntentConfig()
        parts.intents[str(name)] = config
        parts.lines[f"intent:{name}"] = (file, where.line)


def _read_entities(parts: _Parts, items: list[Any], file: str) -> None:
    for index, item in enumerate(items):
        where = Where(file, line_of(items, index))
        if isinstance(item, Mapping):
            name, body = next(iter(item.items()))
            body = mapping(body, where, f"entity {name}")
            config = EntityConfig(_names(body.get("roles")), _names(body.get("groups")))
        else:
            name, config = item, EntityConfig()
        parts.entities[str(name)] = config
        parts.lines[f"entity:{name}"] = (file, where.line)


def _slot(parts: _Parts, name: str, body: Any, where: Where) -> Slot:
    body = mapping(body, where, f"slot {name}")
    raw_type = str(body.get("type", "text"))
    slot_type = _OLD_SLOT_TYPES.get(raw_type, raw_type)
    if slot_type not in SLOT_TYPES:
        if "." not in slot_type:
            raise ProjectError(where.file, where.line, f"slot {name}: unknown type {raw_type!r}")
        slot_type = "any"  # a custom slot class; its featurization is not supported
    if "mappings" not in body:
        parts.slots_without_mappings.add(name)
    raw_mappings = require_list(body.get("mappings"), where, f"slot {name} mappings")
    mappings = tuple(
        _mapping(m, Where(where.file, line_of(raw_mappings, i) or where.line), name)
        for i, m in enumerate(raw_mappings)
    )
    numbers = {k: float(body[k]) for k in ("min_value", "max_value") if body.get(k) is not None}
    if slot_type == "float":
        numbers.setdefault("min_value", 0.0)
        numbers.setdefault("max_value", 1.0)
    return Slot(
        name=name,
        type=cast(SlotType, slot_type),
        initial_value=plain(body.get("initial_value")),
        influence_conversation=bool(body.get("influence_conversation", slot_type != "any")),
        values=tuple(str(v) for v in body.get("values") or ()),
        min_value=numbers.get("min_value"),
        max_value=numbers.get("max_value"),
        mappings=mappings,
    )


def _mapping(body: Any, where: Where, slot: str) -> SlotMapping:
    body = mapping(body, where, f"a mapping of slot {slot}")
    kind = str(body.get("type", ""))
    if kind not in MAPPING_TYPES:
        raise ProjectError(where.file, where.line, f"slot {slot}: unknown mapping type {kind!r}")
    conditions = tuple(
        MappingCondition(
            active_loop=None if c.get("active_loop") is None else str(c["active_loop"]),
            requested_slot=None if c.get("requested_slot") is None else str(c["requested_slot"]),
        )
        for c in (mapping(c, where, "a mapping condition") for c in body.get("conditions") or ())
    )
    return SlotMapping(
        type=kind,  # type: ignore[arg-type]  # checked against MAPPING_TYPES above
        entity=_optional(body.get("entity")),
        role=_optional(body.get("role")),
        group=_optional(body.get("group")),
        intent=_names(body.get("intent")),
        not_intent=_names(body.get("not_intent")),
        value=plain(body.get("value")),
        action=_optional(body.get("action")),
        conditions=conditions,
    )


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


def _form(parts: _Parts, name: str, body: Any, where: Where) -> Form:
    body = mapping(body, where, f"form {name}")
    ignored = _names(body.get("ignored_intents"))
    required = body.get("required_slots")
    if required is None and "ignored_intents" not in body and body:
        required = body  # Rasa 2.0: slot names with their mappings directly under the form
    if isinstance(required, Mapping):  # Rasa 2.x: slot -> list of mappings
        for slot, raw in required.items():
            slot_where = Where(where.file, line_of(required, slot) or where.line)
            extra = [
                _legacy_form_mapping(m, slot_where, name, str(slot))
                for m in require_list(raw, slot_where, f"mappings of {slot}")
            ]
            parts.form_mappings.setdefault(str(slot), []).extend(extra)
        return Form(name, tuple(str(s) for s in required), ignored)
    return Form(name, _names(required), ignored)


def _legacy_form_mapping(body: Any, where: Where, form: str, slot: str) -> SlotMapping:
    found = _mapping(body, where, slot)
    condition = MappingCondition(form, None if found.type == "from_entity" else slot)
    return replace(found, conditions=(*found.conditions, condition))


def _read_responses(parts: _Parts, node: Any, file: str) -> None:
    responses = mapping(node, Where(file, 0), "responses")
    for name, raw in responses.items():
        where = Where(file, line_of(responses, name))
        items = raw if isinstance(raw, list) else [raw]
        parts.responses[str(name)] = tuple(_variant(v, where, str(name)) for v in items)
        parts.lines[f"response:{name}"] = (file, where.line)


def _variant(raw: Any, where: Where, name: str) -> ResponseVariant:
    if isinstance(raw, str):
        return ResponseVariant(text=raw)
    body = plain(mapping(raw, where, f"a variant of {name}"))
    custom = body.get("custom")
    extra = {k: v for k, v in body.items() if k not in _VARIANT_KEYS | _IGNORED_VARIANT_KEYS}
    if extra:  # channel-specific keys (quick_replies, elements, ...) travel as custom payload
        custom = {**(custom or {}), **extra}
    text = body.get("text")
    return ResponseVariant(
        text=None if text is None else str(text),
        buttons=tuple(body.get("buttons") or ()),
        image=_optional(body.get("image")),
        custom=custom,
        attachment=body.get("attachment"),
        condition=tuple(body.get("condition") or ()),
        channel=_optional(body.get("channel")),
    )


def _auto_fill_legacy_slots(parts: _Parts) -> None:
    """Rasa 2.x filled a slot from the entity of the same name; 3.x needs a mapping for it."""
    if parts.version.startswith("3"):
        return
    for name in parts.slots_without_mappings:
        slot = parts.slots[name]
        if name in parts.entities and not any(
            m.type == "from_entity" and m.entity == name and not m.conditions for m in slot.mappings
        ):
            entity_mapping = SlotMapping(type="from_entity", entity=name)
            parts.slots[name] = replace(slot, mappings=(*slot.mappings, entity_mapping))
