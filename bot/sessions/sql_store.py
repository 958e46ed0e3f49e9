"""Session state in the SQL database (the embedded default): SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import ConflictError, LockTimeoutError
from bot.sessions.base import renewing
from bot.state import Conversation
from bot.tables import conversation_locks, session_states

POLL_SECONDS = (0.005, 0.2)
PURGE_SECONDS = 3600.0

log = logging.getLogger(__name__)


class SqlSessionStore:
    """Conversation state rows with a version column; locks are rows with an expiry.

    The lock table works the same on SQLite and PostgreSQL and across processes: taking a lock
    is an INSERT (the primary key refuses a second holder) or taking over an expired row; it is
    released only by the token that took it.
    """

    def __init__(
        self, engine: Engine, *, ttl_seconds: float = 7 * 86400, lock_timeout: float = 30.0
    ) -> None:
        self.engine = engine
        self.ttl_seconds = ttl_seconds
        self.lock_timeout = lock_timeout

    async def load(self, conversation_id: str) -> Conversation | None:
        return await asyncio.to_thread(self._load, conversation_id)

    def _load(self, conversation_id: str) -> Conversation | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(session_states.c.data, session_states.c.expires_at).where(
                    session_states.c.conversation_id == conversation_id
                )
            ).first()
        if row is None or row.expires_at <= time.time():
            return None
        return Conversation.from_json(row.data)

    async def save(self, conversation: Conversation, expected_version: int) -> Conversation:
        return await asyncio.to_thread(self._save, conversation, expected_version)

    def _save(self, conversation: Conversation, expected_version: int) -> Conversation:
        now = time.time()
        saved = replace(conversation, version=expected_version + 1)
        values = {
            "version": saved.version,
            "data": saved.to_json(),
            "expires_at": now + self.ttl_seconds,
        }
        table = session_states
        if expected_version == 0:
            with self.engine.begin() as conn:
                # An expired row counts as absent: clear it so the insert can take its place.
                conn.execute(
                    delete(table).where(
                        table.c.conversation_id == conversation.id, table.c.expires_at <= now
                    )
                )
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(table).values(conversation_id=conversation.id, **values))
            except IntegrityError:
                raise ConflictError(
                    f"conversation {conversation.id!r} was created by another turn"
                ) from None
            return saved
        with self.engine.begin() as conn:
            result = conn.execute(
                update(table)
                .where(
                    table.c.conversation_id == conversation.id,
                    table.c.version == expected_version,
                    table.c.expires_at > now,
                )
                .values(**values)
            )
        if result.rowcount != 1:
            raise ConflictError(
                f"conversation {conversation.id!r} changed since version {expected_version}"
            )
        return saved

    @asynccontextmanager
    async def lock(self, conversation_id: str, *, wait: float | None = None) -> AsyncIterator[None]:
        token = secrets.token_hex(16)
        deadline = time.monotonic() + (self.lock_timeout if wait is None else wait)
        delay = POLL_SECONDS[0]
        while not await asyncio.to_thread(self._try_acquire, conversation_id, token):
            if time.monotonic() >= deadline:
                raise LockTimeoutError(f"conversation {conversation_id!r} is busy; try again")
            await asyncio.sleep(delay)
            delay = min(delay * 2, POLL_SECONDS[1])

        async def renew() -> bool:
            return await asyncio.to_thread(self._extend, conversation_id, token)

        try:
            async with renewing(renew, self.lock_timeout, conversation_id):
                yield
        finally:
            await asyncio.to_thread(self._release, conversation_id, token)

    def _extend(self, conversation_id: str, token: str) -> bool:
        table = conversation_locks
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(table)
                    .where(table.c.conversation_id == conversation_id, table.c.token == token)
                    .values(expires_at=time.time() + self.lock_timeout)
                ).rowcount
            )

    def _try_acquire(self, conversation_id: str, token: str) -> bool:
        now = time.time()
        table = conversation_locks
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(table)
                .where(table.c.conversation_id == conversation_id, table.c.expires_at <= now)
                .values(token=token, expires_at=now + self.lock_timeout)
            ).rowcount
        if taken == 1:
            return True
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(table).values(
                        conversation_id=conversation_id,
                        token=token,
                        expires_at=now + self.lock_timeout,
                    )
                )
        except IntegrityError:
            return False
        return True

    def _release(self, conversation_id: str, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(conversation_locks).where(
                    conversation_locks.c.conversation_id == conversation_id,
                    conversation_locks.c.token == token,
                )
            )

    async def delete(self, conversation_id: str) -> None:
        await asyncio.to_thread(self._delete, conversation_id)

    def _delete(self, conversation_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(session_states).where(session_states.c.conversation_id == conversation_id)
            )

    async def purge_expired(self) -> int:
        """Delete expired state rows; returns how many went."""
        return await asyncio.to_thread(self._purge_expired)

    def _purge_expired(self) -> int:
        now = time.time()
        with self.engine.begin() as conn:
            # an expired lock is free already; its row only takes room
            conn.execute(delete(conversation_locks).where(conversation_locks.c.expires_at <= now))
            return conn.execute(
                delete(session_states).where(session_states.c.expires_at <= now)
            ).rowcount

    async def purge_periodically(self, every: float = PURGE_SECONDS) -> None:
        """Delete expired state rows now and every ``every`` seconds until cancelled (a
        serving process runs this: expired rows are never read, but nothing else removes
        them; a process restarted more often than hourly still purges)."""
        while True:
            try:
                purged = await self.purge_expired()
            except Exception:  # a database hiccup; the next round tries again
                log.warning("purging expired conversation state failed", exc_info=True)
            else:
                if purged:
                    log.info("purged %d expired conversation states", purged)
            await asyncio.sleep(every)

    async def close(self) -> None:
        """The engine belongs to the caller; nothing to close here."""
