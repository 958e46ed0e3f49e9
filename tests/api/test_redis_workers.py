"""Two workers sharing Redis: socket.io delivery across workers and shared rate limits."""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import socketio
from botstack import bearer, free_port, make_components, start_server, stop_server
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.settings import Settings


def test_an_agent_message_sent_through_another_worker_reaches_the_socket(
    settings_for: Callable[..., Settings], redis_url: str
) -> None:
    settings = settings_for(redis_url=redis_url)
    worker_a, thread_a = start_server(create_app(settings, components=make_components()))
    worker_b, thread_b = start_server(create_app(settings, components=make_components()))
    received: queue.Queue[tuple[str, Any]] = queue.Queue()
    user = socketio.Client(reconnection=False)
    user.on("session_confirm", lambda data: received.put(("session_confirm", data)))
    user.on("bot_uttered", lambda data: received.put(("bot_uttered", data)))
    try:
        user.connect(worker_a.url, transports=["polling"])
        session_id = uuid.uuid4().hex
        user.emit("session_request", {"session_id": session_id})
        assert received.get(timeout=10) == ("session_confirm", session_id)
        user.emit("user_uttered", {"message": "I want a person", "session_id": session_id})
        assert received.get(timeout=10)[0] == "bot_uttered"
        headers = bearer(worker_b.app, "agent", "bo")
        base = f"{worker_b.url}/api/agent/conversations/{session_id}"
        assert httpx.post(f"{base}/takeover", headers=headers).status_code == 200
        time.sleep(0.5)  # let worker A's Redis listener subscribe (it starts on first use)
        sent = httpx.post(f"{base}/messages", json={"text": "Bo from B."}, headers=headers)
        assert sent.status_code == 200, sent.text
        event, message = received.get(timeout=10)
        assert (event, message["text"]) == ("bot_uttered", "Bo from B.")
        assert message["metadata"]["sender"] == "agent"
    finally:
        threading.Thread(target=user.disconnect, daemon=True).start()
        stop_server(worker_a, thread_a)
        stop_server(worker_b, thread_b)


def test_rate_limits_are_shared_through_redis(
    settings_for: Callable[..., Settings], redis_url: str
) -> None:
    settings = settings_for(redis_url=redis_url, rate_limit_conversation=3, rate_limit_address=0)
    sender = f"shared-{uuid.uuid4().hex}"
    with (
        TestClient(create_app(settings, components=make_components())) as one,
        TestClient(create_app(settings, components=make_components())) as two,
    ):
        codes = [
            client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "hi"})
            for client in (one, two, one, two)
        ]
        assert [c.status_code for c in codes] == [200, 200, 200, 429]
        assert "limit 3 per minute" in codes[-1].json()["detail"]


def test_chat_goes_on_while_redis_is_down(settings_for: Callable[..., Settings]) -> None:
    # Redis configured (rate limits, FAQ sync, socket.io fan-out) but not running, with the
    # SQL session store: every message used to be a 500 and the worker could not start.
    down = f"redis://127.0.0.1:{free_port()}/0"
    settings = settings_for(redis_url=down, rate_limit_conversation=3, rate_limit_address=0)
    with TestClient(create_app(settings, components=make_components())) as client:
        codes = [
            client.post("/webhooks/rest/webhook", json={"sender": "no-redis", "message": "hi"})
            for _ in range(4)
        ]
        # the limit still holds, counted by this worker alone
        assert [c.status_code for c in codes] == [200, 200, 200, 429]
        assert codes[0].json()[0]["text"]
