"""The FAQ base as the dialogue manager sees it: decide on a question, fetch a chosen entry."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from bot.dialogue import FaqAnswer, FaqChoice
from bot.project import Project
from bot.settings import Settings
from knowledge import EntryNotFound, FaqBase, FaqEntry, FaqHit, FaqRetriever, RetrieverConfig
from nlu import SentenceEncoder


def retriever_config(project: Project) -> RetrieverConfig:
    """The retriever's calibrated thresholds, unless the project sets its own."""
    thresholds = project.config.thresholds
    config = RetrieverConfig()
    if thresholds.faq_answer is not None:
        config = replace(config, answer_threshold=thresholds.faq_answer)
    if thresholds.faq_suggest is not None:
        config = replace(config, suggest_threshold=thresholds.faq_suggest)
    if thresholds.faq_min_similarity is not None:
        # A project that set the offer floor for its own encoder's cosine scale before the
        # answer floor existed keeps answering as it did: 0.4 means something else there.
        config = replace(
            config,
            min_similarity=thresholds.faq_min_similarity,
            min_answer_similarity=thresholds.faq_min_similarity,
        )
    if thresholds.faq_answer_similarity is not None:
        config = replace(config, min_answer_similarity=thresholds.faq_answer_similarity)
    if thresholds.faq_answer_words is not None:
        config = replace(config, min_answer_words=thresholds.faq_answer_words)
    return config


def build_retriever(project: Project, settings: Settings, base: FaqBase) -> FaqRetriever:
    """The FAQ retriever a process serves with (not started: call ``start()``)."""
    encoder = SentenceEncoder(
        settings.encoder, device=settings.device, threads=settings.torch_threads
    )
    return FaqRetriever(
        base, encoder, data_dir=settings.data_dir / "faq", config=retriever_config(project)
    )


def _answer(entry: FaqEntry, score: float, exact: bool = False) -> FaqAnswer:
    buttons: tuple[dict[str, Any], ...] = tuple(
        {"title": b.title, "payload": b.payload} for b in entry.buttons
    )
    links: tuple[dict[str, Any], ...] = tuple({"title": x.title, "url": x.url} for x in entry.links)
    return FaqAnswer(
        key=entry.external_key,
        question=entry.question,
        answer=entry.answer,
        score=round(float(score), 4),
        buttons=buttons,
        links=links,
        exact=exact,
    )


def _from_hit(hit: FaqHit) -> FaqAnswer:
    return _answer(hit.entry, hit.confidence, hit.exact)


class KnowledgeFaq:
    """Adapts `knowledge.FaqRetriever` (thread-safe, blocking) to the async `FaqSource`."""

    def __init__(self, retriever: FaqRetriever, base: FaqBase) -> None:
        self.retriever = retriever
        self.base = base

    async def decide(self, text: str) -> FaqChoice:
        decision = await asyncio.to_thread(self.retriever.decide, text)
        return FaqChoice(decision.kind, tuple(_from_hit(h) for h in decision.hits))

    async def has_phrasing(self, text: str) -> bool:
        return self.retriever.has_phrasing(text)  # a dictionary lookup: no thread needed

    async def entry(self, key: str) -> FaqAnswer | None:
        try:
            entry = await asyncio.to_thread(self.base.get_by_key, key)
        except EntryNotFound:
            return None
        return _answer(entry, 1.0) if entry.searchable else None
