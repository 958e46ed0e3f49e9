"""`FaqRetriever`: hybrid search over the FAQ base (dense + BM25 + an adapted entry head),
calibrated confidence and the answer / suggest / none decision.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from knowledge.adaptation import EntryHead, train_head
from knowledge.base import FaqBase
from knowledge.embeddings import EmbeddingCache, Encoder
from knowledge.entries import FaqEntry, same_words, shared_phrasing_note
from knowledge.errors import IndexCorruptError, KnowledgeError
from knowledge.index import FaqIndex, IndexState
from knowledge.lexical import meaningful_words
from knowledge.scoring import RetrieverConfig
from knowledge.spelling import spelled
from knowledge.vectors import entry_of, phrasing_id

log = logging.getLogger(__name__)

#: Nearest phrasings searched for copies of an entry's phrasing (see shared_phrasings).
SHARED_NEIGHBOURS = 10


@dataclass(frozen=True, slots=True)
class FaqHit:
    """One entry found for a query.

    Attributes:
        entry: the entry.
        score: fused relevance (higher is better; comparable within one mode).
        matched_phrasing: the entry's phrasing closest to the query.
        confidence: calibrated probability that this entry is the right answer.
        similarity: cosine of the query and its closest phrasing of the entry (0 in bm25 mode).
        path: how it was scored (``hybrid`` with the base's adapted head, ``hybrid-plain``
            before the head is trained or for bases too large for one, ``dense``, ``bm25``);
            each path has its own calibration and thresholds.
        probability: the adapted head's probability of this entry (0 without a head).
        too_short: the message has too few words to be answered from this entry
            (``RetrieverConfig.min_answer_words``) and is none of its phrasings.
        exact: the message is one of the entry's phrasings as written (case, spacing and
            sentence punctuation aside): staff wrote this very question for this entry.
        shared: the message is a phrasing of more than one entry, this one or not (staff
            were warned that it is suggested at most).
    """

    entry: FaqEntry
    score: float
    matched_phrasing: str
    confidence: float = 0.0
    similarity: float = 0.0
    path: str = ""
    probability: float = 0.0
    too_short: bool = False
    exact: bool = False
    shared: bool = False


@dataclass(frozen=True, slots=True)
class FaqDecision:
    """What to do with a message: ``answer`` (hits[0]), ``suggest`` (up to 3 options) or
    ``none``; ``confidence`` is the best entry's calibrated confidence."""

    kind: Literal["answer", "suggest", "none"]
    hits: tuple[FaqHit, ...]
    confidence: float


class FaqRetriever:
    """Searches a `FaqBase` and keeps its index in step with the base.

    Construction is cheap; :meth:`start` loads or builds the index. Edits reach the index
    through :meth:`refresh` (called by `knowledge.sync.FaqSync`, or directly).

    Args:
        base: the FAQ base.
        encoder: the sentence encoder (an object with encode / name / dimension).
        data_dir: where the index and the embedding cache persist; None keeps them in memory.
        config: scoring, thresholds and index settings.
        embeddings: an embedding cache to use instead of the one under ``data_dir``.
    """

    def __init__(
        self,
        base: FaqBase,
        encoder: Encoder,
        *,
        data_dir: Path | None = None,
        config: RetrieverConfig | None = None,
        embeddings: EmbeddingCache | None = None,
    ) -> None:
        self.base = base
        self.encoder = encoder
        self.config = config or RetrieverConfig()
        self.data_dir = data_dir
        self.embeddings = embeddings or EmbeddingCache(
            encoder, data_dir / "embeddings" if data_dir else None
        )
        self.index = FaqIndex(
            self.embeddings,
            vectors=self.config.vectors,
            directory=data_dir / "index" if data_dir else None,
            lexical=self.config.mode != "dense",
            lexical_sync_limit=self.config.lexical_sync_limit,
            on_change=self._content_changed,
        )
        self._head: EntryHead | None = None
        self._refresh_lock = threading.Lock()
        self._adapt_wanted = threading.Event()
        self._adapted = threading.Condition()
        self._stopping = False
        self._adapter: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Load the persisted index and catch up from the base, or rebuild it when missing,
        stale or corrupt; then start background adaptation."""
        if self._adapter is None and self._adapts:
            self._adapter = threading.Thread(target=self._adapt_loop, name="faq-adapt", daemon=True)
            self._adapter.start()
        with self._refresh_lock:
            try:
                state = self.index.load()
            except IndexCorruptError as exc:
                if self.data_dir is not None:
                    log.info("building the FAQ index: %s", exc)
                self.index.build(self.base.changes_since(0))
            else:
                self._catch_up(state)
            self.index.save()  # what start caught up, or built, is not built again next time

    def close(self) -> None:
        """Persist the index, stop background work and close the embedding cache."""
        self._stopping = True
        self._adapt_wanted.set()
        if self._adapter is not None:
            self._adapter.join(timeout=30)
        # A refresh still embedding a large import (it outlives the request that started
        # it): finished first, so its vectors are cached and saved, not embedded again.
        refreshing = self._refresh_lock.acquire(timeout=120)
        try:
            self.index.wait_lexical(timeout=60)
            self.index.save()
            self.embeddings.close()
        finally:
            if refreshing:
                self._refresh_lock.release()

    def refresh(self, *, wait: bool = True) -> int:
        """Apply every change committed since the index's revision; returns the revision.

        ``wait`` False: when another refresh is under way (a large import being embedded),
        return at once; that one brings the index up to date.
        """
        if not self._refresh_lock.acquire(blocking=wait):
            return self.revision
        try:
            state, rebuilt = self._catch_up(self._state())
            if rebuilt:
                self.index.save()
            return state.revision
        finally:
            self._refresh_lock.release()

    def _catch_up(self, state: IndexState) -> tuple[IndexState, bool]:
        """Apply what the base committed after ``state``; rebuild instead (True) when
        the base no longer has the revision ``state`` reflects: the database was reset or
        restored from a backup, whose revision numbers then name other changes, so the
        index could answer from entries the base lacks."""
        why = None
        if state.stamp is None and state.revision > 0:
            why = "the index was saved by an older deskbot; rebuilding it once"
        elif self.base.revision_stamp(state.revision) != state.stamp:
            why = (
                f"the database no longer has the FAQ revision {state.revision} the index was "
                "built at (reset or restored from a backup?)"
            )
        if why is not None:
            log.warning("rebuilding the FAQ index: %s", why)
            return self.index.build(self.base.changes_since(0)), True
        if self.base.current_revision() != state.revision:
            state = self.index.apply(self.base.changes_since(state.revision))
        return state, False

    def reindex(self) -> int:
        """Rebuild the whole index from the base (and persist it); returns the revision."""
        with self._refresh_lock:
            state = self.index.build(self.base.changes_since(0))
            self.index.save()
            return state.revision

    @property
    def revision(self) -> int:
        """The base revision searches currently reflect."""
        return self._state().revision

    def _state(self) -> IndexState:
        state = self.index.state
        if state is None:
            raise KnowledgeError("the FAQ retriever is not started; call start() first")
        return state

    # -- adaptation ------------------------------------------------------------------------
    @property
    def _adapts(self) -> bool:
        return self.config.adapt and self.config.mode == "hybrid"

    def _content_changed(self, _state: IndexState) -> None:
        if self._adapts:
            self._adapt_wanted.set()

    def _adapt_loop(self) -> None:
        while True:
            self._adapt_wanted.wait()
            if self._stopping:
                return
            self._adapt_wanted.clear()
            try:
                self._adapt_once()
            except Exception:  # adaptation must never take the retriever down
                log.exception("training the FAQ entry head failed; searching without it")

    def _adapt_once(self) -> None:
        state = self.index.state
        if state is None:
            return
        if not 2 <= len(state.entries) <= self.config.head.max_entries:
            head = None
        else:
            ids: list[int] = []
            texts: list[str] = []
            for entry in state.entries.values():
                ids.extend([entry.id] * len(entry.phrasings))
                texts.extend(entry.phrasings)
            vectors = self.embeddings.embed(texts)
            head = train_head(vectors, np.array(ids), state.content_key, self.config.head)
        with self._adapted:
            self._head = head
            self._adapted.notify_all()

    def wait_adapted(self, timeout: float = 60.0) -> bool:
        """Wait until the entry head matches the current index (tests, benchmarks)."""
        if not self._adapts:
            return True
        with self._adapted:
            return self._adapted.wait_for(self._head_ready, timeout)

    def _head_ready(self) -> bool:
        state = self.index.state
        if state is None:
            return False
        if not 2 <= len(state.entries) <= self.config.head.max_entries:
            return True
        return self._head is not None and self._head.content_key == state.content_key

    def shared_phrasings(self, entry_id: int) -> list[str]:
        """Notes for staff on each phrasing of the searchable entry ``entry_id`` that other
        searchable entries have too (``knowledge.entries.shared_phrasing_note``).

        Found among each phrasing's nearest indexed phrasings, whose vectors are the same or
        nearly (punctuation moves them a little): a few searches, whatever the base's size.
        """
        state = self._state()
        entry = state.entries.get(entry_id)
        if entry is None:
            return []
        positions = range(len(entry.phrasings))
        ids = np.array([phrasing_id(entry_id, p) for p in positions], dtype=np.int64)
        _, found = state.vectors.search(state.vectors.vectors_of(ids), SHARED_NEIGHBOURS)
        notes = []
        for phrasing, row in zip(entry.phrasings, found, strict=True):
            said = same_words(phrasing)
            keys: list[str] = []
            for pid in row[row >= 0].tolist():
                other = state.entries.get(pid >> 16)
                position = pid & 0xFFFF
                if other is None or other.id == entry_id or other.external_key in keys:
                    continue
                if (
                    position < len(other.phrasings)
                    and same_words(other.phrasings[position]) == said
                ):
                    keys.append(other.external_key)
            if keys:
                notes.append(shared_phrasing_note(phrasing, keys))
        return notes

    # -- search ----------------------------------------------------------------------------
    def has_phrasing(self, text: str) -> bool:
        """Whether a searchable entry has ``text`` as one of its phrasings (case, spacing and
        sentence punctuation aside: what a hit's ``exact`` says), without encoding it."""
        return same_words(text) in self._state().said

    def spelled(self, text: str) -> str:
        """The message with typos of the base's words corrected (``knowledge.spelling``):
        what is searched for. Unchanged without an encoder vocabulary to tell known words."""
        whole_words = getattr(self.encoder, "whole_words", None)
        if not self.config.spelling or whole_words is None:
            return text
        return spelled(text, whole_words(), self._state().words)

    def search(self, text: str, k: int = 5) -> list[FaqHit]:
        """The best ``k`` entries for a message, best first (empty when nothing matches)."""
        spelt = self.spelled(text)
        query = self.encoder.encode([spelt]) if self.config.mode != "bm25" else None
        return self.search_encoded(spelt, query, k, written=text)

    def search_encoded(
        self, text: str, query: np.ndarray | None, k: int = 5, *, written: str | None = None
    ) -> list[FaqHit]:
        """Like :meth:`search`, with the query already embedded (``(1, dim)``; batching) and
        spelled (:meth:`spelled`); ``written``: the message as typed, which is what an
        entry's own phrasing must be (a typo is not one, however it is read)."""
        state = self._state()
        if not state.entries:
            return []
        mode = self.config.mode
        dense: dict[int, tuple[float, int]] = {}
        if query is not None and mode != "bm25":
            scores, ids = state.vectors.search(query, self.config.candidates)
            for score, pid in zip(scores[0], ids[0], strict=True):
                if pid >= 0:
                    eid = int(pid) >> 16
                    if eid in state.entries and eid not in dense:
                        dense[eid] = (float(score), int(pid) & 0xFFFF)
        lexical = self._lexical(state, text) if mode != "dense" else {}
        adapted = self._head if mode == "hybrid" else None  # one head for the whole search
        head = self._head_scores(state, query, adapted)
        if mode == "hybrid" and query is not None:
            self._fill_dense(state, query, dense, set(lexical) | set(head))
        fused: list[tuple[float, int, int, float]] = []
        for eid in set(dense) | set(lexical) | set(head):
            d, pos = dense.get(eid, (0.0, -1))
            lex, lpos = lexical.get(eid, (0.0, 0))
            if mode == "bm25":
                score = lex
            elif mode == "dense":
                score = d
            else:
                score = d + self.config.lexical_weight * lex
                score += self.config.head_weight * head.get(eid, 0.0)
            fused.append((score, eid, pos if pos >= 0 else lpos, d))
        fused.sort(key=lambda item: -item[0])
        path = self._path(head)
        calibration = self.config.calibration.get(path)
        floor = self.config.min_similarity if mode != "bm25" else -1.0
        counted = meaningful_words(text)
        short = counted is not None and counted < self.config.min_answer_words
        said = same_words(text if written is None else written)
        shared = len(state.said.get(said, ())) > 1
        hits = []
        for rank, (score, eid, pos, similarity) in enumerate(fused[:k]):
            entry = state.entries[eid]
            if similarity < floor:
                # Calibrations learnt from real questions; among entries that barely
                # resemble the message (keyboard mash) neither a lead nor a probability
                # means anything.
                confidence = 0.0
            elif adapted is not None and head:
                confidence = adapted.calibration.confidence(head.get(eid, 0.0))
            else:
                assert calibration is not None
                other = fused[1][0] if rank == 0 and len(fused) > 1 else fused[0][0]
                lead = score - other if len(fused) > 1 else score
                confidence = calibration.confidence(score, lead)
            phrasing = entry.phrasings[pos]
            probability = head.get(eid, 0.0)
            exact = eid in state.said.get(said, ())
            hits.append(
                FaqHit(
                    entry,
                    score,
                    phrasing,
                    confidence,
                    similarity,
                    path,
                    probability,
                    too_short=short and not exact,
                    exact=exact,
                    shared=shared,
                )
            )
        return hits

    def _path(self, head: dict[int, float]) -> str:
        if self.config.mode != "hybrid":
            return self.config.mode
        return "hybrid" if head else "hybrid-plain"

    def _lexical(self, state: IndexState, text: str) -> dict[int, tuple[float, int]]:
        lexical = state.lexical
        if lexical is None:
            return {}
        scores, ids = lexical.search(text, self.config.candidates)
        saturation = self.config.lexical_saturation
        out: dict[int, tuple[float, int]] = {}
        for score, eid, pid in zip(scores, entry_of(ids), ids, strict=True):
            entry = state.entries.get(int(eid))
            # A background-built BM25 index may predate an edit: skip what changed since.
            if entry is None or lexical.versions.get(entry.id) != entry.version:
                continue
            if int(eid) not in out:
                value = float(score) if self.config.mode == "bm25" else score / (score + saturation)
                out[int(eid)] = (float(value), int(pid) & 0xFFFF)
        return out

    def _head_scores(
        self, state: IndexState, query: np.ndarray | None, head: EntryHead | None
    ) -> dict[int, float]:
        if head is None or query is None or head.content_key != state.content_key:
            return {}
        probs = head.probabilities(query)[0]
        top = np.argsort(-probs)[: self.config.candidates]
        return {int(head.entry_ids[i]): float(probs[i]) for i in top}

    def _fill_dense(
        self,
        state: IndexState,
        query: np.ndarray,
        dense: dict[int, tuple[float, int]],
        wanted: set[int],
    ) -> None:
        """Exact dense scores of candidates found only by BM25 or the head."""
        missing = [eid for eid in wanted if eid not in dense and eid in state.entries]
        if not missing:
            return
        owners = [(eid, pos) for eid in missing for pos in range(len(state.entries[eid].phrasings))]
        ids = np.array([phrasing_id(eid, pos) for eid, pos in owners], dtype=np.int64)
        sims = state.vectors.vectors_of(ids) @ query[0]
        for (eid, pos), sim in zip(owners, sims, strict=True):
            if eid not in dense or sim > dense[eid][0]:
                dense[eid] = (float(sim), pos)

    def decide(self, text: str) -> FaqDecision:
        """Answer, suggest ("did you mean…", up to ``max_suggestions``) or neither."""
        return self.decide_hits(self.search(text, max(5, self.config.max_suggestions)))

    def may_answer(self, hit: FaqHit) -> bool:
        """Whether ``hit`` passes the guards an answer needs besides its confidence.

        The base's calibration knows only its own questions, never one from outside it: a
        base whose held-out phrasings are all recognised trusts any probability, and the head
        maps an unrelated question onto some entry. So an answer also needs the head to
        favour the entry, the message to resemble one of the entry's phrasings, and to say
        more than a topic word.
        """
        if hit.too_short:
            return False
        if hit.path == "hybrid" and hit.probability < self.config.min_head_probability:
            return False
        return hit.path == "bm25" or hit.similarity >= self.config.min_answer_similarity

    def decide_hits(self, hits: Sequence[FaqHit]) -> FaqDecision:
        """The decision for hits already found (see :meth:`decide`)."""
        if not hits:
            return FaqDecision("none", (), 0.0)
        best = hits[0]
        if best.shared:
            # Staff gave two entries this very phrasing (the editor warns them that it is
            # suggested at most): the head trained on both favoured one and it was answered.
            shared = [hit for hit in hits if hit.exact] or [best]
            return FaqDecision(
                "suggest", tuple(shared[: self.config.max_suggestions]), best.confidence
            )
        answer_at, suggest_at = self.config.thresholds(best.path)
        if best.confidence >= answer_at and self.may_answer(best):
            return FaqDecision("answer", (best,), best.confidence)
        # One word names a topic ("delivery"): its entries are offered when they resemble
        # it, however unsure the calibration (fitted on whole questions) is of one of them.
        # It got "Sorry, I didn't get that" where the right entry was the best match.
        topic = best.too_short and best.similarity >= self.config.min_answer_similarity
        if best.confidence >= suggest_at or topic:
            window = best.score - self.config.suggest_window
            # Entries asked the same way are all offered (the chat tells their buttons
            # apart): one stood for both, and the other's answer could never be chosen.
            near = [hit for hit in hits if hit.score >= window and hit.confidence > 0.0]
            return FaqDecision(
                "suggest", tuple(near[: self.config.max_suggestions]), best.confidence
            )
        return FaqDecision("none", (), best.confidence)
