"""Rules, stories and test stories."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.project import SLOT_FILLED, ProjectError, Step, load_project, read_data_file
from tests.project.conftest import write_files


def data_file(tmp_path: Path, text: str) -> Path:
    write_files(tmp_path, {"data/x.yml": text})
    return tmp_path / "data" / "x.yml"


def test_rules_with_condition_and_flags(tmp_path: Path) -> None:
    found = read_data_file(
        data_file(
            tmp_path,
            """
        version: "3.1"
        rules:
          - rule: welcome
            conversation_start: true
            steps:
              - intent: greet
              - action: utter_greet
          - rule: submit
            condition:
              - active_loop: order_form
              - slot_was_set:
                  - confirmed: true
            steps:
              - action: order_form
              - active_loop: null
              - slot_was_set:
                  - requested_slot: null
                  - seen
              - action: action_submit
            wait_for_user_input: false
    """,
        )
    )
    welcome, submit = found.rules
    assert welcome.conversation_start and welcome.wait_for_user_input
    assert welcome.steps == (Step("intent", "greet"), Step("action", "utter_greet"))
    assert not submit.conversation_start and not submit.wait_for_user_input
    assert submit.condition == (
        Step("active_loop", "order_form"),
        Step("slot_was_set", slots={"confirmed": True}),
    )
    assert submit.steps[1] == Step("active_loop", None)
    assert submit.steps[2].slots == {"requested_slot": None, "seen": SLOT_FILLED}
    assert (submit.line, submit.steps[0].line) == (8, 14)
    assert submit.file == str(tmp_path / "data" / "x.yml")
    assert not found.has_nlu and not found.stories


def test_stories_with_or_checkpoints_entities(tmp_path: Path) -> None:
    found = read_data_file(
        data_file(
            tmp_path,
            """
        stories:
          - story: one
            steps:
              - checkpoint: start
              - or:
                  - intent: affirm
                  - intent: thanks
              - action: utter_ok
              - intent: buy
                entities:
                  - product: laptop
                  - entity: city
                    value: Paris
                    role: destination
                  - size
              - bot: Here you go
        nlu:
          - intent: affirm
            examples: |
              - yes
    """,
        )
    )
    (story,) = found.stories
    assert story.steps[0] == Step("checkpoint", "start")
    assert story.steps[1].kind == "or"
    assert [s.name for s in story.steps[1].alternatives] == ["affirm", "thanks"]
    assert story.steps[3].entities == (
        {"entity": "product", "value": "laptop"},
        {"entity": "city", "value": "Paris", "role": "destination"},
        {"entity": "size"},
    )
    assert story.steps[4] == Step("bot", "Here you go")
    assert found.has_nlu


def test_test_stories_keep_user_text(helpdesk: Path) -> None:
    tests = load_project(helpdesk).test_stories
    assert len(tests) == 12
    first = tests[0]
    assert first.name == "bot challenge" and first.line == 3
    assert first.file.endswith("tests/test_conversations.yml")
    assert first.steps[0] == Step("intent", "bot_challenge", user_text="Are you a bot?")
    assert first.steps[1] == Step("action", "utter_iamabot")


def test_helpdesk_rules_and_stories(helpdesk: Path) -> None:
    loaded = load_project(helpdesk)
    assert len(loaded.rules) == 7 and len(loaded.stories) == 14
    submit = next(r for r in loaded.rules if r.name == "submit open incident form")
    assert submit.condition == (Step("active_loop", "open_incident_form"),)
    handoff = [s for s in loaded.stories if s.name == "handoff"][1]
    assert handoff.steps[3].entities == ({"entity": "handoff_to", "value": "financial_demo"},)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("stories:\n  - story: a\n    steps:\n      - dance: now\n", 4, "unknown step (has dance)"),
        ("rules:\n  - steps: []\n", 2, "needs a `rule:` name"),
        ("stories:\n  - story: a\n    steps: oops\n", 3, "steps of 'a' must be a list"),
        ("stories: [\n", 2, "malformed YAML"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = tmp_path / "s.yml"
    path.write_text(text)
    with pytest.raises(ProjectError) as caught:
        read_data_file(path)
    assert caught.value.line == line, str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ") and words in str(caught.value)
