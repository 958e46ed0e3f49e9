"""Naming of encoder checkpoints: the key that embedding caches are stored under."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.encoder import DEFAULT_ENCODER, SentenceEncoder
from nlu.errors import NluError


def fake_checkpoint(folder: Path, weights: bytes) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "bert"}')
    (folder / "model.safetensors").write_bytes(weights)
    return folder


def test_the_packaged_encoder_keeps_its_published_name() -> None:
    assert SentenceEncoder().name == DEFAULT_ENCODER
    assert SentenceEncoder("all-MiniLM-L6-v2").name == DEFAULT_ENCODER


def test_two_folders_named_model_never_share_a_cache_key(tmp_path: Path) -> None:
    first = SentenceEncoder(fake_checkpoint(tmp_path / "a" / "model", b"weights one"))
    second = SentenceEncoder(fake_checkpoint(tmp_path / "b" / "model", b"weights two"))
    same = SentenceEncoder(fake_checkpoint(tmp_path / "c" / "model", b"weights one"))
    assert first.name != second.name
    assert first.name != DEFAULT_ENCODER and first.name.startswith("model-")
    assert first.name == same.name


def test_retraining_in_place_changes_the_key(tmp_path: Path) -> None:
    folder = fake_checkpoint(tmp_path / "enc", b"before")
    before = SentenceEncoder(folder).name
    (folder / "model.safetensors").write_bytes(b"after")
    assert SentenceEncoder(folder).name != before


def test_a_folder_without_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NluError, match=r"config\.json"):
        SentenceEncoder(tmp_path)
