from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.db import create_db_engine
from bot.dialogue import (
    DialogueManager,
    FaqAnswer,
    FaqChoice,
    build_action_runner,
    dialogue_from_project,
)
from bot.project import Project, load_project
from bot.sessions import SqlSessionStore
from bot.transcripts import TranscriptLog

PROJECT = Path(__file__).parent / "project"


class KeywordFaq:
    """A tiny FAQ source for branch tests: fixed entries picked by keywords.

    The real retriever is exercised in the knowledge tests and in test_faq_wiring.py; here
    the dialogue manager's handling of answer / suggest / none is what is under test.
    """

    def __init__(self) -> None:
        self.entries = {
            "shipping_time": FaqAnswer(
                "shipping_time", "How long does shipping take?", "Shipping takes 2-4 days.", 0.9
            ),
            "pay_card": FaqAnswer(
                "pay_card", "Can I pay by card?", "We take Visa and Mastercard.", 0.4
            ),
            "pay_paypal": FaqAnswer(
                "pay_paypal", "Can I pay with PayPal?", "Yes, PayPal works.", 0.35
            ),
        }

    async def decide(self, text: str) -> FaqChoice:
        lowered = text.lower()
        if "shipping" in lowered:
            return FaqChoice("answer", (self.entries["shipping_time"],))
        if "pay" in lowered:
            return FaqChoice("suggest", (self.entries["pay_card"], self.entries["pay_paypal"]))
        return FaqChoice("none")

    async def has_phrasing(self, text: str) -> bool:
        # As the retriever's: true of a message the search answers with an exact entry.
        choice = await KeywordFaq.decide(self, text)
        return any(option.exact for option in choice.options)

    async def entry(self, key: str) -> FaqAnswer | None:
        return self.entries.get(key)


class AskedFaq(KeywordFaq):
    """The keyword FAQ, recording what it was asked (a turn searches it once per text)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    async def decide(self, text: str) -> FaqChoice:
        self.asked.append(text)
        return await super().decide(text)


class FixedParser:
    """Parses by exact lookup; unknown text is not understood (like a low-confidence model)."""

    def __init__(self, table: dict[str, tuple[str, float]]) -> None:
        self.table = table

    async def parse(self, text: str) -> dict[str, Any]:
        intent, confidence = self.table.get(text, ("nlu_fallback", 0.2))
        return {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": intent, "confidence": confidence}],
            "entities": [],
        }


@pytest.fixture(scope="session")
def project() -> Project:
    return load_project(PROJECT)


@pytest.fixture
def make_dm(
    project: Project, new_database: Callable[[str], str]
) -> AsyncIterator[Callable[..., DialogueManager]]:
    engines = []

    def make(kind: str = "sqlite", **options: Any) -> DialogueManager:
        engine = create_db_engine(new_database(kind))
        engines.append(engine)
        chosen = options.pop("project", project)
        options.setdefault("actions", build_action_runner(chosen))
        options.setdefault("faq", KeywordFaq())
        options.setdefault(
            "parser", FixedParser({"shipping?": ("faq", 0.9), "hi there": ("greet", 0.95)})
        )
        return dialogue_from_project(
            chosen,
            store=options.pop("store", None) or SqlSessionStore(engine),
            transcripts=TranscriptLog(engine),
            **options,
        )

    yield make  # type: ignore[misc]
    for engine in engines:
        engine.dispose()
