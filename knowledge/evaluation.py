"""Measuring a retriever on labelled queries (what ``deskbot evaluate faq`` reports)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from knowledge.errors import ImportValidationError, KnowledgeError, RowError
from knowledge.retriever import FaqRetriever


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    """A test message and the external key of the entry that answers it (None: none does)."""

    query: str
    expected: str | None


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    """Retrieval and decision quality.

    Ranking figures are over queries with an expected entry; ``answer_precision`` counts
    every answer given (out-of-scope queries included), and is None when none was given
    (it read 0.0, as if every answer had been wrong); ``oos_answered`` is the share of
    queries without an expected entry that got an answer; ``answers`` how many got one.
    """

    n: int
    n_oos: int
    recall_at_1: float
    recall_at_5: float
    mrr: float
    answered_right: float
    answer_precision: float | None
    oos_answered: float
    retriever: str
    answers: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return asdict(self)


def load_queries(path: Path, known: Collection[str] | None = None) -> list[LabelledQuery]:
    """Read a JSON list of ``{"query", "expected"}`` (expected: external key or null).

    ``known``: the FAQ's keys, when known before it is built; an expected key not among
    them is then an error beside the others (it came only once they were fixed).

    Raises:
        ImportValidationError: a row lacks a query, has a non-text expected key, or (given
            ``known``) expects an entry the FAQ does not have.
        KnowledgeError: the file is missing or not JSON.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KnowledgeError(f"{path}: cannot read queries ({exc})") from exc
    if not isinstance(data, list):
        raise ImportValidationError(str(path), [RowError(0, "-", "must be a JSON list")])
    queries: list[LabelledQuery] = []
    errors: list[RowError] = []
    for row, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("query"), str):
            errors.append(RowError(row, "query", "missing or not text"))
        elif not item["query"].strip():
            errors.append(RowError(row, "query", "empty"))
        elif "expected" not in item:
            # A misspelt key would otherwise make the query out of scope, silently.
            others = sorted(set(item) - {"query"})
            found = f" (found {', '.join(others)})" if others else ""
            errors.append(
                RowError(row, "expected", f"missing: an entry id, or null for none{found}")
            )
        elif item["expected"] is not None and not isinstance(item["expected"], str):
            errors.append(RowError(row, "expected", "must be an entry id (text) or null"))
        elif known is not None and item["expected"] is not None and item["expected"] not in known:
            errors.append(_unknown(row, item["expected"], known))
        else:
            queries.append(LabelledQuery(item["query"], item["expected"]))
    if errors:
        raise ImportValidationError(str(path), errors, NOTHING_SCORED)
    return queries


NOTHING_SCORED = "nothing scored"


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    """What the retriever did with one labelled query (``deskbot evaluate faq --details``).

    ``decision`` is answer, suggest or none; ``entry`` the best-scoring entry's key, whatever
    the decision; ``rank`` where the expected entry came among the top 10 (None: not
    there, or no entry expected); ``right``: answered with the expected entry, or, for a
    query no entry answers, not answered.
    """

    query: str
    expected: str | None
    decision: str
    entry: str | None
    confidence: float
    rank: int | None
    right: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(
    retriever: FaqRetriever,
    queries: Sequence[LabelledQuery],
    *,
    batch_size: int = 256,
    source: str = "queries",
    outcomes: list[QueryOutcome] | None = None,
) -> EvaluationReport:
    """Search and decide every query with the retriever's own thresholds; score the results.

    ``source`` names the queries in errors; ``outcomes``, when given, receives one
    :class:`QueryOutcome` per query, in order.

    Raises:
        KnowledgeError: there are no queries, or the FAQ base has no entries.
        ImportValidationError: a query expects an entry the base does not have (a typo
            would otherwise count as a miss and lower the score silently).
    """
    if not queries:
        raise KnowledgeError("no queries to score")
    known = {entry.external_key for entry in retriever.base.list(active_only=True)}
    if not known:
        raise KnowledgeError("the FAQ holds no entries to score against")
    unknown = [
        _unknown(row, q.expected, known)
        for row, q in enumerate(queries, start=1)
        if q.expected is not None and q.expected not in known
    ]
    if unknown:
        raise ImportValidationError(source, unknown, NOTHING_SCORED)
    encode = retriever.config.mode != "bm25"
    hits_at_1 = hits_at_5 = answered_right = answers = right_answers = oos_answers = 0
    reciprocal = 0.0
    n = sum(1 for q in queries if q.expected is not None)
    for start in range(0, len(queries), batch_size):
        batch = queries[start : start + batch_size]
        texts = [retriever.spelled(q.query) for q in batch]  # as search() reads them
        vectors = retriever.encoder.encode(texts) if encode else None
        for i, text in enumerate(texts):
            labelled = batch[i]
            query = vectors[i : i + 1] if vectors is not None else None
            hits = retriever.search_encoded(text, query, k=10, written=labelled.query)
            decision = retriever.decide_hits(hits)
            keys = [h.entry.external_key for h in hits]
            answered = decision.kind == "answer"
            right = answered and decision.hits[0].entry.external_key == labelled.expected
            answers += answered
            right_answers += right
            expected = labelled.expected
            rank = keys.index(expected) + 1 if expected is not None and expected in keys else None
            if outcomes is not None:
                outcomes.append(
                    QueryOutcome(
                        query=labelled.query,
                        expected=labelled.expected,
                        decision=decision.kind,
                        entry=keys[0] if keys else None,
                        confidence=round(decision.confidence, 4),
                        rank=rank,
                        right=right if labelled.expected is not None else not answered,
                    )
                )
            if labelled.expected is None:
                oos_answers += answered
                continue
            if rank is not None:
                hits_at_1 += rank == 1
                hits_at_5 += rank <= 5
                reciprocal += 1.0 / rank
            answered_right += right
    n_oos = len(queries) - n
    return EvaluationReport(
        n=n,
        n_oos=n_oos,
        recall_at_1=_share(hits_at_1, n),
        recall_at_5=_share(hits_at_5, n),
        mrr=_share(reciprocal, n),
        answered_right=_share(answered_right, n),
        answer_precision=_share(right_answers, answers) if answers else None,
        oos_answered=_share(oos_answers, n_oos),
        retriever=retriever.config.mode,
        answers=answers,
    )


def _unknown(row: int, key: str, known: Collection[str]) -> RowError:
    match = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    close = f" (did you mean {match[0]!r}?)" if match else ""
    return RowError(row, "expected", f"no FAQ entry has the id {key!r}{close}")


def _share(part: float, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
