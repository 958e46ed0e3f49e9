"""Conversation state storage: the SessionStore protocol and its SQL and Redis backends."""

from __future__ import annotations

from bot.errors import ConflictError, LockTimeoutError
from bot.sessions.base import SessionStore
from bot.sessions.redis_store import RedisKeys, RedisSessionStore
from bot.sessions.sql_store import SqlSessionStore

__all__ = [
    "ConflictError",
    "LockTimeoutError",
    "RedisKeys",
    "RedisSessionStore",
    "SessionStore",
    "SqlSessionStore",
]
