"""FAISS vectors of phrasings, by 64-bit phrasing id: exact for small bases, IVF past a size.

A `VectorIndex` is never changed once searchers can see it: :meth:`VectorIndex.updated`
returns a changed copy, which the owner swaps in (see `knowledge.index`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from knowledge.errors import IndexCorruptError

#: Phrasing ids put the entry id in the high bits and the phrasing's position in the low 16.
POSITION_BITS = 16
MAX_PHRASINGS = 1 << POSITION_BITS


def phrasing_id(entry_id: int, position: int) -> int:
    """The vector id of the ``position``-th phrasing (0 = the question) of an entry."""
    return (entry_id << POSITION_BITS) | position


def entry_of(ids: np.ndarray) -> np.ndarray:
    """Entry ids of an array of phrasing ids."""
    result: np.ndarray = np.right_shift(ids, POSITION_BITS)
    return result


@dataclass(frozen=True, slots=True)
class VectorConfig:
    """How vectors are indexed.

    Attributes:
        exact_limit: up to this many vectors, exact inner product (IndexFlatIP in
            IndexIDMap2); past it, IVF (IndexIVFFlat, trained on the vectors at build).
        nprobe: IVF lists visited per query (recall against speed).
        threads: FAISS OpenMP threads (1 where cores are shared).
    """

    exact_limit: int = 20_000
    nprobe: int = 24
    threads: int = 1


class VectorIndex:
    """An inner-product index of unit vectors keyed by phrasing id."""

    def __init__(self, index: Any, dimension: int, config: VectorConfig) -> None:
        self._index: Any = index
        self.dimension = dimension
        self.config = config
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = config.nprobe

    @property
    def kind(self) -> str:
        """``flat`` (exact) or ``ivf``."""
        return "ivf" if isinstance(self._index, faiss.IndexIVF) else "flat"

    @property
    def size(self) -> int:
        """How many vectors the index holds."""
        return int(self._index.ntotal)

    @classmethod
    def build(
        cls, ids: np.ndarray, vectors: np.ndarray, dimension: int, config: VectorConfig
    ) -> VectorIndex:
        """Build an index of the right kind for ``len(ids)`` vectors."""
        _set_threads(config.threads)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dimension)
        if len(ids) <= config.exact_limit:
            index: Any = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        else:
            nlist = max(64, int(4 * math.sqrt(len(ids))))
            quantizer = faiss.IndexFlatIP(dimension)
            index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            sample = vectors[rng.choice(len(vectors), min(len(vectors), 40 * nlist), False)]
            index.train(sample)
            # A hashtable id map lets the IVF index remove ids and give vectors back by id.
            index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
        if len(ids):
            index.add_with_ids(vectors, ids)
        return cls(index, dimension, config)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, phrasing ids) per query row; missing slots have id -1."""
        if self.size == 0:
            n = len(queries)
            return np.zeros((n, 0), np.float32), np.zeros((n, 0), np.int64)
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dimension)
        scores, ids = self._index.search(queries, min(k, self.size))
        return scores, ids

    def vectors_of(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of these phrasing ids (all must be present)."""
        if not len(ids):
            return np.zeros((0, self.dimension), np.float32)
        result: np.ndarray = self._index.reconstruct_batch(np.ascontiguousarray(ids, np.int64))
        return result

    def updated(
        self, remove: np.ndarray, add_ids: np.ndarray, add_vectors: np.ndarray
    ) -> VectorIndex:
        """A copy with ``remove`` ids dropped and new vectors added (this index is unchanged).

        A flat index that grows past ``exact_limit`` is rebuilt as IVF.
        """
        _set_threads(self.config.threads)
        if self.kind == "flat" and self.size + len(add_ids) > self.config.exact_limit:
            ids, vectors = self.all_vectors()
            keep = ~np.isin(ids, remove)
            return VectorIndex.build(
                np.concatenate([ids[keep], add_ids]),
                np.concatenate([vectors[keep], add_vectors.reshape(-1, self.dimension)]),
                self.dimension,
                self.config,
            )
        index: Any = faiss.clone_index(self._index)
        if len(remove):
            index.remove_ids(np.ascontiguousarray(remove, dtype=np.int64))
        if len(add_ids):
            index.add_with_ids(
                np.ascontiguousarray(add_vectors, dtype=np.float32).reshape(-1, self.dimension),
                np.ascontiguousarray(add_ids, dtype=np.int64),
            )
        return VectorIndex(index, self.dimension, self.config)

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (id, vector) the index holds (flat indexes only)."""
        if self.kind != "flat":
            raise ValueError("only a flat index can list its vectors")
        inner = faiss.downcast_index(self._index.index)
        ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        vectors = (
            inner.reconstruct_n(0, self.size)
            if self.size
            else np.zeros((0, self.dimension), np.float32)
        )
        return ids, vectors

    def save(self, path: Path) -> None:
        """Write the index to one file."""
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, config: VectorConfig) -> VectorIndex:
        """Read an index written by :meth:`save`.

        Raises:
            IndexCorruptError: the file is missing or unreadable.
        """
        try:
            index = faiss.read_index(str(path))
        except Exception as exc:  # faiss raises RuntimeError with a C++ message
            raise IndexCorruptError(f"cannot read the FAISS index {path}: {exc}") from exc
        return cls(index, int(index.d), config)


_threads_lock = threading.Lock()


def _set_threads(threads: int) -> None:
    with _threads_lock:
        if threads > 0 and faiss.omp_get_max_threads() != threads:
            faiss.omp_set_num_threads(threads)
