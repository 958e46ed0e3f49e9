"""Score a trained model on labelled data: intents, entities, out-of-scope, errors, plots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlu.data import TrainingData
from nlu.inference import NluModel
from nlu.metrics import entity_scores, intent_scores
from nlu.result import FALLBACK_INTENT, ParseResult
from nlu.training import collapse_retrieval_intents

MAX_ERRORS = 200


def evaluate(
    model: NluModel,
    data: TrainingData,
    oos_label: str | None = None,
    *,
    parses: Sequence[ParseResult] | None = None,
) -> dict[str, Any]:
    """Parse every example and score the result.

    Args:
        model: the loaded model.
        data: labelled examples (retrieval intents are named as the model was trained).
        oos_label: the intent meaning out-of-scope; a parse counts as out-of-scope when it is
            that intent or ``nlu_fallback``.
        parses: precomputed parses of ``data.examples`` (skips parsing).

    Returns:
        ``{"n", "intent": {"accuracy", "macro_f1", "per_intent", "accuracy_without_fallback"},
        "entities": {"precision", "recall", "f1", "per_entity"}, "out_of_scope": {"label",
        "recall", "in_scope_accuracy", "n_out_of_scope"} | None, "errors": [...], "n_errors",
        "confusion"}``. Intent scores count a fallback as a wrong answer (except on
        out-of-scope examples); entity scores need the exact span and type.
    """
    mode = str(model.training.get("config", {}).get("retrieval_intents", "collapse"))
    examples = collapse_retrieval_intents(data, mode).examples
    if parses is None:
        parses = model.parse_batch([e.text for e in examples])
    gold = [e.intent for e in examples]
    predicted = [p.intent.name for p in parses]
    if oos_label is not None:
        # A fallback on an out-of-scope message is the right answer.
        predicted = [
            oos_label if (g == oos_label and p == FALLBACK_INTENT) else p
            for g, p in zip(gold, predicted, strict=True)
        ]
    intents = intent_scores(gold, predicted)
    # The classifier alone, as papers report it: the best intent even below the threshold.
    top = [next(s.name for s in p.intent_ranking if s.name != FALLBACK_INTENT) for p in parses]
    hits = sum(g == t for g, t in zip(gold, top, strict=True))
    intents["accuracy_without_fallback"] = hits / len(gold) if gold else 0.0
    entities = entity_scores(
        [[(s.start, s.end, s.entity) for s in e.entities] for e in examples],
        [[(x.start, x.end, x.entity) for x in p.entities] for p in parses],
    )
    out_of_scope = None
    if oos_label is not None:
        oos = [p == oos_label for g, p in zip(gold, predicted, strict=True) if g == oos_label]
        ins = [p == g for g, p in zip(gold, predicted, strict=True) if g != oos_label]
        out_of_scope = {
            "label": oos_label,
            "recall": sum(oos) / len(oos) if oos else 0.0,
            "in_scope_accuracy": sum(ins) / len(ins) if ins else 0.0,
            "n_out_of_scope": len(oos),
        }
    errors = []
    for example, parse, pred in zip(examples, parses, predicted, strict=True):
        gold_spans = {(s.start, s.end, s.entity) for s in example.entities}
        got_spans = {(x.start, x.end, x.entity) for x in parse.entities}
        if pred != example.intent or gold_spans != got_spans:
            errors.append(
                {
                    "text": example.text,
                    "intent": example.intent,
                    "predicted": parse.intent.name,
                    "confidence": parse.intent.confidence,
                    "entities": sorted(gold_spans),
                    "predicted_entities": sorted(got_spans),
                }
            )
    return {
        "n": len(examples),
        "intent": intents,
        "entities": entities,
        "out_of_scope": out_of_scope,
        "errors": errors[:MAX_ERRORS],
        "n_errors": len(errors),
        "confusion": _confusion(gold, predicted),
    }


def _confusion(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    names = sorted(set(gold) | set(predicted))
    index = {n: i for i, n in enumerate(names)}
    matrix = [[0] * len(names) for _ in names]
    for g, p in zip(gold, predicted, strict=True):
        matrix[index[g]][index[p]] += 1
    return {"labels": names, "matrix": matrix}


def plot_confusion(report: dict[str, Any], out_dir: str | Path) -> Path:
    """Write ``intent_confusion.png`` (rows: gold, columns: predicted) and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = report["confusion"]["labels"]
    matrix = report["confusion"]["matrix"]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    size = max(6.0, 0.18 * len(names))
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=6)
    ax.set_yticks(range(len(names)), names, fontsize=6)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(f"intent confusion (accuracy {report['intent']['accuracy']:.3f})")
    fig.tight_layout()
    path = out / "intent_confusion.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
