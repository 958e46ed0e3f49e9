"""An import's writes: each draft planned against the stored entry (created, updated,
merged over later edits, revived, deleted), then written in a handful of statements for the
whole file, never a few per row (SQLite has one writer, which the chat also waits for).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_

from knowledge.entries import FaqDraft, FaqEntry, check_one_line, entry_from_row
from knowledge.entry_rows import (
    CHUNK,
    STAMPED,
    changed_fields,
    edit_diff,
    get_entry,
    row_values,
)
from knowledge.errors import StaleEditError
from knowledge.merge import ImportPlan, file_wins, merge
from knowledge.tables import faq_entries, faq_revisions


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What an import did: keys created, updated and left unchanged, and the revision after;
    ``deleted``: entries the file marks deleted that it deleted (created first if new)."""

    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    revision: int
    deleted: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what the file held that the entries leave out
    #: A dry run's answerable entries as the import would leave them (rolled back since);
    #: None after a real import, whose result is the base itself.
    preview: tuple[FaqEntry, ...] | None = None


@dataclass(slots=True)
class Write:
    """What an import does to one entry: its revisions' actions, the entry after each and
    the changes each records (none: unchanged), and what to call the outcome."""

    current: FaqEntry | None
    steps: builtins.list[tuple[str, FaqEntry, dict[str, Any]]]
    outcome: str


def merges(current: FaqEntry, draft: FaqDraft, overwrite: bool) -> bool:
    """Whether the draft was exported at a version the base has moved on from."""
    return not overwrite and draft.version is not None and current.version > draft.version


def plan_import(
    current: FaqEntry,
    draft: FaqDraft,
    overwrite: bool,
    exported: Mapping[tuple[int, int], FaqEntry],
) -> ImportPlan:
    """What an import writes over ``current``: the draft as it is, or, when the base moved
    on since the draft's version, the draft's changes merged over the base's."""
    if not merges(current, draft, overwrite):
        return file_wins(current, draft)
    then = exported.get((current.id, int(draft.version or 0)))
    if then is None:  # a version this base never had: the file is from another base
        return file_wins(current, draft)
    return merge(current, draft, then)


def created_write(draft: FaqDraft, now: datetime) -> Write:
    """A new entry (id 0 until inserted), deleted at once if the draft says so."""
    fields = draft.fields()
    check_one_line(draft.external_key, fields)
    snapshot = {
        "id": 0, "external_key": draft.external_key, **fields, "version": 1,
        "deleted_at": None, "created_at": now, "updated_at": now,
    }  # fmt: skip
    entry = entry_from_row(snapshot)
    changes = {name: [None, value] for name, value in fields.items()}
    steps = [("create", entry, changes)]
    if draft.deleted:
        steps.append(("delete", deleted_entry(entry, now), {"deleted": [False, True]}))
    return Write(None, steps, "deleted" if draft.deleted else "created")


def updated_write(current: FaqEntry | None, plan: ImportPlan, now: datetime) -> Write:
    """``plan`` over a stored entry: its changed fields (a restore if it revives it), then
    its deletion if the plan deletes it; no steps when nothing changes."""
    assert current is not None
    steps: builtins.list[tuple[str, FaqEntry, dict[str, Any]]] = []
    entry = current
    changed = changed_fields(current, plan.fields)
    revive = plan.revive and current.deleted_at is not None
    if changed or revive:
        values, diff = edit_diff(current, changed, revive=revive)
        entry = entry_from_row(
            {
                **current.snapshot(), **values, "version": current.version + 1,
                "updated_at": now, "deleted_at": None if revive else current.deleted_at,
            }
        )  # fmt: skip
        steps.append(("restore" if plan.revive else "update", entry, diff))
    outcome = "updated" if steps else "unchanged"
    if plan.delete:
        entry = deleted_entry(entry, now)
        steps.append(("delete", entry, {"deleted": [False, True]}))
        outcome = "deleted"
    return Write(current, steps, outcome)


def deleted_entry(entry: FaqEntry, now: datetime) -> FaqEntry:
    return replace(entry, version=entry.version + 1, deleted_at=now, updated_at=now)


def exported_versions(
    conn: Connection,
    currents: builtins.list[FaqEntry | None],
    drafts: builtins.list[FaqDraft],
    overwrite: bool,
) -> dict[tuple[int, int], FaqEntry]:
    """Each entry as it was at the version a draft was exported at, where the base has
    moved on since (what ``knowledge.merge`` compares with); a query per 500 entries."""
    wanted = [
        (current.id, draft.version)
        for current, draft in zip(currents, drafts, strict=True)
        if current is not None and merges(current, draft, overwrite)
    ]
    found: dict[tuple[int, int], FaqEntry] = {}
    pair = tuple_(faq_revisions.c.entry_id, faq_revisions.c.entry_version)
    for start in range(0, len(wanted), CHUNK):
        rows = conn.execute(
            select(*STAMPED[:2], faq_revisions.c.snapshot)
            .where(pair.in_(wanted[start : start + CHUNK]))
            .order_by(faq_revisions.c.id)
        )
        for row in rows:  # the latest revision of a version wins, as ids ascend
            found[(int(row.entry_id), int(row.entry_version))] = entry_from_row(row.snapshot)
    return found


def write_batch(conn: Connection, writes: builtins.list[Write], author: str, now: datetime) -> None:
    """Insert the new entries, update the changed ones (each only if still at the version
    read) and append their revisions in the drafts' order: a few statements in all."""
    new = [w for w in writes if w.current is None]
    if new:
        # Ids read back by key: RETURNING in parameter order is a statement per row on
        # SQLite, as it cannot tell the rows of one statement apart.
        conn.execute(faq_entries.insert(), [row_values(w.steps[-1][1], created=True) for w in new])
        ids = ids_of(conn, [w.steps[0][1].external_key for w in new])
        for write in new:
            entry_id = ids[write.steps[0][1].external_key]
            write.steps = [(a, replace(e, id=entry_id), d) for a, e, d in write.steps]
    changed = [w for w in writes if w.current is not None and w.steps]
    if changed:
        update = faq_entries.update().where(
            faq_entries.c.id == bindparam("b_id"),
            faq_entries.c.version == bindparam("b_version"),
        )
        params = [
            {"b_id": w.current.id, "b_version": w.current.version, **row_values(w.steps[-1][1])}
            for w in changed
            if w.current is not None
        ]
        result = conn.execute(update, params)
        if result.rowcount != len(params):  # a writer that bypassed the write lock
            refuse_stale(conn, [w.current for w in changed if w.current is not None])
    revisions = [
        {
            "entry_id": entry.id, "entry_version": entry.version, "action": action,
            "changes": diff, "snapshot": entry.snapshot(), "author": author,
            "created_at": now,
        }
        for write in writes
        for action, entry, diff in write.steps
    ]  # fmt: skip
    if revisions:
        conn.execute(faq_revisions.insert(), revisions)


def ids_of(conn: Connection, keys: builtins.list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    key_column = faq_entries.c.external_key
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        rows = conn.execute(select(faq_entries.c.id, key_column).where(key_column.in_(chunk)))
        ids.update((str(row.external_key), int(row.id)) for row in rows)
    return ids


def refuse_stale(conn: Connection, read: builtins.list[FaqEntry]) -> None:
    for current in read:
        latest = get_entry(conn, current.id)
        if latest.version != current.version:
            raise StaleEditError(current.id, current.version, latest.version, current.external_key)
