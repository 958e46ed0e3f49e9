"""Reading and writing FAQ files: CSV, JSON and YAML (Rasa retrieval intents: `rasa_files`).

Every reader returns validated drafts or raises `ImportValidationError` naming each bad row
(JSON/YAML rows count list items from 1; CSV errors name the file line, header included).
Optional fields a row or a CSV header leaves out are marked absent in the draft, so that an
import keeps what is stored for them.

Columns / keys: ``id`` (the external key; a row without one gets the key the editor would
make from its question, so importing the file again updates the same entries),
``question``, ``answer``, ``alternatives``,
``tags``, and optionally ``buttons``, ``links``, ``language``, ``active``. In CSV, list cells
hold a JSON list, or texts separated by ``|``; buttons and links are JSON. Exports add
``version`` (the entry's version then: an import will not undo a newer edit with it) and,
for deleted entries, ``deleted`` (they stay deleted when imported).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from knowledge.entries import FaqDraft, FaqEntry, clean_draft, key_from_question, same_words
from knowledge.errors import ImportValidationError, InvalidEntryError, KnowledgeError, RowError

FORMATS = ("csv", "json", "yaml", "rasa")
_KNOWN_KEYS = {
    "id", "external_key", "question", "answer", "alternatives", "tags",
    "buttons", "links", "language", "active", "version", "deleted",
}  # fmt: skip
_CSV_COLUMNS = ["id", "question", "answer", "alternatives", "tags", "buttons", "links",
                "language", "active", "version", "deleted"]  # fmt: skip
_RASA_TOP_KEY = re.compile(r"^(?:nlu|responses)[ \t]*:", re.MULTILINE)
_FIELD_DEFAULTS: dict[str, Any] = {
    "alternatives": [], "tags": [], "buttons": [], "links": [], "language": "en", "active": True,
}  # fmt: skip


class Drafts(list[FaqDraft]):
    """A file's validated drafts, with notes on what the file held that they leave out
    (a Rasa response's other variants, say): imported, but worth telling."""

    notes: tuple[str, ...] = ()
    #: Where each draft stands in its file, ``(row, unit)`` as :class:`RowError` names it:
    #: for what only the base can judge (a new entry's key), said by row all the same.
    rows: tuple[tuple[int, str], ...] = ()


def decode(data: bytes, source: str) -> str:
    """A file's bytes as text (UTF-8, with or without a byte order mark, or UTF-16 with
    one: what Excel's "Unicode text" and some Windows editors save).

    Raises:
        ImportValidationError: the bytes are not UTF-8 (the error names the first bad line).
    """
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problem = (
            f"line {line} is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8 and import it again"
        )
        raise ImportValidationError(source, [RowError(0, "-", problem)]) from None
    if "\x00" in text:
        # UTF-16 without its byte order mark reads as UTF-8 with a NUL after each letter
        # (the CSV reader then failed with a traceback)
        line = text[: text.index("\x00")].count("\n") + 1
        problem = (
            f"line {line} holds a NUL character: is the file UTF-16 without a byte order "
            "mark? save it as UTF-8 and import it again"
        )
        raise ImportValidationError(source, [RowError(0, "-", problem)])
    return text


def yaml_problem(error: yaml.YAMLError) -> str:
    """A YAML parser error in one line: what is wrong and on which line (the parser's own
    text spans several lines and names ``<unicode string>``)."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    where = f" on line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"not YAML: {problem}{where}"


def is_rasa_yaml(text: str) -> bool:
    """Whether YAML text is a Rasa file rather than a list of entries."""
    # Rasa's keys at the top level of the file, not "nlu:" anywhere: an answer that
    # mentions it made a plain export unreadable on import.
    return _RASA_TOP_KEY.search(text[:20000]) is not None


def detect_format(path: Path) -> str:
    """Guess a file's format from its name; a folder is a Rasa project.

    Raises:
        KnowledgeError: the suffix names no known format.
    """
    if path.is_dir():
        return "rasa"
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("yml", "yaml"):
        head = ""
        if path.is_file():
            with path.open("rb") as file:
                head = file.read(20000).decode("utf-8", "replace")
        return "rasa" if is_rasa_yaml(head) else "yaml"
    if suffix in ("csv", "json"):
        return suffix
    raise KnowledgeError(f"{path}: unknown FAQ file type; use .csv, .json, .yaml or a Rasa folder")


def drafts_from_records(
    records: Sequence[Any], source: str, lines: Sequence[int] | None = None
) -> Drafts:
    """Validate a list of entry mappings (JSON/YAML shape) into drafts, all or nothing.

    ``lines`` gives each record's line in its file (CSV); errors then name lines, not rows.

    Raises:
        ImportValidationError: one or more rows are invalid (each error names its row).
    """
    errors: list[RowError] = []
    drafts = Drafts()
    rows: list[tuple[int, str]] = []
    seen: dict[str, int] = {}  # a given key: its row
    asked: dict[tuple[str, ...], int] = {}  # a key made from the question: its question's row
    unit = "row" if lines is None else "line"
    for index, record in enumerate(records):
        row = index + 1 if lines is None else lines[index]
        found: list[RowError] = []
        draft = _draft(record, row, found)
        errors += [replace(e, unit=unit) for e in found]
        if draft is None:
            continue
        # A key made from the question is placed by the base (numbered past one that
        # another question has); the same question twice is the duplicate.
        if draft.made_key:
            first = asked.setdefault(same_words(draft.question), row)
            if first != row:
                problem = f"the same question as {unit} {first}"
                errors.append(RowError(row, "question", problem, unit))
                continue
        else:
            first = seen.setdefault(draft.external_key, row)
            if first != row:
                errors.append(RowError(row, "id", f"duplicate of {unit} {first}", unit))
                continue
        drafts.append(draft)
        rows.append((row, unit))
    if errors:
        raise ImportValidationError(source, errors)
    drafts.rows = tuple(rows)
    return drafts


def _draft(record: Any, row: int, errors: list[RowError]) -> FaqDraft | None:
    if not isinstance(record, Mapping):
        errors.append(RowError(row, "-", "must be an object with a question and an answer"))
        return None
    unknown = sorted(set(record) - _KNOWN_KEYS)
    if unknown:
        errors.append(RowError(row, unknown[0], "unknown field"))
        return None
    values: dict[str, Any] = {}
    for name in ("question", "answer"):
        if record.get(name) in (None, ""):
            errors.append(RowError(row, name, "missing"))
            return None
        values[name] = record[name]
    given = _given_key(record)
    values["external_key"] = given or key_from_question(str(values["question"]))
    values["made_key"] = not given
    for name, default in _FIELD_DEFAULTS.items():
        value = record.get(name, default)
        values[name] = default if value is None else value
    values["absent"] = frozenset(name for name in _FIELD_DEFAULTS if name not in record)
    version, deleted = record.get("version"), record.get("deleted")
    if version is not None and (type(version) is not int or version < 1):
        problem = f"must be a whole number from 1 (the version when exported), got {version!r}"
        errors.append(RowError(row, "version", problem))
        return None
    if deleted not in (None, True, False):
        errors.append(RowError(row, "deleted", f"must be true or false, got {deleted!r}"))
        return None
    values["version"], values["deleted"] = version, bool(deleted)
    try:
        return clean_draft(FaqDraft(**values))
    except InvalidEntryError as exc:
        message = str(exc)
        if "id" in record:  # the file's own word for the key
            message = message.replace("external_key", "id")
        field = message.split(" ", 1)[0].split("[", 1)[0].split(".", 1)[0]
        errors.append(RowError(row, field if field in _KNOWN_KEYS else "-", message))
        return None


def _given_key(record: Mapping[Any, Any]) -> str:
    """The row's own key, or "" when it leaves the key out (a blank cell included)."""
    key = record.get("id", record.get("external_key"))
    return "" if key is None else str(key).strip()


def records_from_entries(entries: Iterable[FaqEntry | FaqDraft]) -> list[dict[str, Any]]:
    """Entries as JSON/YAML records (the shape :func:`drafts_from_records` reads)."""
    out = []
    for entry in entries:
        draft = entry.draft() if isinstance(entry, FaqEntry) else entry
        record = {"id": draft.external_key, **draft.fields()}
        if isinstance(entry, FaqEntry):
            record["version"] = entry.version
            if entry.deleted_at is not None:
                record["deleted"] = True
        out.append(record)
    return out


# -- CSV ---------------------------------------------------------------------------------
def _csv_list(cell: str, row: int, name: str, errors: list[RowError]) -> Any:
    cell = cell.strip()
    if not cell:
        return []
    if cell.startswith("["):
        try:
            return json.loads(cell)
        except json.JSONDecodeError as exc:
            errors.append(RowError(row, name, f"not a JSON list ({exc.msg})", "line"))
            return None
    if name in ("buttons", "links"):
        errors.append(RowError(row, name, "must be a JSON list of objects", "line"))
        return None
    return [part.strip() for part in cell.split("|") if part.strip()]


def _header_columns(line: str, delimiter: str) -> set[str]:
    return {_column_name(cell) for cell in next(csv.reader([line], delimiter=delimiter), [])}


def _column_name(name: str) -> str:
    """A header cell as the column it names: case and spaces around it do not matter."""
    plain = name.strip().lower()
    return plain if plain in _CSV_COLUMNS or plain == "external_key" else name


def _delimiter(text: str) -> str:
    """The file's separator: a comma, or the semicolon or tab a spreadsheet saves with in
    many locales (Excel in German or French, "Unicode text"), told by which of them splits
    the header into the columns an entry needs."""
    header = text.split("\n", 1)[0]
    for delimiter in (",", ";", "\t"):
        columns = _header_columns(header, delimiter)
        if {"question", "answer"} <= columns:
            return delimiter
    return ","


def _unclosed_quote(text: str, delimiter: str = ",") -> int | None:
    """The line a quoted cell that never closes starts on, if the text has one.

    Python's csv reader (not strict, so hand-made quirks such as ``"a" b`` still read as
    before) would take the rest of the file into that one cell and report missing cells on
    the wrong line.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    ended = 0
    lines = text.splitlines()
    try:
        for _ in reader:
            ended = reader.line_num
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return None  # a quirk the lenient reader accepts; not this problem
        start = ended + 1
        while start <= len(lines) and not lines[start - 1].strip():
            start += 1  # blank lines between records are skipped, not the record
        return start
    return None


def _read_rows(reader: csv.DictReader[str], source: str) -> Iterator[dict[str, Any]]:
    """The reader's rows; what it cannot read (a cell over its size limit, say) is the
    file's error at the record it began, not a traceback."""
    try:
        yield from reader
    except csv.Error as exc:
        problem = f"cannot be read as CSV ({exc})"
        error = RowError(reader.line_num + 1, "-", problem, "line")
        raise ImportValidationError(source, [error]) from None


def read_csv(text: str, source: str = "<csv>") -> Drafts:
    """Read CSV with a header row (``id,question,answer,alternatives,tags,...``)."""
    if not text.strip():
        raise ImportValidationError(source, [RowError(0, "-", "the file is empty")])
    # Lines ended by a carriage return alone (Excel's "CSV (Macintosh)") broke the reader
    # with a traceback: "new-line character seen in unquoted field".
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delimiter = _delimiter(text)
    opened = _unclosed_quote(text, delimiter)
    if opened is not None:
        problem = "a quoted cell that starts on this line is never closed"
        raise ImportValidationError(source, [RowError(opened, "-", problem, "line")])
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = reader.fieldnames or []
    if not header:
        problem = "the first line must be the header (question, answer, id, ...)"
        raise ImportValidationError(source, [RowError(1, "-", problem, "line")])
    # A spreadsheet's header is often "Id, Question, Answer": the same columns.
    header = reader.fieldnames = [_column_name(name) for name in header]
    missing = [c for c in ("question", "answer") if c not in header]
    keyed = {"id", "external_key"} & set(header)
    if not keyed and {h.strip().lower() for h in header} & {"key", "keys", "faq key"}:
        missing.insert(0, "id")  # without a word, its keys would be read as an unknown column
    if missing:
        problem = "header lacks " + ("this column" if len(missing) == 1 else "these columns")
        if "id" in missing:
            problem += " (name the column of entry keys id)"  # the editor calls them Key
        if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
            problem += f" (the header reads {header[0]!r})"
        raise ImportValidationError(source, [RowError(0, ", ".join(missing), problem)])
    records: list[Any] = []
    lines: list[int] = []
    errors: list[RowError] = []
    notes: list[str] = []
    for raw in _read_rows(reader, source):
        # line_num is the record's last line; a quoted cell may span several (cells past
        # the header's come as a list under the key None)
        cells = [c for v in raw.values() for c in (v if isinstance(v, list) else [v])]
        row = reader.line_num - sum(c.count("\n") for c in cells if c)
        if None in raw:
            # most often an unquoted comma in an answer ("No, we are online only.")
            sign = {",": "a comma", ";": "a semicolon"}.get(delimiter, "a tab")
            problem = f"more cells than header columns ({sign} inside a cell? quote the cell)"
            errors.append(RowError(row, "-", problem, "line"))
            continue
        record: dict[str, Any] = {}
        for name, cell in raw.items():
            cell = cell or ""
            if name in ("alternatives", "tags", "buttons", "links"):
                record[name] = _csv_list(cell, row, name, errors)
                note = _one_item_note(cell, row, name)
                if note:
                    notes.append(note)
            elif name in ("active", "deleted"):
                flag = cell.strip().lower()
                empty = "true" if name == "active" else "false"  # what a blank cell means
                record[name] = (
                    (flag or empty) in ("1", "true", "yes")
                    if flag in ("", "0", "1", "true", "false", "yes", "no")
                    else cell
                )
            elif name == "version":
                number = cell.strip()
                record[name] = (
                    int(number) if number.isascii() and number.isdigit() else (number or None)
                )
            else:
                record[name] = cell
        records.append(record)
        lines.append(row)
    try:
        drafts = drafts_from_records(records, source, lines)
    except ImportValidationError as exc:
        errors.extend(exc.errors)
    if errors:
        raise ImportValidationError(source, sorted(errors, key=lambda e: e.row))
    drafts.notes = (*drafts.notes, *notes)
    return drafts


def _one_item_note(cell: str, row: int, name: str) -> str | None:
    """A note when a list cell that reads as several items is taken as one: "shipping,
    returns" became the single tag "shipping, returns", and "How much? ; Is it free?" one
    phrasing, without a word. Commas inside one phrasing are common, so only ";" counts
    there."""
    cell = cell.strip()
    separators = ";" if name == "alternatives" else ",;"
    if name not in ("alternatives", "tags") or cell.startswith("[") or "|" in cell:
        return None
    if not any(sep in cell for sep in separators):
        return None
    item = "phrasing" if name == "alternatives" else "tag"
    return f"line {row}: {name} {cell!r} is read as one {item}; separate several with |"


def write_csv(entries: Iterable[FaqEntry | FaqDraft]) -> str:
    """Entries as CSV text (lists as JSON cells, so any text survives a round trip), with
    a byte order mark: without one, Excel opens the file as its locale's code page, shows
    "€4.95" as "â‚¬4.95", and saves that back for the next import."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=_CSV_COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    for record in records_from_entries(entries):
        writer.writerow({
            name: json.dumps(value, ensure_ascii=False) if isinstance(value, list)
            else str(value).lower() if isinstance(value, bool) else value
            for name, value in record.items()
        })  # fmt: skip
    return out.getvalue()


# -- JSON / YAML ---------------------------------------------------------------------------
def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:  # json.loads would keep the last one without a word
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def read_json(text: str, source: str = "<json>") -> Drafts:
    """Read a JSON list of ``{"id", "question", "answer", "alternatives", "tags", ...}``."""
    if not text.strip():
        raise ImportValidationError(source, [RowError(0, "-", "the file is empty")])
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except ValueError as exc:  # JSONDecodeError included
        raise ImportValidationError(source, [RowError(0, "-", f"not JSON: {exc}")]) from exc
    return _records(data, source)


class _FaqLoader(yaml.SafeLoader):
    """YAML as staff write it: an entry's id is kept as written (YAML 1.1 reads ``007`` as
    7, ``on`` as true and ``1_000`` as 1000, which would update another entry), and so are
    its texts (``answer: No`` was refused as "answer must be text, got bool"); a key given
    twice in one mapping is refused rather than the first silently dropped."""


_AS_WRITTEN = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "bool"))
_TEXT_KEYS = frozenset({"id", "external_key", "question", "answer", "title", "payload", "url"})
_TEXT_LISTS = frozenset({"alternatives", "tags"})


def _mapping(loader: _FaqLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    written: set[Any] = set()
    for key_node, _ in node.value:  # the keys written here; merged ones (<<) may be overridden
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "found a key that is a list or mapping", key_node.start_mark
            )
        if key in written:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice in one entry", key_node.start_mark
            )
        written.add(key)
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in _TEXT_KEYS:
            out[key] = _as_written(loader, value_node)
        elif key in _TEXT_LISTS and isinstance(value_node, yaml.SequenceNode):
            out[key] = [_as_written(loader, item) for item in value_node.value]
        else:
            out[key] = loader.construct_object(value_node, deep=True)
    return out


def _as_written(loader: _FaqLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode) and node.tag in _AS_WRITTEN:
        return node.value
    return loader.construct_object(node, deep=True)


_FaqLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(text: str, source: str = "<yaml>") -> Drafts:
    """Read a YAML list of entries (same keys as JSON), or ``{"faq": [...]}``."""
    if not text.strip():
        raise ImportValidationError(source, [RowError(0, "-", "the file is empty")])
    try:
        data = yaml.load(text, Loader=_FaqLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        raise ImportValidationError(source, [RowError(0, "-", yaml_problem(exc))]) from exc
    if isinstance(data, Mapping) and "faq" in data:
        data = data["faq"]
    return _records(data, source)


def _records(data: Any, source: str) -> Drafts:
    if not isinstance(data, list):
        raise ImportValidationError(source, [RowError(0, "-", "must be a list of entries")])
    return drafts_from_records(data, source)


def write_json(entries: Iterable[FaqEntry | FaqDraft]) -> str:
    """Entries as a JSON list (the shape :func:`read_json` reads)."""
    return json.dumps(records_from_entries(entries), ensure_ascii=False, indent=2) + "\n"


def write_yaml(entries: Iterable[FaqEntry | FaqDraft]) -> str:
    """Entries as a YAML list (the shape :func:`read_yaml` reads)."""
    return str(yaml.safe_dump(records_from_entries(entries), allow_unicode=True, sort_keys=False))
