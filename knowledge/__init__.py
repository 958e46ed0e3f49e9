"""FAQ knowledge base: entries with history, import/export, FAISS + BM25 retrieval, sync."""

from knowledge.adaptation import EntryHead, HeadConfig
from knowledge.base import FaqBase, UpsertResult
from knowledge.embeddings import EmbeddingCache, Encoder
from knowledge.entries import Button, ChangeSet, FaqDraft, FaqEntry, Link, Revision
from knowledge.errors import (
    EntryNotFound,
    EntryStateError,
    ImportValidationError,
    IndexCorruptError,
    InvalidEntryError,
    KnowledgeError,
    RowError,
    StaleEditError,
)
from knowledge.evaluation import EvaluationReport, LabelledQuery, evaluate, load_queries
from knowledge.index import FaqIndex, IndexState
from knowledge.retriever import FaqDecision, FaqHit, FaqRetriever
from knowledge.scoring import Calibration, RetrieverConfig
from knowledge.sync import FaqSync
from knowledge.transfer import (
    export_file,
    import_data,
    import_file,
    read_data,
    read_file,
    render,
)
from knowledge.vectors import VectorConfig

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
    "KnowledgeError",
    "LabelledQuery",
    "Link",
    "RetrieverConfig",
    "Revision",
    "RowError",
    "StaleEditError",
    "UpsertResult",
    "VectorConfig",
    "evaluate",
    "export_file",
    "import_data",
    "import_file",
    "load_queries",
    "read_data",
    "read_file",
    "render",
]
