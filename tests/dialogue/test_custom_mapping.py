"""Rasa's custom slot mappings: a form's validation action extracts a slot itself."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue import BotMessage, DialogueManager
from bot.project import load_project
from tests.dialogue.conftest import FixedParser

PROJECT = Path(__file__).parent / "project"

SEATING_ACTIONS = '''

class ValidateSeatingForm(FormValidationAction):
    """As a Rasa team writes a custom mapping: extract_<slot>, then validate_<slot>."""

    def name(self) -> str:
        return "validate_seating_form"

    async def extract_seating(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "seating":
            return {}
        text = str(tracker.latest_message.get("text") or "").lower()
        if "crash" in text:
            raise RuntimeError("the seating plan is unreachable")
        for place in ("outside", "inside"):
            if place in text:
                return {"seating": place}
        dispatcher.utter_message(text="(looked for a seat and found none)")
        return {}

    def validate_seating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == "inside":
            dispatcher.utter_message(text="No inside tables are left.")
            return {"seating": None}
        dispatcher.utter_message(text=f"Noted: {value}.")
        return {"seating": value}
'''


def _project_with(
    root: Path,
    domain_additions: dict[str, Any],
    actions_code: str,
    rules: Sequence[Mapping[str, Any]] = (),
) -> Path:
    """The dialogue tests' project, copied, with slots, forms, responses, intents and actions
    added to its domain, rules to its rules and code to its actions."""
    folder = root / "project"
    shutil.copytree(PROJECT, folder)
    domain_file = folder / "domain.yml"
    domain = yaml.safe_load(domain_file.read_text())
    for key, added in domain_additions.items():
        if isinstance(added, list):
            domain[key] += added
        else:
            domain[key].update(added)
    domain_file.write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False))
    rules_file = folder / "data" / "rules.yml"
    found = yaml.safe_load(rules_file.read_text())
    found["rules"] += list(rules)
    rules_file.write_text(yaml.safe_dump(found, allow_unicode=True, sort_keys=False))
    actions = folder / "actions" / "actions.py"
    actions.write_text(actions.read_text() + actions_code)
    return folder


def _text_slot(*mappings: dict[str, Any]) -> dict[str, Any]:
    return {"type": "text", "influence_conversation": False, "mappings": list(mappings)}


def _form_rules(intent: str, form: str, done: str) -> list[dict[str, Any]]:
    """A rule that starts ``form`` on ``intent``, and one that says ``done`` at its end."""
    return [
        {
            "rule": f"start {form}",
            "steps": [{"intent": intent}, {"action": form}, {"active_loop": form}],
        },
        {
            "rule": f"end {form}",
            "condition": [{"active_loop": form}],
            "steps": [
                {"action": form},
                {"active_loop": None},
                {"slot_was_set": [{"requested_slot": None}]},
                {"action": done},
            ],
        },
    ]


def _seating_project(root: Path) -> Path:
    additions: dict[str, Any] = {
        "intents": ["book_table"],
        "slots": {"seating": _text_slot({"type": "custom"})},
        "forms": {"seating_form": {"required_slots": ["seating"]}},
        "responses": {
            "utter_ask_seating": [{"text": "Inside or outside?"}],
            "utter_table_booked": [{"text": "A table {seating} it is."}],
        },
        "actions": ["validate_seating_form"],
    }
    booking = _form_rules("book_table", "seating_form", "utter_table_booked")
    return _project_with(root, additions, SEATING_ACTIONS, booking)


def texts(messages: list[BotMessage]) -> list[str | None]:
    return [m.text for m in messages]


async def test_a_form_s_validation_action_extracts_a_custom_mapped_slot(
    make_dm: Callable[..., DialogueManager], tmp_path: Path
) -> None:
    project = load_project(_seating_project(tmp_path))
    parser = FixedParser(
        {
            "book a table": ("book_table", 0.95),
            "outside please": ("inform", 0.4),
            "inside": ("inform", 0.9),
            # read unsurely as a question: a message not understood, which the action reads
            "outside, is that ok?": ("faq", 0.2),
            "shipping?": ("faq", 0.9),
        }
    )
    dm = make_dm(project=project, parser=parser)
    assert texts(await dm.handle("s1", "book a table")) == ["Inside or outside?"]
    # no mapping of the domain takes "outside please": the validation action's extract_
    # method does, its own validation says so, and the form ends
    assert texts(await dm.handle("s1", "outside please")) == [
        "Noted: outside.",
        "A table outside it is.",
    ]
    state = await dm.store.load("s1")
    assert state is not None and state.slots["seating"] == "outside"
    assert state.active_form is None
    # a message it takes nothing from is not the form's: what the action said is not said
    # (as Rasa rejects the form's run), the question is answered and the form asks again
    assert texts(await dm.handle("s2", "book a table")) == ["Inside or outside?"]
    replies = texts(await dm.handle("s2", "shipping?"))
    assert "(looked for a seat and found none)" not in replies
    assert replies[0] == "Shipping takes 2-4 days." and replies[-1] == "Inside or outside?"
    state = await dm.store.load("s2")
    assert state is not None and state.active_form == "seating_form"
    events: list[dict[str, Any]] = [e.data for e in await dm.transcripts.read_all("s1")]
    assert any(e.get("name") == "validate_seating_form" for e in events)


async def test_a_value_the_action_extracts_and_refuses_is_said_and_asked_again(
    make_dm: Callable[..., DialogueManager], tmp_path: Path
) -> None:
    project = load_project(_seating_project(tmp_path))
    parser = FixedParser(
        {
            "book a table": ("book_table", 0.95),
            "inside": ("inform", 0.9),
            "outside, is that ok?": ("faq", 0.2),
        }
    )
    dm = make_dm(project=project, parser=parser)
    await dm.handle("s3", "book a table")
    # as in Rasa: a slot set to None by the validator is a run kept, its reason said
    assert texts(await dm.handle("s3", "inside")) == [
        "No inside tables are left.",
        "Inside or outside?",
    ]
    assert texts(await dm.handle("s3", "outside, is that ok?")) == [
        "Noted: outside.",
        "A table outside it is.",
    ]


async def test_an_extraction_that_fails_is_in_the_transcript_and_nothing_is_taken(
    make_dm: Callable[..., DialogueManager], tmp_path: Path
) -> None:
    project = load_project(_seating_project(tmp_path))
    parser = FixedParser({"book a table": ("book_table", 0.95), "crash it": ("inform", 0.9)})
    dm = make_dm(project=project, parser=parser)
    await dm.handle("s4", "book a table")
    replies = texts(await dm.handle("s4", "crash it"))
    assert replies[-1] == "Inside or outside?"
    state = await dm.store.load("s4")
    assert state is not None and state.slots.get("seating") is None
    assert state.active_form == "seating_form"
    failed = [
        e.data
        for e in await dm.transcripts.read_all("s4")
        if e.type == "action" and e.data.get("name") == "validate_seating_form"
    ]
    assert failed and "unreachable" in failed[0]["error"]


SLOT_ACTIONS = '''

from rasa_sdk import ValidationAction


class ActionReadMood(Action):
    """A custom mapping's own action: run after every message, as Rasa's
    action_extract_slots runs it."""

    def name(self) -> str:
        return "action_read_mood"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        text = str(tracker.latest_message.get("text") or "")
        if "happy" in text:
            # events other than slots and messages are Rasa's to drop here
            return [SlotSet("mood", "happy"), *([Restarted()] if "restart" in text else [])]
        return []


class ActionReadPartySize(Action):
    def name(self) -> str:
        return "action_read_party_size"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        text = str(tracker.latest_message.get("text") or "")
        found = re.search(r"\\d+", text)
        if found and "say so" in text:
            dispatcher.utter_message(text=f"(counted {found.group()})")
        return [SlotSet("party_size", found.group())] if found else []


class ValidateSlotMappings(ValidationAction):
    """Extracts and validates slots outside forms, after every message."""

    async def extract_reply_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if "in french" in str(tracker.latest_message.get("text") or "").lower():
            return {"reply_language": "fr"}
        return {}

    def validate_mood(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        dispatcher.utter_message(text="Glad to hear it.")
        return {"mood": value}
'''


def _slot_actions_project(root: Path) -> Path:
    mood = {"type": "custom", "action": "action_read_mood", "not_intent": ["goodbye"]}
    additions: dict[str, Any] = {
        "intents": ["book_table"],
        "slots": {
            "mood": _text_slot(mood),
            "reply_language": _text_slot({"type": "custom"}),
            "party_size": _text_slot({"type": "custom", "action": "action_read_party_size"}),
        },
        "forms": {"party_form": {"required_slots": ["party_size"]}},
        "responses": {
            "utter_ask_party_size": [{"text": "How many people?"}],
            "utter_party_booked": [{"text": "A table for {party_size}."}],
        },
        "actions": ["action_read_mood", "action_read_party_size", "action_validate_slot_mappings"],
    }
    party = _form_rules("book_table", "party_form", "utter_party_booked")
    return _project_with(root, additions, SLOT_ACTIONS, party)


async def test_slots_are_read_by_the_mapping_s_action_and_action_validate_slot_mappings(
    make_dm: Callable[..., DialogueManager], tmp_path: Path
) -> None:
    project = load_project(_slot_actions_project(tmp_path))
    parser = FixedParser(
        {"hi there, I'm happy": ("greet", 0.95), "hi there, in french please": ("greet", 0.95)}
    )
    dm = make_dm(project=project, parser=parser)
    # the mapping's action sets the slot, the validation action validates it (and says so),
    # then the rules answer the message as before
    replies = texts(await dm.handle("m1", "hi there, I'm happy"))
    assert replies == ["Glad to hear it.", "Hello! How can I help?"]
    replies = texts(await dm.handle("m1", "hi there, in french please"))
    assert replies == ["Hello! How can I help?"]
    state = await dm.store.load("m1")
    assert state is not None
    assert state.slots["mood"] == "happy" and state.slots["reply_language"] == "fr"
    # to rules and stories they are no step: the greeting's rule ran after them
    actions = [e.get("name") for e in state.events if e.get("event") == "action"]
    assert "action_read_mood" not in actions and "utter_greet" in actions
    recorded = [e.data for e in await dm.transcripts.read_all("m1") if e.type == "action"]
    assert {"name": "action_validate_slot_mappings", "aside": True} in [
        {k: d[k] for k in ("name", "aside") if k in d} for d in recorded
    ]


async def test_a_slot_action_s_message_hides_no_slot_from_the_validation_action(
    make_dm: Callable[..., DialogueManager], tmp_path: Path
) -> None:
    # rasa-sdk's slots_to_validate reads slot events back to the first other one: the party
    # size action's "(counted 4)" after the mood hid the mood, never validated. As Rasa
    # does, the validation action gets the turn's slots at the tracker's end.
    project = load_project(_slot_actions_project(tmp_path))
    parser = FixedParser({"hi there, I'm happy, we are 4, say so": ("greet", 0.95)})
    dm = make_dm(project=project, parser=parser)
    replies = texts(await dm.handle("m2", "hi there, I'm happy, we are 4, say so"))
    assert replies == ["(counted 4)", "Glad to hear it.", "Hello! How can I help?"]
    state = await dm.store.load("m2")
    assert state is not None
    assert (state.slots["mood"], state.slots["party_size"]) == ("happy", "4")
    # the conversation's own events keep their order; only the call's tracker is arranged
    tail = [(e.get("event"), e.get("name") or e.get("text")) for e in state.events][-6:]
    assert tail.index(("slot", "mood")) < tail.index(("bot", "(counted 4)"))


async def test_a_form_s_slot_read_by_its_mapping_s_action_is_the_form_s_answer(
    make_dm: Callable[..., DialogueManager], tmp_path: Path
) -> None:
    project = load_project(_slot_actions_project(tmp_path))
    parser = FixedParser(
        {
            "book a table": ("book_table", 0.95),
            "we are 4": ("inform", 0.9),
            "hi there, happy, restart": ("greet", 0.95),
            "bye, happy now": ("goodbye", 0.95),
        }
    )
    dm = make_dm(project=project, parser=parser)
    assert texts(await dm.handle("p1", "book a table")) == ["How many people?"]
    # the slot was set, but the form asked again: the action's read was no answer to it
    assert texts(await dm.handle("p1", "we are 4")) == ["A table for 4."]
    # a restart among a slot action's events is dropped, as Rasa drops it
    replies = texts(await dm.handle("p1", "hi there, happy, restart"))
    assert replies == ["Glad to hear it.", "Hello! How can I help?"]
    state = await dm.store.load("p1")
    assert state is not None and state.slots["party_size"] == "4"
    # a mapping's not_intent holds for its action too
    dm = make_dm(project=project, parser=parser)
    assert texts(await dm.handle("p2", "bye, happy now")) == ["Goodbye!"]
    state = await dm.store.load("p2")
    assert state is not None and state.slots.get("mood") is None


async def test_a_test_story_does_not_list_the_slot_mappings_actions(
    make_dm: Callable[..., DialogueManager], tmp_path: Path
) -> None:
    # Rasa runs them inside action_extract_slots, never a story step: `deskbot test`
    # failed every story of a project with such a mapping ("ran ['action_read_mood',
    # 'utter_greet'], expected ['utter_greet']").
    from bot.project.stories import read_test_stories
    from bot.story_tests import run_story

    project = load_project(_slot_actions_project(tmp_path))
    parser = FixedParser({"hi there, I'm happy": ("greet", 0.95)})
    dm = make_dm(project=project, parser=parser)
    path = tmp_path / "test_stories.yml"
    path.write_text(
        'version: "3.1"\nstories:\n  - story: greeted\n    steps:\n'
        "      - user: |\n          hi there, I'm happy\n        intent: greet\n"
        "      - action: utter_greet\n"
    )
    (story,) = read_test_stories(path)
    result = await run_story(dm, story)
    assert result.passed, result.failure
    assert result.turns[0]["actions"] == ["utter_greet"]
