"""Import files into a `FaqBase` and export it, in any supported format (all or nothing)."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from knowledge.base import FaqBase, UpsertResult
from knowledge.entries import (
    FaqDraft,
    FaqEntry,
    phrasing_owners,
    shared_phrasing_note,
    spaced_key_problem,
)
from knowledge.errors import (
    EntryNotFound,
    ImportValidationError,
    KnowledgeError,
    RowError,
)
from knowledge.formats import (
    FORMATS,
    Drafts,
    decode,
    detect_format,
    is_rasa_yaml,
    read_csv,
    read_json,
    read_yaml,
    write_csv,
    write_json,
    write_yaml,
)
from knowledge.rasa_files import read_rasa, read_rasa_text, write_rasa

log = logging.getLogger(__name__)

_READERS = {"csv": read_csv, "json": read_json, "yaml": read_yaml, "rasa": read_rasa_text}


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise KnowledgeError(f"unknown FAQ format {fmt!r}; use one of {', '.join(FORMATS)}")


def read_data(data: bytes, fmt: str, source: str) -> Drafts:
    """Read and validate the contents of one file (an upload) without touching the base.

    Args:
        data: the file's bytes (UTF-8).
        fmt: one of ``csv``, ``json``, ``yaml``, ``rasa``.
        source: how errors name the file (the user's name for it, never a server path).

    Raises:
        ImportValidationError: the bytes are not UTF-8, or rows are invalid (each named by
            row, field and problem).
        KnowledgeError: the format is unknown.
    """
    _check_format(fmt)
    text = decode(data, source)
    if fmt == "yaml" and is_rasa_yaml(text):
        fmt = "rasa"  # a Rasa export sent as YAML (the editor guesses from ".yml"), as the CLI
    return _READERS[fmt](text, source)


def read_file(path: Path, fmt: str | None = None, *, source: str | None = None) -> Drafts:
    """Read and validate every entry of a file (or Rasa folder) without touching the base.

    Args:
        path: a .csv, .json, .yaml file, a Rasa NLU/domain YAML file or a Rasa folder.
        fmt: one of ``csv``, ``json``, ``yaml``, ``rasa``; guessed from the path when None.
        source: how errors name the input (default: the path).

    Raises:
        ImportValidationError: invalid rows (each named by row, field and problem).
        KnowledgeError: the file is missing or unreadable, or its format unknown.
    """
    path = Path(path)
    source = source or str(path)
    if not path.exists():
        raise KnowledgeError(f"{source}: no such file or folder")
    fmt = fmt or detect_format(path)
    _check_format(fmt)
    if fmt == "rasa" and path.is_dir():
        return read_rasa(path, source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"{source}: cannot read: {exc.strerror or exc}") from None
    return read_data(data, fmt, source)


def import_file(
    base: FaqBase,
    path: Path,
    *,
    author: str,
    fmt: str | None = None,
    source: str | None = None,
    overwrite: bool = False,
) -> UpsertResult:
    """Validate a whole file, then upsert its entries by external key in one transaction.

    Nothing is written when any row is invalid, or (unless ``overwrite``) when the file and
    the base changed the same field since the file's export (``knowledge.merge``); unchanged
    entries get no revision; fields the format does not carry (a Rasa file's tags, a CSV's
    missing columns) keep their values.
    """
    source = source or str(path)
    return _upsert(base, read_file(path, fmt, source=source), author, overwrite, source)


def import_data(
    base: FaqBase, data: bytes, *, fmt: str, author: str, source: str, overwrite: bool = False
) -> UpsertResult:
    """:func:`import_file` for a file's contents (an upload named ``source`` in errors)."""
    return _upsert(base, read_data(data, fmt, source), author, overwrite, source)


def _upsert(
    base: FaqBase, drafts: Drafts, author: str, overwrite: bool, source: str
) -> UpsertResult:
    check_new_keys(base, drafts, source)
    result = base.upsert_many(drafts, author=author, overwrite=overwrite)
    return replace(result, notes=(*drafts.notes, *notes_after_import(base, result)))


#: Notes an import gives on shared phrasings before it only counts them.
MAX_SHARED_NOTES = 10


def notes_after_import(base: FaqBase, result: UpsertResult) -> list[str]:
    """Notes for staff on the entries an import created or changed: a new entry answered as
    one the file does not name, and each phrasing shared with another entry the bot answers
    from (imported all the same: the other entry may be the one to change). At most
    ``MAX_SHARED_NOTES`` of each, then a count. A dry run's notes are what the import would
    give."""
    keys = {*result.created, *result.updated}
    if not keys:
        return []
    if result.preview is not None:
        live = list(result.preview)
    else:
        try:
            live = base.list(active_only=True)
        except Exception:  # advice only: the import is committed, and must not read as failed
            log.exception("could not check the imported entries' phrasings against the base")
            return []
    return [*_same_answer_notes(live, result), *_shared_notes(live, keys)]


def _same_answer_notes(live: list[FaqEntry], result: UpsertResult) -> list[str]:
    """A created entry answered word for word as an entry the file does not name: most
    likely that entry's row, its question changed in a file without ids (whose keys are
    made from the questions), now a second entry beside it."""
    named = {*result.created, *result.updated, *result.unchanged, *result.deleted}
    unnamed: dict[str, str] = {}
    for entry in live:
        if entry.external_key not in named:
            unnamed.setdefault(entry.answer.strip(), entry.external_key)
    created = set(result.created)
    notes = [
        f"{entry.external_key}: a new entry with the same answer as {old}, which the file "
        f"does not name; if the row is {old} changed, give it the id {old} (and delete "
        f"{entry.external_key})"
        for entry in live
        if entry.external_key in created and (old := unnamed.get(entry.answer.strip()))
    ]
    if len(notes) > MAX_SHARED_NOTES:
        more = len(notes) - MAX_SHARED_NOTES
        notes = [*notes[:MAX_SHARED_NOTES], f"and {more} more new entries answered as others"]
    return notes


def _shared_notes(live: list[FaqEntry], keys: set[str]) -> list[str]:
    notes: list[str] = []
    shared = 0
    for owners in phrasing_owners(live).values():
        imported = [o for o in owners if o[1] in keys]
        if len(owners) < 2 or not imported:
            continue
        shared += 1
        if len(notes) < MAX_SHARED_NOTES:
            _, key, phrasing = imported[0]
            others = [k for _, k, _ in owners if k != key]
            notes.append(f"{key}: {shared_phrasing_note(phrasing, others)}")
    if shared > len(notes):
        notes.append(f"and {shared - len(notes)} more phrasings shared between entries")
    return notes


def render(entries: list[FaqEntry] | list[FaqDraft], fmt: str) -> str:
    """Entries as the text of a file in ``fmt``."""
    writers = {"csv": write_csv, "json": write_json, "yaml": write_yaml, "rasa": write_rasa}
    _check_format(fmt)
    return writers[fmt](entries)


def export_file(
    base: FaqBase, path: Path, *, fmt: str | None = None, include_deleted: bool = False
) -> int:
    """Write the base's entries to a file; returns how many were written.

    The format comes from ``fmt`` or the suffix (``.yml`` is written as Rasa YAML only when
    ``fmt="rasa"``).

    Raises:
        KnowledgeError: the format is unknown or the file cannot be written.
    """
    path = Path(path)
    if fmt is None:
        suffix = path.suffix.lower().lstrip(".")
        fmt = {"yml": "yaml"}.get(suffix, suffix)
    entries = base.list(include_deleted=include_deleted)
    text = render(entries, fmt)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return len(entries)


def check_new_keys(base: FaqBase | None, drafts: Drafts, source: str) -> None:
    """Refuse the file's new entries whose key has a space, all of them by row (the base
    refused the first alone, naming neither the file nor the row). An entry stored with
    one before the rule keeps it; without a base (a file checked alone) every key is new.

    Raises:
        ImportValidationError: one or more new keys have a space.
    """
    errors: list[RowError] = []
    for index, draft in enumerate(drafts):
        problem = spaced_key_problem(str(draft.external_key))
        if problem is None or (base is not None and _stored(base, str(draft.external_key))):
            continue
        row, unit = drafts.rows[index] if index < len(drafts.rows) else (0, "row")
        errors.append(RowError(row, "id", problem, unit))
    if errors:
        raise ImportValidationError(source, errors)


def _stored(base: FaqBase, key: str) -> bool:
    try:
        base.get_by_key(key)
    except EntryNotFound:
        return False
    return True
