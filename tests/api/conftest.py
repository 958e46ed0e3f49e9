"""Fixtures of the API tests: an app on a fresh SQLite database with the small real bot, a
TestClient, tokens, and a real uvicorn server on a free port for socket.io."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# pytest runs with --import-mode=importlib: put this folder on sys.path for botstack.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest
from botstack import LiveServer, bearer, make_components, start_server, stop_server
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.settings import Settings, load_settings


@pytest.fixture
def settings_for(new_database: Callable[[str], str], tmp_path: Path) -> Callable[..., Settings]:
    """Settings on a fresh database (``kind``: sqlite or postgresql) plus overrides."""

    def make(kind: str = "sqlite", **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": new_database(kind),
            "data_dir": tmp_path / "var",
            "bootstrap_admin_token": False,
            # No project here: build_services serves storage only; make_components adds the bot.
            "project_dir": tmp_path / "no-project",
        }
        values.update(overrides)
        return load_settings(**values)

    return make


@pytest.fixture
def app(settings_for: Callable[..., Settings]) -> FastAPI:
    return create_app(settings_for(), components=make_components())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def agent_headers(client: TestClient, app: FastAPI) -> dict[str, str]:
    return bearer(app, "agent", "ana")


@pytest.fixture
def admin_headers(client: TestClient, app: FastAPI) -> dict[str, str]:
    return bearer(app, "admin", "ada")


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    live, thread = start_server(app)
    yield live
    stop_server(live, thread)
