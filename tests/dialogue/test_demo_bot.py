"""The demo bot with its real trained NLU model: its own test conversations all pass."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import create_db_engine
from bot.services import Services, build_services
from bot.settings import load_settings
from bot.story_tests import run_story

pytestmark = pytest.mark.slow


@pytest.fixture
async def demo_services(
    trained_demo: Path,
    new_database,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> AsyncIterator[Services]:
    settings = load_settings(
        database_url=new_database("sqlite"), project_dir=trained_demo, data_dir=tmp_path / "var"
    )
    engine = create_db_engine(settings.database_url)
    services = await build_services(settings, engine)
    assert services.retriever is not None
    services.retriever.wait_adapted(timeout=120)
    yield services
    await services.aclose()
    engine.dispose()


async def test_every_demo_test_story_passes(demo_services: Services) -> None:
    assert demo_services.project is not None and demo_services.dialogue is not None
    stories = demo_services.project.test_stories
    assert len(stories) >= 10
    failures = []
    for story in stories:
        result = await run_story(demo_services.dialogue, story)
        if not result.passed:
            failures.append(result.failure)
    assert failures == []


async def test_keyboard_mash_is_not_understood_rather_than_guessed(
    demo_services: Services,
) -> None:
    assert demo_services.dialogue is not None
    for i, mash in enumerate(("asdkjh qweoiu zxcmn", "ueue ieie", "qqqq")):
        replies = await demo_services.dialogue.handle(f"mash-{i}", mash)
        said = " ".join(m.text or "" for m in replies)
        assert "didn't quite get that" in said, (mash, said)
        assert not any(m.buttons for m in replies), (mash, said)
    gift = await demo_services.dialogue.handle("real", "Do you sell gift cards?")
    assert "gift card" in " ".join(m.text or "" for m in gift).lower()
