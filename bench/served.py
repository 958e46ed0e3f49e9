"""The bot as ``deskbot serve`` builds it, over a scratch SQLite database, for benchmarks."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import db
from bot.dialogue import DialogueManager
from bot.services import build_services
from bot.settings import load_settings


@asynccontextmanager
async def served(project: Path, **settings: Any) -> AsyncIterator[DialogueManager]:
    """The project's dialogue manager with its trained NLU model, FAQ base and retriever (its
    entry head fitted), custom actions in process, and the SQL session store; ``settings``
    go to ``load_settings`` (``torch_threads``, say). Needs ``deskbot train`` first."""
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/bench.db"
        db.upgrade(url)
        loaded = load_settings(
            database_url=url, project_dir=project, data_dir=Path(scratch), **settings
        )
        engine = db.create_db_engine(url)
        services = await build_services(loaded, engine)
        try:
            assert services.dialogue is not None and services.retriever is not None
            services.retriever.wait_adapted(120)
            yield services.dialogue
        finally:
            await services.aclose()
            engine.dispose()
