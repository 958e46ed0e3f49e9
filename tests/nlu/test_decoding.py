"""Constrained BIO decoding: the tagger's spans are always well-formed."""

from __future__ import annotations

import torch

from nlu.features import best_tag_path, decode_spans
from nlu.network import EntityType, Labels

LABELS = Labels.build(["x"], [EntityType("song"), EntityType("playlist")])
TAGS = LABELS.tags  # O, B-song, I-song, B-playlist, I-playlist


def probs(*rows: dict[str, float]) -> torch.Tensor:
    out = torch.full((len(rows), len(TAGS)), 1e-4)
    for i, row in enumerate(rows):
        for tag, p in row.items():
            out[i, TAGS.index(tag)] = p
    return out


def test_an_inside_tag_of_another_type_does_not_split_a_span() -> None:
    # Token by token the second word reads I-playlist; no span can continue that way.
    text = "recalled life"
    offsets = [(0, 0), (0, 8), (9, 13), (0, 0)]
    tag_probs = probs(
        {"O": 1.0},
        {"B-song": 0.9, "O": 0.1},
        {"I-playlist": 0.5, "I-song": 0.4, "O": 0.1},
        {"O": 1.0},
    )
    spans = decode_spans(text, offsets, tag_probs, TAGS)
    assert [(s.start, s.end, s.etype.entity) for s in spans] == [(0, 13, "song")]
    assert 0.4 < spans[0].confidence < 0.9


def test_a_sequence_never_starts_inside_a_span() -> None:
    path = best_tag_path(probs({"I-song": 0.6, "B-song": 0.3, "O": 0.1}), TAGS)
    assert [TAGS[i] for i in path] == ["B-song"]


def test_outside_then_inside_becomes_a_begin_or_outside_by_probability() -> None:
    likely_entity = probs({"O": 0.9, "B-song": 0.05}, {"I-song": 0.7, "B-song": 0.2, "O": 0.1})
    assert [TAGS[i] for i in best_tag_path(likely_entity, TAGS)] == ["O", "B-song"]
    likely_outside = probs({"O": 0.9}, {"I-song": 0.45, "O": 0.4, "B-song": 0.05})
    assert [TAGS[i] for i in best_tag_path(likely_outside, TAGS)] == ["O", "O"]


def test_well_formed_argmax_paths_are_kept() -> None:
    rows = [{"B-song": 0.8}, {"I-song": 0.8}, {"O": 0.8}, {"B-playlist": 0.8}, {"B-song": 0.8}]
    path = best_tag_path(probs(*rows), TAGS)
    assert [TAGS[i] for i in path] == ["B-song", "I-song", "O", "B-playlist", "B-song"]
