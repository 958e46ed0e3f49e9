"""Options and arguments several commands share: the project folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ProjectOption = Annotated[
    Path | None, typer.Option("--project", help="project folder (default: DESKBOT_PROJECT_DIR)")
]
# `deskbot check examples/demo` was refused while `deskbot init DIR` takes its folder so.
ProjectArgument = Annotated[
    Path | None,
    typer.Argument(help="project folder (or --project)", show_default=False),
]


def project_folder(folder: Path | None, project: Path | None) -> Path | None:
    """The folder given as an argument or as ``--project`` (None: neither)."""
    if folder is not None and project is not None and folder.resolve() != project.resolve():
        raise typer.BadParameter(
            f"two project folders given, {folder} and --project {project}; give one"
        )
    return folder if folder is not None else project
