"""deskbot NLU: training data, a joint BERT intent + entity model, training, serving, scores.

Names load on first use, so that importing a light part of the package (its errors, its
training config) does not load torch and transformers with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nlu.batcher import MicroBatcher
    from nlu.builtin_entities import BUILTIN_ENTITIES, with_builtin_entities
    from nlu.config import TrainConfig
    from nlu.data import OOS_LABELS, EntitySpan, Example, TrainingData, write_rasa_yaml
    from nlu.encoder import SentenceEncoder, choose_device, cpu_supports_bf16, mean_pool
    from nlu.errors import NluError, TrainingDataError
    from nlu.evaluation import evaluate
    from nlu.extractors import refresh_extractors
    from nlu.inference import EXTRACTOR_NAME, NluModel
    from nlu.markup import MarkupError, parse_markup
    from nlu.readers import load_training_data
    from nlu.result import FALLBACK_INTENT, Entity, IntentScore, ParseResult
    from nlu.training import train

_HOME = {
    "BUILTIN_ENTITIES": "nlu.builtin_entities",
    "EXTRACTOR_NAME": "nlu.inference",
    "Entity": "nlu.result",
    "EntitySpan": "nlu.data",
    "Example": "nlu.data",
    "FALLBACK_INTENT": "nlu.result",
    "IntentScore": "nlu.result",
    "MarkupError": "nlu.markup",
    "MicroBatcher": "nlu.batcher",
    "NluError": "nlu.errors",
    "NluModel": "nlu.inference",
    "OOS_LABELS": "nlu.data",
    "ParseResult": "nlu.result",
    "SentenceEncoder": "nlu.encoder",
    "TrainConfig": "nlu.config",
    "TrainingData": "nlu.data",
    "TrainingDataError": "nlu.errors",
    "choose_device": "nlu.encoder",
    "cpu_supports_bf16": "nlu.encoder",
    "evaluate": "nlu.evaluation",
    "load_training_data": "nlu.readers",
    "mean_pool": "nlu.encoder",
    "parse_markup": "nlu.markup",
    "refresh_extractors": "nlu.extractors",
    "train": "nlu.training",
    "with_builtin_entities": "nlu.builtin_entities",
    "write_rasa_yaml": "nlu.data",
}
__all__ = [
    "BUILTIN_ENTITIES",
    "EXTRACTOR_NAME",
    "FALLBACK_INTENT",
    "OOS_LABELS",
    "Entity",
    "EntitySpan",
    "Example",
    "IntentScore",
    "MarkupError",
    "MicroBatcher",
    "NluError",
    "NluModel",
    "ParseResult",
    "SentenceEncoder",
    "TrainConfig",
    "TrainingData",
    "TrainingDataError",
    "choose_device",
    "cpu_supports_bf16",
    "evaluate",
    "load_training_data",
    "mean_pool",
    "parse_markup",
    "refresh_extractors",
    "train",
    "with_builtin_entities",
    "write_rasa_yaml",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'nlu' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
