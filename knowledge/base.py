"""`FaqBase`: FAQ entries in SQL with a revision history, soft delete and optimistic edits."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Engine, select

from knowledge.entries import (
    ChangeSet,
    FaqDraft,
    FaqEntry,
    Revision,
    check_new_key,
    check_one_line,
    clean_draft,
    clean_field,
    entry_from_row,
    key_from_question,
    other_phrasings,
    same_words,
)
from knowledge.entry_rows import (
    STAMPED,
    changed_fields,
    edit_diff,
    find_key,
    find_keys,
    get_entry,
    last_revision,
    list_entries,
    lock_writes,
    record,
    revision_from_row,
    stamp_of,
    utc_now,
)
from knowledge.errors import (
    EntryNotFound,
    EntryStateError,
    InvalidEntryError,
    KeyTakenError,
    StaleEditError,
    StaleImportError,
)
from knowledge.imports import (
    UpsertResult,
    Write,
    created_write,
    exported_versions,
    plan_import,
    updated_write,
    write_batch,
)
from knowledge.tables import faq_entries, faq_revisions

ChangeListener = Callable[[int], None]
__all__ = ["ChangeListener", "FaqBase", "UpsertResult"]


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
            return get_entry(conn, entry_id)

    def get_by_key(self, external_key: str) -> FaqEntry:
        """The entry with this external key, deleted or not.

        Raises:
            EntryNotFound: no such entry.
        """
        with self.engine.connect() as conn:
            entry = find_key(conn, external_key)
        if entry is None:
            raise EntryNotFound(f"no FAQ entry has the key {external_key!r}")
        return entry

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
            entries = list_entries(conn, include_deleted, active_only, language)
        return [e for e in entries if tag is None or tag in e.tags]

    def history(self, entry_id: int) -> builtins.list[Revision]:
        """Every revision of one entry, oldest first.

        Raises:
            EntryNotFound: no such entry.
        """
        with self.engine.connect() as conn:
            get_entry(conn, entry_id)
            rows = conn.execute(
                select(faq_revisions)
                .where(faq_revisions.c.entry_id == entry_id)
                .order_by(faq_revisions.c.id)
            ).mappings()
            return [revision_from_row(r) for r in rows]

    def current_revision(self) -> int:
        """The highest revision number in the base (0 when nothing was ever written)."""
        with self.engine.connect() as conn:
            return last_revision(conn)

    def revision_stamp(self, revision: int) -> str | None:
        """What identifies revision ``revision`` beyond its number (the entry, its version
        and the time it was written); None for revision 0 or one the base does not have.

        A database restored from a backup reuses revision numbers for other changes: an
        index persisted before the restore has the same number, not the same stamp.
        """
        with self.engine.connect() as conn:
            row = conn.execute(select(*STAMPED).where(faq_revisions.c.id == revision)).first()
        return None if row is None else stamp_of(row)

    def changes_since(self, revision: int) -> ChangeSet:
        """The latest state of every entry changed after ``revision``, read consistently.

        The state comes from the revisions' snapshots, so the returned ``revision`` and the
        entries always match even while other writers commit.
        """
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(faq_revisions.c.id, faq_revisions.c.snapshot, *STAMPED)
                .where(faq_revisions.c.id > revision)
                .order_by(faq_revisions.c.id)
            ).all()
        latest: dict[int, Mapping[str, Any]] = {}
        for row in rows:
            latest[int(row.entry_id)] = row.snapshot
        if not rows:
            return ChangeSet(revision)
        entries = tuple(entry_from_row(s) for s in latest.values())
        return ChangeSet(int(rows[-1].id), entries, stamp=stamp_of(rows[-1]))

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
            lock_writes(conn)
            if made:
                draft = replace(draft, external_key=self._free_key(conn, draft.external_key))
            current = find_key(conn, draft.external_key)
            if current is not None and current.deleted_at is None:
                raise KeyTakenError(
                    f"an entry with the key {draft.external_key!r} exists; update it instead"
                )
            if current is None:
                check_new_key(draft.external_key)
                entry = self._insert(conn, draft, author)
            else:  # a deleted entry comes back with this content
                entry = self._apply(conn, current, draft.given(), author, "restore", undelete=True)
            revision = last_revision(conn)
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
            lock_writes(conn)
            current = get_entry(conn, entry_id)
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
            revision = last_revision(conn)
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
        seen: set[str] = set()
        for key in (d.external_key for d in cleaned if not d.made_key):
            if key in seen:
                raise InvalidEntryError(f"the key {key!r} is given twice")
            seen.add(key)
        outcomes: dict[str, list[str]] = {
            "created": [], "updated": [], "unchanged": [], "deleted": []
        }  # fmt: skip
        # A handful of statements for the whole file, never a few per row: SQLite has one
        # writer, and the chat's sessions and transcripts wait while this transaction runs.
        with self.engine.connect() as conn, conn.begin() as transaction:
            lock_writes(conn)
            cleaned = self._place_made_keys(conn, cleaned, seen)
            keys = [d.external_key for d in cleaned]
            stored = find_keys(conn, keys)
            currents = [stored.get(key) for key in keys]
            for key in keys:
                if key not in stored:
                    check_new_key(key)
            exported = exported_versions(conn, currents, cleaned, overwrite)
            plans = [
                None if current is None else plan_import(current, draft, overwrite, exported)
                for current, draft in zip(currents, cleaned, strict=True)
            ]
            conflicts = [p.conflict for p in plans if p is not None and p.conflict]
            if conflicts:
                raise StaleImportError(conflicts)
            now = utc_now()
            writes: list[Write] = []
            for current, draft, plan in zip(currents, cleaned, plans, strict=True):
                write = (
                    created_write(draft, now) if plan is None else updated_write(current, plan, now)
                )
                outcomes[write.outcome].append(draft.external_key)
                writes.append(write)
            write_batch(conn, writes, author, now)
            revision = last_revision(conn)
            preview = None
            if dry_run:
                preview = tuple(list_entries(conn, active_only=True))
                transaction.rollback()
        created, updated, unchanged, deleted = (tuple(outcomes[k]) for k in outcomes)
        if (created or updated or deleted) and not dry_run:
            self._notify(revision)
        return UpsertResult(created, updated, unchanged, revision, deleted, preview=preview)

    # -- internals -------------------------------------------------------------------------
    def _place_made_keys(
        self, conn: Connection, drafts: builtins.list[FaqDraft], given: set[str]
    ) -> builtins.list[FaqDraft]:
        """Drafts whose keys were made from their questions, keyed as their entries are:
        the key (or its ``_2``, ``_3``, ... as ``create`` numbers them) whose entry has the
        same question, else the first no entry has and no other draft takes. "Hours?" made
        the key of an entry asked "When are you open?" and was written over it."""
        claimed = set(given)
        # One query for the file; the numbered keys only where a key is another's.
        first = find_keys(conn, [d.external_key for d in drafts if d.made_key])
        placed: list[FaqDraft] = []
        for draft in drafts:
            key = draft.external_key
            if not draft.made_key:
                placed.append(draft)
                continue
            said = same_words(draft.question)
            owner = first.get(key)
            if key not in claimed and (owner is None or same_words(owner.question) == said):
                claimed.add(key)
                placed.append(draft)
                continue
            questions = _keys_like(conn, key)
            # enough forms that one is neither an entry's nor another draft's
            count = len(questions) + len(claimed) + 1
            free = [k for k in numbered(key, count) if k not in claimed]
            chosen = next(
                (k for k in free if k in questions and same_words(questions[k]) == said),
                next(k for k in free if k not in questions),
            )
            claimed.add(chosen)
            placed.append(replace(draft, external_key=chosen))
        return placed

    def _free_key(self, conn: Connection, key: str) -> str:
        """``key``, or the first of ``key_2``, ``key_3``, ... that no entry has, deleted
        ones included (a made key is for a new entry, not for reviving an old one)."""
        taken = _keys_like(conn, key)
        return next(k for k in numbered(key, len(taken) + 1) if k not in taken)

    def _insert(self, conn: Connection, draft: FaqDraft, author: str) -> FaqEntry:
        check_one_line(draft.external_key, draft.fields())
        now = utc_now()
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
        entry = get_entry(conn, int(entry_id))
        changes = {name: [None, value] for name, value in draft.fields().items()}
        record(conn, entry, "create", changes, author)
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
        changed = changed_fields(current, cleaned)
        if not changed and not (undelete and current.deleted_at is not None):
            return current
        revive = undelete and current.deleted_at is not None
        values, diff = edit_diff(current, changed, revive=revive)
        if revive:
            values["deleted_at"] = None
        result = conn.execute(
            faq_entries.update()
            .where(faq_entries.c.id == current.id, faq_entries.c.version == current.version)
            .values(**values, version=current.version + 1, updated_at=utc_now())
        )
        if result.rowcount != 1:  # another writer got there between our read and write
            latest = get_entry(conn, current.id)
            raise StaleEditError(current.id, current.version, latest.version, current.external_key)
        entry = get_entry(conn, current.id)
        record(conn, entry, action, diff, author)
        return entry

    def _set_deleted(
        self, entry_id: int, author: str, expected_version: int | None, *, deleted: bool
    ) -> FaqEntry:
        with self.engine.begin() as conn:
            lock_writes(conn)
            current = get_entry(conn, entry_id)
            if (current.deleted_at is not None) == deleted:
                state = "already deleted" if deleted else "not deleted"
                raise EntryStateError(f"FAQ entry {current.external_key!r} is {state}")
            if expected_version is not None and current.version != expected_version:
                raise StaleEditError(
                    entry_id, expected_version, current.version, current.external_key
                )
            entry = self._write_deleted(conn, current, author, deleted)
            revision = last_revision(conn)
        self._notify(revision)
        return entry

    def _write_deleted(
        self, conn: Connection, current: FaqEntry, author: str, deleted: bool
    ) -> FaqEntry:
        now = utc_now()
        result = conn.execute(
            faq_entries.update()
            .where(faq_entries.c.id == current.id, faq_entries.c.version == current.version)
            .values(
                deleted_at=now if deleted else None, version=current.version + 1, updated_at=now
            )
        )
        if result.rowcount != 1:
            latest = get_entry(conn, current.id)
            raise StaleEditError(current.id, current.version, latest.version, current.external_key)
        entry = get_entry(conn, current.id)
        action = "delete" if deleted else "restore"
        record(conn, entry, action, {"deleted": [not deleted, deleted]}, author)
        return entry


def numbered(key: str, count: int) -> list[str]:
    """``key`` and its first numbered forms, as a made key is numbered: ``key_2``, ..."""
    return [key, *(f"{key}_{n}" for n in range(2, count + 1))]


def _keys_like(conn: Connection, key: str) -> dict[str, str]:
    """Question by key of the entries whose keys start with ``key``, deleted ones too."""
    rows = conn.execute(
        select(faq_entries.c.external_key, faq_entries.c.question).where(
            faq_entries.c.external_key.startswith(key, autoescape=True)
        )
    )
    return {str(k): str(q) for k, q in rows}
