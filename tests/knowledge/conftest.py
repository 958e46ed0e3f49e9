"""Fixtures of the knowledge tests: one real sentence encoder per session, small FAQ bases."""
# ruff: noqa: E402

from __future__ import annotations

import os
import sys
from pathlib import Path

# This folder is named like the package it tests; without the repository root first on
# sys.path, pytest's rootdir-relative imports can bind "knowledge" to this folder (a namespace
# package) instead of the real package.
_ROOT = str(Path(__file__).resolve().parents[2])
if getattr(sys.modules.get("knowledge"), "__file__", None) is None:
    sys.modules.pop("knowledge", None)
    if _ROOT not in sys.path:
        sys.path.insert(0, _ROOT)
from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from sqlalchemy import Engine

from knowledge import FaqBase, FaqDraft, FaqRetriever, RetrieverConfig
from nlu.encoder import SentenceEncoder

os.environ.setdefault("HF_HUB_OFFLINE", "1")


class CountingEncoder:
    """The real encoder, counting how many texts it was asked to embed."""

    def __init__(self, inner: SentenceEncoder) -> None:
        self.inner = inner
        self.calls: list[int] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return self.inner.encode(texts)

    def whole_words(self) -> frozenset[str]:
        return self.inner.whole_words()

    @property
    def encoded(self) -> int:
        return sum(self.calls)


@pytest.fixture(scope="session")
def sentence_encoder() -> SentenceEncoder:
    import torch

    torch.set_num_threads(1)
    encoder = SentenceEncoder(device="cpu", threads=1)
    encoder.warm_up()
    return encoder


@pytest.fixture
def encoder(sentence_encoder: SentenceEncoder) -> CountingEncoder:
    return CountingEncoder(sentence_encoder)


SAMPLE = [
    FaqDraft(
        "reset-password",
        "How do I reset my password?",
        "Use 'Forgot password' on the login page.",
        alternatives=("I forgot my password", "cannot log in to my account"),
        tags=("account",),
    ),
    FaqDraft(
        "opening-hours",
        "What are your opening hours?",
        "We are open 9:00-17:00, Monday to Friday.",
        alternatives=("when are you open", "are you open on weekends"),
        tags=("store",),
    ),
    FaqDraft(
        "refund",
        "How do I get a refund?",
        "Refunds are paid within 5 days of the return.",
        alternatives=("I want my money back", "return an item for a refund"),
        tags=("orders",),
    ),
    FaqDraft(
        "shipping-time",
        "How long does delivery take?",
        "Parcels arrive in 2-3 working days.",
        alternatives=("when will my order arrive", "shipping time"),
        tags=("orders",),
    ),
]


@pytest.fixture
def base(db_engine: Engine) -> FaqBase:
    """An empty FAQ base on each database backend."""
    return FaqBase(db_engine)


@pytest.fixture
def sqlite_base(new_database: object) -> Iterator[FaqBase]:
    """An empty FAQ base on SQLite only (for tests that are not about storage)."""
    from bot.db import create_db_engine

    url = new_database("sqlite")  # type: ignore[operator]
    engine = create_db_engine(url)
    yield FaqBase(engine)
    engine.dispose()


@pytest.fixture
def filled(sqlite_base: FaqBase) -> FaqBase:
    sqlite_base.upsert_many(SAMPLE, author="test")
    return sqlite_base


@pytest.fixture
def start_retriever() -> Iterator[object]:
    """Start retrievers (adaptation caught up); they are closed after the test."""
    made: list[FaqRetriever] = []

    def start(
        base: FaqBase, encoder: object, data_dir: Path | None = None, **config: object
    ) -> FaqRetriever:
        retriever = FaqRetriever(
            base,
            encoder,  # type: ignore[arg-type]
            data_dir=data_dir,
            config=RetrieverConfig(**config),  # type: ignore[arg-type]
        )
        retriever.start()
        assert retriever.wait_adapted(30)
        made.append(retriever)
        return retriever

    yield start
    for retriever in made:
        retriever.close()
