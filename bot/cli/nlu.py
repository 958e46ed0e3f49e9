"""``deskbot train nlu`` and ``deskbot evaluate nlu``."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.output import output_file, write_output
from bot.errors import BotError
from nlu import NluError, TrainConfig


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def train_nlu(
    data: Annotated[
        list[Path], typer.Option("--data", help="Training data file or folder (repeat).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Model directory to write.")],
    dev: Annotated[
        Path | None, typer.Option("--dev", help="Dev data (default: 10% of train).")
    ] = None,
    base_model: Annotated[
        str | None, typer.Option("--base-model", help="Encoder checkpoint folder.")
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1)] = TrainConfig.epochs,
    seed: Annotated[int, typer.Option("--seed")] = TrainConfig.seed,
    max_length: Annotated[int, typer.Option("--max-length", min=4)] = TrainConfig.max_length,
    threads: Annotated[int | None, typer.Option("--threads", help="Torch threads.")] = None,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    typo_copies: Annotated[
        int | None,
        typer.Option(
            "--typo-copies",
            min=0,
            max=5,
            help="Copies of each example with typos (default: 1 up to 3,000 examples, else 0).",
        ),
    ] = None,
) -> None:
    """Train the joint intent + entity model on Rasa YAML, CSV or BIO data."""
    from nlu import load_training_data, train  # torch: loaded by the commands that need it

    try:
        training_data = load_training_data(*data)
        dev_data = load_training_data(dev) if dev is not None else None
        config = TrainConfig(
            base_model=base_model,
            epochs=epochs,
            seed=seed,
            max_length=max_length,
            threads=threads,
            device=device,
            typo_copies=typo_copies,
        )
        model_dir = train(training_data, config, out, dev=dev_data)
    except NluError as exc:
        raise _fail(exc) from None
    meta = json.loads((model_dir / "training.json").read_text(encoding="utf-8"))
    labels = json.loads((model_dir / "labels.json").read_text(encoding="utf-8"))
    dev_metrics = meta.get("dev_metrics") or {}
    acc = dev_metrics.get("intent_accuracy")
    dev_text = f"dev intent accuracy {acc:.3f}" if acc is not None else "no dev set"
    typos = meta.get("n_typo_copies") or 0
    copies = f" (+{typos} copies with typos)" if typos else ""
    typer.echo(
        f"trained {model_dir}: {meta['n_train']} examples{copies}, "
        f"{len(labels['intents'])} intents, "
        f"{(len(labels['entity_tags']) - 1) // 2} entity types, {dev_text}, "
        f"fallback below {meta['fallback_threshold']:.2f}, {meta['train_seconds']:.0f} s"
    )


#: The weakest intents the summary names.
WEAKEST = 5


def _print_report(report: dict[str, Any], known: Collection[str] = ()) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"NLU evaluation ({report['n']} examples)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("intent accuracy", f"{report['intent']['accuracy']:.4f}")
    table.add_row("intent macro F1", f"{report['intent']['macro_f1']:.4f}")
    ents = report["entities"]
    table.add_row(
        "entity P / R / F1", f"{ents['precision']:.4f} / {ents['recall']:.4f} / {ents['f1']:.4f}"
    )
    oos = report["out_of_scope"]
    if oos is not None:
        table.add_row(f"out-of-scope recall ({oos['label']})", f"{oos['recall']:.4f}")
        table.add_row("in-scope accuracy", f"{oos['in_scope_accuracy']:.4f}")
    table.add_row("errors", str(report["n_errors"]))
    # Below 1 only: intents recognised every time were listed as "low F1: greet 1.000".
    scored = report["intent"]["per_intent"].items()
    worst = sorted((kv for kv in scored if kv[1]["f1"] < 1.0), key=lambda kv: kv[1]["f1"])
    for name, scores in worst[:WEAKEST]:
        unknown = " \u2014 not one of the model's intents" if known and name not in known else ""
        table.add_row(f"  low F1: {name}", f"{scores['f1']:.3f} (n={scores['support']}){unknown}")
    Console().print(table)


def evaluate_nlu(
    model: Annotated[Path, typer.Option("--model", help="Trained model directory.")],
    data: Annotated[
        list[Path], typer.Option("--data", help="Labelled data file or folder (repeat).")
    ],
    report: Annotated[Path, typer.Option("--report", help="Where to write the JSON report.")],
    oos_label: Annotated[
        str | None, typer.Option("--oos-label", help="Intent meaning out-of-scope, e.g. oos.")
    ] = None,
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Folder for the confusion PNG.")
    ] = None,
    threads: Annotated[int | None, typer.Option("--threads")] = None,
    device: Annotated[str, typer.Option("--device")] = "auto",
) -> None:
    """Score a trained model: intents, entities (exact span and type), out-of-scope."""
    from nlu import NluModel, evaluate, load_training_data
    from nlu.evaluation import plot_confusion

    try:
        output_file(report, "--report")
        nlu_model = NluModel.load(model, device=device, threads=threads)
        result = evaluate(nlu_model, load_training_data(*data), oos_label=oos_label)
    except (NluError, BotError) as exc:
        raise _fail(exc) from None
    try:
        write_output(report, json.dumps(result, indent=2, ensure_ascii=False) + "\n", "--report")
        if plots is not None:
            plot_confusion(result, plots)
    except (OSError, BotError) as exc:
        raise _fail(exc) from None
    _print_report(result, known=nlu_model.labels.intents)


def register(train_app: typer.Typer, evaluate_app: typer.Typer) -> None:
    """Add ``nlu`` to the ``deskbot train`` and ``deskbot evaluate`` command groups."""
    train_app.command("nlu")(train_nlu)
    evaluate_app.command("nlu")(evaluate_nlu)
