"""Operating commands: database migrations, the server, API tokens, conversation data."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from bot import db
from bot.settings import ENV_PREFIX, load_settings


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
    token_app = typer.Typer(help="API tokens for the agents' console and the FAQ editor.")
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
        """Migrate the configured database back to REVISION (``base`` drops every table)."""
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
        port: Annotated[int | None, typer.Option(help="port to bind")] = None,
        workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    ) -> None:
        """Serve the HTTP API (migrating the database first)."""
        import uvicorn

        options = {"project_dir": project, "host": host, "port": port}
        overrides = {k: v for k, v in options.items() if v is not None}
        settings = load_settings(**overrides)
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

    @token_app.command("create")
    def token_create(
        role: Annotated[str, typer.Option(help="agent or admin")],
        name: Annotated[str, typer.Option(help="who holds it")] = "",
    ) -> None:
        """Create an API token; it is printed once and stored only as a hash."""
        from bot.tokens import TokenStore

        settings = load_settings()
        engine = db.create_db_engine(settings.database_url)
        try:
            token, info = TokenStore(engine).create(role, name)
        finally:
            engine.dispose()
        typer.echo(f"{info.role} token #{info.id}: {token}")

    @conversation_app.command("delete")
    def conversation_delete(conversation_id: str) -> None:
        """Delete everything stored about a conversation: transcript and live state."""
        from bot.services import build_session_store
        from bot.transcripts import TranscriptLog

        settings = load_settings()
        engine = db.create_db_engine(settings.database_url)

        async def run() -> bool:
            store = build_session_store(settings, engine)
            try:
                await store.delete(conversation_id)
                return await TranscriptLog(engine).delete(conversation_id)
            finally:
                await store.close()

        try:
            existed = asyncio.run(run())
        finally:
            engine.dispose()
        typer.echo(
            f"deleted {conversation_id}" if existed else f"no transcript for {conversation_id}"
        )


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
