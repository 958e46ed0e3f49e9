"""``deskbot init``, ``deskbot check`` and ``deskbot import rasa``: bot project folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.options import ProjectArgument, ProjectOption, project_folder
from bot.project.check import BUILTIN_DOES, Problem, check_project, has_errors
from bot.project.rasa_import import import_rasa
from bot.project.scaffold import create_project


def _show(problems: list[Problem], root: Path) -> None:
    for problem in problems:
        try:
            relative = Path(problem.file).relative_to(root)
        except ValueError:
            relative = Path(problem.file)
        # A problem with the folder itself (say, it is missing) names the folder, not ".".
        file = problem.file if relative == Path() else str(relative)
        where = f"{file}:{problem.line}" if problem.line else file
        typer.echo(f"{where}: {problem.severity}: {problem.message}")
    errors = sum(p.severity == "error" for p in problems)
    typer.echo(f"{errors} error(s), {len(problems) - errors} warning(s)")


def register(app: typer.Typer) -> None:
    """Add ``init``, ``check`` and ``import rasa`` to the ``deskbot`` command line."""
    import_app = typer.Typer(help="Bring a project from another framework.", no_args_is_help=True)
    app.add_typer(import_app, name="import")

    @app.command()
    def init(
        directory: Annotated[Path, typer.Argument(help="new project folder")],
    ) -> None:
        """Create a small working bot project (domain, data, FAQ, actions, tests)."""
        written = create_project(directory)
        typer.echo(f"created {directory} ({len(written)} files); try `deskbot check "
                   f"{directory}`")  # fmt: skip

    @app.command()
    def check(
        folder: ProjectArgument = None,
        project: ProjectOption = None,
    ) -> None:
        """Report every problem and unsupported construct of a project; exit 1 on errors."""
        project = project_folder(folder, project)
        if project is None:
            from bot.settings import load_settings

            project = load_settings().project_dir
        problems = check_project(project)
        _show(problems, project)
        if has_errors(problems):
            raise typer.Exit(1)

    @import_app.command("rasa")
    def import_rasa_command(
        src: Annotated[Path, typer.Argument(help="the Rasa project folder")],
        out: Annotated[Path, typer.Option("--out", help="new deskbot project folder")],
    ) -> None:
        """Import a Rasa 2.x/3.x project: data, domain, FAQ (retrieval intents), tests, actions."""
        report = import_rasa(src, out)
        counts = ", ".join(f"{n} {kind}" for kind, n in report.counts.items())
        typer.echo(f"imported {src} into {out}: {counts}")
        for name in report.missing_actions:
            typer.echo(f"custom action {name}: no code found; add it to {out}/actions/ or set "
                       "action_endpoint")  # fmt: skip
        for name in report.built_in_stand_ins:
            typer.echo(f"action {name}: no code found; deskbot's built-in {name} runs in its "
                       f"place ({BUILTIN_DOES[name]})")  # fmt: skip
        for line in report.skipped:
            typer.echo(f"skipped {line}")
        _show(list(report.problems), out)
