"""Operations endpoints, error shapes, docs, pages and the first-start admin token."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from botstack import make_components
from fastapi.testclient import TestClient

from bot.api import create_app, pages
from bot.settings import Settings


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_checks_the_model_and_the_database(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True, "detail": "ok"}
    assert body["checks"]["nlu"]["ok"] is True


def test_ready_is_503_with_details_when_something_is_missing(
    settings_for: Callable[..., Settings],
) -> None:
    settings = settings_for(redis_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(settings)) as client:  # no bot, and Redis unreachable
        response = client.get("/ready")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["dialogue"] == {"ok": False, "detail": "the dialogue manager is not loaded"}
        assert checks["redis"]["ok"] is False
        assert "Connection" in checks["redis"]["detail"]
        assert checks["database"]["ok"] is True


def test_metrics_count_turns_intents_faq_and_handoffs(client: TestClient) -> None:
    for text in ("hello", "When are you open?", "I want a person"):
        assert client.post("/webhooks/rest/webhook", json={"sender": "m", "message": text})
    client.post("/model/parse", json={"text": "hello"})
    client.get("/no-such-page")
    text = client.get("/metrics").text
    assert 'deskbot_turn_seconds_count{channel="rest"} 3.0' in text
    # the three turns' parses and /model/parse's; chat turns were not counted
    assert "deskbot_nlu_seconds_count 4.0" in text
    assert 'deskbot_intents_total{intent="greet"} 1.0' in text
    assert 'deskbot_faq_decisions_total{decision="answer"} 1.0' in text
    assert 'deskbot_handoffs_total{to="pending_human"} 1.0' in text
    assert 'deskbot_errors_total{error="NotFound"} 1.0' in text


def test_metrics_registries_are_per_app(
    client: TestClient, settings_for: Callable[..., Settings]
) -> None:
    client.post("/webhooks/rest/webhook", json={"sender": "m", "message": "hello"})
    with TestClient(create_app(settings_for(), components=make_components())) as other:
        assert 'deskbot_turn_seconds_count{channel="rest"}' not in other.get("/metrics").text


def test_errors_are_json_with_error_and_detail(client: TestClient) -> None:
    missing = client.get("/no-such-route")
    assert missing.status_code == 404
    assert missing.json() == {"error": "NotFound", "detail": "Not Found"}
    wrong_method = client.delete("/webhooks/rest/webhook")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "HTTPError"


def test_openapi_docs(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    # Everything the page loads comes from deskbot itself: it works on an offline machine.
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert "/vendor/swagger-ui-bundle.js" in assets and "/vendor/swagger-ui.css" in assets
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))]
    for asset in ("/vendor/swagger-ui-bundle.js", "/vendor/swagger-ui.css"):
        assert client.get(asset).status_code == 200
    assert client.get("/redoc").status_code == 404
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/webhooks/rest/webhook",
        "/model/parse",
        "/ready",
        "/api/agent/conversations",
        "/api/faq/entries",
        "/api/faq/try",
    ):
        assert path in paths


def test_pages_and_assets_are_served(client: TestClient) -> None:
    for path, kind in (
        ("/", "text/html"),
        ("/agent", "text/html"),
        ("/admin/faq", "text/html"),
        ("/widget.js", "text/javascript"),
        ("/message-text.js", "text/javascript"),
        ("/widget.css", "text/css"),
        ("/vendor/socket.io.min.js", "text/javascript"),
        ("/favicon.ico", "image/svg+xml"),  # asked for by every browser on every page
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(kind), path
    assert '<script src="/widget.js"' in client.get("/").text
    assert client.get("/widget.js?_n=../../etc/passwd").text.startswith("/*")
    # An embedding site loads one file: the message renderer the widget needs comes first.
    widget = client.get("/widget.js")
    assert widget.headers["cache-control"] == "public, max-age=300"
    renderer = client.get("/message-text.js").text
    assert widget.text.startswith(renderer) and "window.Deskbot = Deskbot" in widget.text
    assert client.get("/etc/passwd").status_code == 404


def test_a_page_asked_for_again_unchanged_is_not_sent_again(client: TestClient) -> None:
    for path in ("/widget.js", "/widget.css", "/agent"):
        first = client.get(path)
        etag = first.headers["etag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.content == b"" and again.headers["etag"] == etag
        assert again.headers["cache-control"] == "public, max-age=300"
        weak = client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
        assert weak.status_code == 304, path
        stale = client.get(path, headers={"If-None-Match": '"not-this-one"'})
        assert stale.status_code == 200 and stale.content == first.content, path
    # the bundle's tag is its own, not one of its parts'
    assert (
        client.get("/widget.js").headers["etag"] != client.get("/message-text.js").headers["etag"]
    )


def test_monitors_may_ask_with_head(client: TestClient) -> None:
    # An uptime monitor probing with HEAD got 405 and called the bot down.
    assert client.head("/health").status_code == 200
    assert client.head("/ready").status_code == client.get("/ready").status_code == 200
    for path in ("/", "/widget.js", "/favicon.ico"):
        full = client.get(path)
        head = client.head(path)
        assert head.status_code == 200, path
        assert head.headers["etag"] == full.headers["etag"], path
        assert head.headers["content-length"] == str(len(full.content)), path
        again = client.head(path, headers={"If-None-Match": full.headers["etag"]})
        assert again.status_code == 304, path
    assert "head" not in client.get("/openapi.json").json()["paths"]["/health"]


def test_an_updated_file_gets_a_new_etag(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = tmp_path / "web"
    web.mkdir()
    for name in ("message-text.js", "widget.js"):
        (web / name).write_text(f"/* {name} */", encoding="utf-8")
    monkeypatch.setattr(pages, "WEB_DIR", web)
    first = client.get("/widget.js")
    assert first.text == "/* message-text.js */\n/* widget.js */"
    (web / "widget.js").write_text("/* widget.js, version 2 */", encoding="utf-8")
    again = client.get("/widget.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200 and again.text.endswith("version 2 */")
    assert again.headers["etag"] != first.headers["etag"]


def test_first_start_prints_and_saves_an_admin_token(
    settings_for: Callable[..., Settings], tmp_path: Path, capsys: object
) -> None:
    settings = settings_for(bootstrap_admin_token=True, data_dir=tmp_path / "data")
    with TestClient(create_app(settings)) as client:
        path = tmp_path / "data" / "admin-token.txt"
        token = path.read_text().strip()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        me = client.get("/api/agent/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["role"] == "admin"
    with TestClient(create_app(settings)):
        assert path.read_text().strip() == token  # not replaced once an admin token exists


def test_a_serving_app_purges_expired_conversation_state(
    settings_for: Callable[..., Settings],
) -> None:
    # Expired rows are never read, but only a serving process removes them (at start, then
    # hourly): a row left by an earlier run is gone once the app is up.
    import asyncio
    import time

    from sqlalchemy import select

    from bot.db import create_db_engine, upgrade
    from bot.sessions import SqlSessionStore
    from bot.state import Conversation
    from bot.tables import session_states

    settings = settings_for()
    upgrade(settings.database_url)
    engine = create_db_engine(settings.database_url)
    store = SqlSessionStore(engine, ttl_seconds=0.01)
    asyncio.run(store.save(Conversation(id="left-over"), 0))
    time.sleep(0.05)

    def rows() -> list[str]:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(select(session_states.c.conversation_id))]

    assert rows() == ["left-over"]
    with TestClient(create_app(settings, components=make_components())):
        deadline = time.monotonic() + 10
        while rows() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert rows() == []
    engine.dispose()
