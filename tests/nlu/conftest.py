"""Fixtures of the NLU tests: offline, one torch thread, tiny models trained once per session."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from tests.trained_models import trained_once, training_code_digest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
torch.set_num_threads(1)

from nlu import NluModel, TrainConfig, TrainingData, load_training_data, train  # noqa: E402

TOY_YAML = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - hey
    - hello bot
    - hi, nice to meet you
    - good evening
    - hey there friend
    - howdy
    - greetings
- intent: goodbye
  examples: |
    - bye
    - goodbye
    - see you later
    - bye bye
    - see you tomorrow
    - I am leaving now
    - catch you later
    - farewell
    - talk to you soon
    - good night
- intent: order_pizza
  examples: |
    - I want a [large](size) pizza with [mushrooms](topping)
    - order a [small](size) [pepperoni](topping) pizza
    - can I get a [medium](size) pizza
    - a [large](size) one with [olives](topping) please
    - [small](size) pizza with [ham](topping)
    - I'd like to order a pizza with [pineapple](topping)
    - get me a [medium](size) [cheese](topping) pizza
    - one [large](size) pizza please
    - order pizza with [mushrooms](topping) and [olives](topping)
    - [big]{"entity": "size", "value": "large"} pizza with [ham](topping)
- intent: check_weather
  examples: |
    - what's the weather in [Berlin](city)
    - is it raining in [Paris](city)
    - weather forecast for [London](city) please
    - how hot is it in [Madrid](city) today
    - will it snow in [Oslo](city)
    - weather in [nyc](city:New York)
    - tell me the forecast for [Rome](city)
    - is it sunny in [Lisbon](city)
    - [Vienna](city) weather
    - do I need an umbrella in [Dublin](city)
- intent: out_of_scope
  examples: |
    - what is the meaning of life
    - can you fly a plane
    - who won the football match
    - tell me a joke about cats
    - how tall is mount everest
    - what is two plus two
    - sing me a song
    - what's your favourite colour
    - how do I bake bread
    - recommend a good movie
- synonym: New York
  examples: |
    - nyc
    - big apple
- regex: zipcode
  examples: |
    - \\b\\d{5}\\b
- lookup: topping
  examples: |
    - salami
    - anchovies
"""

TOY_CONFIG = TrainConfig(
    epochs=12,
    batch_size=8,
    max_length=16,
    encoder_lr=2e-4,
    head_lr=3e-3,
    threads=1,
    dev_fraction=0.0,
    patience=100,
    progress=False,
    device="cpu",
    seed=7,
)


@pytest.fixture(scope="session")
def toy_yaml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("toy") / "nlu.yml"
    path.write_text(TOY_YAML, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def toy_data(toy_yaml: Path) -> TrainingData:
    return load_training_data(toy_yaml)


@pytest.fixture(scope="session")
def toy_model_dir(toy_data: TrainingData) -> Path:
    """A model trained for a few dozen steps on the toy set (no dev: fixed threshold),
    once for the suite's workers, and again whenever the set or the training code changes."""
    config = replace(TOY_CONFIG, threads=None)
    recipe = hashlib.sha256(f"{TOY_YAML}{config}".encode()).hexdigest()[:16]
    return trained_once(
        f"toy-{recipe}-{training_code_digest()}",
        lambda folder: train(toy_data, config, folder, dev=toy_data),
    )


@pytest.fixture(scope="session")
def toy_model(toy_model_dir: Path) -> Iterator[NluModel]:
    yield NluModel.load(toy_model_dir, device="cpu", threads=1, precision="fp32")
