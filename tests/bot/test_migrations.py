"""Migrations run on SQLite and PostgreSQL, match the models, and go down cleanly."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot import db
from bot.db import TARGET_METADATA, create_db_engine

EXPECTED_TABLES = {
    "conversations",
    "conversation_events",
    "session_states",
    "conversation_locks",
    "api_tokens",
    "faq_entries",
    "faq_revisions",
}


def test_head_matches_the_models_on_each_backend(db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= EXPECTED_TABLES
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, TARGET_METADATA) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(new_database) -> None:  # type: ignore[no-untyped-def]
    for kind in ("sqlite", "postgresql"):
        url = new_database(kind)
        db.downgrade(url, "base")
        engine = create_db_engine(url)
        with engine.connect() as conn:
            assert not EXPECTED_TABLES & set(inspect(conn).get_table_names())
        engine.dispose()
        db.upgrade(url)
        engine = create_db_engine(url)
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= EXPECTED_TABLES
        engine.dispose()


def test_conversations_already_waiting_keep_a_place_in_the_queue(new_database) -> None:  # type: ignore[no-untyped-def]
    # 0004 adds when the handoff state changed; conversations handed over before it get
    # their last activity, so the queue can be ordered at once.
    from datetime import UTC, datetime

    from sqlalchemy import text

    for kind in ("sqlite", "postgresql"):
        url = new_database(kind)
        db.downgrade(url, "0003")
        engine = create_db_engine(url)
        then = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
        with engine.begin() as conn:
            for name, handoff in (("queued", "pending_human"), ("bot", "bot")):
                conn.execute(
                    text(
                        "INSERT INTO conversations (id, status, handoff, has_low_confidence,"
                        " last_seq, created_at, updated_at) VALUES (:id, 'open', :h, false, 0,"
                        " :t, :t)"
                    ),
                    {"id": name, "h": handoff, "t": then},
                )
        engine.dispose()
        db.upgrade(url)
        engine = create_db_engine(url)
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT id, handoff_at FROM conversations")).all())
        engine.dispose()
        assert rows["bot"] is None and rows["queued"] is not None, kind


def test_upgrade_creates_a_new_sqlite_file_and_its_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "deep" / "er" / "bot.db"
    db.upgrade(f"sqlite:///{path}")
    assert path.exists()
    db.check(f"sqlite:///{path}")


def test_workers_opening_a_new_sqlite_file_together_all_connect(tmp_path: Path) -> None:
    # The first connections to a new file race to switch it to WAL (see knowledge.enable_wal);
    # with four at once, some try lost that race in a few percent of tries before the retry.
    errors: list[BaseException] = []
    for attempt in range(150):
        url = f"sqlite:///{tmp_path / f'{attempt}.db'}"
        ready = threading.Barrier(4)

        def connect(url: str = url, ready: threading.Barrier = ready) -> None:
            engine = create_db_engine(url)
            try:
                ready.wait()
                with engine.connect() as conn:
                    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            except BaseException as error:  # any error fails the test
                errors.append(error)
            finally:
                engine.dispose()

        threads = [threading.Thread(target=connect) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
