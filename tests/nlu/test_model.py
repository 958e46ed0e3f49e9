"""A real tiny training run, and what the trained model does at inference."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from nlu import (
    FALLBACK_INTENT,
    Example,
    NluError,
    NluModel,
    TrainConfig,
    TrainingData,
    evaluate,
    load_training_data,
    train,
)
from nlu import training as nlu_training
from nlu.training import collapse_retrieval_intents, split_dev
from tests.nlu.conftest import TOY_CONFIG

pytestmark = pytest.mark.slow

HELD_OUT = {
    "greet": ["hello there", "hi bot"],
    "goodbye": ["bye for now", "see you soon"],
    "order_pizza": ["I want a small pizza with olives", "order a large ham pizza"],
    "check_weather": ["what's the weather in Paris", "is it raining in Berlin"],
}


def test_training_learns_far_above_chance(toy_model: NluModel, toy_data: TrainingData) -> None:
    report = evaluate(toy_model, toy_data)
    assert report["intent"]["accuracy"] >= 0.9  # chance is 0.2 with five intents
    assert report["entities"]["f1"] >= 0.8
    texts = [t for ts in HELD_OUT.values() for t in ts]
    gold = [i for i, ts in HELD_OUT.items() for _ in ts]
    raw_top = [p.intent_ranking[0].name for p in toy_model.parse_batch(texts)]
    assert sum(g == p for g, p in zip(gold, raw_top, strict=True)) >= 6


def test_model_directory_is_self_describing(toy_model_dir: Path, toy_data: TrainingData) -> None:
    names = {p.name for p in toy_model_dir.iterdir()}
    assert {"model.safetensors", "config.json", "labels.json", "training.json"} <= names
    assert {"extractors.json", "tokenizer.json"} <= names
    labels = json.loads((toy_model_dir / "labels.json").read_text())
    assert labels["intents"] == sorted(toy_data.intents)
    assert {"O", "B-size", "I-size", "B-topping", "B-city"} <= set(labels["entity_tags"])
    meta = json.loads((toy_model_dir / "training.json").read_text())
    assert meta["data_hash"] == toy_data.fingerprint()
    assert meta["config"]["max_length"] == 16 and meta["config"]["seed"] == 7
    assert meta["config"]["intent_head"] == "cosine"  # the default
    assert 0.0 <= meta["fallback_threshold"] < 1.0
    assert meta["dev_metrics"]["intent_accuracy"] > 0.8
    assert {"torch", "transformers", "tokenizers", "python"} <= set(meta["versions"])
    assert meta["created"].endswith("+00:00")


def test_parse_json_shape_and_entities(toy_model: NluModel) -> None:
    result = toy_model.parse("I want a large pizza with mushrooms")
    out = result.to_dict()
    assert list(out) == ["text", "intent", "intent_ranking", "entities"]
    assert out["intent"]["name"] == "order_pizza"
    assert len(out["intent_ranking"]) == 5
    confidences = [r["confidence"] for r in out["intent_ranking"]]
    assert confidences == sorted(confidences, reverse=True)
    assert abs(sum(confidences) - 1.0) < 1e-4
    got = {(e["entity"], e["value"]) for e in out["entities"]}
    assert ("size", "large") in got and ("topping", "mushrooms") in got
    for entity in out["entities"]:
        assert out["text"][entity["start"] : entity["end"]] == entity["value"]
        assert set(entity) >= {"entity", "start", "end", "value", "confidence_entity", "extractor"}


def test_offsets_index_the_original_text(toy_model: NluModel) -> None:
    text = "  🍕 Order a LARGE pizza with Mushrooms!!  "
    result = toy_model.parse(text)
    assert result.text == text
    spans = {text[e.start : e.end] for e in result.entities}
    assert "LARGE" in spans and "Mushrooms" in spans


def test_control_characters_and_zero_width_spaces_separate_words(toy_model: NluModel) -> None:
    # The tokenizer alone deletes them, gluing "in" and "nyc" into one unknown word.
    spaced = toy_model.parse("weather in nyc").to_dict()
    for glue in ("\x00", "\u200b", "\x01"):
        text = f"weather in{glue}nyc"
        parsed = toy_model.parse(text).to_dict()
        assert parsed["intent_ranking"] == spaced["intent_ranking"], repr(glue)
        cities = [e for e in parsed["entities"] if e["entity"] == "city"]
        assert [text[e["start"] : e["end"]] for e in cities] == ["nyc"], repr(glue)


def test_synonyms_regex_and_lookup(toy_model: NluModel) -> None:
    nyc = toy_model.parse("weather in nyc")
    city = [e for e in nyc.entities if e.entity == "city"]
    assert city and city[0].value == "New York" and city[0].processors == ("EntitySynonymMapper",)
    big = toy_model.parse("big pizza with ham please").to_dict()
    size = [e for e in big["entities"] if e["entity"] == "size"]
    assert size and size[0]["value"] == "large" and size[0]["processors"] == ["EntitySynonymMapper"]
    zipped = toy_model.parse("deliver to 10115 please").to_dict()
    regex = [e for e in zipped["entities"] if e["entity"] == "zipcode"]
    assert regex == [
        {
            "entity": "zipcode",
            "start": 11,
            "end": 16,
            "value": "10115",
            "confidence_entity": 1.0,
            "extractor": "RegexEntityExtractor",
        }
    ]
    lookup = toy_model.parse("a pizza with ANCHOVIES").to_dict()["entities"]
    topping = [e for e in lookup if e["entity"] == "topping"]
    assert len(topping) == 1 and topping[0]["value"] in ("ANCHOVIES", "anchovies")


def test_a_tagged_value_without_its_types_shape_is_dropped(toy_model: NluModel) -> None:
    # As if the project's regexes gave sizes a shape (a model trained with such data keeps
    # it in extractors.json): a tagged size none of them matches is not kept.
    import re
    from dataclasses import replace

    rules = toy_model.rules
    tagged = toy_model.parse("order a small pepperoni pizza").entities
    assert "size" in {e.entity for e in tagged}
    try:
        toy_model.rules = replace(rules, shapes={"size": (re.compile("^large$"),)})
        kept = toy_model.parse("order a small pepperoni pizza").entities
        assert "size" not in {e.entity for e in kept}
        assert {e.entity for e in kept} == {e.entity for e in tagged} - {"size"}
    finally:
        toy_model.rules = rules


def test_parse_batch_matches_parse_in_order(toy_model: NluModel) -> None:
    texts = ["bye", "order a small pizza", "hello", "weather in Rome", "bye bye"] * 3
    batch = toy_model.parse_batch(texts)
    assert [r.text for r in batch] == texts
    for text, result in zip(texts, batch, strict=True):
        single = toy_model.parse(text)
        assert single.intent.name == result.intent.name
        assert abs(single.intent.confidence - result.intent.confidence) < 1e-4
    assert toy_model.parse_batch([]) == []


def test_save_load_gives_identical_outputs(toy_model_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(toy_model_dir, tmp_path / "copy"))
    a = NluModel.load(toy_model_dir, device="cpu", threads=1, precision="fp32")
    b = NluModel.load(copy, device="cpu", threads=1, precision="fp32")
    texts = ["hello", "order a large pizza with olives", "is it sunny in Oslo", "what is love"]
    assert [r.to_dict() for r in a.parse_batch(texts)] == [
        r.to_dict() for r in b.parse_batch(texts)
    ]


def test_cpu_fp32_inference_uses_input_major_weights_with_the_same_outputs(
    toy_model_dir: Path,
) -> None:
    from nlu.encoder import InputMajorLinear
    from nlu.network import JointModel, Labels

    model = NluModel.load(toy_model_dir, device="cpu", threads=1, precision="fp32")
    assert not any(type(m) is torch.nn.Linear for m in model.network.encoder.modules())
    assert any(isinstance(m, InputMajorLinear) for m in model.network.encoder.modules())
    labels = Labels.from_json(json.loads((toy_model_dir / "labels.json").read_text()))
    training = json.loads((toy_model_dir / "training.json").read_text())
    plain = JointModel.from_config(
        toy_model_dir, labels, intent_head=training["config"]["intent_head"]
    )
    plain.load_state_dict(load_file(str(toy_model_dir / "model.safetensors")))
    plain.eval()
    texts = ["order a large pizza with olives", "is it sunny in Oslo"]
    batch = model.tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        ours = model.network(batch["input_ids"], batch["attention_mask"])
        reference = plain(batch["input_ids"], batch["attention_mask"])
    for a, b in zip(ours, reference, strict=True):
        assert (a - b).abs().max().item() < 1e-4


def test_bf16_weights_agree_with_fp32(toy_model_dir: Path) -> None:
    fp32 = NluModel.load(toy_model_dir, device="cpu", threads=1, precision="fp32")
    bf16 = NluModel.load(toy_model_dir, device="cpu", threads=1, precision="bf16")
    assert bf16.dtype == torch.bfloat16 and fp32.dtype == torch.float32
    texts = [t for ts in HELD_OUT.values() for t in ts]
    for a, b in zip(fp32.parse_batch(texts), bf16.parse_batch(texts), strict=True):
        assert a.intent_ranking[0].name == b.intent_ranking[0].name
        assert abs(a.intent_ranking[0].confidence - b.intent_ranking[0].confidence) < 0.1


def test_fallback_below_threshold_keeps_the_ranking(toy_model_dir: Path) -> None:
    model = NluModel.load(toy_model_dir, device="cpu", threads=1, precision="fp32")
    model.fallback_threshold = 0.999
    result = model.parse("order a pizza")
    assert result.intent.name == FALLBACK_INTENT and result.is_fallback
    assert result.intent.confidence == 0.999
    assert result.intent_ranking[0].name == FALLBACK_INTENT
    assert result.intent_ranking[1].name == "order_pizza"
    model.fallback_threshold = 0.0
    assert model.parse("order a pizza").intent.name == "order_pizza"


def test_out_of_scope_evaluation(toy_model: NluModel, toy_data: TrainingData) -> None:
    unseen = ("what is the capital of peru", "play chess with me")
    data = toy_data.merge(TrainingData(examples=tuple(Example(t, "out_of_scope") for t in unseen)))
    report = evaluate(toy_model, data, oos_label="out_of_scope")
    block = report["out_of_scope"]
    assert block["label"] == "out_of_scope" and block["n_out_of_scope"] == 12
    assert block["recall"] >= 0.75
    assert block["in_scope_accuracy"] >= 0.9
    assert report["n"] == len(data.examples)


def test_retrieval_intents_collapse_or_keep() -> None:
    data = TrainingData(
        examples=(Example("when do you open", "faq/ask_hours"), Example("hi", "greet"))
    )
    assert collapse_retrieval_intents(data, "collapse").intents == ["faq", "greet"]
    assert collapse_retrieval_intents(data, "keep").intents == ["faq/ask_hours", "greet"]


def test_split_dev_is_stratified_and_deterministic(toy_data: TrainingData) -> None:
    train_a, dev_a = split_dev(toy_data.examples, 0.2, seed=1)
    train_b, dev_b = split_dev(toy_data.examples, 0.2, seed=1)
    assert dev_a == dev_b and train_a == train_b
    assert sorted(e.intent for e in dev_a) == sorted(toy_data.intents * 2)
    assert not set(dev_a) & set(train_a)


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(NluError, match="is not a trained NLU model"):
        NluModel.load(tmp_path)
    with pytest.raises(NluError, match="unknown precision"):
        from nlu.inference import choose_dtype

        choose_dtype("fp8", torch.device("cpu"))


def test_retrieval_collapse_through_training(tmp_path: Path, toy_yaml: Path) -> None:
    """A short run with a carved dev split: FAQ sub-intents become one intent."""
    faq = tmp_path / "faq.yml"
    faq.write_text(
        "nlu:\n- intent: faq/hours\n  examples: |\n"
        + "".join(f"    - when do you open on day {i}\n" for i in range(6))
        + "- intent: faq/price\n  examples: |\n"
        + "".join(f"    - how much does plan {i} cost\n" for i in range(6))
    )
    data = load_training_data(toy_yaml, faq)
    config = TrainConfig(
        max_steps=3, batch_size=16, max_length=12, threads=1, progress=False, device="cpu"
    )
    model_dir = train(data, config, tmp_path / "m")
    labels = json.loads((model_dir / "labels.json").read_text())
    assert "faq" in labels["intents"] and "faq/hours" not in labels["intents"]
    meta = json.loads((model_dir / "training.json").read_text())
    assert meta["steps"] == 3 and meta["n_dev"] > 0 and meta["dev_given"] is False


def test_linear_intent_head_trains_saves_and_loads(toy_data: TrainingData, tmp_path: Path) -> None:
    config = TrainConfig(
        intent_head="linear", max_steps=4, batch_size=16, max_length=12, threads=1,
        progress=False, device="cpu", dev_fraction=0.0,
    )  # fmt: skip
    model_dir = train(toy_data, config, tmp_path / "linear")
    from safetensors.torch import load_file

    state = load_file(str(model_dir / "model.safetensors"))
    assert "intent_head.weight" in state and "intent_head.bias" in state
    a = NluModel.load(model_dir, device="cpu", threads=1, precision="fp32")
    b = NluModel.load(model_dir, device="cpu", threads=1, precision="fp32")
    assert not a.network.cosine
    texts = ["hello", "weather in Rome"]
    assert [r.to_dict() for r in a.parse_batch(texts)] == [
        r.to_dict() for r in b.parse_batch(texts)
    ]
    top = a.parse("hello").intent_ranking[0].confidence
    assert 0.0 < top <= 1.0


def test_centroid_init_starts_from_a_nearest_centroid_classifier(toy_data: TrainingData) -> None:
    """Before a single step the cosine head already tells the toy intents apart."""
    from nlu.encoder import load_tokenizer, resolve_model_path
    from nlu.network import JointModel, Labels
    from nlu.training import _encode_examples, init_intent_centroids

    examples = list(toy_data.examples)
    labels = Labels.build(sorted({e.intent for e in examples}), [])
    base = resolve_model_path(None)
    network = JointModel.from_encoder(base, labels, intent_head="cosine")
    items = _encode_examples(load_tokenizer(base), examples, labels, max_length=16)
    gold = torch.tensor([item[2] for item in items])

    def accuracy() -> float:
        network.eval()
        with torch.inference_mode():
            width = max(len(item[0]) for item in items)
            ids = torch.zeros((len(items), width), dtype=torch.long)
            mask = torch.zeros_like(ids)
            for row, item in enumerate(items):
                ids[row, : len(item[0])] = torch.tensor(item[0])
                mask[row, : len(item[0])] = 1
            logits, _ = network(ids, mask)
        return float((logits.argmax(-1) == gold).float().mean())

    before = accuracy()
    init_intent_centroids(network, items, 0, torch.device("cpu"), use_bf16=False)
    weight = network.intent_head.weight.detach()
    assert torch.allclose(weight.norm(dim=-1), torch.ones(len(labels.intents)), atol=1e-5)
    assert accuracy() >= 0.9 > before


def test_ema_training_saves_the_averaged_weights(toy_data: TrainingData, tmp_path: Path) -> None:
    config = TrainConfig(
        ema_decay=0.5, max_steps=4, batch_size=16, max_length=12, threads=1,
        progress=False, device="cpu", dev_fraction=0.0,
    )  # fmt: skip
    model_dir = train(toy_data, config, tmp_path / "ema")
    meta = json.loads((model_dir / "training.json").read_text())
    assert meta["config"]["ema_decay"] == 0.5 and meta["steps"] == 4
    model = NluModel.load(model_dir, device="cpu", threads=1, precision="fp32")
    assert model.parse("hello").intent_ranking[0].confidence > 0.0
    plain_dir = train(toy_data, replace(config, ema_decay=None), tmp_path / "plain")
    from safetensors.torch import load_file

    averaged = load_file(str(model_dir / "model.safetensors"))["intent_head.weight"]
    trained = load_file(str(plain_dir / "model.safetensors"))["intent_head.weight"]
    assert not torch.allclose(averaged, trained)
    with pytest.raises(NluError, match="ema_decay"):
        TrainConfig(ema_decay=1.5)


def test_only_a_dev_set_large_enough_to_tell_epochs_apart_chooses_one(
    toy_data: TrainingData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Frozen weights score the same every epoch. An imported Rasa project's 45 dev examples
    # stopped its training after the first epoch, and its tagger found no entity; a set that
    # small now only reports, and the whole schedule runs.
    # (no typo'd copies: frozen weights learn nothing from them, and they doubled its time)
    frozen = replace(TOY_CONFIG, epochs=3, patience=1, encoder_lr=0.0, head_lr=0.0, typo_copies=0)
    small = train(toy_data, frozen, tmp_path / "small", dev=toy_data)
    meta = json.loads((small / "training.json").read_text())
    assert (meta["epochs_run"], meta["best_epoch"]) == (3, 3)
    monkeypatch.setattr(nlu_training, "MIN_DEV_TO_CHOOSE_EPOCH", len(toy_data.examples))
    chosen = train(toy_data, frozen, tmp_path / "chosen", dev=toy_data)
    meta = json.loads((chosen / "training.json").read_text())
    assert (meta["epochs_run"], meta["best_epoch"]) == (2, 1)


def test_a_message_longer_than_the_training_examples_is_read_whole(toy_model: NluModel) -> None:
    # Cut at the training length, an order number at the end of a long message became "NW-"
    # (refused as malformed) or vanished; the encoder has positions for far more.
    assert toy_model.max_length == 512 > TOY_CONFIG.max_length
    text = "hello there, we are planning a long trip next month with the whole family, so "
    text += "could you tell me what's the weather in Berlin"
    assert len(toy_model.tokenizer(text)["input_ids"]) > TOY_CONFIG.max_length + 8
    cities = [e.value for e in toy_model.parse(text).entities if e.entity == "city"]
    assert cities == ["Berlin"]
