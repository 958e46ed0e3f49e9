"""Reading training data: real files from /work/shared/data and the edge cases of the format."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import pytest

from nlu import (
    EntitySpan,
    NluError,
    TrainingData,
    TrainingDataError,
    load_training_data,
    with_builtin_entities,
    write_rasa_yaml,
)
from nlu.extractors import RuleExtractors, refresh_extractors
from nlu.readers import bio_to_spans
from nlu.result import Entity

SHARED = Path("/work/shared/data")
HELPDESK = SHARED / "rasa-projects" / "helpdesk-assistant" / "data"
SNIPS = SHARED / "snips"
BANKING = SHARED / "banking77" / "dev_split"


def write(tmp_path: Path, text: str, name: str = "nlu.yml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def one(tmp_path: Path, line: str) -> tuple[str, tuple[EntitySpan, ...]]:
    path = write(tmp_path, f"nlu:\n- intent: x\n  examples: |\n    - {line}\n")
    example = load_training_data(path).examples[0]
    return example.text, example.entities


# --- real files -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(HELPDESK.glob("*.yml")), ids=lambda p: p.name)
def test_every_helpdesk_file_loads_or_is_reported_as_empty(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if "\nnlu:" in "\n" + text:
        data = load_training_data(path)
        assert len(data.examples) > 100
        for example in data.examples:
            for span in example.entities:
                assert 0 <= span.start < span.end <= len(example.text)
                assert "[" not in example.text[span.start : span.end]
    else:
        with pytest.raises(TrainingDataError, match="no training examples"):
            load_training_data(path)


def test_helpdesk_folder_reads_intents_entities_and_synonyms() -> None:
    data = load_training_data(HELPDESK)
    assert "open_incident" in data.intents and "out_of_scope" in data.intents
    assert data.synonyms["high"][:2] == ("urgent", "really important")
    urgent = next(e for e in data.examples if e.text == "open an urgent issue")
    (span,) = urgent.entities
    assert urgent.text[span.start : span.end] == "urgent"
    assert (span.entity, span.value) == ("priority", "high")
    low = next(e for e in data.examples if e.text.startswith("I want to open an incident, but"))
    assert [low.text[s.start : s.end] for s in low.entities] == ["low"]


def test_snips_bio_folder_gives_spans_matching_the_tags() -> None:
    data = load_training_data(SNIPS / "valid")
    lines = (SNIPS / "valid" / "seq.out").read_text().splitlines()
    tokens = (SNIPS / "valid" / "seq.in").read_text().splitlines()
    assert len(data.examples) == len(lines) == 700
    assert len(set(data.intents)) == 7
    for example, tags, words in zip(data.examples, lines, tokens, strict=True):
        assert example.text == " ".join(words.split())
        starts = sum(1 for t in tags.split() if t.startswith("B-"))
        assert len(example.entities) >= starts
        for span in example.entities:
            assert example.text[span.start : span.end] == span.value
            assert not span.value.startswith(" ") and not span.value.endswith(" ")


def test_banking77_csv_with_crlf_and_quoted_newlines() -> None:
    path = BANKING / "dev.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    data = load_training_data(path)
    assert [(e.text, e.intent) for e in data.examples] == [(r["text"], r["category"]) for r in rows]
    full = load_training_data(BANKING / "train_minus_dev.csv")
    assert len(full.examples) == 9000 and len(full.intents) == 77
    assert any("\n" in e.text for e in full.examples)
    assert not any(e.text.endswith("\r") for e in full.examples)


def test_several_paths_merge(tmp_path: Path) -> None:
    a = write(tmp_path, "nlu:\n- intent: a\n  examples: |\n    - one\n", "a.yml")
    b = write(tmp_path, "text,label\ntwo,b\n", "b.csv")
    data = load_training_data(a, b)
    assert [(e.text, e.intent) for e in data.examples] == [("one", "a"), ("two", "b")]


# --- markup edge cases -------------------------------------------------------------------------


def test_entity_at_start_and_end(tmp_path: Path) -> None:
    text, spans = one(tmp_path, "[Paris](city) to [Berlin](city)")
    assert text == "Paris to Berlin"
    assert [(s.start, s.end, s.value) for s in spans] == [(0, 5, "Paris"), (9, 15, "Berlin")]


def test_synonym_value_and_json_annotation_with_role_and_group(tmp_path: Path) -> None:
    text, spans = one(
        tmp_path,
        'fly from [NYC](city:New York) to [LA]{"entity": "city", "role": "to", "group": "2",'
        ' "value": "Los Angeles"}',
    )
    assert text == "fly from NYC to LA"
    assert spans[0] == EntitySpan(9, 12, "city", "New York")
    assert spans[1] == EntitySpan(16, 18, "city", "Los Angeles", role="to", group="2")


def test_nested_and_unannotated_brackets_stay_text(tmp_path: Path) -> None:
    text, spans = one(tmp_path, "order [the [new] one](product) and [this] (too)")
    assert text == "order the [new] one and [this] (too)"
    (span,) = spans
    assert text[span.start : span.end] == "the [new] one"


def test_escaped_brackets_are_literal(tmp_path: Path) -> None:
    text, spans = one(tmp_path, r"array\[0\](x) is [a \[b\]](thing) ok \\ done")
    assert text == r"array[0](x) is a [b] ok \ done"
    assert [text[s.start : s.end] for s in spans] == ["a [b]"]


def test_emoji_and_accents_offsets(tmp_path: Path) -> None:
    text, spans = one(tmp_path, "🍕 für [Zoë 😀](person) ✓")
    assert text == "🍕 für Zoë 😀 ✓"
    assert text[spans[0].start : spans[0].end] == "Zoë 😀"


@pytest.mark.parametrize(
    ("body", "line", "what"),
    [
        ("nlu:\n- intent: a\n  examples: |\n    - ok\n    -\n", 5, "empty example"),
        ("nlu:\n- intent: a\n  examples: |\n    - ok\n    - [x]{bad json}\n", 5, "not valid JSON"),
        ("nlu:\n- intent: a\n  examples: |\n    - ok\n    just text\n", 5, "start with '- '"),
        ("nlu:\n- intent: a\n", 2, "no 'examples:'"),
        ("nlu:\n- intent: a\n  synonym: b\n  examples: |\n    - x\n", 2, "exactly one of"),
        ("nlu:\n- intent: a\n  examples: [\n", 4, "invalid YAML"),
        ("nlu:\n- intent: a\n  examples: |\n    - [x](y\n", 4, "unclosed"),
    ],
)
def test_malformed_yaml_names_file_line_and_problem(
    tmp_path: Path, body: str, line: int, what: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(TrainingDataError) as info:
        load_training_data(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert what in message


def test_csv_and_bio_errors_name_the_line(tmp_path: Path) -> None:
    bad = write(tmp_path, "text,intent\nhello,greet\n,greet\n", "bad.csv")
    with pytest.raises(TrainingDataError, match=r"bad\.csv:3: empty text"):
        load_training_data(bad)
    header = write(tmp_path, "sentence,intent\nhello,greet\n", "header.csv")
    with pytest.raises(TrainingDataError, match=r"header\.csv:1: the header needs 'text'"):
        load_training_data(header)
    folder = tmp_path / "bio"
    folder.mkdir()
    (folder / "seq.in").write_text("a b\nc d e\n")
    (folder / "seq.out").write_text("O O\nO O\n")
    (folder / "label").write_text("x\ny\n")
    with pytest.raises(TrainingDataError, match=r"seq\.out:2: 2 tags for 3 tokens"):
        load_training_data(folder)


def test_missing_path_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="no such file"):
        load_training_data(tmp_path / "nope.yml")
    with pytest.raises(TrainingDataError, match="unknown training data format"):
        load_training_data(write(tmp_path, "{}", "x.json"))


# --- the rest of the Rasa format ---------------------------------------------------------------

FULL = """\
version: "2.0"
# a comment
nlu:
- intent: faq/ask_hours   # retrieval intent
  metadata: {sentiment: neutral}
  examples: |
    - when are you open?
    # a comment between examples
    - what are your opening hours
- intent: inform
  examples:
  - text: my zip is [12345](zipcode)
    metadata: {source: chat}
  - text: "I live in [Berlin](city)"
- lookup: city
  examples: lookups/cities.txt
- lookup: colour
  examples: |
    - red
    - blue
- regex: zipcode
  examples: |
    - \\b\\d{5}\\b
- synonym: Berlin
  examples: |
    - berlin city
rules:
- rule: say hi
  steps:
  - intent: greet
stories: []
responses:
  utter_faq/ask_hours:
  - text: 9 to 5
"""


def test_full_format_file(tmp_path: Path) -> None:
    write(tmp_path, "Berlin\nParis\n\n", "lookups/cities.txt")
    data = load_training_data(write(tmp_path, FULL))
    assert data.intents == ["faq/ask_hours", "inform"]
    assert data.intent_metadata["faq/ask_hours"] == {"sentiment": "neutral"}
    assert [e.text for e in data.examples][:2] == [
        "when are you open?",
        "what are your opening hours",
    ]
    assert data.examples[2].metadata == {"source": "chat"}
    assert data.examples[3].entities[0].entity == "city"
    assert data.lookups == {"city": ("Berlin", "Paris"), "colour": ("red", "blue")}
    assert data.regexes == {"zipcode": (r"\b\d{5}\b",)}
    assert data.synonyms == {"Berlin": ("berlin city",)}
    again = load_training_data(write_rasa_yaml(data, tmp_path / "out" / "again.yml"))
    assert again == data
    assert again.to_rasa_yaml().startswith('version: "3.1"\nnlu:\n')


def test_missing_lookup_file_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "nlu:\n- lookup: city\n  examples: data/lookups/none.txt\n")
    with pytest.raises(
        TrainingDataError, match=r"nlu\.yml:3: lookup file 'data/lookups/none\.txt'"
    ):
        load_training_data(path)


def test_bio_to_spans_handles_stray_inside_tags() -> None:
    text, spans = bio_to_spans(
        ["play", "the", "rolling", "stones", "now"], ["O", "I-artist", "I-artist", "B-artist", "O"]
    )
    assert text == "play the rolling stones now"
    assert [(text[s.start : s.end], s.entity) for s in spans] == [
        ("the rolling", "artist"),
        ("stones", "artist"),
    ]


def test_builtin_entities_are_found_by_pattern_in_what_users_type() -> None:
    # An imported Rasa project's email form (Duckling's email dimension) could only be
    # finished with a button.
    data = with_builtin_entities(TrainingData(), ["email", "url", "phone-number"])
    rules = RuleExtractors.from_training_data(data)
    found = rules.rule_entities(
        "I'm jane.doe+hd@example.co.uk, see https://example.com/a?b=1. or call +44 20 7946 0958",
        [],
    )
    assert [(e.entity, e.value) for e in found] == [
        ("email", "jane.doe+hd@example.co.uk"),
        ("url", "https://example.com/a?b=1"),
        ("phone-number", "+44 20 7946 0958"),
    ]
    assert rules.rule_entities("order NW-12345, ask me @ noon", []) == []
    assert [e.value for e in rules.rule_entities("or (555) 123-4567", [])] == ["(555) 123-4567"]
    assert [e.value for e in rules.rule_entities("call 555.123.4567", [])] == ["555.123.4567"]
    for date in ("2024-01-15", "15.01.2024", "15.01.24", "1.2.2025"):
        assert rules.rule_entities(f"ordered on {date}", []) == [], date
    for dotted in ("06.12.34.56.78", "12.34.56.78", "2024-01-15-1234"):  # not dates
        assert [e.value for e in rules.rule_entities(f"call {dotted}", [])] == [dotted]
    # Long runs a pattern cannot match must fail at once: the phone pattern used to try
    # exponentially many splits of a digit run, holding the worker for minutes.
    for hostile in ("1" * 5000 + "a", "1-" * 3000 + "x", "(1" * 3000 + "x", "a@" * 3000):
        done = threading.Thread(target=rules.rule_entities, args=(hostile, []), daemon=True)
        done.start()
        done.join(timeout=10)
        assert not done.is_alive(), hostile[:12]
    with pytest.raises(NluError, match="unknown built-in entity 'time'"):
        with_builtin_entities(TrainingData(), ["time"])


def test_a_tagged_value_must_have_the_shape_the_projects_regexes_give(tmp_path: Path) -> None:
    # The tagger read "42" of "size 42" as an order number, which the demo's patterns (two
    # letters and five digits, or five digits) say no order number is.
    data = load_training_data(
        write(
            tmp_path,
            "nlu:\n- intent: track\n  examples: |\n"
            "    - where is [NW-48213](order_number)\n    - status of [10472](order_number)\n"
            "    - is [nw-55820](order_number) here\n    - [NW-39164](order_number) please\n"
            "    - order [27530](order_number)\n    - again [NW-48213](order_number)\n"
            "    - my zip is [ab1](zip)\n    - the zips [12345](zip), [23456](zip), [34567](zip)"
            " and [45678](zip)\n"
            "    - the [red](colour) one\n    - [blue](colour), [green](colour), [black](colour)"
            " or [white](colour)\n"
            "    - ticket [T-1](ticket) or [T-2](ticket)\n"
            "- regex: order_number\n  examples: |\n"
            "    - \\b[A-Z]{2}-?\\d{5}\\b\n    - \\b\\d{5}\\b\n"
            "- regex: zip\n  examples: |\n    - \\b\\d{5}\\b\n"
            "- regex: colour\n  examples: |\n    - \\b[a-z]+\\b\n"
            "- lookup: colour\n  examples: |\n    - red\n"
            "- regex: ticket\n  examples: |\n    - \\bT-\\d\\b\n"
            "- regex: email\n  examples: |\n    - \\S+@\\S+\n",
        )
    )
    rules = RuleExtractors.from_training_data(data)
    # Hints, not shapes: zip's regex misses an annotated value; colour has a lookup table;
    # ticket has two values (too few to tell); email has none.
    assert rules.to_json()["strict"] == ["order_number"]

    def tagged(entity: str, value: str) -> Entity:
        return Entity(entity, 0, len(value), value, 0.9, "DeskbotJointBERT")

    assert not rules.shaped(tagged("order_number", "42"))
    assert not rules.shaped(tagged("order_number", "size"))
    for value in (
        "NW-48213",
        "nw-48213",
        "NW-4821",  # one digit short: a slip the action can tell the user of
        "NW-482133",
        "\uff2e\uff37\uff0d\uff14\uff18\uff12\uff11\uff13",
        "10472",
    ):
        assert rules.shaped(tagged("order_number", value)), value
    assert rules.shaped(tagged("zip", "anything")) and rules.shaped(tagged("product", "42"))
    # a model trained before this knows no shapes, and keeps what it tags
    old = RuleExtractors.from_json({k: v for k, v in rules.to_json().items() if k != "strict"})
    assert old.shaped(tagged("order_number", "42"))


def test_a_trained_models_extractors_are_rewritten_from_its_data(tmp_path: Path) -> None:
    # A model trained before shapes existed learns them without being trained again.
    data = load_training_data(
        write(
            tmp_path,
            "nlu:\n- intent: track\n  examples: |\n"
            + "".join(f"    - where is [NW-1000{i}](order_number)\n" for i in range(5))
            + "- regex: order_number\n  examples: |\n    - \\bNW-\\d{5}\\b\n",
        )
    )
    model = tmp_path / "model"
    model.mkdir()
    current = RuleExtractors.from_training_data(data).to_json()
    older = {k: v for k, v in current.items() if k != "strict"}
    (model / "extractors.json").write_text(json.dumps(older), "utf-8")
    assert refresh_extractors(model, data)
    assert json.loads((model / "extractors.json").read_text("utf-8")) == current
    assert current["strict"] == ["order_number"]
    assert not refresh_extractors(model, data)  # up to date: not written again
    assert not refresh_extractors(tmp_path / "none", data)  # no model: training writes one
    assert not (tmp_path / "none").exists()


def test_a_pattern_match_takes_the_place_of_a_tagged_piece_of_it() -> None:
    # The tagger took "NW" of "NW–48213" (an en dash) for the order number; the project's
    # regex, skipped as overlapping, had all of it. A piece of another type gives way too;
    # a wider tagged span, or one the tagger read whole as another type, keeps its entity.
    rules = RuleExtractors.from_json({"regexes": {"order_number": [r"\bNW[-\u2013]?\d{5}\b"]}})
    text = "where is NW\u201348213 please"
    piece = Entity("order_number", 9, 11, "NW", 0.8, "DIETClassifier")
    merged = rules.with_rule_entities(text, [piece])
    assert [(e.value, e.extractor) for e in merged] == [("NW\u201348213", "RegexEntityExtractor")]
    other = Entity("product", 9, 11, "NW", 0.8, "DIETClassifier")
    assert [e.value for e in rules.with_rule_entities(text, [other])] == ["NW\u201348213"]
    whole = Entity("product", 9, 17, "NW\u201348213", 0.8, "DIETClassifier")
    assert rules.with_rule_entities(text, [whole]) == [whole]
    wider = Entity("order_number", 0, 17, "where is NW\u201348213", 0.8, "DIETClassifier")
    assert rules.with_rule_entities(text, [wider]) == [wider]
    # A lookup match of the tagged entity's type keeps its role and group: "from Berlin
    # to Paris" lost its roles (city from / to) to the city lookup, and neither of the
    # slots mapped by role was filled.
    cities = RuleExtractors.from_json({"regexes": {"city": [r"\b(?:Berlin|Paris)\b"]}})
    trip = "fly from Berlin to Paris"
    tagged = [
        Entity("city", 9, 15, "Berlin", 0.9, "DIETClassifier", role="from", group="1"),
        Entity("city", 19, 24, "Paris", 0.9, "DIETClassifier", role="to"),
    ]
    assert [
        (e.value, e.role, e.group, e.extractor) for e in cities.with_rule_entities(trip, tagged)
    ] == [
        ("Berlin", "from", "1", "RegexEntityExtractor"),
        ("Paris", "to", None, "RegexEntityExtractor"),
    ]
    # An email signature: "acme" of the address, tagged as an order number, kept the
    # built-in email pattern from finding the address (and was the order, coming last).
    email = with_builtin_entities(TrainingData(), ["email", "url"])
    signed = "john.smith@acme.example\nwww.acme.example/orders/123"
    tagged = [
        Entity("email", 0, 11, "john.smith@", 0.7, "DIETClassifier"),
        Entity("order_number", 11, 15, "acme", 0.2, "DIETClassifier"),
        Entity("order_number", 28, 32, "acme", 0.3, "DIETClassifier"),
        Entity("order_number", 47, 51, "/123", 0.5, "DIETClassifier"),
    ]
    found = RuleExtractors.from_training_data(email).with_rule_entities(signed, tagged)
    assert [(e.entity, e.value) for e in found] == [
        ("email", "john.smith@acme.example"),
        ("url", "www.acme.example/orders/123"),
    ]
    alone = rules.with_rule_entities("NW-12345 and NW-54321", [])
    assert [e.value for e in alone] == ["NW-12345", "NW-54321"]
    # Rule matches of one type still never overlap one another (first pattern first).
    two = RuleExtractors.from_json(
        {"regexes": {"order_number": [r"\d{5}", r"NW-\d{5}"]}, "lookups": {"product": ["shoes"]}}
    )
    assert [e.value for e in two.with_rule_entities("NW-48213 shoes", [])] == ["48213", "shoes"]


def test_patterns_and_synonyms_read_full_width_forms_as_ascii() -> None:
    # A Japanese or Chinese keyboard types "ＮＷ－４８２１３"; no pattern matched it, and the
    # demo took the order number for a pause in the conversation.
    rules = RuleExtractors.from_json(
        {"regexes": {"order_number": [r"\bNW-?\d{5}\b"]}, "synonyms": {"nyc": "New York"}}
    )
    text = "注文 ＮＷ－４８２１３ は？"
    (found,) = rules.with_rule_entities(text, [])
    assert (found.start, found.end) == (3, 11) and text[
        found.start : found.end
    ] == "ＮＷ－４８２１３"
    assert found.value == "NW-48213"  # what the pattern was written for, for the action
    city = Entity("city", 0, 3, "ＮＹＣ", 0.9, "DIETClassifier")
    assert rules.map_synonym(city).value == "New York"
