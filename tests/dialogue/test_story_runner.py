"""The test-story runner and the ``deskbot test`` command on a real project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.db import create_db_engine
from bot.dialogue import DialogueManager
from bot.project import Project
from bot.story_tests import run_story
from knowledge import FaqBase, FaqDraft

PROJECT = Path(__file__).parent / "project"


async def test_runner_passes_a_matching_story_and_names_the_difference(
    make_dm: Callable[..., DialogueManager], project: Project
) -> None:
    dm = make_dm()
    good, bad = project.test_stories
    result = await run_story(dm, good)
    assert result.passed, result.failure
    assert result.turns[0]["actions"] == ["utter_greet"]
    failed = await run_story(dm, bad)
    assert not failed.passed
    assert "ran ['utter_greet'], expected ['utter_goodbye']" in (failed.failure or "")


def test_deskbot_test_command_reports_and_exits_non_zero(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "test", "--project", str(PROJECT), "--report", str(report)],
        cwd=tmp_path,
        env={**os.environ, "DESKBOT_DATA_DIR": str(tmp_path / "var")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert "1 passed, 1 failed" in done.stdout
    rows = json.loads(report.read_text())
    assert [r["passed"] for r in rows] == [True, False]


def test_deskbot_shell_chats_until_exit(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--project", str(PROJECT)],
        cwd=tmp_path,
        env={**os.environ, "DESKBOT_DATA_DIR": str(tmp_path / "var")},
        input="/greet\n/affirm\n1\n/exit\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "bot> Hello! How can I help?" in out
    assert "bot> First part." in out and "bot> Second part." in out
    assert "1. Yes" in out  # the button is offered by number and "1" sends its payload
    assert out.count("bot> First part.") == 2


@pytest.mark.slow
def test_deskbot_init_then_train_trains_the_model_and_indexes_the_faq(tmp_path: Path) -> None:
    env = {**os.environ, "DESKBOT_DATA_DIR": str(tmp_path / "var")}
    bot = tmp_path / "mybot"

    def deskbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    assert deskbot("init", str(bot)).returncode == 0
    first = deskbot("train", "--project", str(bot), "--epochs", "1")
    assert first.returncode == 0, first.stderr
    assert "NLU model trained" in first.stdout and "indexed at revision" in first.stdout
    assert (bot / "models" / "nlu" / "training.json").exists()
    assert any((tmp_path / "var" / "faq" / "index").iterdir())
    again = deskbot("train", "--project", str(bot), "--epochs", "1")
    assert "up to date" in again.stdout  # unchanged data is not trained twice
    assert "FAQ base changed" not in again.stdout
    # Staff add an FAQ entry: answered at once, so the next start does not retrain for it
    # (it used to, for minutes), but says how to teach the model the new question.
    engine = create_db_engine(f"sqlite:///{tmp_path / 'var' / 'deskbot.db'}")
    FaqBase(engine).create(FaqDraft("gift-wrap", "Do you gift wrap?", "Yes."), author="ana")
    engine.dispose()
    edited = deskbot("train", "--project", str(bot), "--epochs", "1")
    assert "up to date" in edited.stdout and "deskbot train --force" in edited.stdout
