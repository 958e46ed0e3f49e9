"""The `Encoder` protocol knowledge needs, and an embedding cache keyed by content hash."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from knowledge.wal import enable_wal


@runtime_checkable
class Encoder(Protocol):
    """What the knowledge package needs from a sentence encoder (``nlu.SentenceEncoder`` fits).

    ``encode`` returns float32 rows of unit length, one per text. An encoder may also have
    ``reads(text) -> str``, the text as it reads it (``nlu.SentenceEncoder`` names emoji):
    the cache then keys by that, so a text is never served a vector of an earlier reading.
    """

    @property
    def name(self) -> str:
        """A stable identifier of the weights (embedding caches are keyed by it)."""
        ...

    @property
    def dimension(self) -> int:
        """The length of each embedding."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as float32 rows of unit length."""
        ...


def text_key(encoder_name: str, text: str) -> bytes:
    """The cache key of one text under one encoder: sha256(name NUL text)."""
    return hashlib.sha256(f"{encoder_name}\0{text}".encode()).digest()


class EmbeddingCache:
    """Embeds texts through an encoder, never encoding the same (encoder, text) twice.

    Vectors live in memory (bounded LRU) and, when a directory is given, in an SQLite file
    there (``embeddings.sqlite``), shared by every process that uses the directory.

    Args:
        encoder: the encoder to call on misses (in batches).
        directory: where the on-disk cache lives; None keeps it in memory only.
        memory_items: how many vectors the in-memory layer keeps.
    """

    def __init__(
        self, encoder: Encoder, directory: Path | None = None, *, memory_items: int = 200_000
    ) -> None:
        self.encoder = encoder
        self.memory_items = memory_items
        self.encoded = 0  # texts actually sent to the encoder (for tests and stats)
        self._memory: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                directory / "embeddings.sqlite", check_same_thread=False, timeout=30
            )
            enable_wal(self._db)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS embedding (key BLOB PRIMARY KEY, vector BLOB)"
            )
            self._db.commit()

    def close(self) -> None:
        """Close the on-disk cache."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts`` (float32, ``(len(texts), dim)``), encoding only misses."""
        name = self.encoder.name
        reads = getattr(self.encoder, "reads", None)
        keys = [text_key(name, reads(t) if reads else t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for key in keys:
                vector = self._memory.get(key)
                if vector is not None:
                    found[key] = vector
            missing = list(dict.fromkeys(k for k in keys if k not in found))
            if missing and self._db is not None:
                found.update(self._load(missing))
        todo = [(k, t) for k, t in dict(zip(keys, texts, strict=True)).items() if k not in found]
        if todo:
            vectors = np.asarray(self.encoder.encode([t for _, t in todo]), dtype=np.float32)
            self.encoded += len(todo)
            fresh = {k: vectors[i] for i, (k, _) in enumerate(todo)}
            found.update(fresh)
            with self._lock:
                if self._db is not None:
                    self._db.executemany(
                        "INSERT OR IGNORE INTO embedding VALUES (?, ?)",
                        [(k, v.tobytes()) for k, v in fresh.items()],
                    )
                    self._db.commit()
        with self._lock:
            for key in keys:
                self._memory[key] = found[key]
                self._memory.move_to_end(key)
            while len(self._memory) > self.memory_items:
                self._memory.popitem(last=False)
        if not keys:
            return np.zeros((0, self.encoder.dimension), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def _load(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        assert self._db is not None
        out: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vector FROM embedding WHERE key IN ({marks})", chunk
            ).fetchall()
            for key, blob in rows:
                out[bytes(key)] = np.frombuffer(blob, dtype=np.float32).copy()
        return out
