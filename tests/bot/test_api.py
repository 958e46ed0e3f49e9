from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from bot import db
from bot.api import create_app
from bot.settings import load_settings


def test_health_answers_and_the_lifespan_builds_and_closes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    db.upgrade(url)
    app = create_app(load_settings(database_url=url, data_dir=tmp_path))
    assert not hasattr(app.state, "deskbot")  # nothing built before the lifespan
    with TestClient(app) as client:
        response = client.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert app.state.deskbot.services.transcripts is not None
        assert client.get("/no-such-route").status_code == 404
