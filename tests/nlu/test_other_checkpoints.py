"""A checkpoint that is not BERT, given by configuration: a tiny random MPNet (the architecture
of all-mpnet-base-v2) with RoBERTa-style positions, ``<pad>`` at id 1, no token type ids, and
a tokenizer that states no length. Built here, so no download is needed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from nlu import NluModel, TrainingData, train
from nlu.encoder import SentenceEncoder
from tests.nlu.conftest import TOY_CONFIG

POSITIONS = 34  # RoBERTa-style: two of them unused, so 32 tokens fit
WORDS = (
    "hello", "hi", "there", "good", "morning", "bye", "see", "you", "later", "i", "want",
    "order", "a", "large", "small", "pizza", "with", "olives", "ham", "mushrooms", "what's",
    "the", "weather", "in", "berlin", "paris", "is", "it", "raining", "tell", "me", "joke"
)  # fmt: skip


@pytest.fixture(scope="module")
def mpnet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import MPNetConfig, MPNetModel, MPNetTokenizer

    specials = ["<s>", "<pad>", "</s>", "[UNK]", "<mask>"]
    vocab = {t: i for i, t in enumerate([*specials, *"',.?!", *WORDS])}
    tokenizer = MPNetTokenizer(vocab=vocab)
    assert tokenizer.model_max_length > 10**6  # states no length: the positions decide
    torch.manual_seed(0)
    config = MPNetConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=POSITIONS, pad_token_id=1,
    )  # fmt: skip
    out = tmp_path_factory.mktemp("checkpoints") / "tiny-mpnet"
    MPNetModel(config).save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out


def test_sentence_embeddings_from_an_mpnet_checkpoint(mpnet_dir: Path) -> None:
    encoder = SentenceEncoder(mpnet_dir, device="cpu", threads=1)
    long = "hello there " * 40  # 80 words: more than the encoder has positions for
    alone, padded, cut = encoder.encode(["hello there", "i want a large pizza with ham", long])
    assert encoder.dimension == 32 and encoder.name.startswith("tiny-mpnet-")
    assert abs(np.linalg.norm([alone, padded, cut], axis=1) - 1).max() < 1e-5
    # padded beside a longer text, a text keeps its vector: <pad> is id 1, where MPNet
    # numbers positions from
    assert abs(encoder.encode(["hello there"])[0] - alone).max() < 1e-5
    # a text longer than the positions is cut to the 30 words that fit between <s> and </s>
    assert abs(encoder.encode(["hello there " * 15])[0] - cut).max() < 1e-5


def test_an_nlu_model_trains_on_an_mpnet_checkpoint_and_reads_long_messages(
    mpnet_dir: Path, toy_data: TrainingData, tmp_path: Path
) -> None:
    config = replace(TOY_CONFIG, base_model=str(mpnet_dir), max_steps=3)
    trained = train(toy_data, config, tmp_path / "model", dev=toy_data)
    model = NluModel.load(trained, device="cpu", threads=1, precision="fp32")
    assert type(model.network.encoder).__name__ == "MPNetModel"
    assert model.max_length == POSITIONS - 2
    intents = set(toy_data.intents)
    short = model.parse("order a large pizza with olives")
    assert short.intent.name in intents | {"nlu_fallback"}
    assert len(short.intent_ranking) >= 2
    # read up to its positions: 64 words no longer fail with an IndexError
    long = model.parse("what's the weather in berlin " * 13)
    assert long.intent.name in intents | {"nlu_fallback"}
    assert all(0 <= e.start < e.end <= len(long.text) for e in long.entities)
