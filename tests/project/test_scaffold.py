"""``deskbot init``: the new project loads and checks clean."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from bot.cli.project import register
from bot.project import ProjectError, load_project
from bot.project.check import check_project
from bot.project.scaffold import create_project


def test_init_creates_a_project_that_checks_clean(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    made = runner.invoke(app, ["init", str(tmp_path / "shop")])
    assert made.exit_code == 0, made.output
    assert check_project(tmp_path / "shop") == []
    checked = runner.invoke(app, ["check", "--project", str(tmp_path / "shop")])
    assert checked.exit_code == 0 and "0 error(s), 0 warning(s)" in checked.output
    project = load_project(tmp_path / "shop")
    assert project.domain.forms["order_form"].required_slots == ("order_number", "email")
    assert project.actions_module == "actions" and project.actions_dir == tmp_path / "shop/actions"
    assert len(project.rules) >= 2 and project.test_stories
    (faq,) = project.faq_files
    entries = yaml.safe_load(faq.read_text())
    assert len(entries) == 3 and {"id", "question", "alternatives", "answer", "tags"} <= set(
        entries[0]
    )
    code = (tmp_path / "shop/actions/actions.py").read_text()
    assert "from rasa_sdk import Action" in code and '"action_order_status"' in code


def test_init_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ProjectError, match="not empty"):
        create_project(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
