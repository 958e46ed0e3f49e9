"""Database engines and migrations (Alembic, targeting the bot and knowledge metadata)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

import knowledge.tables
from bot import tables
from bot.errors import BotError
from knowledge import enable_wal

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# Every table deskbot owns; Alembic autogenerates against this list.
TARGET_METADATA: list[MetaData] = [tables.metadata, knowledge.tables.metadata]

UPGRADE_HINT = "run `deskbot db upgrade`"
# SQLSTATE codes PostgreSQL gives for a table or column the schema lacks.
_UNDEFINED_TABLE = "42P01"
_UNDEFINED_COLUMN = "42703"


class DatabaseError(BotError):
    """The database can't be used as it is: unreachable, not migrated, or a migration refused."""

    status_code = 503


def explain(error: DBAPIError | CommandError) -> DatabaseError | None:
    """Say in one line what a user can do about a database failure.

    Returns:
        The error to show, or None when the failure is not the user's to fix (a bug).
    """
    if isinstance(error, CommandError):
        message = str(error)
        if "not up to date" in message:
            return DatabaseError(
                f"the database schema is not at the latest revision; {UPGRADE_HINT}"
            )
        return DatabaseError(message)
    detail = (str(error.orig or error).strip().splitlines() or [type(error).__name__])[0]
    code = getattr(error.orig, "sqlstate", None)
    if code == _UNDEFINED_TABLE or detail.startswith("no such table"):
        return DatabaseError(f"the database is not set up ({detail}); {UPGRADE_HINT}")
    if code == _UNDEFINED_COLUMN or detail.startswith("no such column"):
        return DatabaseError(f"the database schema is out of date ({detail}); {UPGRADE_HINT}")
    if isinstance(error, OperationalError):
        return DatabaseError(f"cannot use the database: {detail}; check DESKBOT_DATABASE_URL")
    return None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # busy_timeout waits instead of failing; WAL lets readers run beside the one writer.
    cursor.execute("PRAGMA busy_timeout=30000")
    enable_wal(dbapi_connection)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_db_engine(url: str, *, must_exist: bool = False, **kwargs: Any) -> Engine:
    """An engine for a sqlite:// or postgresql+psycopg:// URL, ready for threads.

    A SQLite file's folder is created if missing, unless ``must_exist``: commands that only
    use a database refuse a missing SQLite file rather than leave an empty one (and its
    folder) wherever they were run.

    Raises:
        DatabaseError: the SQLite folder cannot be created, or ``must_exist`` and no file.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            if must_exist and not Path(parsed.database).exists():
                raise DatabaseError(
                    f"no database at {parsed.database}; {UPGRADE_HINT} (`deskbot train` and "
                    "`deskbot serve` do it too), or set DESKBOT_DATABASE_URL to yours"
                )
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise DatabaseError(
                    f"cannot create {folder} for the SQLite database: {error.strerror}; "
                    "check DESKBOT_DATABASE_URL"
                ) from None
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (creating a SQLite file if needed)."""
    engine = create_db_engine(url)
    try:
        config = alembic_config(url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    engine = create_db_engine(url)
    try:
        config = alembic_config(url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def check(url: str) -> None:
    """Raise if the models and the migrations disagree (``alembic check``)."""
    engine = create_db_engine(url)
    try:
        config = alembic_config(url)
        config.stdout = io.StringIO()  # its "No new upgrade operations detected." is ours to say
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.check(config)
    finally:
        engine.dispose()
