"""Rasa's REST channel, /model/parse, the widget history, limits and CORS."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from botstack import fresh_rate_window, make_components
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.api.bodylimit import readable_size
from bot.settings import Settings
from bot.transcripts import TranscriptEvent

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


def test_a_message_without_a_sender_is_rasas_default_conversation(client: TestClient) -> None:
    first = client.post(WEBHOOK, json={"message": "hello"})
    assert first.status_code == 200 and first.json()[0]["recipient_id"] == "default"
    again = client.post(WEBHOOK, json={"sender": "default", "message": "/check_order"})
    assert again.json()[0]["recipient_id"] == "default"
    # As Rasa reads them: null is "default", a number its digits (both were 422)
    unnamed = client.post(WEBHOOK, json={"sender": None, "message": "12345"})
    assert unnamed.json()[0]["recipient_id"] == "default"
    numbered = client.post(WEBHOOK, json={"sender": 4711, "message": "hello"})
    assert numbered.status_code == 200 and numbered.json()[0]["recipient_id"] == "4711"
    for wrong in (True, {"id": 1}, [1]):
        refused = client.post(WEBHOOK, json={"sender": wrong, "message": "hello"})
        assert refused.status_code == 422 and "sender" in refused.json()["detail"], wrong


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
        assert blank.json() == {"error": "ValidationError", "detail": "message: must not be empty"}
    for shows_something in ("🙂", "?", "ok\u0001", "\U0001fae9", "\ue000"):
        assert client.post(WEBHOOK, json={"sender": "x", "message": shows_something}).is_success
    # A NUL cannot be stored (PostgreSQL refuses it): said, rather than a 500 there.
    nul = client.post(WEBHOOK, json={"sender": "x", "message": "ok\u0000"})
    assert nul.status_code == 422
    assert (
        nul.json()["detail"]
        == "message: contains a NUL character (\\u0000), which cannot be stored"
    )
    # The console and the widget history address a conversation by its id in a URL path.
    for unreachable in ("a/b", ".", "..", "", "line\nbreak", "x" * 201):
        refused = client.post(WEBHOOK, json={"sender": unreachable, "message": "hi"})
        assert refused.status_code == 422, unreachable
        assert refused.json()["detail"].startswith("sender: sender id must be"), unreachable
    # curl -d "sender=x&message=hi" sends a form; the error says what to send instead
    form = client.post(WEBHOOK, data={"sender": "x", "message": "hi"})
    assert form.status_code == 422
    assert form.json()["detail"] == (
        "the body must be JSON sent as Content-Type: application/json, "
        "not application/x-www-form-urlencoded"
    )
    # ... but JSON sent as a form, as by curl -d '{...}' without a header, is read as Rasa
    # reads it; so is /model/parse's.
    for kind in ("application/x-www-form-urlencoded", "text/plain;charset=UTF-8"):
        sent = client.post(
            WEBHOOK,
            content=b' {"sender": "curl", "message": "/greet"}',
            headers={"content-type": kind},
        )
        assert sent.status_code == 200 and sent.json()[0]["recipient_id"] == "curl", sent.text
        parsed = client.post(
            "/model/parse", content=b'{"text": "/greet"}', headers={"content-type": kind}
        )
        assert parsed.json()["intent"]["name"] == "greet", parsed.text
    # A web page's form post keeps its refusal: relabelled, it would skip the CORS preflight.
    cross = client.post(
        WEBHOOK,
        content=b'{"sender": "csrf", "message": "hi"}',
        headers={"content-type": "text/plain", "origin": "https://evil.example"},
    )
    assert cross.status_code == 422
    bad = client.post(WEBHOOK, content=b"not json", headers={"content-type": "application/json"})
    assert bad.status_code == 422 and bad.json()["error"] == "ValidationError"
    assert bad.json()["detail"].startswith("body: not valid JSON at character 0: ")
    for unreadable in (  # Latin-1 bytes; nesting past the JSON parser's recursion limit
        '{"sender": "x", "message": "caf\xe9"}'.encode("latin-1"),
        b'{"sender": "x", "message": "hi", "metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    ):
        refused = client.post(
            WEBHOOK, content=unreadable, headers={"content-type": "application/json"}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] == "ValidationError"
        assert refused.json()["detail"].startswith("body: could not be read as JSON")


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
        fresh_rate_window()
        for _ in range(3):
            say(client, "busy", "hello")
        limited = client.post(WEBHOOK, json={"sender": "busy", "message": "hello"})
        assert limited.status_code == 429
        assert "this conversation (limit 3 per minute)" in limited.json()["detail"]
        retry_after = int(limited.headers["retry-after"])  # seconds to the next window
        assert 1 <= retry_after <= 60 and f"try again in {retry_after} s" in limited.text
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
    assert "response_selector" not in parsed
    # A question the FAQ answers names its entry, as Rasa's ResponseSelector does
    asked = client.post("/model/parse", json={"text": "How much does shipping cost?"}).json()
    chosen = asked["response_selector"]["faq"]["response"]
    assert chosen["intent_response_key"] == "faq/shipping"
    assert chosen["responses"] == [{"text": "Shipping is free on orders over 50 euros."}]
    unsure = client.post("/model/parse", json={"text": "qqq zzz vvv"}).json()
    assert unsure["intent"]["name"] == "faq" and "response_selector" not in unsure
    shortcut = client.post("/model/parse", json={"text": '/greet{"name": "Ann"}'}).json()
    assert shortcut["intent"]["name"] == "greet"
    # as Rasa's: the entity's span is the JSON's (it was 0 to 0)
    assert shortcut["entities"] == [{"entity": "name", "value": "Ann", "start": 6, "end": 21}]
    # Rasa's other forms: a confidence, and JSON cut short (the intent still counts)
    sure = client.post("/model/parse", json={"text": "/greet@0.35"}).json()
    assert sure["intent"] == {"name": "greet", "confidence": 0.35}
    for cut in ("/human_handoff{", '/human_handoff{"reason": "x"', "/human_handoff{oops}"):
        parsed = client.post("/model/parse", json={"text": cut}).json()
        assert parsed["intent"] == {"name": "human_handoff", "confidence": 1.0}, cut
        assert parsed["entities"] == []
    assert client.post("/model/parse", json={}).status_code == 422
    for shows_nothing in ("", " ", "\u0000", "\u200b\n"):
        blank = client.post("/model/parse", json={"text": shows_nothing})
        assert blank.status_code == 422, repr(shows_nothing)
        assert blank.json()["detail"] == "text: must not be empty"


def test_a_text_with_an_image_is_two_messages_live_and_in_the_history(
    client: TestClient,
) -> None:
    # As Rasa sends them: one event with both showed rasa-webchat's image only.
    assert say(client, "img-1", "/show_map") == [
        {"recipient_id": "img-1", "text": "Our shop is here:"},
        {"recipient_id": "img-1", "image": "https://example.com/map.png"},
    ]
    history = client.get("/api/widget/history/img-1").json()["messages"]
    assert history == [
        {"sender": "bot", "text": "Our shop is here:"},
        {"sender": "bot", "text": None, "image": "https://example.com/map.png"},
    ]


def test_widget_history_is_scoped_to_the_session(client: TestClient) -> None:
    say(client, "hist-1", "hello")
    say(client, "hist-1", "/check_order")
    # Typed, not clicked: the greeting's "Talk to a person" button is no longer on offer.
    say(client, "hist-1", "/human_handoff")
    say(client, "hist-1", "/help me please")  # no payload: shown as typed
    say(client, "hist-2", "When are you open?")
    history = client.get("/api/widget/history/hist-1").json()
    assert history["session_id"] == "hist-1"
    shown = [(m["sender"], m["text"]) for m in history["messages"]]
    assert shown[:4] == [
        ("user", "hello"),
        ("bot", "Hello! How can I help?"),
        ("user", "Check an order"),  # the clicked button's title, as the user saw it
        ("bot", "What is your order number?"),
    ]
    assert [who for who, _ in shown[4:6]] == ["bot", "user"]  # the handoff line, no payload
    assert shown[5] == ("user", "/help me please")
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
        # Storage alone still serves the transcripts to agents.
        services = client.app.state.deskbot.services  # type: ignore[attr-defined]
        asyncio.run(
            services.transcripts.append("old", [TranscriptEvent("user", {"text": "hello"})])
        )
        secret, _info = services.tokens.create("agent", "ana")
        read = client.get(
            "/api/agent/conversations/old", headers={"Authorization": f"Bearer {secret}"}
        )
        assert read.status_code == 200, read.text
        assert read.json()["conversation"]["agent"] is None


def test_what_cannot_be_stored_is_refused_and_the_conversation_stays_readable(
    client: TestClient,
) -> None:
    # A lone surrogate is valid JSON (escaped) but no UTF-8 encoder writes it back out.
    def post(url: str, body: dict[str, Any]) -> Any:
        headers = {"content-type": "application/json"}
        content = json.dumps(body).replace("Infinity", "1e400")  # escapes \ud800
        return client.post(url, content=content, headers=headers)

    lone = post(WEBHOOK, {"sender": "u1", "message": "hi \ud800 there"})
    assert lone.status_code == 422 and "surrogate" in lone.json()["detail"]
    assert lone.json()["detail"].startswith("message: ")
    parse = post("/model/parse", {"text": "hi \udfff"})
    assert parse.status_code == 422 and parse.json()["detail"].startswith("text: ")
    for metadata, problem in (
        ({"page": "\ud800"}, "surrogate"),
        ({"a": json.loads("[" * 17 + "]" * 17)}, "nested more than 16 levels"),
        ({"blob": "x" * 20_000}, "the limit is 16384"),
        ({"amount": float("inf")}, "not JSON"),  # sent as 1e400 below; JSON has no infinity
    ):
        refused = post(WEBHOOK, {"sender": "u1", "message": "hi", "metadata": metadata})
        assert refused.status_code == 422 and problem in refused.json()["detail"]
    assert client.get("/api/widget/history/u1").json()["messages"] == []  # nothing was kept
    say(client, "u1", "hello", metadata={"page": "/ok", "tags": [["fine"]]})
    assert client.get("/api/widget/history/u1").json()["messages"][0]["text"] == "hello"


def test_a_deeply_nested_shortcut_payload_is_ignored_not_stored(
    client: TestClient, agent_headers: dict[str, str]
) -> None:
    deep = '/greet{"name": ' + "[" * 900 + "]" * 900 + "}"
    assert say(client, "deep1", deep)[0]["text"] == "Hello! How can I help?"
    parsed = client.post("/model/parse", json={"text": deep}).json()
    assert parsed["intent"]["name"] == "greet" and parsed["entities"] == []
    shallow = client.post("/model/parse", json={"text": '/greet{"name": ["Ann", "Bo"]}'}).json()
    assert [e["value"] for e in shallow["entities"]] == ["Ann", "Bo"]
    for number in ("1e400", "NaN", "-Infinity"):  # no JSON encoder writes these back
        text = '/greet{"name": ' + number + "}"
        parsed = client.post("/model/parse", json={"text": text})
        assert parsed.status_code == 200 and parsed.json()["entities"] == []
        assert say(client, "deep1", text)[0]["text"] == "Hello! How can I help?"
    view = client.get("/api/agent/conversations/deep1", headers=agent_headers)
    assert view.status_code == 200


@pytest.mark.parametrize(
    ("size", "said"),
    [(512, "512 bytes"), (4096, "4 KB"), (5050, "4.9 KB"), (10 * 1024**2, "10 MB"),
     (15_800_000, "15.1 MB"), (1024**2 - 1, "1 MB"), (3 * 1024**3, "3 GB")],
)  # fmt: skip
def test_sizes_in_a_413_read_as_people_write_them(size: int, said: str) -> None:
    assert readable_size(size) == said


def test_a_refused_size_never_reads_as_its_limit() -> None:
    assert readable_size(8193, up=True) == "8.1 KB" != readable_size(8192)
    assert readable_size(1024**3 - 1, up=True) == "1 GB"


def test_request_bodies_over_the_limit_get_413(settings_for: Callable[..., Settings]) -> None:
    settings = settings_for(
        max_body_bytes=4096, max_import_bytes=8192, cors_origins=["https://shop.example"]
    )
    with TestClient(create_app(settings, components=make_components())) as client:
        big = {"sender": "b", "message": "hi", "metadata": {"x": "y" * 5000}}
        declared = client.post(WEBHOOK, json=big, headers={"origin": "https://shop.example"})
        assert declared.status_code == 413
        # A cross-origin page can read why (the limit sits inside CORS).
        assert declared.headers["access-control-allow-origin"] == "https://shop.example"
        sent = readable_size(len(declared.request.content), up=True)
        assert declared.json() == {
            "error": "RequestTooLarge",
            "detail": f"the request body is {sent}; the limit is 4 KB",
        }
        chunks = (b'{"sender": "b", "message": "hi", "metadata": {"x": "', b"y" * 5000, b'"}}')
        streamed = client.post(  # no Content-Length: counted as it arrives
            WEBHOOK, content=iter(chunks), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413 and streamed.json()["error"] == "RequestTooLarge"
        assert client.get("/api/widget/history/b").json()["messages"] == []
        assert say(client, "b", "hello")[0]["text"] == "Hello! How can I help?"
        # An FAQ import has its own limit, and staff are told of their file in its units.
        upload = client.post("/api/faq/import?format=csv", content=b"x" * 10_000)
        assert upload.json()["detail"] == (
            "the uploaded file is 9.8 KB; the limit is 8 KB (DESKBOT_MAX_IMPORT_BYTES): "
            "nothing imported"
        )


def test_widget_history_shows_the_newest_messages_of_a_long_conversation(
    settings_for: Callable[..., Settings], agent_headers: dict[str, str]
) -> None:
    settings = settings_for(rate_limit_conversation=0, rate_limit_address=0)
    with TestClient(create_app(settings, components=make_components())) as client:
        for i in range(400):  # three events a turn: past the 1000 the history reads
            say(client, "long", f'/greet{{"n": {i}}}')
        say(client, "long", "hello, the latest message")
        history = client.get("/api/widget/history/long").json()
        assert history["messages"][-2]["text"] == "hello, the latest message"
        assert len(history["messages"]) == 200
        view = client.get("/api/agent/conversations/long", headers=agent_headers).json()
        assert view["conversation"]["last_seq"] > 1000
