"""The model directory that training writes and serving reads."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import torch

from nlu.data import TrainingData
from nlu.errors import NluError
from nlu.extractors import EXTRACTORS_FILE, RuleExtractors
from nlu.network import JointModel, Labels


def library_versions() -> dict[str, str]:
    """Versions that matter to reproduce a model, for ``training.json``."""
    import tokenizers
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
    }


def write_model_dir(
    out: Path,
    network: JointModel,
    tokenizer: Any,
    labels: Labels,
    data: TrainingData,
    meta: dict[str, Any],
) -> Path:
    """Write weights, encoder config, tokenizer, labels, rule extractors and ``training.json``."""
    from safetensors.torch import save_file

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NluError(f"cannot create model directory {out}: {exc}") from None
    state = {k: v.detach().float().contiguous().cpu() for k, v in network.state_dict().items()}
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    network.encoder.config.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))

    def dump(name: str, value: Any) -> None:
        (out / name).write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", "utf-8")

    dump("labels.json", labels.to_json())
    dump(EXTRACTORS_FILE, RuleExtractors.from_training_data(data).to_json())
    dump("training.json", meta)
    return out
