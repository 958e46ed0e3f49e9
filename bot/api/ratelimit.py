"""Per-conversation and per-address limits on the public channels (fixed one-minute windows).

Counters live in Redis when it is configured, so every worker shares them, and in this
process's memory otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.errors import BotError

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
RETRY_SECONDS = 10.0  # after Redis failed, count locally this long before asking it again


class RateLimited(BotError):
    """Too many messages in the current window; ``retry_after`` seconds until the next one."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MessageTooLarge(BotError):
    """A user message is longer than the configured limit."""

    status_code = 413


class CounterStore(Protocol):
    async def hit(self, key: str, window: int) -> int:
        """Count one hit of ``key`` in ``window``; return the count so far."""
        ...

    async def close(self) -> None: ...


class MemoryCounters:
    """Counters in this process; windows older than the current one are dropped."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = asyncio.Lock()

    async def hit(self, key: str, window: int) -> int:
        async with self._lock:
            if len(self._counts) > 10_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
            return count

    async def close(self) -> None:
        self._counts.clear()


class RedisCounters:
    """Counters in Redis (INCR with an expiry), shared by every worker.

    While Redis cannot be reached, this process counts on its own (each worker then allows
    the limit by itself) rather than refusing every message: a limit exists to stop floods,
    not to take the chat down with the cache.
    """

    def __init__(self, url: str, *, prefix: str = "deskbot") -> None:
        self.redis: Redis = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.key_prefix = f"{prefix}:ratelimit:v1"
        self.fallback = MemoryCounters()
        self._down_since: float | None = None

    async def hit(self, key: str, window: int) -> int:
        name = f"{self.key_prefix}:{key}:{window}"
        if self._down_since is not None and time.time() - self._down_since < RETRY_SECONDS:
            # Known to be away: do not spend a timeout on every message to find out again.
            return await self.fallback.hit(key, window)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, WINDOW_SECONDS * 2)
                count, _ = await pipe.execute()
        except (RedisError, OSError):
            if self._down_since is None:
                log.warning("cannot reach Redis for rate limits; counting in this process")
            self._down_since = time.time()
            return await self.fallback.hit(key, window)
        if self._down_since is not None:
            log.warning("Redis is back for rate limits")
            self._down_since = None
        return int(count)

    async def close(self) -> None:
        await self.redis.aclose()


class RateLimiter:
    """Checks user messages against the size limit and the per-minute limits.

    Args:
        counters: where counts are kept.
        per_conversation: messages per conversation per minute (0: unlimited).
        per_address: messages per client address per minute (0: unlimited).
        max_chars: the longest message accepted.
    """

    def __init__(
        self, counters: CounterStore, *, per_conversation: int, per_address: int, max_chars: int
    ) -> None:
        self.counters = counters
        self.per_conversation = per_conversation
        self.per_address = per_address
        self.max_chars = max_chars

    def check_size(self, text: str) -> None:
        """Raises:
        MessageTooLarge: the text is longer than ``max_chars``.
        """
        if len(text) > self.max_chars:
            raise MessageTooLarge(
                f"message is {len(text)} characters; the limit is {self.max_chars}"
            )

    async def check(self, conversation_id: str, address: str | None) -> str | None:
        """Count one message; return the scope whose limit it breaks, or None when allowed."""
        window = int(time.time()) // WINDOW_SECONDS
        # Both counters count every message, refused or not, so a flood stays refused.
        by_conversation = (
            await self.counters.hit(f"conv:{conversation_id}", window)
            if self.per_conversation
            else 0
        )
        by_address = (
            await self.counters.hit(f"addr:{address}", window)
            if self.per_address and address
            else 0
        )
        if self.per_conversation and by_conversation > self.per_conversation:
            return "conversation"
        if self.per_address and by_address > self.per_address:
            return "address"
        return None

    async def enforce(self, conversation_id: str, address: str | None) -> None:
        """Like :meth:`check`, raising instead of returning.

        Raises:
            RateLimited: a limit is exceeded; the message says which and when to retry.
        """
        scope = await self.check(conversation_id, address)
        if scope is not None:
            limit = self.per_conversation if scope == "conversation" else self.per_address
            retry_after = WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS
            raise RateLimited(
                f"too many messages from this {scope} (limit {limit} per minute); "
                f"try again in {retry_after} s",
                retry_after,
            )

    async def close(self) -> None:
        await self.counters.close()
