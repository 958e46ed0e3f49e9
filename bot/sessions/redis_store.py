"""Session state in Redis: one hash per conversation with a TTL, a Redis lock per turn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError, LockNotOwnedError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import ConflictError, LockTimeoutError, StateUnavailable
from bot.sessions.base import renewing
from bot.state import Conversation

# Compare-and-set in one round trip: the version check and the write cannot interleave.
_SAVE = """
local current = redis.call('HGET', KEYS[1], 'version')
if (current or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'data', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


class RedisKeys:
    """Every Redis key deskbot writes, prefixed and versioned in one place."""

    def __init__(self, prefix: str = "deskbot") -> None:
        self.prefix = prefix

    def conversation(self, conversation_id: str) -> str:
        return f"{self.prefix}:conv:v1:{conversation_id}"

    def lock(self, conversation_id: str) -> str:
        return f"{self.prefix}:lock:v1:{conversation_id}"


@asynccontextmanager
async def _reachable() -> AsyncIterator[None]:
    """A Redis that does not answer is a refused turn (503) the user can retry, not a 500
    with a traceback per message."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as error:
        raise StateUnavailable(
            f"conversation state is unreachable (Redis: {error}); try again shortly"
        ) from None


class RedisSessionStore:
    """State in Redis hashes (``version``, ``data``); expiry is Redis' own TTL."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "deskbot",
        ttl_seconds: float = 7 * 86400,
        lock_timeout: float = 30.0,
    ) -> None:
        self.client = client
        self.keys = RedisKeys(prefix)
        self.ttl_seconds = ttl_seconds
        self.lock_timeout = lock_timeout
        self._save_script: Any = client.register_script(_SAVE)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisSessionStore:
        return cls(Redis.from_url(url), **kwargs)

    async def load(self, conversation_id: str) -> Conversation | None:
        async with _reachable():
            raw = await self.client.hget(self.keys.conversation(conversation_id), "data")
        return None if raw is None else Conversation.from_json(raw)

    async def save(self, conversation: Conversation, expected_version: int) -> Conversation:
        saved = replace(conversation, version=expected_version + 1)
        async with _reachable():
            ok = await self._save_script(
                keys=[self.keys.conversation(conversation.id)],
                args=[
                    str(expected_version),
                    str(saved.version),
                    saved.to_json(),
                    int(self.ttl_seconds * 1000),
                ],
            )
        if ok != 1:
            raise ConflictError(
                f"conversation {conversation.id!r} changed since version {expected_version}"
            )
        return saved

    @asynccontextmanager
    async def lock(self, conversation_id: str, *, wait: float | None = None) -> AsyncIterator[None]:
        # redis-py's lock stores a random token and releases by Lua compare-and-delete, so a
        # holder whose lock expired can never free the next holder's lock.
        lock = self.client.lock(
            self.keys.lock(conversation_id),
            timeout=self.lock_timeout,
            blocking_timeout=self.lock_timeout if wait is None else wait,
            sleep=0.005,
        )
        async with _reachable():
            acquired = await lock.acquire()
        if not acquired:
            raise LockTimeoutError(f"conversation {conversation_id!r} is busy; try again")

        async def renew() -> bool:
            try:
                await lock.reacquire()
            except LockNotOwnedError:
                return False
            return True

        try:
            async with renewing(renew, self.lock_timeout, conversation_id):
                yield
        finally:
            # If it expired while held, the next holder's lock is left alone; if Redis went
            # away, the lock expires with it.
            with suppress(LockError, RedisConnectionError, RedisTimeoutError):
                await lock.release()

    async def delete(self, conversation_id: str) -> None:
        async with _reachable():
            await self.client.delete(self.keys.conversation(conversation_id))

    async def close(self) -> None:
        await self.client.aclose()
