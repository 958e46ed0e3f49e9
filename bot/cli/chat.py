"""Commands that run the bot itself: train a project, chat in the terminal, test stories."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Engine

from bot import db
from bot.cli.options import ProjectArgument, ProjectOption, project_folder
from bot.cli.output import output_file, write_output
from bot.errors import BotError
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.services import Services

ForceOption = Annotated[bool, typer.Option(help="retrain even if the data did not change")]
EpochsOption = Annotated[
    int | None,
    typer.Option(
        min=1,  # 0 trained the default 10 passes without a word
        help="Most passes over the data (default: the project's deskbot.nlu.epochs, else 10); "
        "fewer for a quick try.",
    ),
]
console = Console(soft_wrap=True)  # one line per message, whatever the terminal width


def _settings(project: Path | None) -> Settings:
    overrides = {"project_dir": project} if project is not None else {}
    return load_settings(**overrides)


def train_project_command(
    project: ProjectOption = None,
    force: ForceOption = False,
    epochs: EpochsOption = None,
) -> None:
    """Train a project: seed its FAQ base and train the NLU model when its data changed."""
    from bot.project import load_project
    from bot.training import build_faq_index, train_project
    from knowledge import FaqBase

    settings = _settings(project)
    db.upgrade(settings.database_url)
    engine = db.create_db_engine(settings.database_url)
    try:
        loaded = load_project(settings.project_dir)
        outcome = train_project(loaded, settings, engine, force=force, epochs=epochs)
        revision = build_faq_index(loaded, settings, FaqBase(engine))
    finally:
        engine.dispose()
    verb = f"trained in {outcome.seconds:.0f} s" if outcome.trained else "up to date"
    console.print(
        f"{settings.project_dir}: NLU model {verb} ({outcome.examples} examples, "
        f"{outcome.faq_examples} of them FAQ questions; {outcome.intents} intents) at "
        f"{outcome.model_dir}; FAQ base has "
        f"{outcome.faq_entries} entries ({outcome.faq_imported} imported now), "
        f"indexed at revision {revision}"
    )
    if outcome.faq_elsewhere:
        console.print(
            f"[yellow]Note: the FAQ base at {settings.database_url} held "
            f"{outcome.faq_elsewhere} entries before, none of them this project's: another "
            "project's? This bot answers from them too. A second bot needs its own "
            "DESKBOT_DATABASE_URL and DESKBOT_DATA_DIR.[/yellow]"
        )
    if outcome.faq_changed:
        console.print(
            "The FAQ base changed since the NLU model was trained: the bot answers from it "
            "already; `deskbot train --force` retrains the model with its current questions."
        )


def register(app: typer.Typer) -> None:
    @app.command()
    def shell(folder: ProjectArgument = None, project: ProjectOption = None) -> None:
        """Chat with the bot in the terminal (buttons are numbered; /exit leaves)."""
        asyncio.run(_shell(_settings(project_folder(folder, project))))

    @app.command("test")
    def test_stories(
        folder: ProjectArgument = None,
        project: ProjectOption = None,
        report: Annotated[Path | None, typer.Option(help="write results as JSON here")] = None,
    ) -> None:
        """Replay the project's test conversations (tests/test_*.yml) and report each."""
        project = project_folder(folder, project)
        if report is not None:
            output_file(report, "--report")
        passed = asyncio.run(_test(_settings(project), report))
        if not passed:
            raise typer.Exit(1)


async def _services(settings: Settings) -> tuple[Services, Engine]:
    from bot.services import build_services

    db.upgrade(settings.database_url)
    engine = db.create_db_engine(settings.database_url)
    services = await build_services(settings, engine)
    if services.dialogue is None:
        await services.aclose()
        engine.dispose()
        raise BotError(f"no bot project at {settings.project_dir}")
    return services, engine


async def _shell(settings: Settings) -> None:
    import uuid

    services, engine = await _services(settings)
    dialogue = services.dialogue
    assert dialogue is not None
    conversation = f"shell-{uuid.uuid4().hex[:8]}"
    buttons: list[str] = []
    console.print("[dim]Type a message; a number picks a button; /exit leaves.[/dim]")
    try:
        while True:
            try:
                text = await asyncio.to_thread(input, "you> ")
            except EOFError:
                break
            if not sys.stdin.isatty():
                # Piped, the messages were not on screen: "you> bot> ..." read as if the
                # bot spoke to no one.
                console.print(text, markup=False, highlight=False)
            if text.strip() in ("/exit", "/quit"):
                break
            if text.strip().isdigit() and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1]
            if not text.strip():
                continue
            buttons = []
            for message in await dialogue.handle(conversation, text, channel="shell"):
                if message.text:
                    console.print(
                        f"[bold cyan]bot>[/bold cyan] {message.text}", markup=True, highlight=False
                    )
                if message.image:
                    console.print(f"     [image] {message.image}")
                for button in message.buttons:
                    buttons.append(str(button.get("payload") or button.get("url") or ""))
                    console.print(f"     {len(buttons)}. {button.get('title')}")
    finally:
        await services.aclose()
        engine.dispose()


async def _test(settings: Settings, report: Path | None) -> bool:
    from bot.story_tests import run_story

    services, engine = await _services(settings)
    try:
        assert services.dialogue is not None and services.project is not None
        stories = services.project.test_stories
        if not stories:
            raise BotError(f"no test stories in {settings.project_dir}/tests")
        if services.parser is None:
            # Said first: every typed message fails as "read as nlu_fallback" otherwise, and
            # the failures name the stories, not the missing model.
            console.print(
                f"[yellow]No trained NLU model for {settings.project_dir}: typed messages are "
                "not understood (only /intent payloads are); run `deskbot train` first."
                "[/yellow]"
            )
        results = [await run_story(services.dialogue, story) for story in stories]
    finally:
        await services.aclose()
        engine.dispose()
    for result in results:
        mark = "[green]PASS[/green]" if result.passed else "[red]FAIL[/red]"
        console.print(f"{mark} {result.story.name}")
        if result.failure:
            console.print(f"     {result.failure}", markup=False, highlight=False)
        for failed in result.action_errors:
            console.print(f"     note: custom action {failed}", markup=False, highlight=False)
    console.print(summary_line(results))
    if report is not None:
        await asyncio.to_thread(write_output, report, _report_json(results), "--report")
    return all(r.passed for r in results)


def summary_line(results: list[Any]) -> str:
    """ "12 passed, 0 failed", and in how many a custom action failed: a pass with one
    failing on the way read as all well."""
    passed = sum(r.passed for r in results)
    broken = sum(1 for r in results if r.action_errors)
    notes = f"; a custom action failed in {broken} of them (see the notes)" if broken else ""
    return f"{passed} passed, {len(results) - passed} failed{notes}"


def _report_json(results: list[Any]) -> str:
    rows = [
        {
            "story": r.story.name,
            "file": r.story.file,
            "passed": r.passed,
            "failure": r.failure,
            "action_errors": r.action_errors,
            "turns": r.turns,
        }
        for r in results
    ]
    return json.dumps(rows, indent=2)
