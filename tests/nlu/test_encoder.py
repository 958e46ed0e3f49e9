"""Naming of encoder checkpoints: the key that embedding caches are stored under."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_cpu_encoder_stores_weights_input_major_with_the_same_embeddings() -> None:
    import torch

    from nlu.encoder import (
        InputMajorLinear,
        load_encoder_model,
        load_tokenizer,
        mean_pool,
        resolve_model_path,
    )

    texts = ["where is my parcel", "How do I reset my password, please?", "ok"]
    encoder = SentenceEncoder(device="cpu", threads=1)
    packed = encoder.encode(texts)
    model = encoder._model
    assert not any(type(m) is torch.nn.Linear for m in model.modules())
    assert sum(isinstance(m, InputMajorLinear) for m in model.modules()) >= 6 * 6
    path = resolve_model_path(None)
    plain, tokenizer = load_encoder_model(path).eval(), load_tokenizer(path)
    with torch.inference_mode():
        batch = tokenizer(texts, padding=True, return_tensors="pt")
        pooled = mean_pool(plain(**batch).last_hidden_state, batch["attention_mask"])
        reference = torch.nn.functional.normalize(pooled, dim=-1).numpy()
    assert abs(packed - reference).max() < 1e-5
    assert abs((packed * reference).sum(axis=1) - 1).max() < 1e-6


def test_control_characters_and_zero_width_spaces_separate_words() -> None:
    # The tokenizer alone deletes them and reads "hi\x00there" as the one word "hithere".
    from nlu.encoder import load_tokenizer, resolve_model_path
    from nlu.features import token_offsets, tokenize

    encoder = SentenceEncoder(device="cpu", threads=1)
    glued, spaced, nul, zwsp, tab = encoder.encode(
        ["hithere", "hi there", "hi\x00there", "hi\u200bthere", "hi\tthere"]
    )
    for vector in (nul, zwsp, tab):
        assert abs(vector - spaced).max() < 1e-5
    assert abs(glued - spaced).max() > 0.05

    text = "track\x00NW-48213\u200bplease"
    batch = tokenize(load_tokenizer(resolve_model_path(None)), [text], 32)
    pieces = [text[a:b] for a, b in token_offsets(batch, 0) if b > a]
    assert pieces[0] == "track" and pieces[-1] == "please"  # offsets index the original text
    assert "\x00" not in "".join(pieces) and "\u200b" not in "".join(pieces)


def test_a_query_waits_for_one_batch_of_a_long_encode_not_for_all_of_it() -> None:
    # An FAQ import encodes thousands of phrasings; a chat message's query encoded meanwhile
    # must run after the batch in progress, not after the import's last one.
    import threading
    import time
    from typing import Any

    encoder = SentenceEncoder(device="cpu", threads=1, batch_size=2)
    encoder.warm_up()
    model = encoder._model
    order: list[int] = []
    first_running, release = threading.Event(), threading.Event()

    class Gated:
        def __call__(self, **batch: Any) -> Any:
            order.append(int(batch["input_ids"].shape[0]))
            if len(order) == 1:
                first_running.set()
                assert release.wait(30)
            return model(**batch)

    encoder._model = Gated()
    long_texts = [f"phrasing number {n}" for n in range(6)]  # three batches of two
    results: dict[str, Any] = {}
    bulk = threading.Thread(target=lambda: results.update(bulk=encoder.encode(long_texts)))
    query = threading.Thread(target=lambda: results.update(query=encoder.encode(["hello"])))
    bulk.start()
    assert first_running.wait(30)
    query.start()
    deadline = time.monotonic() + 30
    while encoder._turns.short_waiting == 0:  # the query is waiting for the model
        assert time.monotonic() < deadline
        time.sleep(0.01)
    release.set()
    bulk.join(30)
    query.join(30)
    assert order == [2, 1, 2, 2]  # the query's batch of one right after the first batch
    assert results["bulk"].shape == (6, 384) and results["query"].shape == (1, 384)
    encoder._model = model
    reference = encoder.encode(long_texts)
    assert abs(results["bulk"] - reference).max() < 1e-5


def test_emoji_are_read_by_name_in_sentence_embeddings(tmp_path: Path) -> None:
    # Both were one [UNK] to the FAQ's encoder, so every emoji had the same vector.
    from knowledge import EmbeddingCache

    encoder = SentenceEncoder(device="cpu", threads=1)
    parcel, cake, package, birthday = encoder.encode(["📦", "🎂", "package", "birthday cake"])
    assert float(parcel @ cake) < 0.9
    assert float(parcel @ package) > float(parcel @ birthday)
    assert float(cake @ birthday) > float(cake @ package)
    assert "package" in encoder.reads("my 📦 is late") and encoder.reads("ok\tthen") == "ok then"

    cache = EmbeddingCache(encoder, tmp_path)
    written, read = cache.embed(["👍", encoder.reads("👍")])
    assert cache.encoded == 1  # keyed as read: the emoji and its name are one text
    assert abs(written - read).max() < 1e-6
    cache.close()


def test_models_load_in_several_threads_at_once() -> None:
    # The server loads the FAQ encoder in the retriever's thread while the NLU model loads
    # in another; transformers' lazy imports failed ("cannot import name 'AutoTokenizer'")
    # and the server did not start. Import state is per process: a fresh one shows it.
    script = """
import threading
from nlu.encoder import load_encoder_model, load_tokenizer, resolve_model_path

path = resolve_model_path(None)
errors = []
def run(*steps):
    try:
        for step in steps:
            step(path)
    except Exception as error:
        errors.append(repr(error))
jobs = [(load_tokenizer, load_encoder_model), (load_encoder_model,), (load_tokenizer,)]
threads = [threading.Thread(target=run, args=job) for job in jobs]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors or "loaded")
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "loaded", done.stdout
