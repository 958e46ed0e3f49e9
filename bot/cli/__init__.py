"""The ``deskbot`` command line."""

from __future__ import annotations

import sys

import typer
from alembic.util import CommandError
from sqlalchemy.exc import DBAPIError

from bot import db
from bot.cli import admin, chat, faq, nlu, project, web
from bot.cli.options import ProjectOption
from bot.errors import BotError
from knowledge import KnowledgeError
from nlu import NluError

app = typer.Typer(
    help="deskbot: a self-hosted customer-service chatbot backend.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
train_app = typer.Typer(
    help="Train a project (no subcommand) or one model.", invoke_without_command=True
)
evaluate_app = typer.Typer(help="Measure models on labelled data.", no_args_is_help=True)
app.add_typer(train_app, name="train")
app.add_typer(evaluate_app, name="evaluate")


@train_app.callback()
def _train(
    ctx: typer.Context,
    project: ProjectOption = None,
    force: chat.ForceOption = False,
    epochs: chat.EpochsOption = None,
) -> None:
    """Train a project: seed its FAQ base and train the NLU model when its data changed."""
    if ctx.invoked_subcommand is None:
        chat.train_project_command(project=project, force=force, epochs=epochs)


admin.register(app)
chat.register(app)
project.register(app)
web.register(app)
nlu.register(train_app, evaluate_app)
faq.register(app, evaluate_app)

KNOWN_ERRORS = (BotError, NluError, KnowledgeError)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; known errors print one line and exit 2, with no traceback.

    Database failures a user can fix (not migrated, unreachable, a refused migration) count
    as known; any other database error is a bug and keeps its traceback.
    """
    try:
        app(args=argv)  # standalone: usage errors print themselves and exit 2
    except KNOWN_ERRORS as error:
        _fail(error)
    except (DBAPIError, CommandError) as error:
        known = db.explain(error)
        if known is None:
            raise
        _fail(known)


def _fail(error: Exception) -> None:
    typer.echo(f"error: {error}", err=True)
    sys.exit(2)
