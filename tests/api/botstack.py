"""A small real bot for API and browser tests: the real DialogueManager, FAQ base, retriever
(BM25 mode) and FAQ port, with a keyword parser standing in for the trained NLU model.

Browser tests use the demo project and its trained model instead when they are available.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import uvicorn
from fastapi import FastAPI

from bot.api.context import ApiContext
from bot.dialogue import dialogue_from_project
from bot.faq_source import KnowledgeFaq
from bot.project import load_project
from bot.services import Services
from knowledge import FaqBase, FaqDraft, FaqRetriever, RetrieverConfig
from tests.ports import free_port

PROJECT = Path(__file__).parent / "project"
FAQ_ENTRIES = (
    FaqDraft(
        external_key="opening-hours",
        question="When are you open?",
        answer="We are open from 9 to 5, Monday to Friday.",
        alternatives=("What are your opening hours?", "opening times"),
    ),
    FaqDraft(
        external_key="returns",
        question="How do I return an item?",
        answer="You can return any item within 30 days for a full refund.",
        alternatives=("return policy", "can I send something back"),
    ),
    FaqDraft(
        external_key="shipping",
        question="How much does shipping cost?",
        answer="Shipping is free on orders over 50 euros.",
        alternatives=("delivery price", "shipping fees"),
    ),
)
KEYWORDS = (
    (re.compile(r"\b(hello|hi|hey)\b", re.I), "greet"),
    (re.compile(r"\b(human|person|agent)\b", re.I), "human_handoff"),
    (re.compile(r"\border\b", re.I), "check_order"),
    (re.compile(r"\b(stop|cancel)\b", re.I), "stop"),
)
ORDER_NUMBER = re.compile(r"\b\d{4,}\b")


class KeywordParser:
    """Rasa parse JSON from keywords: a stand-in for the trained NLU model."""

    async def parse(self, text: str) -> dict[str, Any]:
        intent, confidence = "faq", 0.8
        for pattern, name in KEYWORDS:
            if pattern.search(text):
                intent, confidence = name, 0.95
                break
        else:
            if "xyzzy" in text.lower():
                intent, confidence = "nlu_fallback", 0.1
        entities = [
            {
                "entity": "order_number",
                "start": m.start(),
                "end": m.end(),
                "value": m.group(),
                "confidence_entity": 0.99,
                "extractor": "keywords",
            }
            for m in ORDER_NUMBER.finditer(text)
        ]
        if entities and intent == "faq":
            intent = "inform"
        ranking = [{"name": intent, "confidence": confidence}]
        return {
            "text": text,
            "intent": ranking[0],
            "intent_ranking": ranking,
            "entities": entities,
        }


class HashEncoder:
    """A deterministic encoder (BM25 mode never embeds queries; the index embeds phrasings)."""

    name = "hash-encoder"
    dimension = 16

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            digest = hashlib.sha256(text.encode()).digest()[: self.dimension]
            row = np.frombuffer(digest, dtype=np.uint8).astype(np.float32) + 1.0
            rows.append(row / np.linalg.norm(row))
        return np.stack(rows) if rows else np.zeros((0, self.dimension), np.float32)


def make_components(project: Path = PROJECT, *, seed_faq: bool = True) -> Any:
    """A ``components`` factory for ``create_app``: the real dialogue manager and FAQ."""

    @asynccontextmanager
    async def build(services: Services) -> AsyncIterator[dict[str, Any]]:
        base = FaqBase(services.engine)
        if seed_faq and not base.list():
            base.upsert_many(FAQ_ENTRIES, author="tests")
        retriever = FaqRetriever(
            base,
            HashEncoder(),
            config=RetrieverConfig(
                mode="bm25", adapt=False, answer_threshold=0.4, suggest_threshold=0.2
            ),
        )
        retriever.start()
        retriever.index.wait_lexical(timeout=60)
        dialogue = dialogue_from_project(
            load_project(project),
            store=services.sessions,
            transcripts=services.transcripts,
            parser=KeywordParser(),
            faq=KnowledgeFaq(retriever, base),
        )
        try:
            yield {"dialogue": dialogue, "faq": base, "retriever": retriever}
        finally:
            retriever.close()

    return build


def app_from_environment() -> FastAPI:
    """An app factory for uvicorn's worker processes: settings from ``DESKBOT_*`` variables,
    the test components (``uvicorn botstack:app_from_environment --factory --workers N``)."""
    from bot.api import create_app
    from bot.settings import load_settings

    return create_app(load_settings(), components=make_components())


def context_of(app: FastAPI) -> ApiContext:
    context: ApiContext = app.state.deskbot
    return context


def bearer(app: FastAPI, role: str, name: str = "") -> dict[str, str]:
    token, _ = context_of(app).services.tokens.create(role, name or role)
    return {"Authorization": f"Bearer {token}"}


@dataclass
class LiveServer:
    url: str
    app: FastAPI
    server: uvicorn.Server

    @property
    def context(self) -> ApiContext:
        return context_of(self.app)


def start_server(app: FastAPI, timeout: float = 30.0) -> tuple[LiveServer, threading.Thread]:
    """Serve ``app`` with uvicorn in a thread on a free port; returns once it accepts."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    return LiveServer(f"http://127.0.0.1:{port}", app, server), thread


def stop_server(live: LiveServer, thread: threading.Thread) -> None:
    live.server.should_exit = True
    thread.join(timeout=30)


def fresh_rate_window(needed: float = 10.0) -> None:
    """Wait for the next rate-limit minute if fewer than ``needed`` seconds are left of this
    one: counts are per fixed minute, so a test's messages straddling two minutes were all
    allowed (a flaky 200 where 429 was due)."""
    from bot.api.ratelimit import WINDOW_SECONDS

    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < needed:
        time.sleep(left + 0.05)
