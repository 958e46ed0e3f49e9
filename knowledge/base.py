"""`FaqBase`: FAQ entries in SQL with a revision history, soft delete and optimistic edits."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, text, tuple_

from knowledge.entries import (
    EDITABLE_FIELDS,
    ChangeSet,
    FaqDraft,
    FaqEntry,
    Revision,
    as_utc,
    check_new_key,
    check_one_line,
    clean_draft,
    clean_field,
    entry_from_row,
    key_from_question,
    other_phrasings,
)
from knowledge.errors import (
    EntryNotFound,
    EntryStateError,
    InvalidEntryError,
    KeyTakenError,
    StaleEditError,
    StaleImportError,
)
from knowledge.merge import ImportPlan, file_wins, merge
from knowledge.tables import faq_entries, faq_revisions

#: Key of the PostgreSQL advisory lock that serialises writers, so that revision numbers
#: commit in order and a reader that has seen revision N has seen every revision below it.
_WRITE_LOCK_KEY = 0x6661712D7276  # "faq-rv"

ChangeListener = Callable[[int], None]


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


def _now() -> datetime:
    return datetime.now(UTC)


class FaqBase:
    """CRUD on FAQ entries; every write is one transaction that appends revisions.

    Args:
        engine: a SQLAlchemy engine on a database migrated to head (SQLite or PostgreSQL).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._listeners: list[ChangeListener] = []
        self._listeners_lock = threading.Lock()

    # -- listeners -------------------------------------------------------------------------
    def add_listener(self, listener: ChangeListener) -> None:
        """Call ``listener(revision)`` after every committed write (used to publish edits)."""
        with self._listeners_lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: ChangeListener) -> None:
        """Stop calling a listener added with :meth:`add_listener`."""
        with self._listeners_lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _notify(self, revision: int) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(revision)

    # -- reads -----------------------------------------------------------------------------
    def get(self, entry_id: int) -> FaqEntry:
        """The entry with this id, deleted or not.

        Raises:
            EntryNotFound: no such entry.
        """
        with self.engine.connect() as conn:
            return self._get(conn, entry_id)

    def get_by_key(self, external_key: str) -> FaqEntry:
        """The entry with this external key, deleted or not.

        Raises:
            EntryNotFound: no such entry.
        """
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(faq_entries).where(faq_entries.c.external_key == external_key))
                .mappings()
                .first()
            )
        if row is None:
            raise EntryNotFound(f"no FAQ entry has the key {external_key!r}")
        return entry_from_row(row)

    def list(
        self,
        *,
        include_deleted: bool = False,
        active_only: bool = False,
        tag: str | None = None,
        language: str | None = None,
    ) -> list[FaqEntry]:
        """Entries ordered by id; deleted ones only when asked for."""
        with self.engine.connect() as conn:
            entries = self._list(conn, include_deleted, active_only, language)
        return [e for e in entries if tag is None or tag in e.tags]

    def history(self, entry_id: int) -> builtins.list[Revision]:
        """Every revision of one entry, oldest first.

        Raises:
            EntryNotFound: no such entry.
        """
        with self.engine.connect() as conn:
            self._get(conn, entry_id)
            rows = conn.execute(
                select(faq_revisions)
                .where(faq_revisions.c.entry_id == entry_id)
                .order_by(faq_revisions.c.id)
            ).mappings()
            return [_revision(r) for r in rows]

    def current_revision(self) -> int:
        """The highest revision number in the base (0 when nothing was ever written)."""
        with self.engine.connect() as conn:
            value = conn.execute(select(func.max(faq_revisions.c.id))).scalar()
        return int(value or 0)

    def revision_stamp(self, revision: int) -> str | None:
        """What identifies revision ``revision`` beyond its number (the entry, its version
        and the time it was written); None for revision 0 or one the base does not have.

        A database restored from a backup reuses revision numbers for other changes: an
        index persisted before the restore has the same number, not the same stamp.
        """
        with self.engine.connect() as conn:
            row = conn.execute(select(*_STAMPED).where(faq_revisions.c.id == revision)).first()
        return None if row is None else _stamp(row)

    def changes_since(self, revision: int) -> ChangeSet:
        """The latest state of every entry changed after ``revision``, read consistently.

        The state comes from the revisions' snapshots, so the returned ``revision`` and the
        entries always match even while other writers commit.
        """
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(faq_revisions.c.id, faq_revisions.c.snapshot, *_STAMPED)
                .where(faq_revisions.c.id > revision)
                .order_by(faq_revisions.c.id)
            ).all()
        latest: dict[int, Mapping[str, Any]] = {}
        for row in rows:
            latest[int(row.entry_id)] = row.snapshot
        if not rows:
            return ChangeSet(revision)
        entries = tuple(entry_from_row(s) for s in latest.values())
        return ChangeSet(int(rows[-1].id), entries, stamp=_stamp(rows[-1]))

    # -- writes ----------------------------------------------------------------------------
    def create(self, draft: FaqDraft, *, author: str) -> FaqEntry:
        """Add a new entry; a deleted entry with the same key comes back with this content.

        A revived entry keeps its id and history; the revival is a ``restore`` revision.

        A draft without an external key gets one made from its question
        (``key_from_question``), numbered past any key in use ("_2", "_3", ...).

        Raises:
            InvalidEntryError: a field is invalid or a live entry has the external key.
        """
        made = not str(draft.external_key or "").strip()
        if made:  # the question is validated with the rest below
            draft = replace(draft, external_key=key_from_question(str(draft.question or "")))
        draft = clean_draft(draft)
        with self.engine.begin() as conn:
            self._lock_writes(conn)
            if made:
                draft = replace(draft, external_key=self._free_key(conn, draft.external_key))
            current = self._find_key(conn, draft.external_key)
            if current is not None and current.deleted_at is None:
                raise KeyTakenError(
                    f"an entry with the key {draft.external_key!r} exists; update it instead"
                )
            if current is None:
                check_new_key(draft.external_key)
                entry = self._insert(conn, draft, author)
            else:  # a deleted entry comes back with this content
                entry = self._apply(conn, current, draft.given(), author, "restore", undelete=True)
            revision = self._last_revision(conn)
        self._notify(revision)
        return entry

    def update(
        self, entry_id: int, *, expected_version: int, author: str, **changes: Any
    ) -> FaqEntry:
        """Change editable fields of an entry, if it is still at ``expected_version``.

        Args:
            entry_id: the entry to edit.
            expected_version: the version the editor saw; a newer stored version refuses.
            author: who edits (recorded in the history).
            **changes: editable fields (question, alternatives, answer, buttons, links,
                tags, language, active) and their new values.

        Raises:
            EntryNotFound: no such entry.
            EntryStateError: it is deleted (restore it first).
            StaleEditError: the entry changed since ``expected_version``.
            InvalidEntryError: a field is unknown or invalid.
        """
        cleaned = {name: clean_field(name, value) for name, value in changes.items()}
        with self.engine.begin() as conn:
            self._lock_writes(conn)
            current = self._get(conn, entry_id)
            if current.deleted_at is not None:
                raise EntryStateError(
                    f"FAQ entry {current.external_key!r} is deleted; restore it first"
                )
            if current.version != expected_version:
                raise StaleEditError(
                    entry_id, expected_version, current.version, current.external_key
                )
            if "question" in cleaned or "alternatives" in cleaned:
                # As an import does, so an export imported back is unchanged.
                cleaned["alternatives"] = other_phrasings(
                    cleaned.get("question", current.question),
                    cleaned.get("alternatives", current.alternatives),
                )
            entry = self._apply(conn, current, cleaned, author, "update")
            revision = self._last_revision(conn)
        self._notify(revision)
        return entry

    def delete(
        self, entry_id: int, *, author: str, expected_version: int | None = None
    ) -> FaqEntry:
        """Soft-delete an entry (it stays in the history and can be restored).

        Raises:
            EntryNotFound: no such entry.
            EntryStateError: it is already deleted.
            StaleEditError: ``expected_version`` is given and the entry changed since.
        """
        return self._set_deleted(entry_id, author, expected_version, deleted=True)

    def restore(
        self, entry_id: int, *, author: str, expected_version: int | None = None
    ) -> FaqEntry:
        """Undo a soft delete.

        Raises:
            EntryNotFound: no such entry.
            EntryStateError: it is not deleted.
            StaleEditError: ``expected_version`` is given and the entry changed since.
        """
        return self._set_deleted(entry_id, author, expected_version, deleted=False)

    def upsert_many(
        self,
        drafts: Iterable[FaqDraft],
        *,
        author: str,
        overwrite: bool = False,
        dry_run: bool = False,
    ) -> UpsertResult:
        """Create or update entries by external key in ONE transaction (all or nothing);
        ``dry_run`` does it all, then rolls it back (what an import would do, refusals
        included, and the revision it would reach).

        Unchanged entries get no revision; a deleted entry named again is restored, and one
        the draft marks deleted is deleted. Fields a draft marks absent (its format cannot
        carry them) keep their stored values. A draft that carries the version it was
        exported at, of an entry changed since, is merged (``knowledge.merge``): only what
        the file changed is written.

        Raises:
            StaleImportError: unless ``overwrite``, the file and the base changed the same
                field of an entry differently since its export, or one deleted what the
                other changed.
            InvalidEntryError: a draft is invalid, or two name the same key.
        """
        cleaned = [clean_draft(d) for d in drafts]
        keys = [d.external_key for d in cleaned]
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                raise InvalidEntryError(f"the key {key!r} is given twice")
            seen.add(key)
        outcomes: dict[str, list[str]] = {
            "created": [], "updated": [], "unchanged": [], "deleted": []
        }  # fmt: skip
        # A handful of statements for the whole file, never a few per row: SQLite has one
        # writer, and the chat's sessions and transcripts wait while this transaction runs.
        with self.engine.connect() as conn, conn.begin() as transaction:
            self._lock_writes(conn)
            stored = self._find_keys(conn, keys)
            currents = [stored.get(key) for key in keys]
            for key in keys:
                if key not in stored:
                    check_new_key(key)
            exported = self._exported_versions(conn, currents, cleaned, overwrite)
            plans = [
                None if current is None else _plan(current, draft, overwrite, exported)
                for current, draft in zip(currents, cleaned, strict=True)
            ]
            conflicts = [p.conflict for p in plans if p is not None and p.conflict]
            if conflicts:
                raise StaleImportError(conflicts)
            now = _now()
            writes: list[_Write] = []
            for current, draft, plan in zip(currents, cleaned, plans, strict=True):
                write = _created(draft, now) if plan is None else _updated(current, plan, now)
                outcomes[write.outcome].append(draft.external_key)
                writes.append(write)
            self._write_batch(conn, writes, author, now)
            revision = self._last_revision(conn)
            preview = None
            if dry_run:
                preview = tuple(self._list(conn, active_only=True))
                transaction.rollback()
        created, updated, unchanged, deleted = (tuple(outcomes[k]) for k in outcomes)
        if (created or updated or deleted) and not dry_run:
            self._notify(revision)
        return UpsertResult(created, updated, unchanged, revision, deleted, preview=preview)

    def _find_keys(self, conn: Connection, keys: builtins.list[str]) -> dict[str, FaqEntry]:
        """The entries having these keys, deleted or not, by key (a query per 500 keys)."""
        found: dict[str, FaqEntry] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            rows = conn.execute(select(faq_entries).where(faq_entries.c.external_key.in_(chunk)))
            for row in rows.mappings():
                found[str(row["external_key"])] = entry_from_row(row)
        return found

    def _exported_versions(
        self,
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
            if current is not None and _merges(current, draft, overwrite)
        ]
        found: dict[tuple[int, int], FaqEntry] = {}
        pair = tuple_(faq_revisions.c.entry_id, faq_revisions.c.entry_version)
        for start in range(0, len(wanted), _CHUNK):
            rows = conn.execute(
                select(*_STAMPED[:2], faq_revisions.c.snapshot)
                .where(pair.in_(wanted[start : start + _CHUNK]))
                .order_by(faq_revisions.c.id)
            )
            for row in rows:  # the latest revision of a version wins, as ids ascend
                found[(int(row.entry_id), int(row.entry_version))] = entry_from_row(row.snapshot)
        return found

    def _write_batch(
        self, conn: Connection, writes: builtins.list[_Write], author: str, now: datetime
    ) -> None:
        """Insert the new entries, update the changed ones (each only if still at the version
        read) and append their revisions in the drafts' order: a few statements in all."""
        new = [w for w in writes if w.current is None]
        if new:
            # Ids read back by key: RETURNING in parameter order is a statement per row on
            # SQLite, as it cannot tell the rows of one statement apart.
            conn.execute(faq_entries.insert(), [_row(w.steps[-1][1], created=True) for w in new])
            ids = self._ids_of(conn, [w.steps[0][1].external_key for w in new])
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
                {"b_id": w.current.id, "b_version": w.current.version, **_row(w.steps[-1][1])}
                for w in changed
                if w.current is not None
            ]
            result = conn.execute(update, params)
            if result.rowcount != len(params):  # a writer that bypassed the write lock
                self._refuse_stale(conn, [w.current for w in changed if w.current is not None])
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

    def _ids_of(self, conn: Connection, keys: builtins.list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        key_column = faq_entries.c.external_key
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            rows = conn.execute(select(faq_entries.c.id, key_column).where(key_column.in_(chunk)))
            ids.update((str(row.external_key), int(row.id)) for row in rows)
        return ids

    def _refuse_stale(self, conn: Connection, read: builtins.list[FaqEntry]) -> None:
        for current in read:
            latest = self._get(conn, current.id)
            if latest.version != current.version:
                raise StaleEditError(
                    current.id, current.version, latest.version, current.external_key
                )

    # -- internals -------------------------------------------------------------------------
    def _list(
        self,
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

    def _lock_writes(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _WRITE_LOCK_KEY})
        elif conn.dialect.name == "sqlite":
            # A write as the transaction's first statement takes SQLite's one write lock
            # now (waiting out busy_timeout), not at the first INSERT: two editors saving
            # the same new key at once both found it free, and the second got a raw
            # IntegrityError (a 500) instead of "exists".
            conn.execute(text("UPDATE faq_revisions SET id = id WHERE 0"))

    def _get(self, conn: Connection, entry_id: int) -> FaqEntry:
        row = (
            conn.execute(select(faq_entries).where(faq_entries.c.id == entry_id)).mappings().first()
        )
        if row is None:
            raise EntryNotFound(f"no FAQ entry has the id {entry_id}")
        return entry_from_row(row)

    def _free_key(self, conn: Connection, key: str) -> str:
        """``key``, or the first of ``key_2``, ``key_3``, ... that no entry has, deleted
        ones included (a made key is for a new entry, not for reviving an old one)."""
        taken = set(
            conn.execute(
                select(faq_entries.c.external_key).where(
                    faq_entries.c.external_key.startswith(key, autoescape=True)
                )
            ).scalars()
        )
        number = 1
        while (candidate := key if number == 1 else f"{key}_{number}") in taken:
            number += 1
        return candidate

    def _find_key(self, conn: Connection, key: str) -> FaqEntry | None:
        row = (
            conn.execute(select(faq_entries).where(faq_entries.c.external_key == key))
            .mappings()
            .first()
        )
        return None if row is None else entry_from_row(row)

    def _last_revision(self, conn: Connection) -> int:
        return int(conn.execute(select(func.max(faq_revisions.c.id))).scalar() or 0)

    def _insert(self, conn: Connection, draft: FaqDraft, author: str) -> FaqEntry:
        check_one_line(draft.external_key, draft.fields())
        now = _now()
        values = {
            "external_key": draft.external_key,
            **draft.fields(),
            "version": 1,
            "deleted_at": None,
            "created_at": now,
            "updated_at": now,
        }
        inserted: Any = conn.execute(faq_entries.insert().values(**values)).inserted_primary_key
        entry_id = inserted[0]
        entry = self._get(conn, int(entry_id))
        changes = {name: [None, value] for name, value in draft.fields().items()}
        self._record(conn, entry, "create", changes, author)
        return entry

    def _apply(
        self,
        conn: Connection,
        current: FaqEntry,
        cleaned: Mapping[str, Any],
        author: str,
        action: str,
        *,
        undelete: bool = False,
    ) -> FaqEntry:
        changed = _changed(current, cleaned)
        if not changed and not (undelete and current.deleted_at is not None):
            return current
        values = {name: _stored(value) for name, value in changed.items()}
        check_one_line(current.external_key, values)
        old = current.draft().fields()
        diff: dict[str, Any] = {name: [old[name], values[name]] for name in values}
        if undelete and current.deleted_at is not None:
            values["deleted_at"] = None
            diff["deleted"] = [True, False]
        result = conn.execute(
            faq_entries.update()
            .where(faq_entries.c.id == current.id, faq_entries.c.version == current.version)
            .values(**values, version=current.version + 1, updated_at=_now())
        )
        if result.rowcount != 1:  # another writer got there between our read and write
            latest = self._get(conn, current.id)
            raise StaleEditError(current.id, current.version, latest.version, current.external_key)
        entry = self._get(conn, current.id)
        self._record(conn, entry, action, diff, author)
        return entry

    def _set_deleted(
        self, entry_id: int, author: str, expected_version: int | None, *, deleted: bool
    ) -> FaqEntry:
        with self.engine.begin() as conn:
            self._lock_writes(conn)
            current = self._get(conn, entry_id)
            if (current.deleted_at is not None) == deleted:
                state = "already deleted" if deleted else "not deleted"
                raise EntryStateError(f"FAQ entry {current.external_key!r} is {state}")
            if expected_version is not None and current.version != expected_version:
                raise StaleEditError(
                    entry_id, expected_version, current.version, current.external_key
                )
            entry = self._write_deleted(conn, current, author, deleted)
            revision = self._last_revision(conn)
        self._notify(revision)
        return entry

    def _write_deleted(
        self, conn: Connection, current: FaqEntry, author: str, deleted: bool
    ) -> FaqEntry:
        now = _now()
        result = conn.execute(
            faq_entries.update()
            .where(faq_entries.c.id == current.id, faq_entries.c.version == current.version)
            .values(
                deleted_at=now if deleted else None, version=current.version + 1, updated_at=now
            )
        )
        if result.rowcount != 1:
            latest = self._get(conn, current.id)
            raise StaleEditError(current.id, current.version, latest.version, current.external_key)
        entry = self._get(conn, current.id)
        action = "delete" if deleted else "restore"
        self._record(conn, entry, action, {"deleted": [not deleted, deleted]}, author)
        return entry

    def _record(
        self, conn: Connection, entry: FaqEntry, action: str, changes: Any, author: str
    ) -> None:
        conn.execute(
            faq_revisions.insert().values(
                entry_id=entry.id,
                entry_version=entry.version,
                action=action,
                changes=changes,
                snapshot=entry.snapshot(),
                author=author,
                created_at=_now(),
            )
        )


#: Keys, entries or revisions asked for in one query (well under SQLite's bound parameters).
_CHUNK = 500


@dataclass(slots=True)
class _Write:
    """What an import does to one entry: its revisions' actions, the entry after each and
    the changes each records (none: unchanged), and what to call the outcome."""

    current: FaqEntry | None
    steps: builtins.list[tuple[str, FaqEntry, dict[str, Any]]]
    outcome: str


def _merges(current: FaqEntry, draft: FaqDraft, overwrite: bool) -> bool:
    """Whether the draft was exported at a version the base has moved on from."""
    return not overwrite and draft.version is not None and current.version > draft.version


def _plan(
    current: FaqEntry,
    draft: FaqDraft,
    overwrite: bool,
    exported: Mapping[tuple[int, int], FaqEntry],
) -> ImportPlan:
    """What an import writes over ``current``: the draft as it is, or, when the base moved
    on since the draft's version, the draft's changes merged over the base's."""
    if not _merges(current, draft, overwrite):
        return file_wins(current, draft)
    then = exported.get((current.id, int(draft.version or 0)))
    if then is None:  # a version this base never had: the file is from another base
        return file_wins(current, draft)
    return merge(current, draft, then)


def _created(draft: FaqDraft, now: datetime) -> _Write:
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
        steps.append(("delete", _deleted(entry, now), {"deleted": [False, True]}))
    return _Write(None, steps, "deleted" if draft.deleted else "created")


def _updated(current: FaqEntry | None, plan: ImportPlan, now: datetime) -> _Write:
    """``plan`` over a stored entry: its changed fields (a restore if it revives it), then
    its deletion if the plan deletes it; no steps when nothing changes."""
    assert current is not None
    steps: builtins.list[tuple[str, FaqEntry, dict[str, Any]]] = []
    entry = current
    changed = _changed(current, plan.fields)
    revive = plan.revive and current.deleted_at is not None
    if changed or revive:
        values = {name: _stored(value) for name, value in changed.items()}
        check_one_line(current.external_key, values)
        old = current.draft().fields()
        diff: dict[str, Any] = {name: [old[name], values[name]] for name in values}
        if revive:
            diff["deleted"] = [True, False]
        entry = entry_from_row(
            {
                **current.snapshot(), **values, "version": current.version + 1,
                "updated_at": now, "deleted_at": None if revive else current.deleted_at,
            }
        )  # fmt: skip
        steps.append(("restore" if plan.revive else "update", entry, diff))
    outcome = "updated" if steps else "unchanged"
    if plan.delete:
        entry = _deleted(entry, now)
        steps.append(("delete", entry, {"deleted": [False, True]}))
        outcome = "deleted"
    return _Write(current, steps, outcome)


def _deleted(entry: FaqEntry, now: datetime) -> FaqEntry:
    return replace(entry, version=entry.version + 1, deleted_at=now, updated_at=now)


def _row(entry: FaqEntry, *, created: bool = False) -> dict[str, Any]:
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


#: The columns of a revision that ``_stamp`` reads.
_STAMPED = (faq_revisions.c.entry_id, faq_revisions.c.entry_version, faq_revisions.c.created_at)


def _stamp(row: Any) -> str:
    """A revision's entry id, entry version and write time (a row with ``_STAMPED``), as
    one comparable text; in UTC, so it does not change with the session's time zone."""
    written = as_utc(row.created_at).isoformat()
    return f"{int(row.entry_id)}.{int(row.entry_version)}@{written}"


def _stored(value: Any) -> Any:
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


def _changed(current: FaqEntry, cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned fields whose values differ from the entry's."""
    old = current.draft().fields()
    return {
        name: value
        for name, value in cleaned.items()
        if name in EDITABLE_FIELDS and _stored(value) != old[name]
    }


def _revision(row: Mapping[Any, Any]) -> Revision:
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
