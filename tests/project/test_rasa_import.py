"""``deskbot import rasa``: real and synthetic Rasa 2.x/3.x projects."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from bot.cli.project import register
from bot.project import ProjectError, load_project
from bot.project.check import has_errors
from bot.project.rasa_import import import_rasa
from knowledge import read_file
from tests.project.conftest import Writer

RASA_2 = {
    "config.yml": """
        language: en
        pipeline:
          - name: DIETClassifier
            epochs: 100
          - name: ResponseSelector
          - name: FallbackClassifier
            threshold: 0.55
        policies:
          - name: RulePolicy
    """,
    "domain.yml": """
        version: "2.0"
        intents:
          - greet
          - faq
          - request_restaurant
          - inform
        entities: [cuisine, people]
        slots:
          cuisine:
            type: text
          people:
            type: float
        forms:
          restaurant_form:
            required_slots:
              cuisine:
                - type: from_entity
                  entity: cuisine
              people:
                - type: from_entity
                  entity: people
        responses:
          utter_greet:
            - text: Hi!
          utter_ask_cuisine:
            - text: What cuisine?
          utter_ask_people:
            - text: How many people?
          utter_faq/opening_hours:
            - text: We are open from 9 to 5.
              buttons:
                - title: Book
                  payload: /request_restaurant
          utter_faq/parking:
            - text: There is free parking behind the building.
        actions:
          - action_book
          - utter_faq
    """,
    "data/nlu.yml": """
        version: "2.0"
        nlu:
          - intent: greet
            examples: |
              - hi
              - hello
          - intent: faq/opening_hours
            examples: |
              - when are you open?
              - what are your [opening hours](time)
              - are you open on sunday
          - intent: faq/parking
            examples: |
              - where can I park?
          - intent: request_restaurant
            examples: |
              - book a table for [4](people) people
          - intent: inform
            examples: |
              - [italian](cuisine)
              - [chinese food](cuisine:chinese)
          - synonym: chinese
            examples: |
              - chines
          - lookup: cuisine
            examples: |
              - thai
              - indian
          - regex: people
            examples: |
              - \\d+
    """,
    "data/rules.yml": """
        version: "2.0"
        rules:
          - rule: faq
            steps:
              - intent: faq
              - action: utter_faq
          - rule: book
            steps:
              - intent: request_restaurant
              - action: restaurant_form
              - active_loop: restaurant_form
          - rule: submit
            condition:
              - active_loop: restaurant_form
            steps:
              - action: restaurant_form
              - active_loop: null
              - action: action_book
    """,
    "data/responses.yml": """
        version: "2.0"
        responses:
          utter_bye:
            - text: Bye!
    """,
    "data/old.md": "## story\n* greet\n  - utter_greet\n",
    "data/test_flows.yml": """
        stories:
          - story: faq test
            steps:
              - user: |
                  when are you open?
                intent: faq
              - action: utter_faq
    """,
    "endpoints.yml": """
        action_endpoint:
          url: http://localhost:5055/webhook
    """,
    "actions/__init__.py": "",
    "actions/booking.py": """
        class ActionBook:
            def name(self):
                return "action_book"
    """,
    "actions/__pycache__/junk.pyc": "x",
}


def test_import_rasa_2_project(project: Writer, tmp_path: Path) -> None:
    source = project(RASA_2, "rasa2")
    for path in source.rglob("*"):  # as on a read-only mount: the copy must stay editable
        path.chmod(0o555 if path.is_dir() else 0o444)
    report = import_rasa(source, tmp_path / "out")
    out = tmp_path / "out"
    copied = list(out.rglob("*"))
    assert copied and all(p.stat().st_mode & stat.S_IWUSR for p in copied)
    loaded = load_project(out)
    # Retrieval responses became FAQ entries; the rest of the domain is kept.
    assert "utter_faq/opening_hours" not in loaded.domain.responses
    assert {"utter_greet", "utter_bye", "utter_ask_cuisine"} <= set(loaded.domain.responses)
    entries = yaml.safe_load((out / "faq/rasa_retrieval.yml").read_text())
    hours = next(e for e in entries if e["id"] == "opening_hours")
    assert hours == {
        "id": "opening_hours",
        "question": "when are you open?",
        "alternatives": ["what are your opening hours", "are you open on sunday"],
        "answer": "We are open from 9 to 5.",
        "tags": ["faq"],
        "buttons": [{"title": "Book", "payload": "/request_restaurant"}],
    }
    assert loaded.faq_files == (out / "faq/rasa_retrieval.yml",)
    drafts = read_file(out / "faq/rasa_retrieval.yml")  # what `deskbot faq import` reads
    assert {d.external_key for d in drafts} == {"opening_hours", "parking"}
    # utter_faq is answered by deskbot's FAQ action, in rules and tests alike.
    faq_rule = next(r for r in loaded.rules if r.name == "faq")
    assert faq_rule.steps[1].name == "action_faq"
    assert loaded.test_stories[0].steps[1].name == "action_faq"
    assert (out / "tests/test_flows.yml").is_file()
    # 2.x forms still read; config mapped; endpoints and actions copied.
    assert loaded.domain.forms["restaurant_form"].required_slots == ("cuisine", "people")
    assert loaded.config.thresholds.nlu_fallback is None  # DIET's scale: calibrated anew
    assert loaded.config.action_endpoint == "http://localhost:5055/webhook"
    # read from the copied endpoints.yml, not frozen into config.yml (which would win)
    assert "action_endpoint" not in (out / "config.yml").read_text()
    assert (out / "actions/booking.py").is_file() and not (out / "actions/__pycache__").exists()
    assert report.counts["faq entries"] == 2 and report.counts["synonyms"] == 1
    assert report.counts["lookups"] == 1 and report.counts["regexes"] == 1
    assert report.custom_actions == ("action_book",) and report.missing_actions == ()
    assert report.built_in_stand_ins == ()  # its actions are on its action server
    assert any("old.md" in s for s in report.skipped)
    assert not has_errors(report.problems), [str(p) for p in report.problems]


def test_import_helpdesk(helpdesk: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(
        app, ["import", "rasa", str(helpdesk), "--out", str(tmp_path / "hd")]
    )
    assert result.exit_code == 0, result.output
    assert "17 intents" in result.output and "12 test stories" in result.output
    assert "custom action action_open_incident: no code found" in result.output
    # its action_handoff (no code copied) is replaced by deskbot's own: said, not unsaid
    assert "action action_handoff: no code found; deskbot's built-in" in result.output
    assert "Duckling is not supported" in result.output
    loaded = load_project(tmp_path / "hd")
    original = load_project(helpdesk)
    assert loaded.domain.to_wire() == original.domain.to_wire()
    assert len(loaded.rules) == 7 and len(loaded.stories) == 14
    assert loaded.config.thresholds.nlu_fallback is None and loaded.config.nlu.seed == 1
    assert loaded.config.nlu.builtin_entities == ("email",)  # its Duckling dimension
    assert "FallbackClassifier.threshold 0.7 not taken" in result.output
    assert (tmp_path / "hd/data/nlu.yml").read_text() == (helpdesk / "data/nlu.yml").read_text()


def test_import_domain_folder_and_rasa_3(project: Writer, tmp_path: Path) -> None:
    source = project({
        "domain/core.yml": """
            version: "3.1"
            intents: [greet, chitchat]
            responses:
              utter_greet: [{text: hi}]
              utter_chitchat/ask_name: [{text: "I'm Bot."}]
        """,
        "domain/slots.yml": """
            version: "3.1"
            slots:
              name: {type: text, mappings: [{type: from_text}]}
        """,
        "data/nlu/chitchat.yml": """
            nlu:
              - intent: chitchat/ask_name
                examples: |
                  - what's your name
        """,
    }, "rasa3")  # fmt: skip
    report = import_rasa(source, tmp_path / "out")
    assert (tmp_path / "out/domain/slots.yml").is_file()
    assert (tmp_path / "out/data/nlu/chitchat.yml").is_file()
    entries = yaml.safe_load((tmp_path / "out/faq/rasa_retrieval.yml").read_text())
    assert entries == [{
        "id": "chitchat/ask_name", "question": "what's your name", "alternatives": [],
        "answer": "I'm Bot.", "tags": ["chitchat"],
    }]  # fmt: skip
    assert report.counts["slots"] == 1 and report.counts["responses"] == 1


def test_import_refuses_bad_input(project: Writer, tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not a Rasa project"):
        import_rasa(tmp_path / "nothing", tmp_path / "out")
    source = project({"domain.yml": "intents: [a\n"}, "broken")
    with pytest.raises(ProjectError, match=r"domain.yml:2: malformed YAML"):
        import_rasa(source, tmp_path / "out2")
    good = project({"domain.yml": "intents: [a]\n"}, "good")
    (tmp_path / "full").mkdir()
    (tmp_path / "full/x").write_text("x")
    with pytest.raises(ProjectError, match="not empty"):
        import_rasa(good, tmp_path / "full")


def test_import_tolerates_older_shapes(project: Writer, tmp_path: Path) -> None:
    source = project({
        "config.yml": "language: en\npipeline: supervised_embeddings\npolicies:\n",
        "domain.yml": """
            intents:
              - greet:
                  triggers: utter_greet
            slots:
              feedback: {type: addons.MySlot}
            forms:
              - old_form
            responses:
              utter_greet:
                - text: Hello!
                  metadata: {rasa: true}
                  quick_replies: [{title: a}]
        """,
        "data/nlu.yml": """
            nlu:
              - intent: greet
                examples:
                  - text: hi
                    metadata: {sentiment: happy}
                  - hello
        """,
        "actions.py": "# action_x lives here\n",
    }, "old")  # fmt: skip
    report = import_rasa(source, tmp_path / "out")
    loaded = load_project(tmp_path / "out")
    assert loaded.domain.slots["feedback"].type == "any"
    assert loaded.domain.forms["old_form"].required_slots == ()
    assert loaded.domain.responses["utter_greet"][0].custom == {"quick_replies": [{"title": "a"}]}
    assert loaded.actions_dir == tmp_path / "out/actions.py"
    assert report.counts["nlu examples"] == 2
    notes = [p.message for p in report.problems]
    assert "pipeline template 'supervised_embeddings' is not supported; ignored" in notes
