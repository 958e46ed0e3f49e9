"""Two workers sharing Redis: socket.io delivery across workers and shared rate limits."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import socketio
from botstack import (
    bearer,
    free_port,
    fresh_rate_window,
    make_components,
    start_server,
    stop_server,
)
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.dialogue.config import DEFAULT_JOINED_TEXT
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
        if message["text"] == DEFAULT_JOINED_TEXT:  # when A's listener was subscribed in time
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
        fresh_rate_window()  # four messages straddling two minutes were all allowed
        codes = [
            client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "hi"})
            for client in (one, two, one, two)
        ]
        assert [c.status_code for c in codes] == [200, 200, 200, 429]
        assert "limit 3 per minute" in codes[-1].json()["detail"]


def test_bots_sharing_a_redis_keep_apart_by_prefix(
    settings_for: Callable[..., Settings], redis_url: str
) -> None:
    # Their own database numbers would not do: pub/sub channels span databases.
    from redis import Redis

    sender = f"both-{uuid.uuid4().hex}"
    prefixes = [f"bot-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    apps = [
        create_app(
            settings_for(
                redis_url=redis_url,
                redis_prefix=prefix,
                session_store="redis",
                rate_limit_conversation=2,
                rate_limit_address=0,
            ),
            components=make_components(),
        )
        for prefix in prefixes
    ]
    with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
        fresh_rate_window()
        codes = [
            client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "hi"})
            for client in (one, two, one, two)
        ]
        assert [c.status_code for c in codes] == [200] * 4  # each bot counts its own
        third = one.post("/webhooks/rest/webhook", json={"sender": sender, "message": "hi"})
        assert third.status_code == 429
    # Pub/sub, which ignores database numbers, is kept apart too: each bot's socket.io
    # workers share messages on a channel of its own.
    servers = [start_server(app) for app in apps]
    users = [socketio.Client(reconnection=False) for _ in servers]
    try:
        for user, (server, _) in zip(users, servers, strict=True):
            user.connect(server.url, transports=["polling"])
            user.call("session_request", {"session_id": sender}, timeout=10)
        wanted = {f"{prefix}:socketio:v1".encode() for prefix in prefixes}
        listening = Redis.from_url(redis_url)
        deadline = time.monotonic() + 10
        while not wanted <= set(listening.pubsub_channels()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert wanted <= set(listening.pubsub_channels())
        listening.close()
    finally:
        for user in users:
            threading.Thread(target=user.disconnect, daemon=True).start()
        for server, thread in servers:
            stop_server(server, thread)
    redis = Redis.from_url(redis_url)
    try:
        for prefix in prefixes:
            assert redis.exists(f"{prefix}:conv:v1:{sender}")
            assert redis.keys(f"{prefix}:ratelimit:v1:*{sender}*")
        assert not redis.exists(f"deskbot:conv:v1:{sender}")
    finally:
        redis.close()


def test_chat_goes_on_while_redis_is_down(settings_for: Callable[..., Settings]) -> None:
    # Redis configured (rate limits, FAQ sync, socket.io fan-out) but not running, with the
    # SQL session store: every message used to be a 500 and the worker could not start.
    down = f"redis://127.0.0.1:{free_port()}/0"
    settings = settings_for(redis_url=down, rate_limit_conversation=3, rate_limit_address=0)
    with TestClient(create_app(settings, components=make_components())) as client:
        fresh_rate_window()
        codes = [
            client.post("/webhooks/rest/webhook", json={"sender": "no-redis", "message": "hi"})
            for _ in range(4)
        ]
        # the limit still holds, counted by this worker alone
        assert [c.status_code for c in codes] == [200, 200, 200, 429]
        assert codes[0].json()[0]["text"]


def test_a_redis_session_store_that_is_down_refuses_turns_with_503(
    settings_for: Callable[..., Settings], caplog: Any
) -> None:
    # With the state itself in Redis chat cannot go on; every message was a 500 with a
    # traceback in the log, and nothing said what was wrong.
    down = f"redis://127.0.0.1:{free_port()}/0"
    settings = settings_for(redis_url=down, session_store="redis")
    with TestClient(create_app(settings, components=make_components())) as client:
        refused = client.post("/webhooks/rest/webhook", json={"sender": "s1", "message": "hi"})
        assert refused.status_code == 503
        body = refused.json()
        assert body["error"] == "StateUnavailable"
        assert body["detail"].startswith("conversation state is unreachable (Redis: ")
        assert body["detail"].endswith("; try again shortly")
        assert client.get("/ready").status_code == 503
    assert "Traceback" not in caplog.text and "the server failed" not in caplog.text


def test_the_widgets_websocket_works_across_worker_processes(
    settings_for: Callable[..., Settings], redis_url: str
) -> None:
    # The README's production setup: several uvicorn workers behind one port. Long-polling
    # requests of one socket landed on workers that did not know its session, and messages
    # were lost; a WebSocket stays with one worker, and state is shared through Redis.
    settings = settings_for(redis_url=redis_url, session_store="redis")
    port = free_port()
    env = {
        **os.environ,
        "DESKBOT_DATABASE_URL": settings.database_url,
        "DESKBOT_REDIS_URL": redis_url,
        "DESKBOT_PROJECT_DIR": str(settings.project_dir),
        "DESKBOT_BOOTSTRAP_ADMIN_TOKEN": "false",
        "DESKBOT_SESSION_STORE": "redis",
        "DESKBOT_DATA_DIR": str(settings.data_dir),
        "DESKBOT_RATE_LIMIT_ADDRESS": "0",
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(Path(__file__).parents[2])]),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "botstack:app_from_environment", "--factory",
         "--workers", "2", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.3)
        replies = []
        for n in range(8):  # new connections are spread over both workers
            received: queue.Queue[tuple[str, Any]] = queue.Queue()
            user = socketio.Client(reconnection=False)
            user.on("session_confirm", lambda data, q=received: q.put(("session_confirm", data)))
            user.on("bot_uttered", lambda data, q=received: q.put(("bot_uttered", data)))
            user.connect(url, transports=["websocket"])
            try:
                session_id = f"ws-{n}-{uuid.uuid4().hex[:8]}"
                user.emit("session_request", {"session_id": session_id})
                assert received.get(timeout=15) == ("session_confirm", session_id)
                for text in ("hello", "When are you open?"):
                    user.emit("user_uttered", {"message": text, "session_id": session_id})
                    event, message = received.get(timeout=15)
                    assert event == "bot_uttered"
                    replies.append(message["text"])
            finally:
                user.disconnect()
        assert len(replies) == 16
        assert replies.count("Hello! How can I help?") == 8
    finally:
        server.terminate()
        server.wait(timeout=30)
