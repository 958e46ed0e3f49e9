"""Contract suite for the transcript log on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from bot.errors import BotError
from bot.tables import conversation_events
from bot.transcripts import TranscriptEvent, TranscriptLog


def user(text: str, **data: object) -> TranscriptEvent:
    return TranscriptEvent("user", {"text": text, **data}, actor="user")


async def test_sequence_numbers_start_at_one_and_continue(db_engine: Engine) -> None:
    log = TranscriptLog(db_engine)
    first = await log.append("c", [user("hi"), TranscriptEvent("bot", {"text": "hello"})])
    second = await log.append("c", [user("bye")])
    assert [e.seq for e in first + second] == [1, 2, 3]
    assert all(e.created_at is not None for e in first)
    other = await log.append("d", [user("x")])
    assert other[0].seq == 1


async def test_concurrent_appends_get_disjoint_increasing_ranges(db_engine: Engine) -> None:
    log = TranscriptLog(db_engine)

    async def turn(i: int) -> list[int]:
        events = await log.append(
            "busy", [user(f"u{i}"), TranscriptEvent("bot", {"text": f"b{i}"})]
        )
        return [e.seq or 0 for e in events]

    ranges = await asyncio.gather(*(turn(i) for i in range(20)))
    assert sorted(s for r in ranges for s in r) == list(range(1, 41))
    assert all(r[1] == r[0] + 1 for r in ranges)  # each turn's events stay together
    page = await log.read("busy", limit=1000)
    texts = [e.data["text"] for e in page.events]
    for i in range(20):  # the bot reply follows its user message
        assert texts.index(f"b{i}") == texts.index(f"u{i}") + 1


async def test_read_pages_through_the_whole_transcript(db_engine: Engine) -> None:
    log = TranscriptLog(db_engine)
    await log.append("p", [user(f"m{i}") for i in range(7)])
    seen: list[str] = []
    after = 0
    pages = 0
    while True:
        page = await log.read("p", after=after, limit=3)
        seen += [e.data["text"] for e in page.events]
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == [f"m{i}" for i in range(7)]
    assert pages == 3
    with pytest.raises(BotError):
        await log.read("p", limit=0)


async def test_summary_follows_handoff_status_and_low_confidence(db_engine: Engine) -> None:
    log = TranscriptLog(db_engine)
    await log.append("s", [user("hi", low_confidence=False)])
    summary = await log.get("s")
    assert summary is not None
    assert (summary.status, summary.handoff, summary.has_low_confidence) == ("open", "bot", False)
    await log.append(
        "s",
        [
            user("???", low_confidence=True),
            TranscriptEvent("handoff", {"to": "pending_human", "reason": "fallback"}, actor="bot"),
        ],
    )
    await log.append("s", [TranscriptEvent("handoff", {"to": "human"}, actor="agent:ann")])
    await log.append("s", [TranscriptEvent("status", {"to": "closed"}, actor="agent:ann")])
    summary = await log.get("s")
    assert summary is not None
    assert (summary.status, summary.handoff, summary.has_low_confidence) == (
        "closed",
        "human",
        True,
    )
    assert summary.last_seq == 5


async def test_summary_keeps_the_start_of_what_the_user_last_wrote(db_engine: Engine) -> None:
    # The agents' list showed only ids: two waiting chats could not be told apart.
    log = TranscriptLog(db_engine)
    assert (await log.append("p", [TranscriptEvent("bot", {"text": "hello"})])) is not None
    assert (await log.get("p")).last_user_text is None  # type: ignore[union-attr]
    await log.append(
        "p", [user("my parcel\n  never   came"), TranscriptEvent("bot", {"text": "x"})]
    )
    await log.append("p", [user("/human_handoff")])  # a button's payload keeps the last text
    summary = await log.get("p")
    assert summary is not None and summary.last_user_text == "my parcel never came"
    await log.append("p", [user("é" * 500)])
    listed = await log.list_conversations(conversation_ids=["p"])
    assert listed[0].last_user_text == "é" * 200


async def test_invalid_events_are_refused_and_nothing_is_written(db_engine: Engine) -> None:
    log = TranscriptLog(db_engine)
    with pytest.raises(BotError, match="unknown transcript event type"):
        await log.append("bad", [user("ok"), TranscriptEvent("telepathy", {})])
    with pytest.raises(BotError, match="handoff event"):
        await log.append("bad", [TranscriptEvent("handoff", {"to": "mars"})])
    with db_engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(conversation_events)).scalar_one()
    assert count == 0
    assert await log.get("bad") is None


async def test_list_filters_by_time_status_handoff_and_confidence(db_engine: Engine) -> None:
    log = TranscriptLog(db_engine)
    before = datetime.now(UTC) - timedelta(seconds=1)
    await log.append("plain", [user("hello")])
    await log.append("unsure", [user("hmm", low_confidence=True)])
    await log.append("waiting", [TranscriptEvent("handoff", {"to": "pending_human"})])
    await log.append("done", [TranscriptEvent("status", {"to": "closed"})])
    after = datetime.now(UTC) + timedelta(seconds=1)

    async def ids(**filters: object) -> set[str]:
        return {c.id for c in await log.list_conversations(**filters)}  # type: ignore[arg-type]

    assert await ids() == {"plain", "unsure", "waiting", "done"}
    assert await ids(low_confidence=True) == {"unsure"}
    assert await ids(handoff="pending_human") == {"waiting"}
    assert await ids(status="closed") == {"done"}
    assert await ids(status="open") == {"plain", "unsure", "waiting"}
    assert await ids(since=before, until=after) == {"plain", "unsure", "waiting", "done"}
    assert await ids(since=after) == set()
    assert await ids(until=before) == set()
    newest_first = [c.id for c in await log.list_conversations()]
    assert newest_first[0] == "done"
    assert len(await log.list_conversations(limit=2)) == 2
    assert len(await log.list_conversations(limit=2, offset=3)) == 1


async def test_the_queue_is_served_longest_waiting_first(db_engine: Engine) -> None:
    # Listed by last activity, the customer waiting longest was at the bottom of the
    # agents' queue, and moved down again with every message they sent while waiting.
    log = TranscriptLog(db_engine)
    for conversation in ("first", "second", "third"):
        await log.append(conversation, [user("hello")])
        await log.append(conversation, [TranscriptEvent("handoff", {"to": "pending_human"})])
    await log.append("first", [user("still there?")])  # the newest activity
    waiting = await log.list_conversations(handoff="pending_human")
    assert [s.id for s in waiting] == ["first", "second", "third"]
    assert waiting[0].handoff_at is not None and waiting[0].handoff_at < waiting[0].updated_at
    assert waiting[0].to_json()["handoff_at"] == waiting[0].handoff_at.isoformat()
    # Every other list stays most recently active first.
    assert [s.id for s in await log.list_conversations()] == ["first", "third", "second"]


async def test_delete_removes_every_event_of_one_conversation(db_engine: Engine) -> None:
    log = TranscriptLog(db_engine)
    await log.append("forget-me", [user("my email is a@b.c"), TranscriptEvent("bot", {})])
    await log.append("keep", [user("hi")])
    assert await log.delete("forget-me") is True
    assert await log.delete("forget-me") is False
    assert await log.get("forget-me") is None
    assert (await log.read("forget-me")).events == []
    assert len((await log.read("keep")).events) == 1
