"""The reminders table on SQLite and PostgreSQL: set, replace, cancel, and claim once."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, event

from bot.errors import LockTimeoutError
from bot.reminders import (
    Cancel,
    Reminder,
    ReminderStore,
    cancel_from_event,
    entity_list,
    fire_due_reminders,
    reminder_from_event,
)
from bot.transcripts import TranscriptEvent, TranscriptLog


def _reminder(conversation: str, name: str, due_in: float, **options: object) -> Reminder:
    return Reminder(
        conversation_id=conversation,
        name=name,
        intent=str(options.pop("intent", "EXTERNAL_nudge")),
        entities=list(options.pop("entities", [])),  # type: ignore[call-overload]
        due_at=time.time() + due_in,
        kill_on_user_message=bool(options.pop("kill", True)),
    )


async def names(store: ReminderStore, conversation: str) -> list[str]:
    return [r.name for r in await store.pending(conversation)]


async def test_a_reminder_of_the_same_name_replaces_the_earlier_one(db_engine: Engine) -> None:
    store = ReminderStore(db_engine)
    await store.apply("c", [_reminder("c", "a", 60), _reminder("c", "b", 30)])
    await store.apply("c", [_reminder("c", "a", 10, intent="EXTERNAL_other")])
    await store.apply("other", [_reminder("other", "a", 5)])
    pending = await store.pending("c")
    assert [(r.name, r.intent) for r in pending] == [
        ("a", "EXTERNAL_other"),
        ("b", "EXTERNAL_nudge"),
    ]
    assert await names(store, "other") == ["a"]


async def test_cancel_by_name_intent_entities_or_all(db_engine: Engine) -> None:
    store = ReminderStore(db_engine)
    product = [{"entity": "product", "value": "lamp"}]
    await store.apply(
        "c",
        [
            _reminder("c", "a", 10),
            _reminder("c", "b", 20, intent="EXTERNAL_other"),
            _reminder("c", "c", 30, intent="EXTERNAL_other", entities=product),
            _reminder("c", "d", 40, kill=False),
        ],
    )
    await store.apply("c", [Cancel(name="a", intent="EXTERNAL_other")])  # every one given
    assert await names(store, "c") == ["a", "b", "c", "d"]
    await store.apply("c", [Cancel(entities=[{"entity": "product", "value": "vase"}])])
    assert await names(store, "c") == ["a", "b", "c", "d"]
    await store.apply("c", [Cancel(name="a")])
    assert await names(store, "c") == ["b", "c", "d"]
    await store.apply("c", [Cancel(intent="EXTERNAL_other", entities=product)])
    assert await names(store, "c") == ["b", "d"]
    await store.apply("c", [Cancel(only_killed_by_messages=True)])
    assert await names(store, "c") == ["d"]
    await store.apply("c", [Cancel()])
    assert await names(store, "c") == []


async def test_changes_apply_in_order(db_engine: Engine) -> None:
    store = ReminderStore(db_engine)
    # a user's message cancels what was set before it, not what its own turn sets
    await store.apply("c", [_reminder("c", "old", 10)])
    await store.apply("c", [Cancel(only_killed_by_messages=True), _reminder("c", "new", 10)])
    assert await names(store, "c") == ["new"]


async def test_a_cancel_of_all_undoes_what_came_before_it_in_one_statement(
    db_engine: Engine,
) -> None:
    store = ReminderStore(db_engine)
    await store.apply("c", [_reminder("c", "before", 10)])
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(db_engine, "before_cursor_execute", seen)
    try:
        # /restart: the restart's cancel, then the new session's, then what the turn sets
        await store.apply(
            "c",
            [Cancel(only_killed_by_messages=True), _reminder("c", "dropped", 10), Cancel(),
             Cancel(), _reminder("c", "after", 10)],
        )  # fmt: skip
    finally:
        event.remove(db_engine, "before_cursor_execute", seen)
    assert await names(store, "c") == ["after"]
    assert statements.count("DELETE") == 2  # the cancel of all, and "after"'s replacement


async def test_only_due_reminders_are_claimed_and_each_once(db_engine: Engine) -> None:
    first, second = ReminderStore(db_engine), ReminderStore(db_engine)
    await first.apply("c", [_reminder("c", f"r{i}", -1 - i) for i in range(12)])
    await first.apply("c", [_reminder("c", "later", 3600)])
    got = await asyncio.gather(first.claim_due(limit=50), second.claim_due(limit=50))
    claimed = [r.name for batch in got for r in batch]
    assert sorted(claimed) == sorted(f"r{i}" for i in range(12))  # none twice, "later" not
    assert await first.claim_due() == []  # claimed ones are not handed out again
    assert await names(first, "c") == [*(f"r{i}" for i in reversed(range(12))), "later"]


async def test_a_claim_lapses_so_another_process_fires_it(db_engine: Engine) -> None:
    store = ReminderStore(db_engine, claim_seconds=30)
    await store.apply("c", [_reminder("c", "a", -1)])
    [claimed] = await store.claim_due()
    assert await store.claim_due(now=time.time() + 10) == []
    [again] = await store.claim_due(now=time.time() + 31)  # the first process died
    assert again.id == claimed.id
    assert claimed.id is not None
    assert await store.take(claimed.id)  # of the two that claimed it, one takes it
    assert not await store.take(again.id or 0)


async def test_firing_removes_a_reminder_even_when_its_turn_fails(db_engine: Engine) -> None:
    store = ReminderStore(db_engine)
    await store.apply("c", [_reminder("c", "ok", -2), _reminder("c", "broken", -1)])
    fired: list[str] = []

    class Target:
        async def fire_reminder(self, reminder: Reminder) -> None:
            if reminder.name == "broken":
                raise RuntimeError("the action server is down")
            fired.append(reminder.name)

    assert await fire_due_reminders(store, Target()) == 1
    assert fired == ["ok"]
    assert await store.pending("c") == []  # fired once, never retried


async def test_a_reminder_not_fired_is_given_back(db_engine: Engine) -> None:
    store = ReminderStore(db_engine)
    await store.apply("c", [_reminder("c", "busy", -1), _reminder("c", "late", -0.5)])

    class Busy:
        async def fire_reminder(self, reminder: Reminder) -> None:
            raise LockTimeoutError("the conversation stayed busy")

    with pytest.raises(LockTimeoutError):
        await fire_due_reminders(store, Busy())
    [first, second] = await store.claim_due()  # both there, both free to claim again
    assert (first.name, second.name) == ("busy", "late")


async def test_deleting_a_conversation_deletes_its_reminders(db_engine: Engine) -> None:
    store, transcripts = ReminderStore(db_engine), TranscriptLog(db_engine)
    await transcripts.append("gone", [TranscriptEvent("user", {"text": "hi"}, actor="user")])
    await store.apply("gone", [_reminder("gone", "a", 60, entities=[{"entity": "email"}])])
    await store.apply("kept", [_reminder("kept", "a", 60)])
    assert await transcripts.delete("gone")
    assert await store.pending("gone") == []
    assert await names(store, "kept") == ["a"]


def test_reminder_events_as_rasa_sdk_writes_them() -> None:
    reminder = reminder_from_event(
        "c",
        {
            "event": "reminder",
            "intent": "EXTERNAL_nudge",
            "entities": {"product": "lamp"},
            "date_time": "2026-12-01T10:00:00+01:00",
            "name": None,
            "kill_on_user_msg": False,
        },
    )
    assert reminder.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC).timestamp()
    assert reminder.entities == [{"entity": "product", "value": "lamp"}]
    assert not reminder.kill_on_user_message
    assert len(reminder.name) == 36  # unnamed: a fresh name, as Rasa gives one
    cancel = cancel_from_event({"event": "cancel_reminder", "intent": "EXTERNAL_nudge"})
    assert cancel == Cancel(intent="EXTERNAL_nudge")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"date_time": "2026-12-01T10:00:00"}, "needs the intent"),
        ({"intent": "x", "date_time": "tomorrow"}, "ISO 8601"),
        ({"intent": "x", "date_time": None}, "ISO 8601"),
        ({"intent": "x" * 201, "date_time": "2026-12-01"}, "at most 200"),
        ({"intent": "x", "date_time": "2026-12-01", "entities": ["lamp"]}, "entities must"),
    ],
)
def test_malformed_reminders_are_refused_with_what_is_wrong(event: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reminder_from_event("c", {"event": "reminder", **event})


def test_entity_short_form() -> None:
    assert entity_list(None) == []
    assert entity_list({"a": 1}) == [{"entity": "a", "value": 1}]
    assert entity_list([{"entity": "a", "value": 1, "start": 0}]) == [
        {"entity": "a", "value": 1, "start": 0}
    ]
