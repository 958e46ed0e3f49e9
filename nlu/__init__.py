"""deskbot NLU: training data, a joint BERT intent + entity model, training, serving, scores."""

from nlu.batcher import MicroBatcher
from nlu.config import TrainConfig
from nlu.data import OOS_LABELS, EntitySpan, Example, TrainingData, write_rasa_yaml
from nlu.encoder import SentenceEncoder, choose_device, cpu_supports_bf16, mean_pool
from nlu.errors import NluError, TrainingDataError
from nlu.evaluation import evaluate
from nlu.inference import EXTRACTOR_NAME, NluModel
from nlu.markup import MarkupError, parse_markup
from nlu.readers import load_training_data
from nlu.result import FALLBACK_INTENT, Entity, IntentScore, ParseResult
from nlu.training import train

__all__ = [
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
    "train",
    "write_rasa_yaml",
]
