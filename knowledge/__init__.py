"""FAQ knowledge base: entries with history, import/export, FAISS + BM25 retrieval, sync.

Names load on first use, so that importing one light module of the package (its tables, its
errors) does not load torch, transformers and faiss with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.adaptation import EntryHead, HeadConfig
    from knowledge.base import FaqBase, UpsertResult
    from knowledge.embeddings import EmbeddingCache, Encoder
    from knowledge.entries import (
        Button,
        ChangeSet,
        FaqDraft,
        FaqEntry,
        Link,
        Revision,
        same_words,
    )
    from knowledge.errors import (
        EntryNotFound,
        EntryStateError,
        ImportValidationError,
        IndexCorruptError,
        InvalidEntryError,
        KeyTakenError,
        KnowledgeError,
        RowError,
        StaleEditError,
        StaleImportError,
    )
    from knowledge.evaluation import (
        EvaluationReport,
        LabelledQuery,
        QueryOutcome,
        evaluate,
        load_queries,
    )
    from knowledge.index import FaqIndex, IndexState
    from knowledge.retriever import FaqDecision, FaqHit, FaqRetriever
    from knowledge.scoring import Calibration, RetrieverConfig
    from knowledge.sync import FaqSync, announce_revision
    from knowledge.transfer import (
        export_file,
        import_data,
        import_file,
        read_data,
        read_file,
        render,
    )
    from knowledge.vectors import VectorConfig
    from knowledge.wal import enable_wal

_HOME = {
    "Button": "knowledge.entries",
    "Calibration": "knowledge.scoring",
    "ChangeSet": "knowledge.entries",
    "EmbeddingCache": "knowledge.embeddings",
    "Encoder": "knowledge.embeddings",
    "EntryHead": "knowledge.adaptation",
    "EntryNotFound": "knowledge.errors",
    "EntryStateError": "knowledge.errors",
    "EvaluationReport": "knowledge.evaluation",
    "FaqBase": "knowledge.base",
    "FaqDecision": "knowledge.retriever",
    "FaqDraft": "knowledge.entries",
    "FaqEntry": "knowledge.entries",
    "FaqHit": "knowledge.retriever",
    "FaqIndex": "knowledge.index",
    "FaqRetriever": "knowledge.retriever",
    "FaqSync": "knowledge.sync",
    "HeadConfig": "knowledge.adaptation",
    "ImportValidationError": "knowledge.errors",
    "IndexCorruptError": "knowledge.errors",
    "IndexState": "knowledge.index",
    "InvalidEntryError": "knowledge.errors",
    "KeyTakenError": "knowledge.errors",
    "KnowledgeError": "knowledge.errors",
    "LabelledQuery": "knowledge.evaluation",
    "QueryOutcome": "knowledge.evaluation",
    "Link": "knowledge.entries",
    "RetrieverConfig": "knowledge.scoring",
    "Revision": "knowledge.entries",
    "RowError": "knowledge.errors",
    "StaleEditError": "knowledge.errors",
    "StaleImportError": "knowledge.errors",
    "UpsertResult": "knowledge.base",
    "VectorConfig": "knowledge.vectors",
    "announce_revision": "knowledge.sync",
    "enable_wal": "knowledge.wal",
    "evaluate": "knowledge.evaluation",
    "export_file": "knowledge.transfer",
    "import_data": "knowledge.transfer",
    "import_file": "knowledge.transfer",
    "load_queries": "knowledge.evaluation",
    "read_data": "knowledge.transfer",
    "read_file": "knowledge.transfer",
    "render": "knowledge.transfer",
    "same_words": "knowledge.entries",
}
__all__ = [
    "Button",
    "Calibration",
    "ChangeSet",
    "EmbeddingCache",
    "Encoder",
    "EntryHead",
    "EntryNotFound",
    "EntryStateError",
    "EvaluationReport",
    "FaqBase",
    "FaqDecision",
    "FaqDraft",
    "FaqEntry",
    "FaqHit",
    "FaqIndex",
    "FaqRetriever",
    "FaqSync",
    "HeadConfig",
    "ImportValidationError",
    "IndexCorruptError",
    "IndexState",
    "InvalidEntryError",
    "KeyTakenError",
    "KnowledgeError",
    "LabelledQuery",
    "Link",
    "QueryOutcome",
    "RetrieverConfig",
    "Revision",
    "RowError",
    "StaleEditError",
    "StaleImportError",
    "UpsertResult",
    "VectorConfig",
    "announce_revision",
    "enable_wal",
    "evaluate",
    "export_file",
    "import_data",
    "import_file",
    "load_queries",
    "read_data",
    "read_file",
    "render",
    "same_words",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'knowledge' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
