"""Rasa's REST channel, /model/parse, the widget history, limits and CORS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botstack import make_components
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.settings import Settings

WEBHOOK = "/webhooks/rest/webhook"


def say(client: TestClient, sender: str, text: str, **extra: Any) -> list[dict[str, Any]]:
    response = client.post(WEBHOOK, json={"sender": sender, "message": text, **extra})
    assert response.status_code == 200, response.text
    replies: list[dict[str, Any]] = response.json()
    return replies


def test_rest_status(client: TestClient) -> None:
    assert client.get("/webhooks/rest/").json() == {"status": "ok"}


def test_rest_webhook_answers_in_rasa_format(client: TestClient) -> None:
    replies = say(client, "rest-1", "hello", metadata={"page": "/"})
    assert replies == [
        {
            "recipient_id": "rest-1",
            "text": "Hello! How can I help?",
            "buttons": [
                {"title": "Check an order", "payload": "/check_order"},
                {"title": "Talk to a person", "payload": "/human_handoff"},
            ],
        }
    ]
    faq = say(client, "rest-1", "How much does shipping cost?")
    assert faq == [{"recipient_id": "rest-1", "text": "Shipping is free on orders over 50 euros."}]


def test_an_intent_shortcut_skips_nlu(client: TestClient) -> None:
    replies = say(client, "rest-2", "/check_order")
    assert replies[0]["text"] == "What is your order number?"


def test_validation_errors_name_the_field(client: TestClient) -> None:
    response = client.post(WEBHOOK, json={"sender": "x"})
    assert response.status_code == 422
    assert response.json() == {"error": "ValidationError", "detail": "message: Field required"}
    for shows_nothing in ("  ", "\u0000\u0001", "\u200b\u200b", "\t\n"):
        blank = client.post(WEBHOOK, json={"sender": "x", "message": shows_nothing})
        assert blank.status_code == 422, repr(shows_nothing)
        assert blank.json()["detail"] == "message: must not be empty"
    for shows_something in ("🙂", "?", "ok\u0000", "\U0001fae9", "\ue000"):
        assert client.post(WEBHOOK, json={"sender": "x", "message": shows_something}).is_success
    bad = client.post(WEBHOOK, content=b"not json", headers={"content-type": "application/json"})
    assert bad.status_code == 422 and bad.json()["error"] == "ValidationError"


def test_a_message_over_the_size_limit_is_refused_with_413(client: TestClient) -> None:
    response = client.post(WEBHOOK, json={"sender": "big", "message": "a" * 2001})
    assert response.status_code == 413
    assert response.json() == {
        "error": "MessageTooLarge",
        "detail": "message is 2001 characters; the limit is 2000",
    }


def test_rate_limits_per_conversation_and_per_address(
    settings_for: Callable[..., Settings],
) -> None:
    settings = settings_for(rate_limit_conversation=3, rate_limit_address=5)
    with TestClient(create_app(settings, components=make_components())) as client:
        for _ in range(3):
            say(client, "busy", "hello")
        limited = client.post(WEBHOOK, json={"sender": "busy", "message": "hello"})
        assert limited.status_code == 429
        assert "this conversation (limit 3 per minute)" in limited.json()["detail"]
        say(client, "other", "hello")  # address count is now 5 (the refused one counted)
        by_address = client.post(WEBHOOK, json={"sender": "third", "message": "hello"})
        assert by_address.status_code == 429
        assert "this address" in by_address.json()["detail"]
        metrics = client.get("/metrics").text
        assert 'deskbot_rate_limited_total{scope="turn"} 2.0' in metrics


def test_model_parse_returns_rasa_parse_json(client: TestClient) -> None:
    parsed = client.post("/model/parse", json={"text": "where is order 12345"}).json()
    assert parsed["text"] == "where is order 12345"
    assert parsed["intent"]["name"] == "check_order"
    assert parsed["entities"][0]["value"] == "12345"
    assert parsed["entities"][0]["start"] == 15
    shortcut = client.post("/model/parse", json={"text": '/greet{"name": "Ann"}'}).json()
    assert shortcut["intent"]["name"] == "greet"
    assert client.post("/model/parse", json={}).status_code == 422
    for shows_nothing in ("", " ", "\u0000", "\u200b\n"):
        blank = client.post("/model/parse", json={"text": shows_nothing})
        assert blank.status_code == 422, repr(shows_nothing)
        assert blank.json()["detail"] == "text: must not be empty"


def test_widget_history_is_scoped_to_the_session(client: TestClient) -> None:
    say(client, "hist-1", "hello")
    say(client, "hist-1", "/check_order")
    say(client, "hist-2", "When are you open?")
    history = client.get("/api/widget/history/hist-1").json()
    assert history["session_id"] == "hist-1"
    assert [(m["sender"], m["text"]) for m in history["messages"]] == [
        ("user", "hello"),
        ("bot", "Hello! How can I help?"),
        ("bot", "What is your order number?"),
    ]
    assert history["messages"][1]["buttons"][0]["payload"] == "/check_order"
    assert client.get("/api/widget/history/nobody").json()["messages"] == []


def test_cors_allows_only_configured_origins(settings_for: Callable[..., Settings]) -> None:
    settings = settings_for(cors_origins=["https://shop.example"])
    with TestClient(create_app(settings, components=make_components())) as client:
        preflight = client.options(
            WEBHOOK,
            headers={
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
        other = client.get("/webhooks/rest/", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        handshake = "/socket.io/?EIO=4&transport=polling"
        allowed = client.get(handshake, headers={"Origin": "https://shop.example"})
        assert allowed.status_code == 200 and allowed.text.startswith("0{")
        assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
        refused = client.get(handshake, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 400
        assert client.get(handshake).status_code == 200  # no Origin: not a browser


def test_without_a_bot_the_channels_say_so(settings_for: Callable[..., Settings]) -> None:
    with TestClient(create_app(settings_for())) as client:  # no project, no components
        response = client.post(WEBHOOK, json={"sender": "a", "message": "hi"})
        assert response.status_code == 503
        assert "dialogue manager is not loaded" in response.json()["detail"]
