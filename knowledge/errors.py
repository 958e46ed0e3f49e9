"""The knowledge package's one error hierarchy."""

from __future__ import annotations

from dataclasses import dataclass


class KnowledgeError(Exception):
    """Anything the knowledge package refuses: a missing entry, a stale edit, a bad import."""


class EntryNotFound(KnowledgeError):
    """No FAQ entry has the id or external key that was asked for."""


class EntryStateError(KnowledgeError):
    """The entry is already as asked: deleting a deleted entry, restoring a live one."""


class StaleEditError(KnowledgeError):
    """An edit was made against an older version of the entry than the one stored."""

    def __init__(self, entry_id: int, expected: int, current: int, key: str | None = None) -> None:
        name = f"FAQ entry {key!r}" if key else f"FAQ entry {entry_id}"
        super().__init__(
            f"{name} is at version {current}, but the edit was made against "
            f"version {expected}; reload the entry and apply the edit again"
        )
        self.entry_id = entry_id
        self.expected = expected
        self.current = current


class StaleImportError(KnowledgeError):
    """An import would replace entries changed in the base after its file was exported."""

    def __init__(self, conflicts: list[str]) -> None:
        count = f"{len(conflicts)} entr{'y' if len(conflicts) == 1 else 'ies'}"
        more = f" (and {len(conflicts) - 5} more)" if len(conflicts) > 5 else ""
        super().__init__(
            f"nothing imported: {count} changed after this file was exported: "
            f"{'; '.join(conflicts[:5])}{more}. Export again and make your changes there, "
            "or import with overwrite to replace them with the file's version"
        )
        self.conflicts = conflicts


class InvalidEntryError(KnowledgeError):
    """An entry's fields break a rule (empty question, bad button, unknown field)."""


class KeyTakenError(InvalidEntryError):
    """A new entry's external key is a live entry's already (a conflict with the base, not
    a fault of the fields alone)."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row of an import file.

    ``row`` counts list items from 1 in JSON and YAML (``unit`` "row") and file lines from 1,
    header included, in CSV (``unit`` "line"), so the number is what an editor shows. Row 0 is
    the file as a whole (its encoding, its header, its top-level shape).
    """

    row: int
    field: str
    problem: str
    unit: str = "row"

    def __str__(self) -> str:
        if self.row == 0:
            return self.problem if self.field == "-" else f"{self.field}: {self.problem}"
        if self.field == "-":  # the row as a whole, not one of its fields
            return f"{self.unit} {self.row}: {self.problem}"
        return f"{self.unit} {self.row}, {self.field}: {self.problem}"


class ImportValidationError(KnowledgeError):
    """An import file has invalid rows; nothing was written."""

    def __init__(
        self, source: str, errors: list[RowError], outcome: str = "nothing imported"
    ) -> None:
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        rows = sum(1 for e in errors if e.row > 0)
        what = f"{rows} invalid row(s), " if rows else ""
        super().__init__(f"{source}: {what}{outcome}: {shown}{more}")
        self.source = source
        self.errors = errors


class IndexCorruptError(KnowledgeError):
    """A persisted index directory cannot be read; it will be rebuilt from the database."""
