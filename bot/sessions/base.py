"""The session-store seam: a Protocol every backend implements, and shared limits."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

from bot.state import Conversation


@runtime_checkable
class SessionStore(Protocol):
    """Where conversation state lives between turns.

    ``save`` is optimistic: it succeeds only when the stored version equals
    ``expected_version`` (0 for a conversation not stored yet) and raises ``ConflictError``
    otherwise. ``lock`` serialises the turns of one conversation across tasks and processes;
    a lock whose holder died is freed after ``lock_timeout`` seconds.
    """

    async def load(self, conversation_id: str) -> Conversation | None: ...

    async def save(self, conversation: Conversation, expected_version: int) -> Conversation:
        """Store the state; return it with its new version."""
        ...

    def lock(
        self, conversation_id: str, *, wait: float | None = None
    ) -> AbstractAsyncContextManager[None]: ...

    async def delete(self, conversation_id: str) -> None: ...

    async def close(self) -> None: ...
