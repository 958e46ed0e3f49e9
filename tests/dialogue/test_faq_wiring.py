"""The dialogue manager answering from the real FAQ base and retriever (real encoder)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.db import create_db_engine
from bot.dialogue import DialogueManager
from bot.faq_source import KnowledgeFaq
from bot.project import Project
from bot.training import seed_faq
from knowledge import FaqBase, FaqRetriever
from nlu import SentenceEncoder


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    encoder = SentenceEncoder(threads=1)
    encoder.warm_up()
    return encoder


@pytest.fixture
def faq_engine(new_database: Callable[[str], str]) -> Iterator[Engine]:
    engine = create_db_engine(new_database("sqlite"))
    yield engine
    engine.dispose()


@pytest.fixture
def wired(
    faq_engine: Engine,
    project: Project,
    encoder: SentenceEncoder,
    make_dm: Callable[..., DialogueManager],
    tmp_path: Path,
) -> Iterator[tuple[DialogueManager, FaqBase, FaqRetriever]]:
    base = FaqBase(faq_engine)
    assert seed_faq(project, base) == 3
    assert seed_faq(project, base) == 0  # files seed an empty base only: staff edits stay
    retriever = FaqRetriever(base, encoder, data_dir=tmp_path / "faq")
    retriever.start()
    retriever.wait_adapted(timeout=60)
    dm = make_dm(faq=KnowledgeFaq(retriever, base))
    yield dm, base, retriever
    retriever.close()


async def test_answers_come_from_the_faq_base_and_follow_edits(wired) -> None:  # type: ignore[no-untyped-def]
    dm, base, retriever = wired
    replies = await dm.handle("w1", "how long does shipping take?")
    assert [m.text for m in replies] == ["Shipping takes 2-4 working days."]
    entry = base.get_by_key("shipping_time")
    base.update(
        entry.id,
        expected_version=entry.version,
        author="staff",
        answer="Shipping now takes 1-2 days.",
        links=[{"title": "Carriers", "url": "https://shop.example/carriers"}],
    )
    retriever.refresh()
    replies = await dm.handle("w1", "how long does shipping take?")
    assert [m.text for m in replies] == ["Shipping now takes 1-2 days."]
    # A link reaches rasa-webchat as a link (type and url), not as a reply that sends its title.
    assert replies[0].to_socketio()["quick_replies"] == [
        {
            "content_type": "text",
            "title": "Carriers",
            "payload": "",
            "type": "web_url",
            "url": "https://shop.example/carriers",
        }
    ]
    page = await dm.transcripts.read("w1", limit=100)
    faq = [e.data["faq"] for e in page.events if e.type == "user"]
    assert faq[0]["entry"] == "shipping_time" and faq[0]["decision"] == "answer"


async def test_an_unrelated_question_is_not_answered(wired) -> None:  # type: ignore[no-untyped-def]
    dm, _base, _retriever = wired
    replies = await dm.handle("w2", "what is the airspeed of an unladen swallow")
    assert [m.text for m in replies] == ["Sorry, could you say that differently?"]
