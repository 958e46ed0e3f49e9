"""`FaqIndex`: every phrasing of every searchable entry in FAISS (plus BM25), kept in step
with the database revision by revision, persisted to a directory, swapped atomically.

Searchers read :attr:`FaqIndex.state`, an immutable `IndexState`; writers build the next state
beside it and swap the reference under a lock, so a search never sees a half-applied edit.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from knowledge.embeddings import EmbeddingCache
from knowledge.entries import ChangeSet, FaqEntry, entry_from_row, same_words
from knowledge.errors import IndexCorruptError
from knowledge.lexical import LexicalIndex
from knowledge.spelling import WordCounts, counted_words
from knowledge.vectors import VectorConfig, VectorIndex, phrasing_id

log = logging.getLogger(__name__)
# 2: phrasings embedded as the encoder reads them (emoji by name), so older indexes rebuild
_FORMAT = 2


@dataclass(frozen=True, slots=True)
class IndexState:
    """One consistent view: the entries at ``revision`` and their vectors.

    Attributes:
        revision: the base revision this state reflects.
        entries: the searchable entries by id.
        vectors: FAISS vectors of their phrasings.
        lexical: BM25 over phrasings; may lag behind (it filters edited entries out).
        content_key: changes whenever the set of phrasings changes (adaptation keys on it).
        stamp: the base's stamp of ``revision`` (``FaqBase.revision_stamp``), which tells a
            state from one at the same revision number of a database since restored.
        said: each phrasing's words (``same_words``) and the entries having it: whether a
            message is some entry's own phrasing, known without encoding it.
        words: the phrasings' words and how many entries have each (typos are read as them).
    """

    revision: int
    encoder: str
    entries: Mapping[int, FaqEntry]
    vectors: VectorIndex
    lexical: LexicalIndex | None = None
    content_key: str = field(default="0")
    stamp: str | None = None
    said: Mapping[tuple[str, ...], frozenset[int]] = field(default_factory=dict)
    words: WordCounts = field(default_factory=dict)

    def phrasing_count(self) -> int:
        """How many phrasings the state holds."""
        return self.vectors.size


def _ids(entry: FaqEntry) -> list[int]:
    return [phrasing_id(entry.id, i) for i in range(len(entry.phrasings))]


class FaqIndex:
    """Owns the current `IndexState` and moves it forward.

    Args:
        embeddings: the embedding cache (and through it, the encoder).
        vectors: how FAISS indexes are built.
        directory: where the index is persisted; None keeps it in memory only.
        lexical_sync_limit: up to this many phrasings BM25 is rebuilt with every change;
            past it, in a background thread.
        on_change: called with the new state after every swap that changed phrasings.
    """

    def __init__(
        self,
        embeddings: EmbeddingCache,
        *,
        vectors: VectorConfig | None = None,
        directory: Path | None = None,
        lexical: bool = True,
        lexical_sync_limit: int = 5_000,
        on_change: Callable[[IndexState], None] | None = None,
    ) -> None:
        self.embeddings = embeddings
        self.vector_config = vectors or VectorConfig()
        self.directory = directory
        self.use_lexical = lexical
        self.lexical_sync_limit = lexical_sync_limit
        self.on_change = on_change
        self._write_lock = threading.Lock()
        self._state: IndexState | None = None
        self._lexical_thread: threading.Thread | None = None
        self._lexical_again = False

    @property
    def state(self) -> IndexState | None:
        """The current state (None until built or loaded)."""
        return self._state

    # -- building and applying -------------------------------------------------------------
    def build(self, changes: ChangeSet) -> IndexState:
        """Build a whole new state from a change set taken since revision 0, and swap it in."""
        entries = {e.id: e for e in changes.entries if e.searchable}
        ids, vectors = self._embed(entries.values())
        index = VectorIndex.build(ids, vectors, self._dimension(vectors), self.vector_config)
        state = IndexState(
            changes.revision, self.embeddings.encoder.name, entries, index,
            content_key=_content_key(changes), stamp=changes.stamp,
            said=_said({}, {}, entries.values()), words=counted_words({}, (), entries.values()),
        )  # fmt: skip
        with self._write_lock:
            self._swap(self._with_lexical(state, sync=True))
        return state

    def apply(self, changes: ChangeSet) -> IndexState:
        """Apply the changes after the current revision: remove, re-embed and add phrasings
        of changed entries only, then swap the new state in.
        """
        with self._write_lock:
            state = self._state
            if state is None:
                raise IndexCorruptError("the index is not built yet; build or load it first")
            if changes.revision <= state.revision:
                return state
            entries = dict(state.entries)
            remove: list[int] = []
            added: list[FaqEntry] = []
            for entry in changes.entries:
                old = entries.pop(entry.id, None)
                same_text = old is not None and old.phrasings == entry.phrasings
                if old is not None and not (same_text and entry.searchable):
                    remove.extend(_ids(old))
                if entry.searchable:
                    entries[entry.id] = entry
                    if not same_text:
                        added.append(entry)
            add_ids, add_vectors = self._embed(added)
            content_key = state.content_key
            vectors = state.vectors
            if remove or len(add_ids):
                vectors = vectors.updated(np.array(remove, np.int64), add_ids, add_vectors)
                content_key = _content_key(changes)
            before = {e.id: state.entries.get(e.id) for e in changes.entries}
            now = [e for e in changes.entries if e.searchable]
            new = replace(
                state, revision=changes.revision, entries=entries, vectors=vectors,
                content_key=content_key, stamp=changes.stamp,
                said=_said(state.said, before, now),
                words=counted_words(state.words, before.values(), now),
            )  # fmt: skip
            sync = new.phrasing_count() <= self.lexical_sync_limit
            self._swap(self._with_lexical(new, sync=sync))
            return new

    def _swap(self, state: IndexState) -> None:
        previous = self._state
        self._state = state  # the one atomic step searchers observe
        if self.on_change and (previous is None or previous.content_key != state.content_key):
            self.on_change(state)

    def _embed(self, entries: Iterable[FaqEntry]) -> tuple[np.ndarray, np.ndarray]:
        ids: list[int] = []
        texts: list[str] = []
        for entry in entries:
            ids.extend(_ids(entry))
            texts.extend(entry.phrasings)
        vectors = self.embeddings.embed(texts)
        return np.array(ids, dtype=np.int64), vectors

    def _dimension(self, vectors: np.ndarray) -> int:
        return int(vectors.shape[1]) if len(vectors) else int(self.embeddings.encoder.dimension)

    # -- lexical ---------------------------------------------------------------------------
    def _with_lexical(self, state: IndexState, *, sync: bool) -> IndexState:
        """Attach BM25 now, or (large bases) schedule a rebuild; call under the write lock."""
        if not self.use_lexical:
            return state
        if sync:
            return replace(state, lexical=_lexical_for(state))
        self._lexical_again = True
        if self._lexical_thread is None:
            self._lexical_thread = threading.Thread(
                target=self._rebuild_lexical, name="faq-bm25", daemon=True
            )
            self._lexical_thread.start()
        return state

    def _rebuild_lexical(self) -> None:
        while True:
            with self._write_lock:
                state = self._state
                if not self._lexical_again or state is None:
                    self._lexical_thread = None
                    return
                self._lexical_again = False
            lexical = _lexical_for(state)
            with self._write_lock:
                current = self._state
                if current is not None:
                    self._state = replace(current, lexical=lexical)

    def wait_lexical(self, timeout: float | None = None) -> None:
        """Wait for a background BM25 rebuild to finish (benchmarks and tests)."""
        thread = self._lexical_thread
        if thread is not None:
            thread.join(timeout)

    # -- persistence -----------------------------------------------------------------------
    def save(self) -> Path | None:
        """Persist the current state to a fresh folder, then point ``CURRENT`` at it.

        Several processes may share the directory: each writes its own folder, the pointer is
        replaced atomically, and only folders older than a minute are removed. A failure to
        write is logged, never raised (the index can always be rebuilt from the database).
        """
        state = self._state
        if self.directory is None or state is None:
            return None
        try:
            return self._save(state, self.directory)
        except OSError as exc:
            log.warning("could not persist the FAQ index to %s: %s", self.directory, exc)
            return None

    def _save(self, state: IndexState, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        folder = directory / f"state-{state.revision}-{uuid.uuid4().hex[:8]}"
        folder.mkdir()
        state.vectors.save(folder / "vectors.faiss")
        snapshots = [e.snapshot() for e in state.entries.values()]
        (folder / "entries.json").write_text(json.dumps(snapshots), encoding="utf-8")
        meta = {
            "format": _FORMAT, "revision": state.revision, "encoder": state.encoder,
            "dimension": state.vectors.dimension, "count": state.vectors.size,
            "content_key": state.content_key, "stamp": state.stamp,
        }  # fmt: skip
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        pointer = directory / f"CURRENT.{uuid.uuid4().hex[:8]}"
        pointer.write_text(folder.name, encoding="utf-8")
        os.replace(pointer, directory / "CURRENT")
        cutoff = time.time() - 60  # another process may still be reading a recent folder
        for old in directory.glob("state-*"):
            with contextlib.suppress(FileNotFoundError):  # another process removed it
                if old != folder and old.stat().st_mtime < cutoff:
                    shutil.rmtree(old, ignore_errors=True)
        return folder

    def load(self) -> IndexState:
        """Load the persisted state and swap it in.

        Raises:
            IndexCorruptError: nothing persisted, or it is unreadable, from another encoder
                or inconsistent.
        """
        if self.directory is None:
            raise IndexCorruptError("no index directory configured")
        try:
            folder = self.directory / (self.directory / "CURRENT").read_text().strip()
            meta = json.loads((folder / "meta.json").read_text())
            snapshots = json.loads((folder / "entries.json").read_text())
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"no readable index in {self.directory}: {exc}") from exc
        if meta.get("format") != _FORMAT or meta.get("encoder") != self.embeddings.encoder.name:
            raise IndexCorruptError(f"the index in {folder} was built by another encoder/format")
        vectors = VectorIndex.load(folder / "vectors.faiss", self.vector_config)
        try:
            entries = {int(s["id"]): entry_from_row(s) for s in snapshots}
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexCorruptError(f"{folder}/entries.json is damaged: {exc}") from exc
        expected = sum(len(e.phrasings) for e in entries.values())
        if vectors.size != meta.get("count") or vectors.size != expected:
            raise IndexCorruptError(f"{folder}: vector count does not match the entries")
        state = IndexState(
            int(meta["revision"]), str(meta["encoder"]), entries, vectors,
            content_key=str(meta.get("content_key", meta["revision"])), stamp=meta.get("stamp"),
            said=_said({}, {}, entries.values()), words=counted_words({}, (), entries.values()),
        )  # fmt: skip
        with self._write_lock:
            self._swap(self._with_lexical(state, sync=vectors.size <= self.lexical_sync_limit))
        return state


def _said(
    said: Mapping[tuple[str, ...], frozenset[int]],
    gone: Mapping[int, FaqEntry | None],
    added: Iterable[FaqEntry],
) -> dict[tuple[str, ...], frozenset[int]]:
    """``said`` without the phrasings of the entries in ``gone`` (as they were), with those
    of ``added`` (a copy: the state it came from stays as searchers saw it)."""
    out = dict(said)
    for eid, old in gone.items():
        for words in {same_words(p) for p in old.phrasings} if old is not None else ():
            left = out.get(words, frozenset()) - {eid}
            if left:
                out[words] = left
            else:
                out.pop(words, None)
    for entry in added:
        for words in {same_words(p) for p in entry.phrasings}:
            out[words] = out.get(words, frozenset()) | {entry.id}
    return out


def _content_key(changes: ChangeSet) -> str:
    # The stamp of the revision whose content this is, not its number: a restored database
    # reuses numbers for other content, and a head trained on the old content must not be
    # taken for the new. A rebuild at the same revision keeps the key, and the head.
    return changes.stamp or "empty"


def _lexical_for(state: IndexState) -> LexicalIndex:
    ids: list[int] = []
    texts: list[str] = []
    for entry in state.entries.values():
        ids.extend(_ids(entry))
        texts.extend(entry.phrasings)
    versions = {e.id: e.version for e in state.entries.values()}
    return LexicalIndex(np.array(ids, dtype=np.int64), texts, versions)
