"""Import and export: every format, row-level errors, all-or-nothing, upsert by key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge import FaqBase, ImportValidationError, KnowledgeError, export_file, import_file
from knowledge.transfer import read_file

GOOD_JSON = [
    {"id": "hours", "question": "When are you open?", "answer": "9-5", "alternatives": [
        "opening hours"], "tags": ["store"]},
    {"id": "refund", "question": "How do I get a refund?", "answer": "Within 5 days.",
     "alternatives": [], "tags": [], "buttons": [{"title": "Start", "payload": "/refund"}]},
]  # fmt: skip

RASA_NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
- intent: faq/ask_hours
  examples: |
    - When are you open?
    - what are your [opening](kind) hours
- intent: faq/ask_refund
  examples: |
    - How do I get a refund?
"""
RASA_DOMAIN = """version: "3.1"
responses:
  utter_faq/ask_hours:
  - text: We are open 9-5.
  utter_faq/ask_refund:
  - text: Refunds take 5 days.
    buttons:
    - title: Start
      payload: /refund
  utter_greet:
  - text: Hi!
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_json_import_then_reimport_upserts(base: FaqBase, tmp_path: Path) -> None:
    path = write(tmp_path, "faq.json", json.dumps(GOOD_JSON))
    result = import_file(base, path, author="imp")
    assert result.created == ("hours", "refund")
    refund = base.get_by_key("refund")
    assert refund.buttons[0].payload == "/refund"
    revision = base.current_revision()
    assert import_file(base, path, author="imp").unchanged == ("hours", "refund")
    assert base.current_revision() == revision  # unchanged rows make no revision
    changed = [dict(GOOD_JSON[0], answer="8-6"), GOOD_JSON[1]]
    path.write_text(json.dumps(changed))
    again = import_file(base, path, author="imp")
    assert again.updated == ("hours",) and again.unchanged == ("refund",)
    assert base.get_by_key("hours").version == 2


def test_malformed_rows_write_nothing(base: FaqBase, tmp_path: Path) -> None:
    rows = [
        GOOD_JSON[0],
        {"id": "x", "question": "", "answer": "a"},
        {"id": "y", "question": "q", "answer": "a", "alternatives": "not a list"},
        {"id": "hours", "question": "again", "answer": "dup"},
        {"question": "no id", "answer": "a"},
        {"id": "z", "question": "q", "answer": "a", "colour": "red"},
    ]
    path = write(tmp_path, "bad.json", json.dumps(rows))
    with pytest.raises(ImportValidationError) as info:
        import_file(base, path, author="imp")
    problems = {(e.row, e.field) for e in info.value.errors}
    assert problems == {(2, "question"), (3, "alternatives"), (4, "id"), (5, "id"), (6, "colour")}
    assert "row 2, question: missing" in str(info.value)
    assert base.list(include_deleted=True) == [] and base.current_revision() == 0


def test_csv_round_trip_and_errors(base: FaqBase, tmp_path: Path) -> None:
    csv_text = (
        "id,question,answer,alternatives,tags\n"
        'hours,When are you open?,9-5,"opening hours|when do you open",store\n'
        'refund,"How do I get a refund, please?",Within 5 days.,,"[""orders""]"\n'
    )
    result = import_file(base, write(tmp_path, "faq.csv", csv_text), author="imp")
    assert result.created == ("hours", "refund")
    assert base.get_by_key("hours").alternatives == ("opening hours", "when do you open")
    assert base.get_by_key("refund").tags == ("orders",)
    out = tmp_path / "out.csv"
    assert export_file(base, out) == 2
    assert [(d.external_key, d.alternatives) for d in read_file(out)] == [
        ("hours", ("opening hours", "when do you open")),
        ("refund", ()),
    ]
    bad = write(tmp_path, "bad.csv", "id,question,answer,active\nk,q,a,maybe\nk2,,a,true\n")
    with pytest.raises(ImportValidationError) as info:
        import_file(base, bad, author="imp")
    assert {(e.row, e.field) for e in info.value.errors} == {(1, "active"), (2, "question")}
    no_header = write(tmp_path, "nh.csv", "key,text\nk,q\n")
    with pytest.raises(ImportValidationError, match="header"):
        import_file(base, no_header, author="imp")
    assert len(base.list()) == 2


def test_yaml_round_trip(base: FaqBase, tmp_path: Path) -> None:
    import_file(base, write(tmp_path, "in.json", json.dumps(GOOD_JSON)), author="imp")
    out = tmp_path / "faq.yaml"
    export_file(base, out)
    drafts = read_file(out)
    assert [d.external_key for d in drafts] == ["hours", "refund"]
    assert drafts[1].buttons == base.get_by_key("refund").buttons


def test_rasa_file_and_project_folder(base: FaqBase, tmp_path: Path) -> None:
    write(tmp_path / "proj", "data/nlu.yml", RASA_NLU)
    write(tmp_path / "proj", "domain.yml", RASA_DOMAIN)
    result = import_file(base, tmp_path / "proj", author="imp")
    assert result.created == ("ask_hours", "ask_refund")
    hours = base.get_by_key("ask_hours")
    assert hours.question == "When are you open?"
    assert hours.alternatives == ("what are your opening hours",)  # markup removed
    assert base.get_by_key("ask_refund").buttons[0].payload == "/refund"
    out = tmp_path / "faq-rasa.yml"
    export_file(base, out, fmt="rasa")
    assert "faq/ask_hours" in out.read_text() and "utter_faq/ask_refund" in out.read_text()
    assert [d.external_key for d in read_file(out)] == ["ask_hours", "ask_refund"]
    one_file = write(tmp_path, "nlu_only.yml", RASA_NLU)
    with pytest.raises(ImportValidationError, match="no utter_faq/ask_hours"):
        import_file(base, one_file, author="imp")


def test_unknown_or_missing_files(base: FaqBase, tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="no such file"):
        import_file(base, tmp_path / "nope.json", author="imp")
    with pytest.raises(KnowledgeError, match="unknown FAQ file type"):
        import_file(base, write(tmp_path, "faq.txt", "x"), author="imp")
    with pytest.raises(ImportValidationError, match="not JSON"):
        import_file(base, write(tmp_path, "broken.json", "[{"), author="imp")
