"""The session-store seam: a Protocol every backend implements, and shared limits."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Protocol, runtime_checkable

from bot.state import Conversation

log = logging.getLogger(__name__)

# A turn may hold its conversation's lock this many lock timeouts at most, renewed; a holder
# stuck beyond that (an await that never returns) lets the conversation go on without it.
MAX_HOLD_TIMEOUTS = 10


@runtime_checkable
class SessionStore(Protocol):
    """Where conversation state lives between turns.

    ``save`` is optimistic: it succeeds only when the stored version equals
    ``expected_version`` (0 for a conversation not stored yet) and raises ``ConflictError``
    otherwise. ``lock`` serialises the turns of one conversation across tasks and processes;
    its holder renews it while it works (a turn that waits on a slow action server may take
    longer than ``lock_timeout``), and a lock whose holder died, or stalled so that it could
    not renew, is freed after ``lock_timeout`` seconds.
    """

    ttl_seconds: float  # idle state expires after this

    async def load(self, conversation_id: str) -> Conversation | None: ...

    async def save(self, conversation: Conversation, expected_version: int) -> Conversation:
        """Store the state; return it with its new version."""
        ...

    def lock(
        self, conversation_id: str, *, wait: float | None = None
    ) -> AbstractAsyncContextManager[None]: ...

    async def delete(self, conversation_id: str) -> None: ...

    async def close(self) -> None: ...


@asynccontextmanager
async def renewing(
    renew: Callable[[], Awaitable[bool]], lock_timeout: float, name: str
) -> AsyncIterator[None]:
    """Keep a held lock alive until the block exits: ``renew`` (which says whether the lock
    was still ours) runs every third of the timeout, for at most ``MAX_HOLD_TIMEOUTS``
    timeouts. Without this, a turn longer than the timeout lost its lock to the next turn of
    the same conversation, and one of the two had its state refused at save."""

    async def keep() -> None:
        longest = MAX_HOLD_TIMEOUTS * lock_timeout
        until = time.monotonic() + longest
        while time.monotonic() < until:
            await asyncio.sleep(lock_timeout / 3)
            try:
                if not await renew():
                    log.warning("the lock of conversation %r expired while held", name)
                    return
            except Exception:  # a store that is down now is reported by the turn itself
                log.warning("could not renew the lock of conversation %r", name, exc_info=True)
        log.warning("conversation %r held its lock longer than %.0f s", name, longest)

    task = asyncio.create_task(keep())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
