"""Import and export: every format, row-level errors, all-or-nothing, upsert by key."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from knowledge import (
    Button,
    FaqBase,
    FaqDraft,
    ImportValidationError,
    InvalidEntryError,
    KnowledgeError,
    Link,
    export_file,
    import_data,
    import_file,
    read_data,
)
from knowledge.entries import key_from_question
from knowledge.transfer import read_file
from nlu import load_training_data

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
        {"question": "no id", "answer": "a"},  # a key is made from its question
        {"id": "z", "question": "q", "answer": "a", "colour": "red"},
        {"id": "", "question": "No ID?", "answer": "b"},  # the same key made again
    ]
    path = write(tmp_path, "bad.json", json.dumps(rows))
    with pytest.raises(ImportValidationError) as info:
        import_file(base, path, author="imp")
    problems = {(e.row, e.field) for e in info.value.errors}
    assert problems == {
        (2, "question"),
        (3, "alternatives"),
        (4, "id"),
        (6, "colour"),
        (7, "question"),
    }
    assert "row 7, question: the same question as row 5" in str(info.value)
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
    bad = write(
        tmp_path,
        "bad.csv",
        'id,question,answer,active\nk,q,a,maybe\nk2,,a,true\nk3,q,"two\nlines",\nk3,q,a,\n',
    )
    with pytest.raises(ImportValidationError) as info:
        import_file(base, bad, author="imp")
    # CSV errors name the file's lines as an editor numbers them (the header is line 1)
    assert {(e.row, e.field) for e in info.value.errors} == {
        (2, "active"),
        (3, "question"),
        (6, "id"),
    }
    assert "line 3, question: missing" in str(info.value)
    assert "line 6, id: duplicate of line 4" in str(info.value)
    # Each bad file is told in the file's own terms, and nothing is written:
    refused = {
        # a surplus cell spanning lines does not shift the line named
        'id,question,answer\nk,q,a,"x\ny"\nk2,q,a\n': "line 2: more cells than header",
        # an answer with an unquoted comma is told how to fix it
        "id,question,answer\nk,Open?,No, online only\n": r"comma inside a cell\? quote the cell",
        # a spreadsheet's semicolons are read, but these columns are none of an entry's
        "Frage;Antwort\nk;q\n": "header lacks these columns \\(the header reads 'Frage;Antwort'\\)",
        "id;question;answer\nk;Open?;No; online only\n": "a semicolon inside a cell",
        "id,question,answer\n" + "k" * 201 + ",q,a\n": "line 2, id: id is longer than 200",
        "key,text\nk,q\n": "id, question, answer: header lacks these",
        "key,question,answer\nk,q,a\n": r"header lacks this column \(name the column of entry",
        "": "the file is empty",
        "\nid,question,answer\nk9,Q?,A\n": "line 1: the first line must be the header",
        # A quote left open swallowed the rest of the file and was reported as a missing
        # answer on the line before; now the line it opens on is named (past blank lines).
        'id,question,answer\nk9,Q?,"A"\nk8,"Unclosed,A2\n': (
            "line 3: a quoted cell that starts on this line is never closed$"
        ),
        'id,question,answer\nk9,Q?,A\n\n\nk8,"Open,A2\n': "line 5: a quoted cell that starts",
    }
    for i, (text, words) in enumerate(refused.items()):
        with pytest.raises(ImportValidationError, match=words):
            import_file(base, write(tmp_path, f"bad{i}.csv", text), author="imp")
    assert len(base.list()) == 2


def test_csv_as_spreadsheets_save_it(base: FaqBase) -> None:
    """Excel in a German or French locale saves CSV with semicolons (with no setting to say
    commas), "Unicode text" as UTF-16 with tabs, and headers are often capitalised: all
    were refused ("save the file with commas", "not UTF-8") though each says what it holds."""
    files = {
        "semicolons.csv": "\ufeffId;Question;Answer\r\nsemi;Ship to Spain?;Yes, we do\r\n".encode(),
        "unicode.txt": "id\tquestion\tanswer\tTags\r\ntab;1\tQ, é?\tA; ü\tx|y\r\n".encode("utf-16"),
        "spaced.csv": b"ID , question, answer\nspaced,Q?,A\n",
    }
    for name, data in files.items():
        import_data(base, data, fmt="csv", author="imp", source=name)
    assert base.get_by_key("semi").answer == "Yes, we do"
    tab = base.get_by_key("tab;1")
    assert (tab.question, tab.answer, tab.tags) == ("Q, é?", "A; ü", ("x", "y"))
    assert base.get_by_key("spaced").question == "Q?"
    # a semicolon file's unclosed quote is found as a comma file's is
    with pytest.raises(ImportValidationError, match="line 3: a quoted cell"):
        import_data(
            base, b'id;question;answer\nk;q;a\nk2;"q;a\n', fmt="csv", author="i", source="q.csv"
        )


def test_a_file_without_keys_gets_the_keys_the_editor_would_make(base: FaqBase) -> None:
    # The editor makes a key from the question; a spreadsheet of questions and answers was
    # refused ("id: header lacks this column"), a semicolon one said it lacked columns it had.
    files = {
        "plain.csv": b"question,answer\nDo you sell gift cards?,Yes.\n",
        "semicolons.csv": b"Question;Answer\r\nShip to Spain?;Yes, we do\r\n",
        "blank.csv": b"id,question,answer\nkept,Kept?,K\n,Open on Sunday?,No\n",
        "faq.yaml": b"- question: Can I pay by card?\n  answer: Every card.\n",
    }
    for name, data in files.items():
        fmt = name.rsplit(".", 1)[1]
        import_data(base, data, fmt=fmt, author="imp", source=name)
    assert base.get_by_key("do_you_sell_gift_cards").answer == "Yes."
    assert base.get_by_key("ship_to_spain").answer == "Yes, we do"
    assert base.get_by_key("kept").question == "Kept?"
    assert base.get_by_key("open_on_sunday").answer == "No"
    assert base.get_by_key("can_i_pay_by_card").answer == "Every card."
    # Imported again, the same entries are updated, not doubled.
    again = b'question,answer\nDo you sell gift cards?,"Yes, online and in store."\n'
    result = import_data(base, again, fmt="csv", author="imp", source="again.csv")
    assert result.updated == ("do_you_sell_gift_cards",) and not result.created
    assert len(base.list()) == 5
    with pytest.raises(ImportValidationError, match="line 3, question: the same question as"):
        data = b"question,answer\nGift cards?,Yes.\ngift CARDS,No.\n"
        import_data(base, data, fmt="csv", author="imp", source="twice.csv")


def test_a_key_made_from_a_question_never_writes_over_another_question(base: FaqBase) -> None:
    # "Hours?" made the key of the entry asked "When are you open?" and was written over it.
    import_data(base, json.dumps(GOOD_JSON).encode(), fmt="json", author="imp", source="a.json")
    long = "How long does it take to get my money back after I send a parcel back"
    rows = f"question,answer\nHours?,Ask us.\n{long} by post?,Post.\n{long} by van?,Van.\n"
    first = import_data(base, rows.encode(), fmt="csv", author="imp", source="b.csv")
    made = key_from_question(long)
    assert first.created == ("hours_2", made, f"{made}_2")
    assert base.get_by_key("hours").question == "When are you open?"
    assert base.get_by_key(f"{made}_2").answer == "Van."  # cut at 60 characters, numbered
    # Imported again, each row finds its own entry; the editor's numbered keys too.
    editor = base.create(FaqDraft("", "Hours?!", "typed"), author="staff")
    assert editor.external_key == "hours_3"
    again = rows.replace("Ask us.", "Ask.").replace("Van.", "By van.")
    second = import_data(base, again.encode(), fmt="csv", author="imp", source="c.csv")
    assert second.updated == ("hours_2", f"{made}_2") and second.unchanged == (made,)
    assert not second.created and base.get_by_key("hours_3").answer == "typed"


def test_csv_line_endings_and_encodings_a_spreadsheet_may_save(base: FaqBase) -> None:
    # Excel's "CSV (Macintosh)" ends lines with a carriage return alone, and UTF-16 without
    # a byte order mark reads as text with a NUL after each letter: both ended in a
    # traceback (a 500 in the editor).
    mac = b'question,answer\rDo you ship to Mars?,No.\rTwo lines?,"Yes:\rthis one."\r'
    import_data(base, mac, fmt="csv", author="imp", source="mac.csv")
    assert base.get_by_key("do_you_ship_to_mars").answer == "No."
    assert base.get_by_key("two_lines").answer == "Yes:\nthis one."
    utf16 = "question,answer\nQ?,A\n".encode("utf-16-le")
    with pytest.raises(ImportValidationError, match="NUL character: is the file UTF-16"):
        import_data(base, utf16, fmt="csv", author="imp", source="u.csv")
    huge = b"question,answer\nQ?,A\nBig?," + b"x" * 200_000 + b"\n"
    with pytest.raises(ImportValidationError, match="line 3: cannot be read as CSV"):
        import_data(base, huge, fmt="csv", author="imp", source="big.csv")
    assert len(base.list()) == 2


def test_yaml_texts_are_read_as_written(base: FaqBase) -> None:
    # YAML 1.1 reads a bare No, on or 1.10 as a boolean or a number: "answer: No" was
    # refused ("answer must be text, got bool") and a tag "on" became "True".
    text = (
        "- id: mars\n  question: Do you ship to Mars?\n  answer: No\n"
        "  alternatives:\n    - shipping to mars?\n    - yes\n  tags: [on, 1.10]\n"
        "  buttons: [{title: Yes, payload: /affirm}]\n  active: yes\n"
    )
    import_data(base, text.encode(), fmt="yaml", author="imp", source="faq.yaml")
    mars = base.get_by_key("mars")
    assert (mars.answer, mars.alternatives, mars.tags) == (
        "No",
        ("shipping to mars?", "yes"),
        ("on", "1.10"),
    )
    assert (mars.buttons[0].title, mars.active) == ("Yes", True)  # a flag is still a flag


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


ROUND_TRIP = [
    FaqDraft(
        "hours",
        "When are you open?",
        'We are open 9:00-17:00.\nClosed on Sundays, "mostly" | always.',
        alternatives=("opening hours", "open on sunday, monday?"),
        buttons=(Button("Call us", "/call"),),
        links=(Link("Hours", "https://example.com/hours"),),
        tags=("store", "time"),
        language="de",
    ),
    FaqDraft("refund", "How do I get a refund?", "Within 5 days.", tags=("orders",)),
    FaqDraft("chitchat/thanks", "thanks: a lot", "- You're welcome!", active=False),
]


@pytest.mark.parametrize("fmt", ["csv", "json", "yaml", "rasa"])
def test_export_then_import_changes_nothing(base: FaqBase, tmp_path: Path, fmt: str) -> None:
    base.upsert_many(ROUND_TRIP, author="imp")
    before = base.list()
    revision = base.current_revision()
    out = tmp_path / f"faq.{fmt}"
    assert export_file(base, out, fmt=fmt) == 3
    result = import_file(base, out, author="imp", fmt=fmt)
    assert result.unchanged == ("hours", "refund", "chitchat/thanks"), result
    assert base.current_revision() == revision and base.list() == before


def test_rasa_import_keeps_what_rasa_cannot_carry(base: FaqBase, tmp_path: Path) -> None:
    base.upsert_many(ROUND_TRIP, author="imp")
    out = tmp_path / "faq.yml"
    export_file(base, out, fmt="rasa")
    edited = out.read_text().replace("Within 5 days.", "Within 3 days.")
    result = import_file(base, write(tmp_path, "edited.yml", edited), author="imp", fmt="rasa")
    assert result.updated == ("refund",)
    refund = base.get_by_key("refund")
    assert refund.answer == "Within 3 days." and refund.tags == ("orders",)
    assert base.history(refund.id)[-1].changes == {"answer": ["Within 5 days.", "Within 3 days."]}
    thanks = base.get_by_key("chitchat/thanks")
    assert not thanks.active and thanks.version == 1  # still deactivated, untouched
    assert base.get_by_key("hours").links == ROUND_TRIP[0].links


def test_csv_columns_and_json_keys_left_out_keep_their_values(
    base: FaqBase, tmp_path: Path
) -> None:
    base.upsert_many(ROUND_TRIP, author="imp")
    csv_text = "id,question,answer\nhours,When are you open?,9-5\n"
    assert import_file(base, write(tmp_path, "a.csv", csv_text), author="i").updated == ("hours",)
    hours = base.get_by_key("hours")
    assert hours.answer == "9-5" and hours.tags == ("store", "time") and hours.language == "de"
    assert hours.alternatives == ROUND_TRIP[0].alternatives and hours.links
    rows = [{"id": "chitchat/thanks", "question": "thanks: a lot", "answer": "- You're welcome!"}]
    path = write(tmp_path, "a.json", json.dumps(rows))
    assert import_file(base, path, author="i").unchanged == ("chitchat/thanks",)
    rows[0]["tags"] = []  # present and empty: cleared
    rows[0]["active"] = True
    path = write(tmp_path, "b.json", json.dumps(rows))
    assert import_file(base, path, author="i").updated == ("chitchat/thanks",)
    assert base.get_by_key("chitchat/thanks").active


def test_a_file_that_is_not_utf8_is_refused_by_line(base: FaqBase, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("id,question,answer\nlatin,Café open?,Oui\n".encode("latin-1"))
    with pytest.raises(ImportValidationError) as info:
        import_file(base, latin1, author="imp")
    assert str(info.value) == (
        f"{latin1}: nothing imported: line 2 is not UTF-8 text (byte 0xe9); "
        "save the file as UTF-8 and import it again"
    )
    rasa = tmp_path / "proj" / "data" / "nlu.yml"
    rasa.parent.mkdir(parents=True)
    rasa.write_bytes("nlu:\n- intent: faq/x\n  examples: |\n    - Café?\n".encode("latin-1"))
    with pytest.raises(ImportValidationError, match=r"data/nlu.yml: line 4 is not UTF-8"):
        import_file(base, tmp_path / "proj", author="imp")
    with pytest.raises(ImportValidationError, match=r"line 4 is not UTF-8"):
        import_file(base, rasa, author="imp", fmt="rasa")
    with pytest.raises(ImportValidationError, match="not UTF-8"):
        read_data(b'[{"id": "\xff"}]', "json", "upload.json")
    assert base.current_revision() == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("nlu: 5\n", "nlu must be a list of intents, got int"),
        ("- intent: faq/x\n", "must be a mapping with nlu and responses"),
        ("nlu: [unclosed\n", "not YAML: expected ',' or ']', but got '<stream end>' on line 2"),
        (RASA_NLU + "responses: 5\n", "responses must be a mapping of response names, got int"),
        (RASA_NLU + "responses:\n  utter_faq/ask_hours: 5\n", "no utter_faq/ask_hours text"),
        (
            RASA_NLU + "responses:\n  utter_faq/ask_hours:\n  - text: 9-5\n    buttons: 5\n"
            "  utter_faq/ask_refund:\n  - text: [1]\n",
            "row 1, buttons: buttons must be a list",
        ),
    ],
)
def test_malformed_rasa_files_say_what_is_wrong(
    base: FaqBase, tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path, "r.yml", text)
    with pytest.raises(ImportValidationError, match=re.escape(problem)) as info:
        import_file(base, path, author="imp", fmt="rasa")
    assert str(info.value).startswith(f"{path}: ")
    with pytest.raises(ImportValidationError, match=re.escape(problem)) as info:
        read_data(text.encode(), "rasa", "upload.yml")
    assert str(info.value).startswith("upload.yml: ")
    assert base.current_revision() == 0


def test_errors_name_the_source_and_limits_apply_to_imports(base: FaqBase, tmp_path: Path) -> None:
    rows = [{"id": "long", "question": "q" * 1001, "answer": "a"}]
    with pytest.raises(ImportValidationError) as info:
        read_data(json.dumps(rows).encode(), "json", "my-faq.json")
    assert str(info.value) == (
        "my-faq.json: 1 invalid row(s), nothing imported: "
        "row 1, question: question is 1,001 characters long; the limit is 1,000"
    )
    path = write(tmp_path, "server-side.json", json.dumps(rows))
    with pytest.raises(ImportValidationError, match=r"^upload: 1 invalid"):
        import_file(base, path, author="imp", source="upload")
    with pytest.raises(KnowledgeError, match="cannot write"):
        export_file(base, tmp_path / "no" / "such" / "dir.json")


def test_an_export_with_deleted_entries_keeps_them_deleted(base: FaqBase, tmp_path: Path) -> None:
    # The file had no mark for them: importing it brought every deleted entry back to life.
    base.upsert_many(ROUND_TRIP, author="imp")
    refund = base.get_by_key("refund")
    base.delete(refund.id, author="ed")
    for fmt in ("json", "csv", "yaml"):
        out = tmp_path / f"all.{fmt}"
        export_file(base, out, include_deleted=True)
        result = import_file(base, out, author="imp")
        assert result.unchanged == ("hours", "refund", "chitchat/thanks"), fmt
        assert base.get(refund.id).deleted_at is not None
    # Into another base: created, then deleted, with its history saying so.
    other = tmp_path / "other.json"
    other.write_text(json.dumps([{**r, "id": "gone-" + r["id"]} for r in json.loads(
        (tmp_path / "all.json").read_text()) if r.get("deleted")]))  # fmt: skip
    result = import_file(base, other, author="imp")
    assert result.deleted == ("gone-refund",) and result.created == ()
    gone = base.get_by_key("gone-refund")
    assert gone.deleted_at is not None
    assert [r.action for r in base.history(gone.id)] == ["create", "delete"]
    with pytest.raises(KnowledgeError, match="a Rasa file cannot mark an entry deleted"):
        export_file(base, tmp_path / "all.yml", fmt="rasa", include_deleted=True)


def test_an_older_export_is_merged_with_later_edits_not_written_over_them(
    base: FaqBase, tmp_path: Path
) -> None:
    from knowledge import StaleImportError

    base.upsert_many(ROUND_TRIP, author="imp")
    old = tmp_path / "old.json"
    export_file(base, old)
    exported = {r["id"]: r for r in json.loads(old.read_text())}
    hours, refund = base.get_by_key("hours"), base.get_by_key("refund")
    base.update(hours.id, expected_version=1, author="colleague", answer="8-6 now")
    base.delete(refund.id, author="colleague")

    def file_with(**changes: dict[str, object]) -> Path:
        records = [{**r, **changes.get(k.replace("/", "_"), {})} for k, r in exported.items()]
        return write(tmp_path, "edited.json", json.dumps(records))

    # The file as exported undoes nothing: the new answer stays, refund stays deleted.
    result = import_file(base, old, author="imp")
    assert result.unchanged == ("hours", "refund", "chitchat/thanks") and not result.updated
    assert base.get(hours.id).answer == "8-6 now" and base.get(refund.id).deleted_at
    # What the file changed is written over what the base changed, when they differ in field.
    result = import_file(base, file_with(hours={"tags": ["store", "hours"]}), author="imp")
    assert result.updated == ("hours",)
    merged = base.get(hours.id)
    assert (merged.answer, merged.tags) == ("8-6 now", ("store", "hours"))
    # The same field changed on both sides, or a deleted entry changed: refused, unwritten.
    revision = base.current_revision()
    clash = file_with(hours={"answer": "10-4"}, refund={"answer": "Within 2 days."})
    with pytest.raises(StaleImportError) as info:
        import_file(base, clash, author="imp")
    assert info.value.conflicts == [
        "hours (answer changed here since version 1 as well)",
        "refund (deleted since version 1; the file changes it)",
    ]
    assert "import with overwrite" in str(info.value)
    assert base.current_revision() == revision
    # Told to, the file wins whole.
    result = import_file(base, clash, author="imp", overwrite=True)
    assert result.updated == ("hours", "refund")
    overwritten = base.get(hours.id)
    assert (overwritten.answer, overwritten.tags) == ("10-4", ROUND_TRIP[0].tags)
    assert base.get(refund.id).deleted_at is None
    # A file that names no versions (written by hand) upserts as before.
    hand = write(tmp_path, "hand.json", json.dumps([{"id": "hours", "question": "When are "
                 "you open?", "answer": "9-5 again"}]))  # fmt: skip
    assert import_file(base, hand, author="imp").updated == ("hours",)
    with pytest.raises(InvalidEntryError, match="the key 'hours' is given twice"):
        base.upsert_many([FaqDraft("hours", "q", "a"), FaqDraft("hours", "q", "b")], author="i")


def test_an_older_rasa_export_is_merged_too_and_still_reads_as_rasa(
    base: FaqBase, tmp_path: Path
) -> None:
    # A Rasa export re-imported after a colleague's edit silently undid the edit: the file
    # carried no versions. They ride in each intent's metadata, which Rasa keeps as it is.
    from knowledge import StaleImportError

    base.upsert_many(ROUND_TRIP, author="imp")
    old = tmp_path / "faq.yml"
    export_file(base, old, fmt="rasa")
    assert "metadata:\n    deskbot_version: 1\n" in old.read_text()
    refund = base.get_by_key("refund")
    base.update(refund.id, expected_version=1, author="colleague", answer="Within 2 days.")
    result = import_file(base, old, author="imp", fmt="rasa")
    assert "refund" in result.unchanged and base.get(refund.id).answer == "Within 2 days."
    edited = old.read_text().replace("Within 5 days.", "Within a week.")
    assert edited != old.read_text()
    with pytest.raises(StaleImportError, match=r"refund \(answer changed here since version 1"):
        import_file(base, write(tmp_path, "edited.yml", edited), author="imp", fmt="rasa")
    assert base.get(refund.id).answer == "Within 2 days."
    # Sent as "yaml" (the editor guesses from ".yml"), it is read as the Rasa file it is.
    sent = read_data(old.read_bytes(), "yaml", "faq.yml")
    assert [d.external_key for d in sent] == ["hours", "refund", "chitchat/thanks"]
    assert [d.version for d in sent] == [1, 1, 1]
    # The metadata is what Rasa's own format allows: deskbot's NLU reader trains on it.
    data = load_training_data(old)
    assert {e.intent for e in data.examples} >= {"faq/hours"}
    with pytest.raises(ImportValidationError, match="version"):
        bad = old.read_text().replace("deskbot_version: 1", "deskbot_version: latest", 1)
        import_file(base, write(tmp_path, "bad.yml", bad), author="imp", fmt="rasa")


def test_what_the_editor_and_rasa_files_cannot_carry_is_refused_not_changed(
    base: FaqBase, tmp_path: Path
) -> None:
    # A line break in a question was lost in the editor's one-line field and in Rasa's
    # example lists; a "faq/" key came back from a Rasa file without its prefix.
    for record, problem in [
        ({"id": "a", "question": "line one\nline two", "answer": "fine\nover lines"},
         "a: question must be one line"),
        ({"id": "b", "question": "q", "answer": "a", "alternatives": ["y", "x\ry"]},
         "b: alternatives[1] must be one line"),
    ]:  # fmt: skip
        with pytest.raises(InvalidEntryError, match=re.escape(problem)):
            import_file(base, write(tmp_path, "bad.json", json.dumps([record])), author="imp")
    assert base.current_revision() == 0
    # A tag's trailing line break is trimmed, as its spaces are.
    tags = [{"id": "c", "question": "q", "answer": "a", "tags": ["t\n"]}]
    assert import_file(base, write(tmp_path, "t.json", json.dumps(tags)), author="i").created
    # An entry saved before the rule still exports and imports back unchanged; an edit of
    # another field leaves it be, and only a new line break is refused.
    from sqlalchemy import update

    from knowledge.tables import faq_entries

    with base.engine.begin() as conn:
        conn.execute(update(faq_entries).values(question="old\nstyle"))
    legacy = tmp_path / "legacy.json"
    export_file(base, legacy)
    assert import_file(base, legacy, author="imp").unchanged == ("c",)
    edited = base.update(base.get_by_key("c").id, expected_version=1, author="t", answer="b")
    assert edited.question == "old\nstyle"
    base.upsert_many([FaqDraft("faq/nested", "Nested?", "Yes.")], author="imp")
    out = tmp_path / "faq.yml"
    export_file(base, out, fmt="rasa")
    assert "intent: faq/faq/nested" in out.read_text()
    assert import_file(base, out, author="imp", fmt="rasa").unchanged == ("faq/nested",)
    # A key with a space is refused when saved (it named no Rasa intent, and a key is never
    # renamed); one saved before that rule still gets the exporter's reason.
    with pytest.raises(InvalidEntryError, match=r"'bad key' has a space; .* as 'bad_key'"):
        base.upsert_many([FaqDraft("bad key", "Spaced?", "Yes.")], author="imp")
    base.upsert_many([FaqDraft("bad_key", "Spaced?", "Yes.")], author="imp")
    with base.engine.begin() as conn:
        spaced = faq_entries.c.external_key == "bad_key"
        conn.execute(update(faq_entries).where(spaced).values(external_key="bad key"))
    with pytest.raises(KnowledgeError, match="the key 'bad key' cannot name a Rasa intent"):
        export_file(base, out, fmt="rasa")
    # ... and its own export imports back: only a new key is refused for its space
    legacy_file = tmp_path / "legacy-key.json"
    export_file(base, legacy_file)
    assert "bad key" in import_file(base, legacy_file, author="imp").unchanged
    # A file's new spaced keys are refused all at once, each by its row (the first alone
    # was, as "external_key ..." with neither the file nor the row), the old one let be.
    spaced_csv = write(tmp_path, "spaced.csv",
                       "id,question,answer\nbad key,Q?,A\nnew key,Q2?,A\nfine,Q3?,A\n"
                       "two  words,Q4?,A\n")  # fmt: skip
    with pytest.raises(ImportValidationError) as refused:
        import_file(base, spaced_csv, author="imp")
    assert str(refused.value) == (
        f"{spaced_csv}: 2 invalid row(s), nothing imported: line 3, id: 'new key' has a space; "
        "write it with _ or - instead, as 'new_key'; line 5, id: 'two  words' has a space; "
        "write it with _ or - instead, as 'two_words'"
    )
    assert base.get_by_key("bad key").answer == "Yes."
    assert "fine" not in {e.external_key for e in base.list(include_deleted=True)}
    again = base.upsert_many([FaqDraft("bad key", "Spaced?", "Still yes.")], author="imp")
    assert again.updated == ("bad key",)
    base.delete(base.get_by_key("bad key").id, author="imp")
    base.upsert_many([FaqDraft("price", "What is [the price](price)?", "10.")], author="imp")
    with pytest.raises(KnowledgeError, match=r"price: Rasa would read '\[the price\]\(price\)'"):
        export_file(base, out, fmt="rasa")


def test_a_plain_yaml_export_mentioning_rasa_keys_reads_back_as_plain_yaml(
    base: FaqBase, tmp_path: Path
) -> None:
    base.upsert_many(
        [FaqDraft("cfg", "What goes in config?", "Write nlu: and responses: at the top.")],
        author="imp",
    )
    out = tmp_path / "faq.yml"
    export_file(base, out)
    assert import_file(base, out, author="imp").unchanged == ("cfg",)


def test_an_edit_drops_an_alternative_equal_to_the_question_as_an_import_does(
    base: FaqBase, tmp_path: Path
) -> None:
    entry = base.create(FaqDraft("ws", "Whitespace key?", "a"), author="t")
    edited = base.update(
        entry.id, expected_version=1, author="t", alternatives=["Whitespace key?", "Other"]
    )
    assert edited.alternatives == ("Other",)
    edited = base.update(edited.id, expected_version=2, author="t", question="Other")
    assert edited.alternatives == ()
    out = tmp_path / "ws.json"
    export_file(base, out)
    assert import_file(base, out, author="imp").unchanged == ("ws",)


def test_hand_written_files_are_read_as_written(base: FaqBase, tmp_path: Path) -> None:
    yaml_text = "".join(
        f"- id: {key}\n  question: Which {n}\n  answer: It.\n{extra}"
        for n, (key, extra) in enumerate(
            [("007", ""), ("on", ""), ("1_000", ""), ("12", "  active: no\n")]
        )
    )
    drafts = read_file(write(tmp_path, "hand.yaml", yaml_text))
    assert [(d.external_key, d.active) for d in drafts] == [
        ("007", True), ("on", True), ("1_000", True), ("12", False)
    ]  # fmt: skip
    for name, text, problem in [
        ("twice.yaml", "- id: a\n  question: q\n  answer: one\n  answer: two\n",
         "the key 'answer' appears twice in one entry on line 4"),
        ("twice.json", '[{"id": "a", "question": "q", "answer": "one", "answer": "two"}]',
         "not JSON: the key 'answer' appears twice in one object"),
        ("empty.json", " \n", "the file is empty"),
        ("listkey.yaml", "- {id: a, question: q, answer: x, [1]: 2}\n",
         "found a key that is a list or mapping on line 1"),
        ("empty.yaml", "\n", "the file is empty"),
    ]:  # fmt: skip
        with pytest.raises(ImportValidationError, match=re.escape(problem)):
            import_file(base, write(tmp_path, name, text), author="imp")
    assert base.current_revision() == 0
    # YAML's merge keys are YAML as staff may write it: what an entry says wins.
    merged = "- &base {id: a, question: Q, answer: A.}\n- <<: *base\n  id: b\n"
    assert [d.external_key for d in read_file(write(tmp_path, "merge.yaml", merged))] == ["a", "b"]
    # A Rasa project folder whose FAQ is a deskbot file beside it said "0 entries".
    project = tmp_path / "project"
    write(project, "domain.yml", "version: '3.1'\nintents: [greet]\n")
    write(project, "faq/shop.yml", "- {id: a, question: q, answer: a}\n")
    with pytest.raises(KnowledgeError, match=r"no retrieval intents \(faq/...\) in its Rasa "
                       r"files; faq/shop.yml holds a list, as a FAQ file does"):  # fmt: skip
        import_file(base, project, author="imp")


def test_a_rasa_import_says_what_the_entries_leave_out(base: FaqBase, tmp_path: Path) -> None:
    # Other variants, conditions and responses without examples were dropped without a word.
    project = tmp_path / "proj"
    write(project, "data/nlu.yml", RASA_NLU)
    write(project, "domain.yml", RASA_DOMAIN.replace(
        "  - text: We are open 9-5.\n",
        "  - text: We are open 9-5.\n    channel: web\n  - text: Open 9 to 5.\n",
    ) + "  utter_faq/ask_parking:\n  - text: Free parking.\n")  # fmt: skip
    write(project, "data/responses.yml", "responses:\n  utter_faq/ask_refund:\n  - text: 3 days.\n")
    result = import_file(base, project, author="imp")
    assert result.created == ("ask_hours", "ask_refund")
    assert base.get_by_key("ask_refund").answer == "Refunds take 5 days."
    assert result.notes == (
        "utter_faq/ask_refund is in data/responses.yml and domain.yml; domain.yml's is used",
        "utter_faq/ask_hours has 2 variants; the first is the answer",
        "utter_faq/ask_hours: only the text and buttons are imported, not channel",
        "utter_faq/ask_parking has no faq/ask_parking examples, so it is not imported",
    )


def test_a_csv_list_cell_that_looks_like_several_items_gets_a_note(base: FaqBase) -> None:
    # "shipping, returns" became the one tag "shipping, returns", silently.
    data = (
        b"id,question,answer,alternatives,tags\n"
        b'a,Q1?,A1.,"How much?; Is it free?","shipping, returns"\n'
        b'b,Q2?,A2.,"If I order now, when does it arrive?",shipping|returns\n'
        b'c,Q3?,A3.,"[""x; y""]",faq\n'
    )
    result = import_data(base, data, fmt="csv", author="imp", source="faq.csv")
    assert base.get_by_key("a").tags == ("shipping, returns",)  # imported as written
    assert base.get_by_key("b").tags == ("shipping", "returns")
    assert [n for n in result.notes if n.startswith("line")] == [
        "line 2: alternatives 'How much?; Is it free?' is read as one phrasing; "
        "separate several with |",
        "line 2: tags 'shipping, returns' is read as one tag; separate several with |",
    ]


def test_a_new_entry_answered_as_one_the_file_leaves_out_is_noted(
    base: FaqBase, tmp_path: Path
) -> None:
    # Rows without ids are keyed by their questions: a typo fixed in a question and the
    # file imported again made a second entry beside the first, without a word.
    rows = [
        {"question": "Whre is my order?", "answer": "Under My account > Orders."},
        {"question": "When are you open?", "answer": "9-5"},
    ]
    path = write(tmp_path, "faq.json", json.dumps(rows))
    assert import_file(base, path, author="imp").notes == ()
    rows[0] = {**rows[0], "question": "Where is my order?"}
    path.write_text(json.dumps(rows))
    again = import_file(base, path, author="imp")
    (old,) = [e.external_key for e in base.list() if e.question == "Whre is my order?"]
    (new,) = again.created
    assert again.notes == (
        f"{new}: a new entry with the same answer as {old}, which the file does not name; "
        f"if the row is {old} changed, give it the id {old} (and delete {new})",
    )
    # An entry the file names, or a new one answered as no other, is no such case.
    rows.append({"id": "open_hours", "question": "Opening hours?", "answer": "9-5"})
    path.write_text(json.dumps(rows))
    assert import_file(base, path, author="imp").notes == ()
