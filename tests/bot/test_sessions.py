"""One contract suite for every session store, over real SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from bot.db import create_db_engine
from bot.sessions import (
    ConflictError,
    LockTimeoutError,
    RedisSessionStore,
    SessionStore,
    SqlSessionStore,
)
from bot.state import Conversation
from bot.tables import session_states


async def _make_store(
    kind: str, request: pytest.FixtureRequest, **options: float
) -> tuple[SessionStore, object]:
    if kind == "redis":
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
        return RedisSessionStore(Redis.from_url(url), prefix=prefix, **options), None
    engine = create_db_engine(request.getfixturevalue("new_database")(kind))
    return SqlSessionStore(engine, **options), engine


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
async def make_store(request: pytest.FixtureRequest) -> AsyncIterator[object]:
    made: list[tuple[SessionStore, object]] = []

    async def make(**options: float) -> SessionStore:
        pair = await _make_store(request.param, request, **options)
        made.append(pair)
        return pair[0]

    yield make
    for store, engine in made:
        await store.close()
        if engine is not None:
            engine.dispose()  # type: ignore[attr-defined]


async def test_load_of_unknown_conversation_is_none(make_store) -> None:
    store = await make_store()
    assert await store.load("nobody") is None


async def test_save_then_load_round_trips_state(make_store) -> None:
    store = await make_store()
    conversation = Conversation(
        id="c1", slots={"email": "a@b.c", "n": 3}, active_form="return_form"
    )
    conversation.events.append({"event": "user", "text": "héllo 👋"})
    saved = await store.save(conversation, expected_version=0)
    assert saved.version == 1
    loaded = await store.load("c1")
    assert loaded is not None
    assert loaded.version == 1
    assert loaded.slots == {"email": "a@b.c", "n": 3}
    assert loaded.active_form == "return_form"
    assert loaded.events == [{"event": "user", "text": "héllo 👋"}]


async def test_stale_save_is_refused_and_keeps_the_stored_state(make_store) -> None:
    store = await make_store()
    first = await store.save(Conversation(id="c2", slots={"x": 1}), 0)
    second = await store.save(Conversation(id="c2", slots={"x": 2}), first.version)
    with pytest.raises(ConflictError):
        await store.save(Conversation(id="c2", slots={"x": 99}), first.version)
    with pytest.raises(ConflictError):
        await store.save(Conversation(id="c2", slots={"x": 99}), 0)  # "new" but it exists
    loaded = await store.load("c2")
    assert loaded is not None and loaded.slots == {"x": 2} and loaded.version == second.version


async def test_fifty_concurrent_updates_through_the_lock_all_apply(make_store) -> None:
    store = await make_store()

    async def bump() -> None:
        async with store.lock("busy"):
            current = await store.load("busy") or Conversation(id="busy")
            current.slots["n"] = current.slots.get("n", 0) + 1
            await asyncio.sleep(0)  # give other tasks a chance to interleave
            await store.save(current, current.version)

    await asyncio.gather(*(bump() for _ in range(50)))
    final = await store.load("busy")
    assert final is not None
    assert final.slots["n"] == 50
    assert final.version == 50


async def test_updates_without_the_lock_conflict_instead_of_losing_writes(make_store) -> None:
    store = await make_store()
    await store.save(Conversation(id="race", slots={"n": 0}), 0)
    results = []

    async def bump() -> None:
        current = await store.load("race")
        assert current is not None
        await asyncio.sleep(0.01)
        current.slots["n"] += 1
        try:
            await store.save(current, current.version)
            results.append("ok")
        except ConflictError:
            results.append("conflict")

    await asyncio.gather(*(bump() for _ in range(5)))
    final = await store.load("race")
    assert final is not None
    assert final.slots["n"] == results.count("ok") >= 1
    assert "conflict" in results


async def test_lock_is_exclusive_and_times_out(make_store) -> None:
    store = await make_store()
    async with store.lock("held"):
        with pytest.raises(LockTimeoutError):
            async with store.lock("held", wait=0.2):
                pass
        async with store.lock("other", wait=0.2):  # other conversations are not blocked
            pass
    async with store.lock("held", wait=0.2):  # released on exit
        pass


async def test_a_lock_is_renewed_while_its_holder_works(make_store) -> None:
    # A turn waiting on a slow action server outlives the lock timeout; the next turn of the
    # same conversation must still wait for it rather than run beside it.
    store = await make_store(lock_timeout=0.4)
    async with store.lock("slow"):
        await asyncio.sleep(1.2)  # three timeouts
        with pytest.raises(LockTimeoutError):
            async with store.lock("slow", wait=0.3):
                pass
    started = time.monotonic()
    async with store.lock("slow", wait=1):
        assert time.monotonic() - started < 0.3  # released on exit, not by expiry


_HOLDER = """
import asyncio, sys
from bot.db import create_db_engine
from bot.sessions import RedisSessionStore, SqlSessionStore
kind, where, prefix = sys.argv[1:4]

async def main():
    if kind == "redis":
        store = RedisSessionStore.from_url(where, prefix=prefix, lock_timeout=0.4)
    else:
        store = SqlSessionStore(create_db_engine(where), lock_timeout=0.4)
    async with store.lock("orphan"):
        print("held", flush=True)
        await asyncio.sleep(60)

asyncio.run(main())
"""


async def test_lock_of_a_dead_holder_expires(make_store, request: pytest.FixtureRequest) -> None:
    store = await make_store(lock_timeout=0.4)
    if isinstance(store, RedisSessionStore):
        where, prefix = request.getfixturevalue("redis_url"), store.keys.prefix
    else:
        assert isinstance(store, SqlSessionStore)
        where, prefix = store.engine.url.render_as_string(hide_password=False), "-"
    kind = "redis" if isinstance(store, RedisSessionStore) else "sql"
    holder = subprocess.Popen(  # noqa: ASYNC220 (started once; its output is read in a thread)
        [sys.executable, "-c", _HOLDER, kind, where, prefix],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert holder.stdout is not None
        line = await asyncio.to_thread(holder.stdout.readline)
        assert line.strip() == "held"
        await asyncio.sleep(1.0)  # past its timeout: the live holder renews it
        with pytest.raises(LockTimeoutError):
            async with store.lock("orphan", wait=0.1):
                pass
    finally:
        holder.kill()  # the holder dies without releasing
        holder.wait(timeout=10)
    started = time.monotonic()
    async with store.lock("orphan", wait=3):
        waited = time.monotonic() - started
    assert waited < 3


async def test_state_expires_after_ttl(make_store) -> None:
    # A TTL of whole seconds: with 0.3 s the load right after the save came too late on a
    # loaded CI machine (two cores, a model training beside it) and found nothing.
    store = await make_store(ttl_seconds=2)
    await store.save(Conversation(id="short"), 0)
    assert await store.load("short") is not None
    await asyncio.sleep(2.5)
    assert await store.load("short") is None
    again = await store.save(Conversation(id="short", slots={"fresh": True}), 0)
    assert again.version == 1


async def test_a_serving_sql_store_purges_expired_rows(
    new_database, request: pytest.FixtureRequest
) -> None:
    engine = create_db_engine(new_database("sqlite"))
    store = SqlSessionStore(engine, ttl_seconds=0.2)
    await store.save(Conversation(id="old"), 0)
    purging = asyncio.create_task(store.purge_periodically(every=0.3))
    try:
        await asyncio.sleep(0.8)
    finally:
        purging.cancel()
    with engine.connect() as conn:
        rows = conn.execute(select(session_states.c.conversation_id)).all()
    assert rows == []  # the row is gone, not only unreadable
    engine.dispose()


async def test_delete_removes_state(make_store) -> None:
    store = await make_store()
    await store.save(Conversation(id="gone"), 0)
    await store.delete("gone")
    assert await store.load("gone") is None
    await store.delete("never-was")  # deleting nothing is fine
