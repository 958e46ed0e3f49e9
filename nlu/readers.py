"""Load training data from Rasa YAML, CSV and BIO folders: a file, a folder, or several paths."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from nlu.data import EntitySpan, Example, TrainingData
from nlu.errors import TrainingDataError
from nlu.rasa_yaml import read_rasa_yaml

_LABEL_COLUMNS = ("intent", "label", "category")
_YAML_SUFFIXES = (".yml", ".yaml")
BIO_FILES = ("seq.in", "seq.out", "label")


def load_training_data(*paths: str | os.PathLike[str]) -> TrainingData:
    """Read and merge training data from files and folders.

    A ``.yml``/``.yaml`` file is Rasa NLU YAML (non-NLU keys such as ``stories:`` are ignored), a
    ``.csv`` file has a header with ``text`` and one of ``intent``/``label``/``category``, and a
    folder holding ``seq.in``, ``seq.out`` and ``label`` is a BIO folder. Other folders are
    searched recursively for those three kinds.

    Raises:
        TrainingDataError: a path is missing, holds no examples, or is malformed (the message
            names the file, the line and the problem).
    """
    if not paths:
        raise TrainingDataError("no training data path given")
    data = TrainingData()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise TrainingDataError(f"{path}: no such file or folder")
        data = data.merge(_load_path(path))
    if not data.examples:
        joined = ", ".join(str(p) for p in paths)
        raise TrainingDataError(f"{joined}: no training examples found (expected 'nlu:' intents)")
    return data


def _load_path(path: Path) -> TrainingData:
    if path.is_dir():
        if all((path / name).is_file() for name in BIO_FILES):
            return read_bio_folder(path)
        data = TrainingData()
        for child in sorted(path.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir() or child.suffix.lower() in (*_YAML_SUFFIXES, ".csv"):
                data = data.merge(_load_path(child))
        return data
    suffix = path.suffix.lower()
    if suffix in _YAML_SUFFIXES:
        return read_rasa_yaml(path)
    if suffix == ".csv":
        return read_csv(path)
    raise TrainingDataError(
        f"{path}: unknown training data format (use .yml, .yaml, .csv or a BIO folder)"
    )


def read_csv(path: Path) -> TrainingData:
    """Read a CSV with a header holding ``text`` and ``intent``, ``label`` or ``category``."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise TrainingDataError(f"{path}: cannot read ({exc})") from None
    examples: list[Example] = []
    with handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise TrainingDataError(f"{path}:1: empty CSV file (expected a header)") from None
        label_col = next((c for c in _LABEL_COLUMNS if c in header), None)
        if "text" not in header or label_col is None:
            raise TrainingDataError(
                f"{path}:1: the header needs 'text' and one of {', '.join(_LABEL_COLUMNS)}; "
                f"got {','.join(header)}"
            )
        text_at, label_at = header.index("text"), header.index(label_col)
        start_line = reader.line_num + 1
        try:
            for row in reader:
                line = start_line
                start_line = reader.line_num + 1
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise TrainingDataError(
                        f"{path}:{line}: expected {len(header)} columns, got {len(row)}"
                    )
                text, intent = row[text_at], row[label_at].strip()
                if not text.strip():
                    raise TrainingDataError(f"{path}:{line}: empty text")
                if not intent:
                    raise TrainingDataError(f"{path}:{line}: empty {label_col}")
                examples.append(Example(text, intent))
        except csv.Error as exc:
            raise TrainingDataError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from None
    return TrainingData(examples=tuple(examples))


def bio_to_spans(tokens: list[str], tags: list[str]) -> tuple[str, tuple[EntitySpan, ...]]:
    """Join tokens with single spaces and turn BIO tags into character spans on that text.

    An ``I-`` tag that does not continue a span of the same type starts a new span.
    """
    spans: list[EntitySpan] = []
    text = " ".join(tokens)
    cursor = 0
    current: tuple[str, int, int] | None = None

    def close() -> None:
        if current is not None:
            entity, start, end = current
            spans.append(EntitySpan(start, end, entity, text[start:end]))

    for token, tag in zip(tokens, tags, strict=True):
        start, end = cursor, cursor + len(token)
        cursor = end + 1
        if tag == "O" or len(tag) < 3 or tag[1] != "-" or tag[0] not in "BI":
            close()
            current = None
            continue
        kind, entity = tag[0], tag[2:]
        if kind == "I" and current is not None and current[0] == entity:
            current = (entity, current[1], end)
        else:
            close()
            current = (entity, start, end)
    close()
    return text, tuple(spans)


def read_bio_folder(path: Path) -> TrainingData:
    """Read ``seq.in`` (tokens), ``seq.out`` (one BIO tag per token) and ``label`` (intent)."""
    contents = {}
    for name in BIO_FILES:
        try:
            contents[name] = (path / name).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise TrainingDataError(f"{path / name}: cannot read ({exc})") from None
    seq_in, seq_out, labels = contents["seq.in"], contents["seq.out"], contents["label"]
    if not (len(seq_in) == len(seq_out) == len(labels)):
        raise TrainingDataError(
            f"{path}: seq.in, seq.out and label have {len(seq_in)}, {len(seq_out)} and "
            f"{len(labels)} lines; they must match line for line"
        )
    examples = []
    for i, (words, tags, label) in enumerate(zip(seq_in, seq_out, labels, strict=True), 1):
        tokens, tag_list = words.split(), tags.split()
        if not tokens:
            raise TrainingDataError(f"{path / 'seq.in'}:{i}: empty example")
        if len(tokens) != len(tag_list):
            raise TrainingDataError(
                f"{path / 'seq.out'}:{i}: {len(tag_list)} tags for {len(tokens)} tokens"
            )
        if not label.strip():
            raise TrainingDataError(f"{path / 'label'}:{i}: empty intent label")
        text, spans = bio_to_spans(tokens, tag_list)
        examples.append(Example(text, label.strip(), spans))
    return TrainingData(examples=tuple(examples))
