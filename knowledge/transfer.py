"""Import files into a `FaqBase` and export it, in any supported format (all or nothing)."""

from __future__ import annotations

from pathlib import Path

from knowledge.base import FaqBase, UpsertResult
from knowledge.entries import FaqDraft, FaqEntry
from knowledge.errors import KnowledgeError
from knowledge.formats import (
    FORMATS,
    detect_format,
    read_csv,
    read_json,
    read_yaml,
    write_csv,
    write_json,
    write_yaml,
)
from knowledge.rasa_files import read_rasa, write_rasa


def read_file(path: Path, fmt: str | None = None) -> list[FaqDraft]:
    """Read and validate every entry of a file (or Rasa folder) without touching the base.

    Args:
        path: a .csv, .json, .yaml file, a Rasa NLU/domain YAML file or a Rasa folder.
        fmt: one of ``csv``, ``json``, ``yaml``, ``rasa``; guessed from the path when None.

    Raises:
        ImportValidationError: invalid rows (each named by row, field and problem).
        KnowledgeError: the file is missing or its format unknown.
    """
    path = Path(path)
    if not path.exists():
        raise KnowledgeError(f"{path}: no such file or folder")
    fmt = fmt or detect_format(path)
    if fmt == "rasa":
        return read_rasa(path)
    text = path.read_text(encoding="utf-8-sig")
    readers = {"csv": read_csv, "json": read_json, "yaml": read_yaml}
    if fmt not in readers:
        raise KnowledgeError(f"unknown FAQ format {fmt!r}; use one of {', '.join(FORMATS)}")
    return readers[fmt](text, str(path))


def import_file(base: FaqBase, path: Path, *, author: str, fmt: str | None = None) -> UpsertResult:
    """Validate a whole file, then upsert its entries by external key in one transaction.

    Nothing is written when any row is invalid; unchanged entries get no revision.
    """
    return base.upsert_many(read_file(path, fmt), author=author)


def render(entries: list[FaqEntry] | list[FaqDraft], fmt: str) -> str:
    """Entries as the text of a file in ``fmt``."""
    writers = {"csv": write_csv, "json": write_json, "yaml": write_yaml, "rasa": write_rasa}
    if fmt not in writers:
        raise KnowledgeError(f"unknown FAQ format {fmt!r}; use one of {', '.join(FORMATS)}")
    return writers[fmt](entries)


def export_file(
    base: FaqBase, path: Path, *, fmt: str | None = None, include_deleted: bool = False
) -> int:
    """Write the base's entries to a file; returns how many were written.

    The format comes from ``fmt`` or the suffix (``.yml`` is written as Rasa YAML only when
    ``fmt="rasa"``).
    """
    path = Path(path)
    if fmt is None:
        suffix = path.suffix.lower().lstrip(".")
        fmt = {"yml": "yaml"}.get(suffix, suffix)
    entries = base.list(include_deleted=include_deleted)
    text = render(entries, fmt)
    path.write_text(text, encoding="utf-8")
    return len(entries)
