"""What an import writes over a stored entry: the file's changes, merged with the base's.

An exported file records each entry's version. When the base has moved on since, the entry
as it was at that version (its revision snapshot) tells what the file changed and what the
base changed: the file's changes are applied over the base's, and only a field both changed
to different values is a conflict. A file that left an entry as exported leaves it alone, so
a colleague's later edit is neither undone nor a reason to refuse the whole file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from knowledge.entries import EDITABLE_FIELDS, FaqDraft, FaqEntry


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What to write over one stored entry.

    Attributes:
        fields: editable fields to set, in their stored (JSON) form.
        revive: undo the entry's soft delete.
        delete: soft-delete the entry after writing ``fields``.
        conflict: why the import must not go ahead for this entry (None: it may).
    """

    fields: Mapping[str, Any] = field(default_factory=dict)
    revive: bool = False
    delete: bool = False
    conflict: str | None = None


def file_wins(current: FaqEntry, draft: FaqDraft) -> ImportPlan:
    """The file's content as it is (a file without versions, or an import told to overwrite)."""
    deleted = current.deleted_at is not None
    return ImportPlan(
        draft.given(), revive=deleted and not draft.deleted, delete=draft.deleted and not deleted
    )


def merge(current: FaqEntry, draft: FaqDraft, exported: FaqEntry) -> ImportPlan:
    """The file's changes since ``exported`` (the entry at the file's version) applied over
    ``current``, or a conflict where the base changed the same thing differently."""
    then, now = exported.draft().fields(), current.draft().fields()
    given = draft.given()
    ours = {name: value for name, value in given.items() if value != then[name]}
    theirs = {name for name in EDITABLE_FIELDS if now[name] != then[name]}
    was_deleted, is_deleted = exported.deleted_at is not None, current.deleted_at is not None
    deletes_differently = draft.deleted != was_deleted
    key, since = current.external_key, f"since version {draft.version}"
    clashes = sorted(name for name in ours if name in theirs and ours[name] != now[name])
    if clashes:
        changed = ", ".join(clashes)
        return ImportPlan(conflict=f"{key} ({changed} changed here {since} as well)")
    if is_deleted and not was_deleted and ours and not draft.deleted:
        return ImportPlan(conflict=f"{key} (deleted {since}; the file changes it)")
    if deletes_differently and draft.deleted and theirs and not is_deleted:
        return ImportPlan(conflict=f"{key} (edited {since}; the file deletes it)")
    return ImportPlan(
        ours,
        revive=deletes_differently and not draft.deleted and is_deleted,
        delete=deletes_differently and draft.deleted and not is_deleted,
    )
