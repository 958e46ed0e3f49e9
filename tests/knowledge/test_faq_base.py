"""Contract of the FAQ store, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest

from bot.db import create_db_engine
from knowledge import (
    Button,
    EntryNotFound,
    EntryStateError,
    FaqBase,
    FaqDraft,
    InvalidEntryError,
    Link,
    StaleEditError,
)

DRAFT = FaqDraft(
    "reset-password",
    " How do I reset my password? ",
    "Use 'Forgot password'.",
    alternatives=("I forgot my password", "I forgot my password", "How do I reset my password?"),
    buttons=(Button("Reset now", "/reset"),),
    links=(Link("Help", "https://example.com/help"),),
    tags=("account",),
)


def test_create_get_and_list(base: FaqBase) -> None:
    assert base.current_revision() == 0
    entry = base.create(DRAFT, author="ana")
    assert entry.question == "How do I reset my password?"  # trimmed
    assert entry.alternatives == ("I forgot my password",)  # de-duplicated, question dropped
    assert entry.buttons == (Button("Reset now", "/reset"),)
    assert entry.version == 1 and entry.active and entry.deleted_at is None
    assert entry.created_at is not None and entry.created_at.tzinfo is not None
    assert base.get(entry.id) == entry
    assert base.get_by_key("reset-password") == entry
    assert base.list() == [entry]
    assert base.list(tag="account") == [entry] and base.list(tag="other") == []
    assert base.current_revision() > 0


def test_duplicate_key_and_invalid_fields_are_refused(base: FaqBase) -> None:
    entry = base.create(DRAFT, author="ana")
    with pytest.raises(InvalidEntryError, match="exists"):
        base.create(DRAFT, author="ana")
    with pytest.raises(InvalidEntryError, match="question is empty"):
        base.create(FaqDraft("k2", "  ", "answer"), author="ana")
    with pytest.raises(InvalidEntryError, match="url"):
        base.create(FaqDraft("k3", "q", "a", links=(Link("x", "javascript:alert(1)"),)), author="a")
    with pytest.raises(InvalidEntryError, match=r"alternatives\[1\] contains a NUL"):
        base.create(FaqDraft("k4", "q", "a", alternatives=("x", "y\x00")), author="a")
    with pytest.raises(InvalidEntryError, match="answer contains a NUL"):
        base.update(entry.id, expected_version=1, author="a", answer="a\x00")
    with pytest.raises(InvalidEntryError, match="question contains a lone UTF-16 surrogate"):
        base.create(FaqDraft("k5", "half an emoji \ud83d?", "a"), author="a")
    # A reader could not see it, nor a customer find it ("Did you mean" with a blank button).
    with pytest.raises(InvalidEntryError, match=r"question is empty \(it has no visible"):
        base.create(FaqDraft("k6", "\u200b\u2060", "a"), author="a")
    with pytest.raises(InvalidEntryError, match="answer contains the control character U\\+0007"):
        base.create(FaqDraft("k7", "q", "ring \x07 the bell"), author="a")
    assert base.create(FaqDraft("k8", "q", "line one\nline two\ttabbed"), author="a").answer
    base.delete(base.get_by_key("k8").id, author="a")
    assert len(base.list()) == 1 and base.list()[0].version == 1


def test_update_records_revision_and_refuses_stale_edits(base: FaqBase) -> None:
    entry = base.create(DRAFT, author="ana")
    updated = base.update(entry.id, expected_version=1, author="bo", answer="New answer.")
    assert updated.version == 2 and updated.answer == "New answer."
    # named by the key staff know it by, not the database's number
    with pytest.raises(StaleEditError, match="FAQ entry 'reset-password' is at version 2") as info:
        base.update(entry.id, expected_version=1, author="cy", answer="Lost update")
    assert info.value.current == 2
    assert base.get(entry.id).answer == "New answer."
    with pytest.raises(InvalidEntryError, match="unknown field"):
        base.update(entry.id, expected_version=2, author="bo", version=7)
    history = base.history(entry.id)
    assert [r.action for r in history] == ["create", "update"]
    assert history[1].changes == {"answer": ["Use 'Forgot password'.", "New answer."]}
    assert history[1].author == "bo" and history[1].entry_version == 2
    assert history[1].snapshot["answer"] == "New answer."


def test_an_edit_that_changes_nothing_makes_no_revision(base: FaqBase) -> None:
    entry = base.create(DRAFT, author="ana")
    revision = base.current_revision()
    same = base.update(entry.id, expected_version=1, author="bo", answer=entry.answer)
    assert same.version == 1 and base.current_revision() == revision


def test_concurrent_edits_one_wins(base: FaqBase) -> None:
    entry = base.create(DRAFT, author="ana")
    outcomes: list[str] = []

    def edit(n: int) -> None:
        try:
            base.update(entry.id, expected_version=1, author=f"w{n}", answer=f"answer {n}")
            outcomes.append("ok")
        except StaleEditError:
            outcomes.append("stale")

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "stale", "stale", "stale"]
    assert base.get(entry.id).version == 2


def test_concurrent_creates_of_one_key_one_wins(base: FaqBase) -> None:
    # Two editors saving the same new key at once (a double-click): one entry, and the
    # other told it exists; on SQLite the loser used to hit a raw IntegrityError.
    outcomes: list[str] = []

    def create(key: str) -> None:
        try:
            base.create(FaqDraft(key, "Is this new?", "Yes."), author="ana")
            outcomes.append("ok")
        except InvalidEntryError as error:
            outcomes.append("exists" if "exists" in str(error) else str(error))
        except Exception as error:  # what the race used to raise
            outcomes.append(type(error).__name__)

    for round_ in range(15):
        threads = [threading.Thread(target=create, args=(f"new-{round_}",)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(set(outcomes)) == ["exists", "ok"]
    assert outcomes.count("ok") == 15
    assert len(base.list()) == 15


def test_soft_delete_and_restore(base: FaqBase) -> None:
    entry = base.create(DRAFT, author="ana")
    deleted = base.delete(entry.id, author="bo", expected_version=1)
    assert deleted.deleted_at is not None and not deleted.searchable
    assert base.list() == [] and base.list(include_deleted=True)[0].id == entry.id
    with pytest.raises(EntryStateError, match="'reset-password' is deleted; restore it first"):
        base.update(entry.id, expected_version=2, author="bo", answer="x")
    with pytest.raises(EntryStateError, match="'reset-password' is already deleted"):
        base.delete(entry.id, author="bo")
    restored = base.restore(entry.id, author="cy")
    assert restored.deleted_at is None and restored.version == 3
    assert [r.action for r in base.history(entry.id)] == ["create", "delete", "restore"]
    with pytest.raises(EntryNotFound):
        base.get(9999)
    with pytest.raises(EntryNotFound):
        base.history(9999)


def test_changes_since_gives_latest_state_of_touched_entries(base: FaqBase) -> None:
    a = base.create(DRAFT, author="ana")
    start = base.current_revision()
    b = base.create(FaqDraft("hours", "When are you open?", "9-5"), author="ana")
    base.update(a.id, expected_version=1, author="ana", alternatives=["lost password"])
    base.delete(b.id, author="ana")
    changes = base.changes_since(start)
    assert changes.revision == base.current_revision()
    by_key = {e.external_key: e for e in changes.entries}
    assert set(by_key) == {"reset-password", "hours"}
    assert by_key["reset-password"].alternatives == ("lost password",)
    assert by_key["hours"].deleted_at is not None
    assert base.changes_since(changes.revision).entries == ()


def test_upsert_many_creates_updates_and_skips_unchanged(base: FaqBase) -> None:
    first = base.upsert_many([DRAFT, FaqDraft("hours", "When open?", "9-5")], author="imp")
    assert first.created == ("reset-password", "hours")
    revision = base.current_revision()
    again = base.upsert_many([DRAFT, FaqDraft("hours", "When open?", "9-5")], author="imp")
    assert again.unchanged == ("reset-password", "hours") and not again.created + again.updated
    assert base.current_revision() == revision
    hours = base.get_by_key("hours")
    base.delete(hours.id, author="x")
    third = base.upsert_many([FaqDraft("hours", "When open?", "8-6")], author="imp")
    assert third.updated == ("hours",)
    restored = base.get_by_key("hours")
    assert restored.deleted_at is None and restored.answer == "8-6"
    assert base.history(hours.id)[-1].action == "restore"


def test_listeners_hear_each_committed_revision(base: FaqBase) -> None:
    heard: list[int] = []
    base.add_listener(heard.append)
    entry = base.create(DRAFT, author="ana")
    base.update(entry.id, expected_version=1, author="ana", tags=["x"])
    assert heard == [base.current_revision() - 1, base.current_revision()]
    base.remove_listener(heard.append)
    base.delete(entry.id, author="ana")
    assert len(heard) == 2


def test_creating_a_deleted_key_brings_the_entry_back(base: FaqBase) -> None:
    entry = base.create(DRAFT, author="ana")
    base.delete(entry.id, author="bo", expected_version=1)
    before = base.current_revision()
    draft = FaqDraft("reset-password", "How do I change my password?", "Go to Settings.")
    revived = base.create(draft, author="cy")
    assert revived.id == entry.id and revived.version == 3 and revived.deleted_at is None
    assert revived.answer == "Go to Settings." and revived.tags == () and revived.searchable
    history = base.history(entry.id)
    assert [r.action for r in history] == ["create", "delete", "restore"]
    assert history[-1].author == "cy" and history[-1].entry_version == 3
    assert history[-1].changes["deleted"] == [True, False]
    assert history[-1].changes["answer"] == ["Use 'Forgot password'.", "Go to Settings."]
    # The index syncs from the revisions: the revived entry is in the next change set.
    changes = base.changes_since(before)
    assert [(e.id, e.deleted_at, e.answer) for e in changes.entries] == [
        (entry.id, None, "Go to Settings.")
    ]
    with pytest.raises(InvalidEntryError, match="exists; update it instead"):
        base.create(draft, author="cy")


def test_an_entry_without_a_key_gets_one_made_from_its_question(base: FaqBase) -> None:
    made = base.create(FaqDraft("", " Do you sell gift cards? ", "Yes."), author="ana")
    assert made.external_key == "do_you_sell_gift_cards"
    assert base.get_by_key("do_you_sell_gift_cards") == made
    # Taken keys, a deleted entry's included, are numbered past rather than revived.
    again = base.create(FaqDraft("  ", "do you sell GIFT cards", "Also yes."), author="ana")
    assert again.external_key == "do_you_sell_gift_cards_2" and again.id != made.id
    base.delete(again.id, author="ana")
    third = base.create(FaqDraft("", "Do you sell gift-cards?", "Still yes."), author="ana")
    assert third.external_key == "do_you_sell_gift_cards_3"
    assert base.get(again.id).deleted_at is not None and base.get(made.id).answer == "Yes."
    # Accents go, and a key is built of whole words up to its length limit.
    accented = base.create(FaqDraft("", "Où est ma commande ? 😀", "Ici."), author="ana")
    assert accented.external_key == "ou_est_ma_commande"
    # ... Latin ones only: a Japanese kana without its mark is another word.
    japanese = base.create(FaqDraft("", "配送にはどのくらいかかりますか", "3日"), author="ana")
    assert japanese.external_key == "配送にはどのくらいかかりますか"
    long = base.create(FaqDraft("", "why " * 40, "Because."), author="ana")
    assert long.external_key == "_".join(["why"] * 15)
    # Symbols are left out; the same words make the same key.
    percent = base.create(FaqDraft("", "100% cotton", "Yes."), author="ana")
    assert percent.external_key == "100_cotton"
    assert base.create(FaqDraft("", "100 cotton", "Yes."), author="a").external_key == (
        "100_cotton_2"
    )
    with pytest.raises(InvalidEntryError, match="question is empty"):
        base.create(FaqDraft("", "  ", "answer"), author="ana")


def test_an_upsert_keeps_the_fields_a_draft_leaves_out(base: FaqBase) -> None:
    entry = base.create(DRAFT, author="ana")
    base.update(entry.id, expected_version=1, author="ana", active=False, language="de")
    absent = frozenset({"tags", "links", "language", "active"})
    partial = FaqDraft(
        "reset-password",
        DRAFT.question,
        "New answer.",
        alternatives=entry.alternatives,
        buttons=entry.buttons,
        absent=absent,
    )
    assert base.upsert_many([partial], author="imp").updated == ("reset-password",)
    kept = base.get(entry.id)
    assert kept.answer == "New answer." and kept.tags == ("account",) and not kept.active
    assert kept.links == DRAFT.links and kept.language == "de"
    changes = base.history(entry.id)[-1].changes
    assert changes == {"answer": ["Use 'Forgot password'.", "New answer."]}
    assert base.upsert_many([partial], author="imp").unchanged == ("reset-password",)
    new = FaqDraft("hours", "When are you open?", "9-5", tags=("x",), absent=absent)
    base.upsert_many([new], author="imp")
    assert base.get_by_key("hours").tags == () and base.get_by_key("hours").active  # defaults
    with pytest.raises(InvalidEntryError, match="only optional fields may be absent"):
        base.upsert_many([FaqDraft("k", "q", "a", absent=frozenset({"answer"}))], author="i")


def test_texts_have_length_limits(base: FaqBase) -> None:
    base.create(FaqDraft("long", "q" * 1000, "a" * 10_000, alternatives=("b" * 1000,)), author="a")
    too_long = {
        "question": FaqDraft("k1", "q" * 1001, "a"),
        r"alternatives\[1\]": FaqDraft("k2", "q", "a", alternatives=("x", "b" * 1001)),
        "answer": FaqDraft("k3", "q", "a" * 10_001),
        r"tags\[0\]": FaqDraft("k4", "q", "a", tags=("t" * 1001,)),
    }
    for name, draft in too_long.items():
        with pytest.raises(InvalidEntryError, match=rf"^{name} is .* characters long; the limit"):
            base.create(draft, author="a")
    entry = base.get_by_key("long")
    with pytest.raises(InvalidEntryError, match="question is 1,001 characters long"):
        base.update(entry.id, expected_version=1, author="a", question="q" * 1001)
    assert [e.external_key for e in base.list()] == ["long"]


def test_a_revision_stamp_is_the_same_in_any_session_time_zone(new_database: Any) -> None:
    # PostgreSQL hands times back in the session's zone: a reindex run with another PGTZ
    # rebuilt the index at the next start.
    from sqlalchemy import create_engine

    url = new_database("postgresql")
    utc = create_db_engine(url)
    berlin = create_engine(url, connect_args={"options": "-c timezone=Europe/Berlin"})
    try:
        base = FaqBase(utc)
        base.create(FaqDraft("hours", "When are you open?", "9-5"), author="t")
        revision = base.current_revision()
        stamp = base.revision_stamp(revision)
        assert stamp is not None and stamp.endswith("+00:00")
        assert FaqBase(berlin).revision_stamp(revision) == stamp
        assert FaqBase(berlin).changes_since(0).stamp == stamp
    finally:
        utc.dispose()
        berlin.dispose()


def _import_counting_statements(base: FaqBase, drafts: list[FaqDraft]) -> int:
    from sqlalchemy import event

    statements = []

    def count(*_args: Any) -> None:
        statements.append(1)

    event.listen(base.engine, "before_cursor_execute", count)
    try:
        base.upsert_many(drafts, author="importer")
    finally:
        event.remove(base.engine, "before_cursor_execute", count)
    return len(statements)


def test_an_import_writes_in_batches_not_row_by_row(base: FaqBase) -> None:
    # An import holds the database's write lock (SQLite has one writer, which the chat's
    # sessions and transcripts wait for) for as long as its statements take: a few per row
    # made 2,000 rows hold it for seconds. Its statements must not grow with its rows.
    def drafts(prefix: str, n: int, answer: str = "a") -> list[FaqDraft]:
        return [FaqDraft(f"{prefix}-{i}", f"question {prefix} {i}", answer) for i in range(n)]

    def run(prefix: str, n: int) -> int:
        base.upsert_many(drafts(f"{prefix}-old", n) + drafts(f"{prefix}-gone", n), author="a")
        gone = [base.get_by_key(f"{prefix}-gone-{i}").id for i in range(n)]
        for entry_id in gone:
            base.delete(entry_id, author="a")
        exported = base.get_by_key(f"{prefix}-old-0")
        base.update(exported.id, expected_version=1, author="b", answer="edited here")
        older = FaqDraft(f"{prefix}-old-0", exported.question, "a", tags=("t",), version=1)
        changed = [older, *drafts(f"{prefix}-old", n, "new answer")[1:]]
        deleting = [replace(d, deleted=True) for d in drafts(f"{prefix}-new-deleted", n)]
        return _import_counting_statements(
            base, drafts(f"{prefix}-new", n) + changed + drafts(f"{prefix}-gone", n) + deleting
        )

    small, large = run("s", 3), run("l", 120)
    assert large == small <= 12
    merged = base.get_by_key("l-old-0")  # the older export merged over the later edit
    assert merged.answer == "edited here" and merged.tags == ("t",)
    assert [r.action for r in base.history(merged.id)] == ["create", "update", "update"]
    revived = base.get_by_key("l-gone-7")
    assert revived.deleted_at is None and revived.version == 3
    assert [r.action for r in base.history(revived.id)] == ["create", "delete", "restore"]
    born_deleted = base.get_by_key("l-new-deleted-5")
    assert born_deleted.deleted_at is not None and born_deleted.version == 2
    history = base.history(born_deleted.id)
    assert [(r.action, r.entry_version) for r in history] == [("create", 1), ("delete", 2)]
    assert history[0].snapshot["deleted_at"] is None
    assert history[1].snapshot == born_deleted.snapshot()
    assert (
        base.get_by_key("l-new-119").snapshot()
        == base.history(base.get_by_key("l-new-119").id)[-1].snapshot
    )
    changes = base.changes_since(0)
    assert {e.external_key: e for e in changes.entries}["l-old-5"].answer == "new answer"
