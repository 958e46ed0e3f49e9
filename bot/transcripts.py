"""The transcript: every event of every conversation, append-only, in SQL.

Each conversation has a summary row (status, handoff state, a low-confidence flag, the last
sequence number) kept in step with its events, so agents can filter without scanning events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import BotError
from bot.state import HANDOFF_STATES, agent_of
from bot.tables import PREVIEW_CHARS, conversation_events, conversations, reminders

if TYPE_CHECKING:
    from bot.sessions import SessionStore

EVENT_TYPES = frozenset(
    {
        "user",
        "bot",
        "agent",
        "action",
        "slot",
        "handoff",
        "form",
        "annotation",
        "session",
        "status",
        "trigger",
    }
)


@dataclass(frozen=True)
class TranscriptEvent:
    """One thing that happened in a conversation.

    Summary effects: a ``handoff`` event with ``data["to"]`` sets the handoff state; a
    ``status`` event with ``data["to"]`` (``open``/``closed``) sets the status; a ``user``
    event with ``data["low_confidence"]`` true flags the conversation.
    """

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None
    created_at: datetime | None = None
    seq: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The event as the agents' API and ``deskbot conversation export`` give it."""
        return {
            "seq": self.seq,
            "type": self.type,
            "actor": self.actor,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "data": self.data,
        }


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    status: str
    handoff: str
    has_low_confidence: bool
    last_seq: int
    created_at: datetime
    updated_at: datetime
    last_user_text: str | None = None  # the start of what the user last typed
    handoff_at: datetime | None = None  # when the handoff state last changed

    def to_json(self) -> dict[str, Any]:
        """The summary as the agents' API and ``deskbot conversation export`` give it."""
        return {
            "id": self.id,
            "status": self.status,
            "handoff": self.handoff,
            "low_confidence": self.has_low_confidence,
            "last_seq": self.last_seq,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "last_user_text": self.last_user_text,
            "handoff_at": self.handoff_at.isoformat() if self.handoff_at else None,
        }


@dataclass(frozen=True)
class TranscriptPage:
    events: list[TranscriptEvent]
    next_after: int | None  # pass as ``after`` for the next page; None when this was the last


def as_utc(value: datetime) -> datetime:
    """A time in UTC. A naive one is taken as UTC already: SQLite hands back naive times (all
    we store is UTC), and a filter typed without an offset means UTC too."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _event_of(row: Any) -> TranscriptEvent:
    return TranscriptEvent(
        type=row.type,
        data=row.data,
        actor=row.actor,
        created_at=as_utc(row.created_at),
        seq=row.seq,
    )


def _check(event: TranscriptEvent) -> None:
    if event.type not in EVENT_TYPES:
        raise BotError(f"unknown transcript event type {event.type!r}")
    target = event.data.get("to")
    if event.type == "handoff" and target not in HANDOFF_STATES:
        raise BotError(f"handoff event needs 'to' in {HANDOFF_STATES}, got {target!r}")
    if event.type == "status" and target not in ("open", "closed"):
        raise BotError(f"status event needs 'to' of 'open' or 'closed', got {target!r}")


class TranscriptLog:
    """Append-only events per conversation with strictly increasing sequence numbers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def append(
        self, conversation_id: str, events: Sequence[TranscriptEvent]
    ) -> list[TranscriptEvent]:
        """Append events in order; returns them with their sequence numbers and times."""
        for event in events:
            _check(event)
        if not events:
            return []
        return await asyncio.to_thread(self._append, conversation_id, list(events))

    def _ensure_conversation(self, conversation_id: str, now: datetime) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(conversations).values(
                        id=conversation_id,
                        status="open",
                        handoff="bot",
                        has_low_confidence=False,
                        last_seq=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            pass  # it exists already, or another writer just made it

    def _append(self, conversation_id: str, events: list[TranscriptEvent]) -> list[TranscriptEvent]:
        now = datetime.now(UTC)
        with self.engine.connect() as conn:
            exists = conn.execute(
                select(conversations.c.id).where(conversations.c.id == conversation_id)
            ).first()
        if exists is None:
            self._ensure_conversation(conversation_id, now)
        summary: dict[str, Any] = {"updated_at": now}
        for event in events:
            if event.type == "handoff":
                summary["handoff"] = event.data["to"]
                summary["handoff_at"] = now
            elif event.type == "status":
                summary["status"] = event.data["to"]
            elif event.type == "user":
                if event.data.get("low_confidence"):
                    summary["has_low_confidence"] = True
                text = str(event.data.get("text") or "")
                if text and not text.startswith("/"):  # a button's payload says little
                    summary["last_user_text"] = " ".join(text.split())[:PREVIEW_CHARS]
        with self.engine.begin() as conn:
            # Bumping last_seq first takes the row lock (PostgreSQL) / write lock (SQLite),
            # so concurrent appends to one conversation get disjoint, increasing ranges.
            last = conn.execute(
                update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(last_seq=conversations.c.last_seq + len(events), **summary)
                .returning(conversations.c.last_seq)
            ).scalar_one()
            first = last - len(events) + 1
            stamped = [
                TranscriptEvent(
                    type=e.type,
                    data=e.data,
                    actor=e.actor,
                    created_at=e.created_at or now,
                    seq=first + i,
                )
                for i, e in enumerate(events)
            ]
            conn.execute(
                insert(conversation_events),
                [
                    {
                        "conversation_id": conversation_id,
                        "seq": e.seq,
                        "type": e.type,
                        "actor": e.actor,
                        "data": e.data,
                        "created_at": e.created_at,
                    }
                    for e in stamped
                ],
            )
        return stamped

    async def read_all(
        self, conversation_id: str, *, after: int = 0, cap: int | None = None
    ) -> list[TranscriptEvent]:
        """Every event with ``seq > after`` in order (the first ``cap`` or more, page by page)."""
        events: list[TranscriptEvent] = []
        cursor: int | None = after
        while cursor is not None and (cap is None or len(events) < cap):
            page = await self.read(conversation_id, after=cursor, limit=1000)
            events.extend(page.events)
            cursor = page.next_after
        return events

    async def read(
        self, conversation_id: str, *, after: int = 0, limit: int = 100
    ) -> TranscriptPage:
        """Events with ``seq > after`` in order, at most ``limit`` of them."""
        if limit < 1 or limit > 1000:
            raise BotError("limit must be between 1 and 1000")
        return await asyncio.to_thread(self._read, conversation_id, after, limit)

    def _read(self, conversation_id: str, after: int, limit: int) -> TranscriptPage:
        table = conversation_events
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table)
                .where(table.c.conversation_id == conversation_id, table.c.seq > after)
                .order_by(table.c.seq)
                .limit(limit + 1)
            ).all()
        events = [_event_of(r) for r in rows[:limit]]
        more = len(rows) > limit
        return TranscriptPage(events=events, next_after=events[-1].seq if more else None)

    async def last_agent(self, conversation_id: str) -> str | None:
        """The agent who took the conversation last ("ana#3"), when its latest handoff was
        to one: who holds it, for a conversation whose live state is gone."""
        taken = await self.last_of(conversation_id, "handoff")
        if taken is None or taken.data.get("to") != "human":
            return None
        return agent_of(taken.actor)

    async def last_of(self, conversation_id: str, event_type: str) -> TranscriptEvent | None:
        """The conversation's newest event of one type, if it has any."""
        return await asyncio.to_thread(self._last_of, conversation_id, event_type)

    def _last_of(self, conversation_id: str, event_type: str) -> TranscriptEvent | None:
        table = conversation_events
        with self.engine.connect() as conn:
            r = conn.execute(
                select(table)
                .where(table.c.conversation_id == conversation_id, table.c.type == event_type)
                .order_by(table.c.seq.desc())
                .limit(1)
            ).first()
        return None if r is None else _event_of(r)

    async def get(self, conversation_id: str) -> ConversationSummary | None:
        found = await self.list_conversations(conversation_ids=[conversation_id], limit=1)
        return found[0] if found else None

    async def list_conversations(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        status: str | None = None,
        handoff: str | None = None,
        low_confidence: bool | None = None,
        conversation_ids: Sequence[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ConversationSummary]:
        """Conversations, most recently active first, filtered by activity time and state;
        those waiting for a person (``handoff="pending_human"``) longest-waiting first."""
        c = conversations.c
        conditions = []
        if since is not None:
            conditions.append(c.updated_at >= as_utc(since))
        if until is not None:
            conditions.append(c.updated_at < as_utc(until))
        if status is not None:
            conditions.append(c.status == status)
        if handoff is not None:
            conditions.append(c.handoff == handoff)
        if low_confidence is not None:
            conditions.append(c.has_low_confidence == low_confidence)
        if conversation_ids is not None:
            conditions.append(c.id.in_(list(conversation_ids)))
        query = (
            select(conversations)
            .where(and_(True, *conditions))
            .order_by(
                # the queue: whoever has waited longest first (their later messages aside)
                *((c.handoff_at.asc(), c.id) if handoff == "pending_human" else ()),
                c.updated_at.desc(),
                c.id,
            )
            .limit(limit)
            .offset(offset)
        )

        def run() -> list[ConversationSummary]:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            return [
                ConversationSummary(
                    id=r.id,
                    status=r.status,
                    handoff=r.handoff,
                    has_low_confidence=r.has_low_confidence,
                    last_seq=r.last_seq,
                    created_at=as_utc(r.created_at),
                    updated_at=as_utc(r.updated_at),
                    last_user_text=r.last_user_text,
                    handoff_at=as_utc(r.handoff_at) if r.handoff_at else None,
                )
                for r in rows
            ]

        return await asyncio.to_thread(run)

    async def delete(self, conversation_id: str) -> bool:
        """Delete a conversation's summary, every event and its reminders; True if it
        existed."""

        def run() -> bool:
            with self.engine.begin() as conn:
                conn.execute(
                    delete(conversation_events).where(
                        conversation_events.c.conversation_id == conversation_id
                    )
                )
                conn.execute(
                    delete(reminders).where(reminders.c.conversation_id == conversation_id)
                )
                gone = conn.execute(
                    delete(conversations).where(conversations.c.id == conversation_id)
                ).rowcount
            return bool(gone)

        return await asyncio.to_thread(run)


async def delete_conversation(
    store: SessionStore, transcripts: TranscriptLog, conversation_id: str
) -> bool:
    """Delete everything stored about a conversation: its live state, its transcript and
    its reminders; True if it had a transcript. Under the conversation's lock: a turn
    running meanwhile would otherwise write its state and events back after the deletion."""
    async with store.lock(conversation_id):
        await store.delete(conversation_id)
        return await transcripts.delete(conversation_id)
