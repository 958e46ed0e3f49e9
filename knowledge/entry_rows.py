"""How FAQ entries and their revisions sit in SQL: reading rows, column values, diffs, the
writers' lock. Shared by single edits (``knowledge.base``) and imports (``knowledge.imports``).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, text

from knowledge.entries import (
    EDITABLE_FIELDS,
    FaqEntry,
    Revision,
    as_utc,
    check_one_line,
    entry_from_row,
)
from knowledge.errors import EntryNotFound
from knowledge.tables import faq_entries, faq_revisions

#: Key of the PostgreSQL advisory lock that serialises writers, so that revision numbers
#: commit in order and a reader that has seen revision N has seen every revision below it.
WRITE_LOCK_KEY = 0x6661712D7276  # "faq-rv"

#: Keys, entries or revisions asked for in one query (well under SQLite's bound parameters).
CHUNK = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


def lock_writes(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        # A write as the transaction's first statement takes SQLite's one write lock
        # now (waiting out busy_timeout), not at the first INSERT: two editors saving
        # the same new key at once both found it free, and the second got a raw
        # IntegrityError (a 500) instead of "exists".
        conn.execute(text("UPDATE faq_revisions SET id = id WHERE 0"))


def get_entry(conn: Connection, entry_id: int) -> FaqEntry:
    row = conn.execute(select(faq_entries).where(faq_entries.c.id == entry_id)).mappings().first()
    if row is None:
        raise EntryNotFound(f"no FAQ entry has the id {entry_id}")
    return entry_from_row(row)


def find_key(conn: Connection, key: str) -> FaqEntry | None:
    row = (
        conn.execute(select(faq_entries).where(faq_entries.c.external_key == key))
        .mappings()
        .first()
    )
    return None if row is None else entry_from_row(row)


def find_keys(conn: Connection, keys: builtins.list[str]) -> dict[str, FaqEntry]:
    """The entries having these keys, deleted or not, by key (a query per 500 keys)."""
    found: dict[str, FaqEntry] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        rows = conn.execute(select(faq_entries).where(faq_entries.c.external_key.in_(chunk)))
        for row in rows.mappings():
            found[str(row["external_key"])] = entry_from_row(row)
    return found


def list_entries(
    conn: Connection,
    include_deleted: bool = False,
    active_only: bool = False,
    language: str | None = None,
) -> builtins.list[FaqEntry]:
    query = select(faq_entries).order_by(faq_entries.c.id)
    if not include_deleted:
        query = query.where(faq_entries.c.deleted_at.is_(None))
    if active_only:
        query = query.where(faq_entries.c.active.is_(True))
    if language is not None:
        query = query.where(faq_entries.c.language == language)
    return [entry_from_row(r) for r in conn.execute(query).mappings()]


def last_revision(conn: Connection) -> int:
    return int(conn.execute(select(func.max(faq_revisions.c.id))).scalar() or 0)


def record(conn: Connection, entry: FaqEntry, action: str, changes: Any, author: str) -> None:
    conn.execute(
        faq_revisions.insert().values(
            entry_id=entry.id,
            entry_version=entry.version,
            action=action,
            changes=changes,
            snapshot=entry.snapshot(),
            author=author,
            created_at=utc_now(),
        )
    )


def row_values(entry: FaqEntry, *, created: bool = False) -> dict[str, Any]:
    """The ``faq_entries`` values of an entry (its key and creation time only if new)."""
    row = {
        **entry.draft().fields(),
        "version": entry.version,
        "deleted_at": entry.deleted_at,
        "updated_at": entry.updated_at,
    }
    if created:
        row.update(external_key=entry.external_key, created_at=entry.created_at)
    return row


def stored(value: Any) -> Any:
    """A cleaned field value in its JSON column form."""
    if isinstance(value, tuple):
        return [
            {"title": v.title, "payload": v.payload}
            if hasattr(v, "payload")
            else {"title": v.title, "url": v.url}
            if hasattr(v, "url")
            else v
            for v in value
        ]
    return value


def changed_fields(current: FaqEntry, cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned fields whose values differ from the entry's."""
    old = current.draft().fields()
    return {
        name: value
        for name, value in cleaned.items()
        if name in EDITABLE_FIELDS and stored(value) != old[name]
    }


def edit_diff(
    current: FaqEntry, changed: Mapping[str, Any], *, revive: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An edit's column values (``changed_fields``) and the changes its revision records,
    ``deleted`` too when it revives a deleted entry.

    Raises:
        InvalidEntryError: a one-line field holds a line break.
    """
    values = {name: stored(value) for name, value in changed.items()}
    check_one_line(current.external_key, values)
    old = current.draft().fields()
    diff: dict[str, Any] = {name: [old[name], values[name]] for name in values}
    if revive:
        diff["deleted"] = [True, False]
    return values, diff


#: The columns of a revision that ``stamp_of`` reads.
STAMPED = (faq_revisions.c.entry_id, faq_revisions.c.entry_version, faq_revisions.c.created_at)


def stamp_of(row: Any) -> str:
    """A revision's entry id, entry version and write time (a row with ``STAMPED``), as
    one comparable text; in UTC, so it does not change with the session's time zone."""
    written = as_utc(row.created_at).isoformat()
    return f"{int(row.entry_id)}.{int(row.entry_version)}@{written}"


def revision_from_row(row: Mapping[Any, Any]) -> Revision:
    created = row["created_at"]
    return Revision(
        id=int(row["id"]),
        entry_id=int(row["entry_id"]),
        entry_version=int(row["entry_version"]),
        action=str(row["action"]),
        changes=row["changes"],
        snapshot=row["snapshot"],
        author=str(row["author"]),
        created_at=as_utc(created),
    )
