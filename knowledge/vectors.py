"""FAISS vectors of phrasings, by 64-bit phrasing id: exact for small bases, IVF past a size.

A `VectorIndex` is never changed once searchers can see it: :meth:`VectorIndex.updated`
returns a changed copy, which the owner swaps in (see `knowledge.index`). Copying a large IVF
index for every edit would cost seconds (1.5 GB at a million phrasings), so an IVF index's
edits collect beside it instead: added vectors in a small exact index, removed ids in a list
the search skips. Copies share the large index; past ``VectorConfig.delta_limit`` edits are
merged into a new copy of it.
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
        delta_limit: an IVF index keeps up to this many added and removed phrasings beside it
            (searched exactly) before they are merged into a copy of it.
    """

    exact_limit: int = 20_000
    nprobe: int = 24
    threads: int = 1
    delta_limit: int = 10_000


def _exact(dimension: int, ids: np.ndarray, vectors: np.ndarray) -> Any:
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
    if len(ids):
        index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dimension),
            np.ascontiguousarray(ids, dtype=np.int64),
        )
    return index


class VectorIndex:
    """An inner-product index of unit vectors keyed by phrasing id.

    Args:
        index: the FAISS index (never changed after this).
        dimension: vector size.
        config: index settings.
        added: IVF only: an exact index of vectors added since ``index`` was built.
        hidden: IVF only: ids in ``index`` removed since (sorted; never returned).
    """

    def __init__(
        self,
        index: Any,
        dimension: int,
        config: VectorConfig,
        *,
        added: Any | None = None,
        hidden: np.ndarray | None = None,
    ) -> None:
        self._index: Any = index
        self.dimension = dimension
        self.config = config
        self._added: Any = added if added is not None else _exact(dimension, _NO_IDS, _NO_IDS)
        self._added_ids = faiss.vector_to_array(self._added.id_map).astype(np.int64)
        self._hidden = hidden if hidden is not None else _NO_IDS
        self._params: Any = None
        if isinstance(index, faiss.IndexIVF):
            # nprobe goes with each search, not onto the index that other copies share. The
            # selectors are kept as attributes: FAISS holds only raw pointers to them.
            self._skip = faiss.IDSelectorBatch(self._hidden) if len(self._hidden) else None
            self._keep = faiss.IDSelectorNot(self._skip) if self._skip is not None else None
            self._params = faiss.SearchParametersIVF()
            self._params.sel = self._keep
            self._params.nprobe = config.nprobe

    @property
    def kind(self) -> str:
        """``flat`` (exact) or ``ivf``."""
        return "ivf" if isinstance(self._index, faiss.IndexIVF) else "flat"

    @property
    def size(self) -> int:
        """How many vectors the index holds."""
        return int(self._index.ntotal) - len(self._hidden) + int(self._added.ntotal)

    @property
    def pending(self) -> int:
        """Edits kept beside an IVF index, not yet merged into it."""
        return len(self._hidden) + int(self._added.ntotal)

    @classmethod
    def build(
        cls, ids: np.ndarray, vectors: np.ndarray, dimension: int, config: VectorConfig
    ) -> VectorIndex:
        """Build an index of the right kind for ``len(ids)`` vectors."""
        _set_threads(config.threads)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dimension)
        if len(ids) <= config.exact_limit:
            return cls(_exact(dimension, ids, vectors), dimension, config)
        else:
            nlist = max(64, int(4 * math.sqrt(len(ids))))
            quantizer = faiss.IndexFlatIP(dimension)
            index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            sample = vectors[rng.choice(len(vectors), min(len(vectors), 40 * nlist), False)]
            index.train(sample)
            # A hashtable id map lets the IVF index remove ids and give vectors back by id.
            index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
            index.add_with_ids(vectors, ids)
        return cls(index, dimension, config)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, phrasing ids) per query row; missing slots have id -1."""
        if self.size == 0:
            n = len(queries)
            return np.zeros((n, 0), np.float32), np.zeros((n, 0), np.int64)
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dimension)
        k = min(k, self.size)
        scores, ids = self._index.search(queries, k, params=self._params)
        if self._added.ntotal:
            more_scores, more_ids = self._added.search(queries, min(k, self._added.ntotal))
            scores = np.concatenate([scores, more_scores], axis=1)
            ids = np.concatenate([ids, more_ids], axis=1)
            best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
            scores = np.take_along_axis(scores, best, axis=1)
            ids = np.take_along_axis(ids, best, axis=1)
        return scores, ids

    def vectors_of(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of these phrasing ids (all must be present)."""
        ids = np.ascontiguousarray(ids, np.int64)
        if not len(ids):
            return np.zeros((0, self.dimension), np.float32)
        result = np.empty((len(ids), self.dimension), np.float32)
        recent = np.isin(ids, self._added_ids)
        if recent.any():
            result[recent] = self._added.reconstruct_batch(ids[recent])
        if not recent.all():
            result[~recent] = self._index.reconstruct_batch(np.ascontiguousarray(ids[~recent]))
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
        remove = np.ascontiguousarray(remove, dtype=np.int64)
        add_vectors = np.ascontiguousarray(add_vectors, dtype=np.float32).reshape(
            -1, self.dimension
        )
        if self.kind == "flat":
            return self._copy_with(remove, np.ascontiguousarray(add_ids, np.int64), add_vectors)
        # IVF: edits go beside the shared index. Removed ids are either among the recent
        # additions (drop them there) or in the index (hide them).
        recent_ids = self._added_ids
        recent = np.isin(remove, recent_ids)
        hidden = np.union1d(self._hidden, self._held(remove[~recent]))
        kept = recent_ids[~np.isin(recent_ids, remove)]
        added = _exact(
            self.dimension,
            np.concatenate([kept, np.asarray(add_ids, np.int64)]),
            np.concatenate([self._added.reconstruct_batch(kept), add_vectors]),
        )
        result = VectorIndex(self._index, self.dimension, self.config, added=added, hidden=hidden)
        return result.merged() if result.pending > self.config.delta_limit else result

    def _held(self, ids: np.ndarray) -> np.ndarray:
        """Those of ``ids`` the shared index holds (so hiding them keeps ``size`` right)."""
        held = []
        for pid in ids:
            try:
                self._index.reconstruct(int(pid))
            except RuntimeError:  # faiss: id not found
                continue
            held.append(pid)
        return np.array(held, np.int64)

    def merged(self) -> VectorIndex:
        """The same vectors with the edits kept beside an IVF index merged into a copy of it."""
        if not self.pending:
            return self
        _set_threads(self.config.threads)
        ids = self._added_ids
        return self._copy_with(self._hidden, ids, self._added.reconstruct_batch(ids))

    def _copy_with(self, remove: np.ndarray, ids: np.ndarray, vectors: np.ndarray) -> VectorIndex:
        """A clone of the underlying FAISS index with ``remove`` dropped and vectors added."""
        index: Any = faiss.clone_index(self._index)
        if len(remove):
            index.remove_ids(remove)
        if len(ids):
            index.add_with_ids(vectors, ids)
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
        """Write the index to ``path``, and edits kept beside an IVF index to files next to it.

        The edits are not merged first: that would copy the whole index (twice its memory at
        the moment of saving, 1.5 GB more at a million phrasings).
        """
        faiss.write_index(self._index, str(path))
        added, hidden = _beside(path)
        if self.pending:
            faiss.write_index(self._added, str(added))
            np.save(hidden, self._hidden)
        else:
            added.unlink(missing_ok=True)
            hidden.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path, config: VectorConfig) -> VectorIndex:
        """Read an index written by :meth:`save`, with its pending edits.

        Raises:
            IndexCorruptError: a file is missing or unreadable.
        """
        added_path, hidden_path = _beside(path)
        try:
            index = faiss.read_index(str(path))
            if not added_path.exists():
                return cls(index, int(index.d), config)
            added = faiss.read_index(str(added_path))
            hidden = np.load(hidden_path).astype(np.int64)
        except Exception as exc:  # faiss raises RuntimeError with a C++ message
            raise IndexCorruptError(f"cannot read the FAISS index {path}: {exc}") from exc
        if not isinstance(index, faiss.IndexIVF) or added.d != index.d:
            raise IndexCorruptError(f"{added_path} does not belong to {path}")
        return cls(index, int(index.d), config, added=added, hidden=hidden)


def _beside(path: Path) -> tuple[Path, Path]:
    """Where :meth:`VectorIndex.save` keeps pending additions and hidden ids."""
    return path.with_name(path.stem + ".added.faiss"), path.with_name(path.stem + ".hidden.npy")


_NO_IDS = np.zeros(0, np.int64)
_threads_lock = threading.Lock()


def _set_threads(threads: int) -> None:
    with _threads_lock:
        if threads > 0 and faiss.omp_get_max_threads() != threads:
            faiss.omp_set_num_threads(threads)
