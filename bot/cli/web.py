"""Commands of the web side: ``deskbot export annotations OUT.yml``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot import db
from bot.cli.output import output_file, write_output
from bot.settings import load_settings


def register(app: typer.Typer) -> None:
    """Add the ``export`` group to the ``deskbot`` command line."""
    export_app = typer.Typer(help="Export data for retraining.", no_args_is_help=True)
    app.add_typer(export_app, name="export")

    @export_app.command("annotations")
    def export_annotations(
        out: Annotated[Path, typer.Argument(help="the Rasa NLU YAML file to write")],
    ) -> None:
        """Write the agents' annotations as Rasa NLU training data (version 3.1)."""
        from bot.api.annotations import export_yaml

        output_file(out, "OUT")
        settings = load_settings()
        engine = db.create_db_engine(settings.database_url, must_exist=True)
        try:
            text, count = export_yaml(engine)
        finally:
            engine.dispose()
        write_output(out, text, "OUT")
        typer.echo(f"wrote {count} annotated example(s) to {out}")
