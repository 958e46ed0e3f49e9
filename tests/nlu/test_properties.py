"""Property tests: YAML round trips and token <-> character offset alignment."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlu import EntitySpan, Example, TrainingData, load_training_data
from nlu.encoder import load_tokenizer, resolve_model_path
from nlu.features import decode_spans, tag_ids, token_offsets, tokenize
from nlu.network import EntityType, Labels

ALPHABET = st.characters(
    codec="utf-8", categories=("L", "N", "P", "S", "Zs", "Cc", "So"), exclude_characters="\x00"
)
NAME = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz_/"), min_size=1, max_size=8).filter(
    lambda s: not s.startswith("/")
)


@st.composite
def examples(draw: st.DrawFn) -> Example:
    pieces = draw(st.lists(st.text(ALPHABET, min_size=1, max_size=8), min_size=1, max_size=5))
    text, spans = "", []
    for piece in pieces:
        if draw(st.booleans()):
            start = len(text)
            text += piece
            value = draw(st.one_of(st.just(piece), st.text(ALPHABET, min_size=1, max_size=6)))
            role = draw(st.one_of(st.none(), NAME))
            spans.append(EntitySpan(start, len(text), draw(NAME), value, role, None))
        else:
            text += piece
        text += draw(st.sampled_from(["", " ", "  ", "\n"]))
    if not text.strip():
        text = "x" + text
    metadata = draw(st.one_of(st.none(), st.dictionaries(NAME, st.integers(), max_size=2)))
    return Example(text, draw(NAME), tuple(spans), metadata)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(examples(), min_size=1, max_size=6),
    st.dictionaries(
        NAME,
        st.lists(st.text(ALPHABET, min_size=1, max_size=6), min_size=1, max_size=3, unique=True),
        max_size=2,
    ),
)
def test_rasa_yaml_round_trip_is_lossless(
    items: list[Example], table: dict[str, list[str]]
) -> None:
    # Examples of one intent are written together, so group them as a reader would return them.
    order = list(dict.fromkeys(e.intent for e in items))
    grouped = [e for name in order for e in items if e.intent == name]
    data = TrainingData(examples=tuple(grouped), synonyms=table, lookups=table)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nlu.yml"
        path.write_text(data.to_rasa_yaml(), encoding="utf-8")
        again = load_training_data(path)
    assert again.examples == data.examples
    assert [e.metadata for e in again.examples] == [e.metadata for e in data.examples]
    assert again.synonyms == data.synonyms and again.lookups == data.lookups
    assert again.to_rasa_yaml() == data.to_rasa_yaml()


_TOKENIZER = load_tokenizer(resolve_model_path(None))
WORD = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "P", "So", "Sm")), min_size=1, max_size=7
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(WORD, st.sampled_from([None, "a", "b"])), min_size=1, max_size=8))
def test_tags_decode_back_to_the_same_character_spans(words: list[tuple[str, str | None]]) -> None:
    """Whatever the casing, accents, punctuation or emoji: spans survive tokenisation."""
    text, spans = "", []
    previous: str | None = None
    for word, entity in words:
        if text:
            text += " "
        start = len(text)
        text += word
        if entity is not None:
            if previous == entity and spans:  # adjacent words of one type form one span
                spans[-1] = EntitySpan(spans[-1].start, len(text), entity, "")
            else:
                spans.append(EntitySpan(start, len(text), entity, ""))
        previous = entity
    labels = Labels.build(["x"], [EntityType("a"), EntityType("b")])
    offsets = token_offsets(tokenize(_TOKENIZER, [text], max_length=512), 0)
    index = {t: i for i, t in enumerate(labels.tags)}
    ids = tag_ids(offsets, spans, index)
    probs = torch.zeros(len(ids), len(labels.tags))
    for row, tag in enumerate(ids):
        probs[row, max(tag, 0)] = 1.0
    # A span is recoverable only if a token overlaps it (the tokenizer may drop characters).
    visible = [s for s in spans if any(a < s.end and b > s.start for a, b in offsets if a != b)]
    got = decode_spans(text, offsets, probs, labels.tags)
    assert [(s.start, s.end, s.etype.entity) for s in got] == [
        (s.start, s.end, s.entity) for s in visible
    ]
    for span in got:
        assert text[span.start : span.end] == text[span.start : span.end].strip()
