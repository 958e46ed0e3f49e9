"""The objects one deskbot process runs on, built from settings and closed together."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from bot.sessions import RedisSessionStore, SessionStore, SqlSessionStore
from bot.settings import Settings
from bot.tokens import TokenStore
from bot.transcripts import TranscriptLog


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: SessionStore
    transcripts: TranscriptLog
    tokens: TokenStore

    async def aclose(self) -> None:
        await self.sessions.close()


def build_session_store(settings: Settings, engine: Engine) -> SessionStore:
    if settings.session_store == "redis":
        assert settings.redis_url is not None  # the settings validator guarantees it
        return RedisSessionStore.from_url(
            settings.redis_url,
            ttl_seconds=settings.session_ttl_seconds,
            lock_timeout=settings.lock_timeout_seconds,
        )
    return SqlSessionStore(
        engine,
        ttl_seconds=settings.session_ttl_seconds,
        lock_timeout=settings.lock_timeout_seconds,
    )


async def build_services(settings: Settings, engine: Engine) -> Services:
    return Services(
        settings=settings,
        engine=engine,
        sessions=build_session_store(settings, engine),
        transcripts=TranscriptLog(engine),
        tokens=TokenStore(engine),
    )
