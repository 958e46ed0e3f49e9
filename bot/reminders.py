"""Rasa's reminders: ``ReminderScheduled`` and ``ReminderCancelled`` from custom actions.

A reminder is kept in SQL, not in one process's memory as Rasa keeps it, so it outlives a
restart and any serving process may fire it: the first to claim it. At its time the bot acts
as if the user had sent its intent and entities (an "external" message the user never sees),
unless the conversation was restarted, the reminder cancelled or replaced (same name), or,
with ``kill_on_user_msg``, the user wrote after it was set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, RowMapping, delete, insert, or_, select, update

from bot.errors import LockTimeoutError
from bot.tables import reminders

log = logging.getLogger(__name__)
NAME_CHARS = 200
CLAIM_SECONDS = 60.0  # a process that died while firing leaves the reminder to another after this
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Reminder:
    """A reminder as set by an action (``id`` once stored)."""

    conversation_id: str
    name: str
    intent: str
    entities: list[dict[str, Any]]
    due_at: float
    kill_on_user_message: bool = True
    id: int | None = None


@dataclass(frozen=True)
class Cancel:
    """Which of a conversation's reminders to cancel (Rasa's ``ReminderCancelled``): those
    matching every one given of name, intent and entities; all of them when none is given."""

    name: str | None = None
    intent: str | None = None
    entities: list[dict[str, Any]] | None = None
    only_killed_by_messages: bool = False


# What a turn asks of the reminders, applied in order once its state is saved.
ReminderChange = Reminder | Cancel


def entity_list(entities: Any) -> list[dict[str, Any]]:
    """Rasa's entities of an external intent: a list as given, or the short form
    ``{"name": "value"}``.

    Raises:
        ValueError: neither a list of objects with ``entity`` nor an object.
    """
    if entities is None:
        return []
    if isinstance(entities, Mapping):
        found = [{"entity": str(name), "value": value} for name, value in entities.items()]
    elif isinstance(entities, list) and all(
        isinstance(e, Mapping) and isinstance(e.get("entity"), str) for e in entities
    ):
        found = [dict(e) for e in entities]
    else:
        raise ValueError(
            'entities must be an object ({"name": "value"}) or a list of {"entity", "value"} '
            "objects"
        )
    for entity in found:
        # A slot takes what an entity holds: an object there broke what read the slot.
        value = entity.get("value")
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int | float | bool | None) for v in values):
            raise ValueError(
                f"the value of entity {entity['entity']!r} must be a string, number or "
                "boolean, or a list of them"
            )
    return found


def reminder_from_event(conversation_id: str, event: Mapping[str, Any]) -> Reminder:
    """The reminder a ``reminder`` event sets.

    Raises:
        ValueError: no intent, a date that is not ISO 8601, a name or intent too long, or
            malformed entities.
    """
    intent = event.get("intent")
    if not isinstance(intent, str) or not intent.strip():
        raise ValueError("a reminder needs the intent to trigger")
    when = event.get("date_time")
    try:
        # A date without a zone is the server's local time, as Rasa reads it.
        due_at = datetime.fromisoformat(str(when)).timestamp()
    except ValueError:
        raise ValueError(f"a reminder's date_time must be ISO 8601, not {when!r}") from None
    name = event.get("name")
    name = str(name) if name else str(uuid.uuid4())
    if len(name) > NAME_CHARS or len(intent) > NAME_CHARS:
        raise ValueError(f"a reminder's name and intent are at most {NAME_CHARS} characters")
    return Reminder(
        conversation_id=conversation_id,
        name=name,
        intent=intent,
        entities=entity_list(event.get("entities")),
        due_at=due_at,
        kill_on_user_message=bool(event.get("kill_on_user_msg", True)),
    )


def cancel_from_event(event: Mapping[str, Any]) -> Cancel:
    """What a ``cancel_reminder`` event cancels."""
    entities = event.get("entities")
    return Cancel(
        name=str(event["name"]) if event.get("name") else None,
        intent=str(event["intent"]) if event.get("intent") else None,
        entities=entity_list(entities) if entities else None,
    )


class StaleReminder(Exception):
    """A reminder that no longer stands: its conversation's session ended (as in Rasa, a
    new session drops what the old one set), or it was cancelled or fired meanwhile."""


class ReminderStore:
    """The reminders table: set, cancel, and claim what is due."""

    def __init__(self, engine: Engine, *, claim_seconds: float = CLAIM_SECONDS) -> None:
        self.engine = engine
        self.claim_seconds = claim_seconds

    async def apply(self, conversation_id: str, changes: Sequence[ReminderChange]) -> None:
        """Set and cancel one conversation's reminders, in order, in one transaction (a
        reminder of the same name replaces the one set before, as in Rasa)."""
        changes = _from_last_cancel_of_all(changes)
        if changes:
            await asyncio.to_thread(self._apply, conversation_id, changes)

    def _apply(self, conversation_id: str, changes: list[ReminderChange]) -> None:
        with self.engine.begin() as conn:
            for change in changes:
                if isinstance(change, Reminder):
                    self._cancel(conn, conversation_id, Cancel(name=change.name))
                    conn.execute(
                        insert(reminders).values(
                            conversation_id=conversation_id,
                            name=change.name,
                            intent=change.intent,
                            entities=change.entities,
                            due_at=change.due_at,
                            kill_on_user_message=change.kill_on_user_message,
                        )
                    )
                else:
                    self._cancel(conn, conversation_id, change)

    @staticmethod
    def _cancel(conn: Connection, conversation_id: str, cancel: Cancel) -> None:
        # One statement: every user message cancels (the kill_on_user_msg ones).
        where = [reminders.c.conversation_id == conversation_id]
        if cancel.only_killed_by_messages:
            where.append(reminders.c.kill_on_user_message.is_(True))
        if cancel.name:
            where.append(reminders.c.name == cancel.name)
        if cancel.intent:
            where.append(reminders.c.intent == cancel.intent)
        if cancel.entities is not None:  # JSON, compared here on every backend alike
            rows = conn.execute(select(reminders.c.id, reminders.c.entities).where(*where))
            ids = [row.id for row in rows if _same(row.entities, cancel.entities)]
            where.append(reminders.c.id.in_(ids))
        conn.execute(delete(reminders).where(*where))

    async def pending(self, conversation_id: str) -> list[Reminder]:
        """A conversation's reminders not yet fired, soonest first."""
        return await asyncio.to_thread(self._pending, conversation_id)

    def _pending(self, conversation_id: str) -> list[Reminder]:
        query = (
            select(reminders)
            .where(reminders.c.conversation_id == conversation_id)
            .order_by(reminders.c.due_at, reminders.c.id)
        )
        with self.engine.connect() as conn:
            return [_reminder(row) for row in conn.execute(query).mappings()]

    async def claim_due(self, limit: int = 20, *, now: float | None = None) -> list[Reminder]:
        """Reminders whose time has come, each claimed for this process: another process
        that asks at the same moment gets none of these."""
        return await asyncio.to_thread(self._claim_due, limit, time.time() if now is None else now)

    def _claim_due(self, limit: int, now: float) -> list[Reminder]:
        free = or_(reminders.c.claimed_until.is_(None), reminders.c.claimed_until < now)
        query = (
            select(reminders)
            .where(reminders.c.due_at <= now, free)
            .order_by(reminders.c.due_at)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            due = [_reminder(row) for row in conn.execute(query).mappings()]
        claimed = []
        for reminder in due:
            # The condition is checked again under the row's write lock: of two processes
            # only one updates the row.
            claim = (
                update(reminders)
                .where(reminders.c.id == reminder.id, free)
                .values(claimed_until=now + self.claim_seconds)
            )
            with self.engine.begin() as conn:
                if conn.execute(claim).rowcount == 1:
                    claimed.append(reminder)
        return claimed

    async def take(self, reminder_id: int) -> bool:
        """Remove a reminder about to fire; False when it is no longer set (fired,
        cancelled or replaced meanwhile): of two processes that claimed it, one takes it."""
        return await asyncio.to_thread(self._remove, reminder_id)

    async def remove(self, reminder_id: int) -> None:
        await asyncio.to_thread(self._remove, reminder_id)

    def _remove(self, reminder_id: int) -> bool:
        with self.engine.begin() as conn:
            gone = conn.execute(delete(reminders).where(reminders.c.id == reminder_id))
            return bool(gone.rowcount)

    async def release(self, reminder_id: int) -> None:
        """Give a claimed reminder back, to be fired in a later round."""
        await asyncio.to_thread(self._release, reminder_id)

    def _release(self, reminder_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(reminders).where(reminders.c.id == reminder_id).values(claimed_until=None)
            )


class ReminderTarget(Protocol):
    async def fire_reminder(self, reminder: Reminder) -> object: ...


async def fire_due_reminders(store: ReminderStore, target: ReminderTarget, most: int = 100) -> int:
    """Fire reminders due now, one claim at a time (a claim lapses; a batch claimed at once
    could lapse while its first ones waited for their conversations); returns how many."""
    fired = 0
    for _ in range(most):
        claimed = await store.claim_due(limit=1)
        if not claimed:
            break
        reminder = claimed[0]
        assert reminder.id is not None
        try:
            await target.fire_reminder(reminder)
            fired += 1
        except (asyncio.CancelledError, LockTimeoutError):
            # Not fired (the process stops, or the conversation stayed busy): next round.
            await asyncio.shield(store.release(reminder.id))
            raise
        except Exception:
            # Never retried: a reminder that failed may have said something already.
            log.exception("reminder %r of %s failed", reminder.name, reminder.conversation_id)
        await store.remove(reminder.id)  # gone already when the turn took it
    return fired


async def fire_reminders_periodically(
    store: ReminderStore, target: ReminderTarget, every: float = POLL_SECONDS
) -> None:
    """Fire due reminders now and every ``every`` seconds until cancelled (each serving
    process runs this; claims keep any reminder from firing twice)."""
    while True:
        try:
            await fire_due_reminders(store, target)
        except LockTimeoutError:
            log.info("a reminder's conversation stayed busy; it fires in a later round")
        except Exception:  # a database hiccup; the next round tries again
            log.warning("firing reminders failed", exc_info=True)
        await asyncio.sleep(every)


def _from_last_cancel_of_all(changes: Sequence[ReminderChange]) -> list[ReminderChange]:
    """The changes from the last that cancels every reminder on: it undoes what came
    before (a restart's cancel and the new session's were two statements)."""
    everything = Cancel()
    last = max((i for i, change in enumerate(changes) if change == everything), default=0)
    return list(changes[last:])


def _reminder(row: RowMapping) -> Reminder:
    return Reminder(
        id=row["id"],
        conversation_id=row["conversation_id"],
        name=row["name"],
        intent=row["intent"],
        entities=list(row["entities"] or []),
        due_at=row["due_at"],
        kill_on_user_message=row["kill_on_user_message"],
    )


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
