"""Operating commands: database migrations, the server, API tokens, conversation data."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from bot import db
from bot.cli.output import output_file, write_output
from bot.errors import BotError
from bot.settings import ENV_PREFIX, Settings, load_settings


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
    token_app = typer.Typer(
        help="API tokens for the agents' console and the FAQ editor.", no_args_is_help=True
    )
    conversation_app = typer.Typer(help="Conversation data.", no_args_is_help=True)
    app.add_typer(db_app, name="db")
    app.add_typer(token_app, name="token")
    app.add_typer(conversation_app, name="conversation")

    @db_app.command("upgrade")
    def db_upgrade(revision: str = "head") -> None:
        """Migrate the configured database to the latest schema (creates a SQLite file)."""
        settings = load_settings()
        db.upgrade(settings.database_url, revision)
        typer.echo(f"database at {_redact(settings.database_url)} is at {revision}")

    @db_app.command("downgrade")
    def db_downgrade(revision: str) -> None:
        """Migrate the configured database back to REVISION ("base" drops every table)."""
        settings = load_settings()
        db.downgrade(settings.database_url, revision)
        typer.echo(f"database at {_redact(settings.database_url)} is at {revision}")

    @db_app.command("check")
    def db_check() -> None:
        """Fail if the table definitions and the migrations disagree."""
        db.check(load_settings().database_url)
        typer.echo("migrations match the models")

    @app.command()
    def serve(
        project: Annotated[
            Path | None, typer.Option(help="bot project folder (default: DESKBOT_PROJECT_DIR)")
        ] = None,
        host: Annotated[str | None, typer.Option(help="address to bind")] = None,
        # The range is checked here too, so that an error names --port, not DESKBOT_PORT.
        port: Annotated[int | None, typer.Option(help="port to bind", min=1, max=65535)] = None,
        workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    ) -> None:
        """Serve the HTTP API (migrating the database first)."""
        import uvicorn

        options = {"project_dir": project, "host": host, "port": port}
        overrides = {k: v for k, v in options.items() if v is not None}
        settings = load_settings(**overrides)
        _preflight(settings)
        # Worker processes build their settings from the environment: pass the options on.
        for name, value in overrides.items():
            os.environ[f"{ENV_PREFIX}{name.upper()}"] = str(value)
        db.upgrade(settings.database_url)
        uvicorn.run(
            "bot.api.factory:app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_level=settings.log_level,
        )

    def _preflight(settings: Settings) -> None:
        """What would otherwise fail inside the server's start-up, with a traceback per
        worker, or start a server that answers every message with 503."""
        from nlu.encoder import choose_device, resolve_model_path

        if not settings.project_dir.is_dir():
            raise BotError(
                f"the bot project {settings.project_dir} is not a folder (--project or "
                "DESKBOT_PROJECT_DIR); give the project to serve (see `deskbot init`)"
            )
        choose_device(settings.device)
        resolve_model_path(settings.encoder)

    @token_app.command("create")
    def token_create(
        role: Annotated[str, typer.Option(help="agent or admin")],
        name: Annotated[str, typer.Option(help="who holds it (default: the role)")] = "",
    ) -> None:
        """Create an API token; it is printed once and stored only as a hash."""
        from bot.tokens import TokenStore, check_role

        check_role(role)  # before the database: a typo is told first
        with _engine() as engine:
            token, info = TokenStore(engine).create(role, name)
        typer.echo(f"{info.role} token #{info.id}: {token}")

    @token_app.command("list")
    def token_list() -> None:
        """List the tokens (id, role, name, dates); the tokens themselves are never shown."""
        from bot.tokens import TokenStore

        with _engine() as engine:
            records = TokenStore(engine).all()
        if not records:
            typer.echo("no tokens; create one with `deskbot token create --role admin`")
        for record in records:
            used = _when(record.last_used_at) if record.last_used_at else "never"
            state = "revoked" if record.revoked else "active"
            typer.echo(
                f"#{record.id}  {record.role:<5}  {state:<7}  created {_when(record.created_at)}"
                f"  last used {used}  {record.name}"
            )

    @token_app.command("revoke")
    def token_revoke(
        token: Annotated[str, typer.Argument(help="the token's id (see `token list`) or name")],
    ) -> None:
        """Revoke a token: requests with it are refused from now on."""
        from bot.tokens import TokenStore

        with _engine() as engine:
            store = TokenStore(engine)
            record = store.find(token)
            if not record.revoked:
                store.revoke(record.id)
        done = "was already revoked" if record.revoked else "revoked"
        typer.echo(f"{record.role} token #{record.id} ({record.name}) {done}")

    @conversation_app.command("export")
    def conversation_export(
        conversation_id: str,
        out: Annotated[
            Path | None, typer.Option("--out", help="JSON file to write (default: stdout)")
        ] = None,
    ) -> None:
        """Write everything the transcript holds about a conversation as JSON (what the
        agents' API shows: its summary and every event)."""
        from bot.transcripts import TranscriptLog

        if out is not None:
            output_file(out, "--out")  # before the database: one thing to fix at a time
        settings = load_settings()
        engine = db.create_db_engine(settings.database_url, must_exist=True)
        try:
            log = TranscriptLog(engine)
            summary = asyncio.run(log.get(conversation_id))
            if summary is None:
                raise BotError(f"no transcript for {conversation_id}")
            events = asyncio.run(log.read_all(conversation_id))
        finally:
            engine.dispose()
        document = {"conversation": summary.to_json(), "events": [e.to_json() for e in events]}
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        if out is None:
            typer.echo(text, nl=False)
        else:
            write_output(out, text, "--out")
            typer.echo(f"exported {len(events)} events of {conversation_id} to {out}", err=True)

    @conversation_app.command("delete")
    def conversation_delete(conversation_id: str) -> None:
        """Delete everything stored about a conversation: transcript and live state."""
        from bot.services import build_session_store
        from bot.transcripts import TranscriptLog, delete_conversation

        settings = load_settings()
        engine = db.create_db_engine(settings.database_url, must_exist=True)

        async def run() -> bool:
            store = build_session_store(settings, engine)
            try:
                return await delete_conversation(store, TranscriptLog(engine), conversation_id)
            finally:
                await store.close()

        try:
            existed = asyncio.run(run())
        finally:
            engine.dispose()
        typer.echo(
            f"deleted {conversation_id}" if existed else f"no transcript for {conversation_id}"
        )


@contextmanager
def _engine() -> Iterator[Engine]:
    """An engine on the configured database, disposed of afterwards."""
    engine = db.create_db_engine(load_settings().database_url, must_exist=True)
    try:
        yield engine
    finally:
        engine.dispose()


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
