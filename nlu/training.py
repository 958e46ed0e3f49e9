"""Fine-tune the joint network and write a self-describing model directory."""

from __future__ import annotations

import logging
import math
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nlu.artifacts import library_versions, write_model_dir
from nlu.augment import typo_copies
from nlu.config import TrainConfig
from nlu.data import Example, TrainingData
from nlu.encoder import (
    choose_device,
    cpu_supports_bf16,
    load_tokenizer,
    mean_pool,
    resolve_model_path,
    set_torch_threads,
)
from nlu.errors import TrainingDataError
from nlu.features import IGNORE_INDEX, tag_ids, token_offsets, tokenize
from nlu.metrics import (
    DEFAULT_FALLBACK_THRESHOLD,
    calibrate_threshold,
    entity_scores,
    intent_scores,
)
from nlu.network import EntityType, JointModel, Labels
from nlu.predict import length_buckets, predict_texts

log = logging.getLogger(__name__)

# Below this many dev examples one example moves the dev score by a percent or more, too
# little to choose between epochs: training runs its whole schedule and keeps the last weights,
# as Rasa does, and the dev set only reports. Choosing on that noise ended an imported Rasa
# project's training after its first epoch (45 dev examples, patience 3), before its tagger
# had found a single entity.
MIN_DEV_TO_CHOOSE_EPOCH = 100


def collapse_retrieval_intents(data: TrainingData, mode: str) -> TrainingData:
    """``collapse``: ``faq/ask_x`` becomes ``faq``; ``keep`` leaves names as they are."""
    if mode == "keep":
        return data
    return data.with_examples(
        Example(e.text, e.intent.split("/", 1)[0], e.entities, e.metadata) for e in data.examples
    )


def split_dev(
    examples: tuple[Example, ...], fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """Carve a stratified dev set: ``round(fraction * n)`` of each intent with 4+ examples."""
    by_intent: dict[str, list[int]] = defaultdict(list)
    for i, example in enumerate(examples):
        by_intent[example.intent].append(i)
    rng = random.Random(seed)
    dev_ids: set[int] = set()
    for ids in by_intent.values():
        if len(ids) >= 4:
            dev_ids.update(rng.sample(ids, max(1, round(fraction * len(ids)))))
    train = [e for i, e in enumerate(examples) if i not in dev_ids]
    return train, [e for i, e in enumerate(examples) if i in dev_ids]


def _encode_examples(
    tokenizer: Any, examples: list[Example], labels: Labels, max_length: int
) -> list[tuple[list[int], list[int], int]]:
    """(input ids, tag ids, intent id) per example, unpadded."""
    enc = tokenize(tokenizer, [e.text for e in examples], max_length)
    tag_index = {t: i for i, t in enumerate(labels.tags)}
    intent_index = {n: i for i, n in enumerate(labels.intents)}
    out = []
    for i, example in enumerate(examples):
        tags = tag_ids(token_offsets(enc, i), example.entities, tag_index)
        out.append((enc["input_ids"][i], tags, intent_index[example.intent]))
    return out


def _batches(
    items: list[tuple[list[int], list[int], int]], config: TrainConfig, rng: random.Random
) -> Iterator[list[int]]:
    order = list(range(len(items)))
    rng.shuffle(order)
    size = config.batch_size
    if config.bucket_batches:
        # Sort within pools of 50 batches: little padding, yet batches still vary per epoch.
        pool = size * 50
        order = [
            i
            for at in range(0, len(order), pool)
            for i in sorted(order[at : at + pool], key=lambda j: len(items[j][0]))
        ]
    batches = [order[at : at + size] for at in range(0, len(order), size)]
    rng.shuffle(batches)
    yield from batches


def _collate(
    items: list[tuple[list[int], list[int], int]], idx: list[int], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    width = max(len(items[i][0]) for i in idx)
    ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    tags = torch.full((len(idx), width), IGNORE_INDEX, dtype=torch.long)
    for row, i in enumerate(idx):
        n = len(items[i][0])
        ids[row, :n] = torch.tensor(items[i][0])
        mask[row, :n] = 1
        tags[row, :n] = torch.tensor(items[i][1])
    intents = torch.tensor([items[i][2] for i in idx], dtype=torch.long)
    return ids, mask, tags, intents


def init_intent_centroids(
    network: JointModel,
    items: list[tuple[list[int], list[int], int]],
    pad_id: int,
    device: torch.device,
    use_bf16: bool,
) -> None:
    """Point each cosine-head vector at its intent's mean embedding under the current encoder.

    Training then starts from a nearest-centroid classifier instead of random directions, so
    the first steps refine a sensible geometry rather than pull the encoder towards noise.
    """
    weight = network.intent_head.weight
    sums = torch.zeros(weight.shape, dtype=torch.float32)
    was_training = network.training
    network.eval()
    with (
        torch.inference_mode(),
        torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16),
    ):
        for idx in length_buckets([len(it[0]) for it in items], 128, 8192):
            ids, mask, _, gold = _collate(items, idx, pad_id)
            hidden = network.encoder(
                input_ids=ids.to(device), attention_mask=mask.to(device)
            ).last_hidden_state
            pooled = nn.functional.normalize(mean_pool(hidden, mask.to(device)).float(), dim=-1)
            sums.index_add_(0, gold, pooled.cpu())
    network.train(was_training)
    seen = sums.norm(dim=-1) > 0
    with torch.no_grad():
        weight[seen] = nn.functional.normalize(sums[seen], dim=-1).to(weight.device, weight.dtype)


def _ema_update(decay: float) -> Any:
    """An exponential moving average whose decay warms up as ``(1 + n) / (10 + n)`` (as in
    TensorFlow's ``ExponentialMovingAverage``), so a short run on a small project is averaged
    over its last steps rather than dragged back to its first ones."""

    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], n: Any) -> None:
        rate = 1.0 - min(decay, (1.0 + float(n)) / (10.0 + float(n)))
        for avg, cur in zip(averaged, current, strict=True):
            avg.lerp_(cur.detach(), rate)

    return update


def _optimizer(network: JointModel, config: TrainConfig) -> torch.optim.Optimizer:
    decay, no_decay, heads = [], [], []
    for name, param in network.named_parameters():
        if not name.startswith("encoder."):
            heads.append(param)
        elif param.ndim < 2:
            no_decay.append(param)
        else:
            decay.append(param)
    return torch.optim.AdamW(
        [
            {"params": decay, "lr": config.encoder_lr, "weight_decay": config.weight_decay},
            {"params": no_decay, "lr": config.encoder_lr, "weight_decay": 0.0},
            {"params": heads, "lr": config.head_lr, "weight_decay": config.weight_decay},
        ]
    )


def _use_bf16(config: TrainConfig, device: torch.device) -> bool:
    if config.autocast == "off":
        return False
    return config.autocast == "bf16" or device.type == "cuda" or cpu_supports_bf16()


def dev_report(
    network: JointModel,
    tokenizer: Any,
    labels: Labels,
    dev: list[Example],
    config: TrainConfig,
    device: torch.device,
) -> dict[str, Any]:
    """Intent and entity scores of the network on dev, plus top intents and confidences."""
    raw = predict_texts(
        network,
        tokenizer,
        labels,
        [e.text for e in dev],
        max_length=config.max_length,
        device=device,
    )
    top = [int(r.intent_probs.argmax()) for r in raw]
    predicted = [labels.intents[i] for i in top]
    intents = intent_scores([e.intent for e in dev], predicted)
    ents = entity_scores(
        [[(s.start, s.end, s.entity) for s in e.entities] for e in dev],
        [[(s.start, s.end, s.etype.entity) for s in r.spans] for r in raw],
    )
    has_entities = any(e.entities for e in dev) or len(labels.tags) > 1
    # Entity F1 weighs as much as the share of dev examples that hold entities, so a noisy
    # tagger on a few annotated examples cannot outvote the intent accuracy of all of them.
    entity_share = sum(1 for e in dev if e.entities) / len(dev) if dev else 0.0
    return {
        "intent_accuracy": intents["accuracy"],
        "intent_macro_f1": intents["macro_f1"],
        "entity_f1": ents["f1"] if has_entities else None,
        "score": intents["accuracy"] + entity_share * ents["f1"],
        "predicted": predicted,
        "confidence": [float(r.intent_probs[i]) for r, i in zip(raw, top, strict=True)],
    }


def train(
    data: TrainingData,
    config: TrainConfig | None,
    out_dir: str | os.PathLike[str],
    dev: TrainingData | None = None,
) -> Path:
    """Fine-tune the encoder with both heads and write the model directory.

    Args:
        data: training examples (and synonyms, regexes, lookups used at inference).
        config: hyperparameters; ``None`` takes the defaults (suited to MiniLM-L6 on CPU).
        out_dir: where to write ``model.safetensors``, ``config.json``, the tokenizer,
            ``labels.json``, ``training.json`` and ``extractors.json``.
        dev: held-out examples for early stopping and threshold calibration; when ``None``,
            a stratified ``config.dev_fraction`` of ``data`` is carved out.

    Returns:
        The model directory.

    Raises:
        TrainingDataError: no examples, or dev holds intents the training data lacks.
        NluError: the encoder or device cannot be used.
    """
    config = config or TrainConfig()
    started = time.perf_counter()
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    set_torch_threads(config.threads)
    device = choose_device(config.device)
    data = collapse_retrieval_intents(data, config.retrieval_intents)
    if not data.examples:
        raise TrainingDataError("no training examples")
    if dev is not None:
        train_set = list(data.examples)
        dev_set = list(collapse_retrieval_intents(dev, config.retrieval_intents).examples)
    else:
        train_set, dev_set = split_dev(data.examples, config.dev_fraction, config.seed)
    typos = config.typos_for(len(train_set))
    clean = len(train_set)
    train_set += typo_copies(train_set, typos, config.seed)
    intents = sorted({e.intent for e in train_set})
    unknown = sorted({e.intent for e in dev_set} - set(intents))
    if unknown:
        raise TrainingDataError(f"dev intents missing from the training data: {unknown[:5]}")
    etypes = sorted(
        {EntityType(s.entity, s.role, s.group) for e in train_set for s in e.entities},
        key=lambda t: t.key,
    )
    labels = Labels.build(intents, etypes)
    base = resolve_model_path(config.base_model)
    tokenizer = load_tokenizer(base)
    network = JointModel.from_encoder(base, labels, config.dropout, config.intent_head)
    network.to(device)
    items = _encode_examples(tokenizer, train_set, labels, config.max_length)
    steps_per_epoch = math.ceil(len(items) / config.batch_size)
    total = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    use_bf16 = _use_bf16(config, device)
    pad_id = int(tokenizer.pad_token_id or 0)
    if network.cosine and config.intent_head_init == "centroid":
        init_intent_centroids(network, items, pad_id, device, use_bf16)
    optimizer = _optimizer(network, config)
    # The average shares nothing with the optimiser: it only ever reads the trained weights.
    ema = (
        torch.optim.swa_utils.AveragedModel(network, multi_avg_fn=_ema_update(config.ema_decay))
        if config.ema_decay is not None
        else None
    )
    judged: JointModel = ema.module if ema is not None else network  # type: ignore[assignment]
    warmup = int(config.warmup_ratio * total)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (
            (s + 1) / max(1, warmup)
            if s < warmup
            else max(0.0, (total - s) / max(1, total - warmup))
        ),
    )
    intent_loss = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    tag_loss = nn.CrossEntropyLoss(ignore_index=IGNORE_INDEX)
    rng = random.Random(config.seed)
    best: dict[str, Any] = {"score": -1.0, "epoch": 0, "state": None}
    history: list[float] = []
    step, epoch, stale = 0, 0, 0
    from tqdm.auto import tqdm  # type: ignore[import-untyped]

    # None: tqdm stays quiet when stderr is not a terminal (CI logs, `make run` piped).
    bar = tqdm(
        total=total, disable=None if config.progress else True, unit="step", desc="train nlu"
    )
    # Where the bar stays quiet (a log, a pipe) a line per epoch still shows training moves.
    say_epochs = config.progress and bar.disable
    choose = len(dev_set) >= MIN_DEV_TO_CHOOSE_EPOCH
    while step < total and (stale < config.patience or not choose):
        epoch += 1
        network.train()
        for idx in _batches(items, config, rng):
            if step >= total:
                break
            ids, mask, tags, gold = (t.to(device) for t in _collate(items, idx, pad_id))
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                intent_logits, tag_logits = network(ids, mask)
            loss = intent_loss(intent_logits.float(), gold)
            if len(labels.tags) > 1:
                flat = tag_logits.float().reshape(-1, len(labels.tags))
                loss = loss + config.entity_loss_weight * tag_loss(flat, tags.reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            if ema is not None:
                ema.update_parameters(network)
            step += 1
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}")
        if not dev_set:
            if say_epochs:
                _say(f"train nlu: epoch {epoch}, step {step}/{total}, loss {loss.item():.3f}")
            continue
        judged.eval()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            report = dev_report(judged, tokenizer, labels, dev_set, config, device)
        log.info("epoch %d dev intent acc %.4f", epoch, report["intent_accuracy"])
        if say_epochs:
            _say(
                f"train nlu: epoch {epoch}, step {step}/{total}, "
                f"dev intent accuracy {report['intent_accuracy']:.4f}"
            )
        history.append(round(report["intent_accuracy"], 5))
        bar.set_postfix(epoch=epoch, dev_acc=f"{report['intent_accuracy']:.4f}")
        if report["score"] > best["score"] or not choose:
            state = {k: v.detach().clone() for k, v in judged.state_dict().items()}
            best = {"score": report["score"], "epoch": epoch, "state": state}
            stale = 0
        else:
            stale += 1
    bar.close()
    if best["state"] is not None:
        network.load_state_dict(best["state"])
    elif ema is not None:
        network.load_state_dict(judged.state_dict())
    network.eval()
    dev_metrics: dict[str, Any] | None = None
    threshold = config.fallback_threshold
    oos_label = next((label for label in config.oos_labels if label in intents), None)
    if dev_set:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            report = dev_report(network, tokenizer, labels, dev_set, config, device)
        if threshold is None:
            threshold = calibrate_threshold(
                [e.intent for e in dev_set],
                report["predicted"],
                report["confidence"],
                oos_label,
                config.fallback_max_accuracy_loss,
            )
        dev_metrics = {k: report[k] for k in ("intent_accuracy", "intent_macro_f1", "entity_f1")}
    if threshold is None:
        threshold = DEFAULT_FALLBACK_THRESHOLD
    meta = {
        "format": "deskbot-nlu/1",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config.to_json(),
        "base_model": str(base),
        "data_hash": data.fingerprint(),
        "n_train": clean,
        "n_typo_copies": len(train_set) - clean,
        "n_dev": len(dev_set),
        "dev_given": dev is not None,
        "epochs_run": epoch,
        "best_epoch": best["epoch"],
        "dev_history": history,
        "steps": step,
        "bf16_autocast": use_bf16,
        "device": str(device),
        "train_seconds": round(time.perf_counter() - started, 1),
        "dev_metrics": dev_metrics,
        "fallback_threshold": threshold,
        "oos_label": oos_label,
        "versions": library_versions(),
    }
    return write_model_dir(Path(out_dir), network, tokenizer, labels, data, meta)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
