"""``deskbot train nlu`` / ``deskbot evaluate nlu`` end to end, and bench/gpu_check.sh --small."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import nlu as nlu_cli

ROOT = Path(__file__).resolve().parents[2]


def app() -> typer.Typer:
    root = typer.Typer()
    train_app, evaluate_app = typer.Typer(), typer.Typer()
    root.add_typer(train_app, name="train")
    root.add_typer(evaluate_app, name="evaluate")
    nlu_cli.register(train_app, evaluate_app)
    return root


@pytest.mark.slow
def test_train_then_evaluate_end_to_end(toy_yaml: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "model"
    result = runner.invoke(
        app(),
        [
            "train", "nlu", "--data", str(toy_yaml), "--dev", str(toy_yaml), "--out", str(out),
            "--epochs", "10", "--seed", "3", "--max-length", "16", "--threads", "2",
            "--device", "cpu",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # a small training set gets a copy of each example with typos, said apart
    assert re.search(
        rf"trained {re.escape(str(out))}: 50 examples \(\+4\d copies with typos\), 5 intents, "
        r"3 entity types, dev intent acc",
        result.output,
    ), result.output
    # Not a terminal, so no bar: a line per epoch says training moves.
    assert "train nlu: epoch 1, step " in result.stderr
    assert "dev intent accuracy" in result.stderr
    meta = json.loads((out / "training.json").read_text())
    assert meta["config"]["epochs"] == 10 and meta["config"]["seed"] == 3
    report_path, plots = tmp_path / "eval" / "report.json", tmp_path / "plots"
    result = runner.invoke(
        app(),
        [
            "evaluate", "nlu", "--model", str(out), "--data", str(toy_yaml),
            "--oos-label", "out_of_scope", "--report", str(report_path), "--plots", str(plots),
            "--threads", "1",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "intent accuracy" in result.output and "out-of-scope recall" in result.output
    report = json.loads(report_path.read_text())
    assert set(report) >= {"n", "intent", "entities", "out_of_scope", "errors"}
    assert report["n"] == 50
    assert set(report["intent"]) >= {"accuracy", "macro_f1", "per_intent"}
    assert 0.6 < report["intent"]["accuracy_without_fallback"] <= 1.0
    assert set(report["entities"]) >= {"precision", "recall", "f1", "per_entity"}
    assert report["out_of_scope"]["label"] == "out_of_scope"
    assert report["intent"]["accuracy"] > 0.6
    png = plots / "intent_confusion.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_known_errors_print_one_line_and_exit_non_zero(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.yml"
    bad.write_text("nlu:\n- intent: a\n  examples: |\n    -\n")
    result = runner.invoke(
        app(), ["train", "nlu", "--data", str(bad), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code != 0
    assert result.output.strip() == f"error: {bad}:4: intent 'a': empty example"
    assert "Traceback" not in result.output
    result = runner.invoke(
        app(),
        ["evaluate", "nlu", "--model", str(tmp_path), "--data", str(bad), "--report", "r.json"],
    )
    assert result.exit_code != 0
    assert result.output.count("\n") == 1 and "is not a trained NLU model" in result.output
    result = runner.invoke(
        app(),
        [
            "evaluate",
            "nlu",
            "--model",
            str(tmp_path),
            "--data",
            str(bad),
            "--report",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: --report {tmp_path} is a folder: give a file name, e.g. {tmp_path / 'out.json'}"
    )


@pytest.mark.slow
def test_gpu_check_small_runs_on_cpu(tmp_path: Path) -> None:
    env = {**os.environ, "OUT": str(tmp_path), "PY": sys.executable}
    done = subprocess.run(
        ["bash", str(ROOT / "bench" / "gpu_check.sh"), "--small"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    speed = json.loads((tmp_path / "speed.json").read_text())
    assert speed["device"] == "cpu"
    assert set(speed["throughput_batch"]) == {"1", "8", "32"}
    assert all(v > 0 for v in speed["throughput_batch"].values())
    assert speed["latency_ms_batch1"]["p50"] > 0
    quality = json.loads((tmp_path / "banking77" / "report.json").read_text())
    assert quality["summary"]["n"] > 0 and 0.0 <= quality["summary"]["intent_accuracy"] <= 1.0


def test_the_summary_names_only_intents_below_a_perfect_f1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # "low F1: greet 1.000" was listed for intents recognised every time; an intent the
    # model was never taught scored 0 without a word on why.
    from bot.cli.nlu import _print_report

    per_intent = {
        "greet": {"f1": 1.0, "support": 4},
        "goodbye": {"f1": 1.0, "support": 3},
        "track": {"f1": 0.8, "support": 5},
        "order_status": {"f1": 0.0, "support": 2},
    }
    report = {
        "n": 14,
        "intent": {"accuracy": 0.8, "macro_f1": 0.7, "per_intent": per_intent},
        "entities": {"precision": 1.0, "recall": 1.0, "f1": 1.0},
        "out_of_scope": None,
        "n_errors": 3,
    }
    monkeypatch.setenv("COLUMNS", "200")  # a row per intent, however wide the terminal
    _print_report(report, known=("greet", "goodbye", "track"))
    out = capsys.readouterr().out
    lows = [line for line in out.splitlines() if "low F1" in line]
    assert len(lows) == 2 and "order_status" in lows[0] and "track" in lows[1]
    assert "not one of the model's intents" in lows[0] and "not one" not in lows[1]
