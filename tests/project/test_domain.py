"""Reading domains: Rasa 3.x and 2.x shapes, responses, slot filling, the wire format."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.dialogue.slots import trigger_intent_slots
from bot.project import (
    Domain,
    MappingCondition,
    ProjectError,
    ResponseVariant,
    SlotMapping,
    fill,
    load_project,
    placeholders,
    read_domain,
)
from tests.project.conftest import Writer, write_files


def domain_of(tmp_path: Path, text: str) -> Domain:
    write_files(tmp_path, {"domain.yml": text})
    return read_domain([tmp_path / "domain.yml"])


def test_helpdesk_domain(helpdesk: Path) -> None:
    domain = load_project(helpdesk).domain
    assert len(domain.intents) == 17 and "open_incident" in domain.intents
    assert domain.intent_config["open_incident"].use_entities == ()
    assert domain.entities_for("open_incident") == ()
    assert domain.entities_for("greet") == ("email", "priority", "handoff_to")
    assert domain.forms["open_incident_form"].required_slots == (
        "email", "priority", "problem_description", "incident_title", "confirm",
    )  # fmt: skip
    confirm = domain.slots["confirm"]
    assert confirm.type == "bool" and confirm.influence_conversation is False
    assert confirm.mappings[0] == SlotMapping(
        type="from_intent",
        intent=("affirm",),
        value=True,
        conditions=(MappingCondition("open_incident_form", "confirm"),),
    )
    title = domain.slots["incident_title"].mappings
    assert [m.type for m in title] == ["from_trigger_intent", "from_trigger_intent", "from_text"]
    assert "help" in title[2].not_intent
    assert domain.session_config.expiration_minutes == 0.0
    assert domain.session_config.carry_over_slots is True
    priority = domain.response_for("utter_ask_priority")
    assert priority is not None and len(priority[0].buttons) == 3
    assert priority[0].buttons[0]["payload"] == '/inform{"priority":"low"}'
    assert domain.response_for("utter_nothing") is None
    assert "validate_open_incident_form" in domain.actions
    assert domain.lines["slot:confirm"][1] == 29  # `  confirm:` in domain.yml


def test_the_intent_that_starts_a_form_fills_its_trigger_slots(helpdesk: Path) -> None:
    # The helpdesk's conditions name a requested slot, which Rasa ignores for this mapping
    # (none is requested when the form starts); checking it left the title to be asked for.
    domain = load_project(helpdesk).domain
    started = trigger_intent_slots(domain, "open_incident_form", "password_reset")
    assert started == {"incident_title": "Problem resetting password"}
    assert trigger_intent_slots(domain, "open_incident_form", "greet") == {}
    assert trigger_intent_slots(domain, "another_form", "password_reset") == {}


def test_rasa_3_shapes(tmp_path: Path) -> None:
    domain = domain_of(
        tmp_path,
        """
        version: "3.1"
        intents:
          - greet
          - buy:
              use_entities: [product]
              ignore_entities: [city]
        entities:
          - product
          - city:
              roles: [departure, destination]
              groups: [trip]
        slots:
          size:
            type: categorical
            values: [small, large]
            initial_value: small
            mappings:
              - type: from_entity
                entity: product
                role: departure
                intent: buy
                not_intent: [greet]
          weight:
            type: float
            max_value: 10
            mappings: [{type: custom, action: action_weigh}]
          notes:
            type: any
            mappings: []
        responses:
          utter_pic:
            - image: https://example.com/a.png
            - custom: {kind: card}
              channel: slack
            - text: hi {name}
              condition:
                - type: slot
                  name: size
                  value: small
        forms:
          order_form:
            required_slots: [size]
            ignored_intents: greet
        actions:
          - action_weigh
          - action_special:
              send_domain: true
        session_config:
          session_expiration_time: 30
          carry_over_slots_to_new_session: false
    """,
    )
    assert domain.intents == ("greet", "buy")
    assert domain.intent_config["buy"].ignore_entities == ("city",)
    assert domain.entity_config["city"].roles == ("departure", "destination")
    size = domain.slots["size"]
    assert size.values == ("small", "large") and size.initial_value == "small"
    assert size.mappings[0].role == "departure" and size.mappings[0].intent == ("buy",)
    weight = domain.slots["weight"]
    assert (weight.min_value, weight.max_value) == (0.0, 10.0)
    assert weight.mappings[0].action == "action_weigh"
    assert domain.slots["notes"].influence_conversation is False  # `any` defaults to False
    pic = domain.responses["utter_pic"]
    assert pic[0] == ResponseVariant(image="https://example.com/a.png")
    assert pic[1].custom == {"kind": "card"} and pic[1].channel == "slack"
    assert pic[2].condition == ({"type": "slot", "name": "size", "value": "small"},)
    assert domain.forms["order_form"].ignored_intents == ("greet",)
    assert domain.actions == ("action_weigh", "action_special")
    assert domain.session_config.expiration_minutes == 30
    assert domain.session_config.carry_over_slots is False


def test_rasa_2_form_mappings_move_onto_slots(tmp_path: Path) -> None:
    domain = domain_of(
        tmp_path,
        """
        version: "2.0"
        intents: [inform, deny]
        entities: [cuisine, num_people]
        slots:
          cuisine: {type: text}
          num_people: {type: float}
          outdoor: {type: bool}
          feedback: {type: unfeaturized, auto_fill: false}
        forms:
          restaurant_form:
            required_slots:
              cuisine:
                - type: from_entity
                  entity: cuisine
              outdoor:
                - type: from_intent
                  intent: deny
                  value: false
          feedback_form:
            feedback:
              - type: from_text
    """,
    )
    assert domain.forms["restaurant_form"].required_slots == ("cuisine", "outdoor")
    assert domain.forms["feedback_form"].required_slots == ("feedback",)
    cuisine = domain.slots["cuisine"].mappings
    assert cuisine[0].conditions == (MappingCondition("restaurant_form", None),)
    # 2.x auto-fill: a slot named like an entity is filled from it anywhere.
    assert SlotMapping(type="from_entity", entity="cuisine") in cuisine
    assert domain.slots["num_people"].mappings == (
        SlotMapping(type="from_entity", entity="num_people"),
    )
    outdoor = domain.slots["outdoor"].mappings
    assert outdoor == (
        SlotMapping(
            type="from_intent",
            intent=("deny",),
            value=False,
            conditions=(MappingCondition("restaurant_form", "outdoor"),),
        ),
    )
    assert domain.slots["feedback"].type == "any"
    assert domain.slots["feedback"].mappings[0].conditions == (
        MappingCondition("feedback_form", "feedback"),
    )


def test_domain_folder_and_responses_in_data_files(project: Writer) -> None:
    root = project(
        {
            "domain/intents.yml": """
            intents: [greet]
            responses:
              utter_greet: [{text: hi}]
        """,
            "domain/slots/more.yml": """
            slots:
              name: {type: text, mappings: [{type: from_text}]}
            responses:
              utter_greet: [{text: hello}]
        """,
            "data/responses.yml": """
            responses:
              utter_bye:
                - text: bye {name}
        """,
        }
    )
    loaded = load_project(root)
    assert set(loaded.domain.responses) == {"utter_greet", "utter_bye"}
    assert loaded.domain.responses["utter_greet"][0].text == "hello"  # later file wins
    assert "name" in loaded.domain.slots
    assert [p.name for p in loaded.domain_files] == ["intents.yml", "more.yml"]


def test_fill_placeholders() -> None:
    slots = {"name": "Ann", "city": None}
    assert fill("Hi {name}, from {city}?", slots) == "Hi Ann, from None?"
    assert fill("Hi {name}, {unknown} stays", slots) == "Hi Ann, {unknown} stays"
    # Braces doubled are braces written out, as in Rasa (its documented button payloads
    # '/inform{{"insurance":"motor"}}' were sent doubled, and their entities lost).
    assert fill("literal {{name}} here", slots) == "literal {name} here"
    assert fill('/inform{{"city":"Berlin"}}', slots) == '/inform{"city":"Berlin"}'
    assert fill('/inform{"city":"{city}"}', {"city": "Oslo"}) == '/inform{"city":"Oslo"}'
    assert fill('/inform{"city": "Oslo"}', slots) == '/inform{"city": "Oslo"}'
    assert fill("{{{name}}}", slots) == "{Ann}"
    assert placeholders('{{"city":"Berlin"}} for {name}') == ("name",)
    assert fill("no placeholders", {}) == "no placeholders"


def test_to_wire_matches_rasa_shape(helpdesk: Path) -> None:
    wire = load_project(helpdesk).domain.to_wire()
    assert set(wire) >= {"intents", "entities", "slots", "responses", "actions", "forms",
                         "config", "session_config"}  # fmt: skip
    assert {"open_incident": {"use_entities": []}} in wire["intents"]
    assert "greet" in wire["intents"]
    assert wire["forms"]["incident_status_form"] == {"required_slots": ["email"]}
    email = wire["slots"]["email"]
    assert email["type"] == "text" and email["influence_conversation"] is False
    assert email["mappings"][0]["conditions"][0] == {
        "active_loop": "open_incident_form", "requested_slot": "email",
    }  # fmt: skip
    assert wire["responses"]["utter_greet"] == [{"text": "Hallo! I'm your IT Helpdesk Assistant."}]
    assert wire["session_config"] == {
        "session_expiration_time": 0.0, "carry_over_slots_to_new_session": True,
    }  # fmt: skip
    assert wire["config"] == {"store_entities_as_slots": True}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("intents:\n  - greet\nslots:\n  a: [unclosed\n", 5, "malformed YAML"),
        ("responses:\n  utter_a: []\n  utter_a: []\n", 3, "malformed YAML"),
        ("slots:\n  a:\n    type: textual\n", 2, "unknown type 'textual'"),
        (
            "slots:\n  a:\n    type: text\n    mappings:\n      - type: from_magic\n",
            5,
            "unknown mapping type",
        ),
        ("intents: greet\n", 1, "intents must be a list"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    (tmp_path / "domain.yml").write_text(text)
    with pytest.raises(ProjectError) as caught:
        read_domain([tmp_path / "domain.yml"])
    assert str(caught.value).startswith(f"{tmp_path / 'domain.yml'}:{line}: ")
    assert words in str(caught.value)
    assert caught.value.line == line


def test_an_intent_is_named_by_a_button_title_without_placeholders(tmp_path: Path) -> None:
    domain = domain_of(
        tmp_path,
        """
version: "3.1"
intents: [track_order, human_handoff, check_balance]
responses:
  utter_again:
    - text: "Again?"
      buttons:
        - title: "Track order {order_number} again"
          payload: /track_order
  utter_greet:
    - text: "Hi"
      buttons:
        - title: "Track my order"
          payload: /track_order
        - title: "Talk to a person"
          payload: /human_handoff
""",
    )
    # the confirmation button showed "Track order {order_number} again" as written
    assert domain.intent_title("track_order") == "Track my order"
    assert domain.intent_title("human_handoff") == "Talk to a person"
    assert domain.intent_title("check_balance") == "Check balance"
