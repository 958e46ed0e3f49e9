"""The socket.io channel against a real uvicorn server, with the python-socketio client."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
import socketio
from botstack import (
    LiveServer,
    bearer,
    fresh_rate_window,
    make_components,
    start_server,
    stop_server,
)

from bot.api import create_app
from bot.dialogue.config import (
    DEFAULT_HANDOFF_TEXT,
    DEFAULT_JOINED_TEXT,
    DEFAULT_RELEASED_IN_FORM_TEXT,
)
from bot.dialogue.senders import SENDER_RULE
from bot.reminders import Reminder

WAIT = 15.0
SECRET = "a-socket-secret-of-at-least-32-bytes"


class Tab:
    """One browser tab's socket: records what the server emits."""

    def __init__(
        self, url: str, auth: dict[str, Any] | None = None, transport: str = "polling"
    ) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        for name in ("session_confirm", "bot_uttered", "deskbot_error", "deskbot_limits"):
            self.sio.on(name, lambda data, _n=name: self.events.put((_n, data)))
        self.sio.connect(url, transports=[transport], socketio_path="socket.io", auth=auth)

    def next(self, name: str, timeout: float = WAIT) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name} within {timeout} s")
            event, data = self.events.get(timeout=left)
            if event == name:
                return data

    def quiet(self, seconds: float = 1.0) -> list[tuple[str, Any]]:
        time.sleep(seconds)
        seen = []
        while not self.events.empty():
            seen.append(self.events.get())
        return seen

    def session(self, session_id: str | None = None) -> str:
        self.sio.emit("session_request", {"session_id": session_id})
        confirmed = self.next("session_confirm")
        assert isinstance(confirmed, str)
        self.limits = self.next("deskbot_limits")  # said after each confirmation
        return confirmed

    def say(self, session_id: str, text: str, **extra: Any) -> None:
        self.sio.emit("user_uttered", {"message": text, "session_id": session_id, **extra})

    def close(self) -> None:
        # The polling client waits for its pending long-poll to end (up to the ping interval);
        # the server's shutdown ends it, so do not wait here.
        threading.Thread(target=self.sio.disconnect, daemon=True).start()


@pytest.fixture
def tabs(live_server: LiveServer) -> Iterator[list[Tab]]:
    opened: list[Tab] = []
    yield opened
    for tab in opened:
        tab.close()


def open_tab(live: LiveServer, tabs: list[Tab], **kwargs: Any) -> Tab:
    tab = Tab(live.url, **kwargs)
    tabs.append(tab)
    return tab


def greeted_tab(live: LiveServer, tabs: list[Tab]) -> tuple[Tab, str]:
    """A tab with a new session whose "hello" the bot has answered."""
    tab = open_tab(live, tabs)
    session_id = tab.session(None)
    tab.say(session_id, "hello")
    assert tab.next("bot_uttered")["text"] == "Hello! How can I help?"
    return tab, session_id


def test_session_request_confirms_a_new_id_and_the_bot_answers(
    live_server: LiveServer, tabs: list[Tab]
) -> None:
    tab = open_tab(live_server, tabs)
    session_id = tab.session(None)
    assert len(session_id) == 32
    # the widget counts toward the server's own limit (the default: 2000 characters)
    assert tab.limits == {"max_message_chars": 2000}
    tab.say(session_id, "hello", customData={"language": "en"})
    reply = tab.next("bot_uttered")
    assert reply["text"] == "Hello! How can I help?"
    assert reply["quick_replies"][0] == {
        "content_type": "text",
        "title": "Check an order",
        "payload": "/check_order",
    }


def test_the_tracker_names_the_channel_the_user_wrote_on(
    live_server: LiveServer, tabs: list[Tab]
) -> None:
    # Rasa reads latest_input_channel from the user's last message; the tracker endpoint
    # said "rest" of every conversation, so a script branching on it as actions do (the
    # helpdesk's handoff sends widget clients JSON, REST clients text) read socket.io wrong.
    _, session_id = greeted_tab(live_server, tabs)
    headers = bearer(live_server.app, "agent", "ana")
    url = f"{live_server.url}/conversations/{session_id}/tracker"
    assert httpx.get(url, headers=headers).json()["latest_input_channel"] == "socketio"
    httpx.post(
        f"{live_server.url}/webhooks/rest/webhook", json={"sender": session_id, "message": "hi"}
    )
    assert httpx.get(url, headers=headers).json()["latest_input_channel"] == "rest"


def test_the_session_persists_across_reconnects(live_server: LiveServer, tabs: list[Tab]) -> None:
    first = open_tab(live_server, tabs)
    session_id = first.session(None)
    first.say(session_id, "I want to check my order")
    assert first.next("bot_uttered")["text"] == "What is your order number?"
    first.close()
    tabs.remove(first)
    again = open_tab(live_server, tabs)
    assert again.session(session_id) == session_id
    again.say(session_id, "hello", metadata='{"page": "/pricing"}')  # metadata as a JSON string
    assert again.next("bot_uttered")["text"]
    history = httpx.get(f"{live_server.url}/api/widget/history/{session_id}").json()
    texts = [m["text"] for m in history["messages"]]
    assert texts[0] == "I want to check my order"
    assert "hello" in texts


def test_two_tabs_of_one_session_both_receive_replies(
    live_server: LiveServer, tabs: list[Tab]
) -> None:
    one = open_tab(live_server, tabs)
    session_id = one.session(None)
    two = open_tab(live_server, tabs)
    assert two.session(session_id) == session_id
    one.say(session_id, "When are you open?")
    assert "9 to 5" in one.next("bot_uttered")["text"]
    assert "9 to 5" in two.next("bot_uttered")["text"]


def test_a_socket_that_switches_sessions_hears_only_the_new_one(
    live_server: LiveServer, tabs: list[Tab]
) -> None:
    switcher = open_tab(live_server, tabs)
    old = switcher.session(None)
    new = switcher.session(None)  # e.g. the widget's "new conversation"
    assert new != old
    other = open_tab(live_server, tabs)
    assert other.session(old) == old
    other.say(old, "hello")
    assert other.next("bot_uttered")["text"] == "Hello! How can I help?"
    assert switcher.quiet(1.0) == []  # the old conversation's reply is not for it any more
    switcher.say(new, "hello")
    assert switcher.next("bot_uttered")["text"] == "Hello! How can I help?"


def test_an_agent_message_reaches_the_users_socket_and_the_bot_stays_silent(
    live_server: LiveServer, tabs: list[Tab]
) -> None:
    tab = open_tab(live_server, tabs)
    session_id = tab.session(None)
    tab.say(session_id, "I want to talk to a person")
    assert tab.next("bot_uttered")["text"]
    headers = bearer(live_server.app, "agent", "ana")
    base = f"{live_server.url}/api/agent/conversations/{session_id}"
    assert httpx.post(f"{base}/takeover", headers=headers).json()["handoff"] == "human"
    assert tab.next("bot_uttered")["text"] == DEFAULT_JOINED_TEXT  # told, not left guessing
    ack = tab.sio.call("user_uttered", {"message": "hello?", "session_id": session_id})
    assert ack == {"replies": 0, "handoff": "human"}  # the widget's cue to stop "typing"
    assert [e for e in tab.quiet(1.0) if e[0] == "bot_uttered"] == []  # the bot is silent
    sent = httpx.post(f"{base}/messages", json={"text": "Hi, Ana here."}, headers=headers)
    assert sent.status_code == 200, sent.text
    message = tab.next("bot_uttered")
    assert message["text"] == "Hi, Ana here."
    assert message["metadata"]["sender"] == "agent"


def test_released_in_a_form_the_question_reaches_the_users_socket(
    live_server: LiveServer, tabs: list[Tab]
) -> None:
    # The release is the agent's request, not the user's turn: the question asked again is
    # pushed to the user's socket, and their answer goes on with the form.
    tab = open_tab(live_server, tabs)
    session_id = tab.session(None)
    tab.say(session_id, "I want to check my order")
    assert tab.next("bot_uttered")["text"] == "What is your order number?"
    tab.say(session_id, "I want to talk to a person")
    assert tab.next("bot_uttered")["text"] == DEFAULT_HANDOFF_TEXT  # no question meanwhile
    headers = bearer(live_server.app, "agent", "ana")
    base = f"{live_server.url}/api/agent/conversations/{session_id}"
    assert httpx.post(f"{base}/takeover", headers=headers).json()["handoff"] == "human"
    assert tab.next("bot_uttered")["text"] == DEFAULT_JOINED_TEXT
    assert httpx.post(f"{base}/release", headers=headers).json()["handoff"] == "bot"
    assert tab.next("bot_uttered")["text"] == DEFAULT_RELEASED_IN_FORM_TEXT
    assert tab.next("bot_uttered")["text"] == "What is your order number?"
    tab.say(session_id, "it is 12345")
    assert tab.next("bot_uttered")["text"] == "Order 12345 is on its way."


def test_bad_user_uttered_payloads_get_an_error_event(
    live_server: LiveServer, tabs: list[Tab]
) -> None:
    tab = open_tab(live_server, tabs)
    session_id = tab.session(None)
    tab.sio.emit("user_uttered", {"session_id": session_id})
    assert "message" in tab.next("deskbot_error")["detail"]
    tab.say(session_id, "x" * 5000)
    error = tab.next("deskbot_error")
    assert error["error"] == 413 and "limit is 2000" in error["detail"]
    tab.say(session_id, " \u200b\u0000 ")
    assert tab.next("deskbot_error") == {"error": 422, "detail": "message: must not be empty"}
    tab.say(session_id, "where is my order\u0000 NW-48213")
    nul = tab.next("deskbot_error")
    assert nul["error"] == 422 and "NUL character" in nul["detail"]
    assert not [event for event, _ in tab.quiet(0.5) if event == "bot_uttered"]


def test_a_sockets_messages_are_answered_in_the_order_sent(
    live_server: LiveServer, tabs: list[Tab], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The widget's greeting, slow to be handled under load, was answered after the
    # question typed behind it.
    from bot.api import socketio_channel

    real = socketio_channel.run_turn

    async def slow_greeting(context: Any, sender: str, text: str, *args: Any, **kw: Any) -> Any:
        if text == "hello":
            await asyncio.sleep(0.5)
        return await real(context, sender, text, *args, **kw)

    monkeypatch.setattr(socketio_channel, "run_turn", slow_greeting)
    tab = open_tab(live_server, tabs)
    session_id = tab.session(None)
    tab.say(session_id, "hello")
    tab.say(session_id, "/show_map")
    texts = [tab.next("bot_uttered").get("text") for _ in range(2)]
    assert texts[0] == "Hello! How can I help?", texts


def test_an_unexpected_failure_is_told_to_the_widget_not_left_hanging(
    live_server: LiveServer, tabs: list[Tab], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only BotError was answered: anything else left the widget's typing indicator on.
    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("bot.api.socketio_channel.run_turn", broken)
    tab = open_tab(live_server, tabs)
    session_id = tab.session(None)
    tab.say(session_id, "hello")
    assert tab.next("deskbot_error") == {"error": 500, "detail": "the server failed; see its log"}
    metrics = httpx.get(live_server.url + "/metrics").text
    assert 'deskbot_errors_total{error="InternalError"} 1.0' in metrics


def test_with_a_jwt_secret_sockets_need_a_valid_token_and_a_user_keeps_to_theirs(
    settings_for: Any,
) -> None:
    app = create_app(settings_for(jwt_secret=SECRET), components=make_components())
    live, thread = start_server(app)
    # Over websocket: after a refusal, python-socketio's polling client waits for its
    # pending long poll (up to the 25 s ping interval) before it gives up.
    try:
        with pytest.raises(socketio.exceptions.ConnectionError, match="failed to connect"):
            Tab(live.url, transport="websocket")
        with pytest.raises(socketio.exceptions.ConnectionError, match="failed to connect"):
            Tab(
                live.url,
                auth={"token": jwt.encode({"sub": "u"}, "not-" + SECRET, algorithm="HS256")},
                transport="websocket",
            )
        good = {"token": jwt.encode({"sub": "u"}, SECRET, algorithm="HS256")}
        for transport in ("websocket", "polling"):
            tab = Tab(live.url, auth=good, transport=transport)
            assert tab.session("abc123") == "abc123"
            tab.close()
        # A user's token in Rasa's convention opens its own conversation and no other.
        user = {"user": {"username": "conv-of-ana", "role": "user"}}
        tab = Tab(live.url, auth={"token": jwt.encode(user, SECRET)}, transport="websocket")
        assert tab.session("abc123") == "conv-of-ana"
        assert tab.session(None) == "conv-of-ana"
        tab.say("abc123", "hello")
        assert tab.next("deskbot_error") == {
            "error": 403,
            "detail": "session_id: this token is for another conversation",
        }
        tab.say("conv-of-ana", "hello")
        assert tab.next("bot_uttered")["text"]
        tab.close()
        nameless = {"user": {"role": "user"}}
        with pytest.raises(socketio.exceptions.ConnectionError, match="failed to connect"):
            Tab(live.url, auth={"token": jwt.encode(nameless, SECRET)}, transport="websocket")
    finally:
        stop_server(live, thread)


def test_socket_messages_are_rate_limited_per_conversation(settings_for: Any) -> None:
    app = create_app(settings_for(rate_limit_conversation=2), components=make_components())
    live, thread = start_server(app)
    try:
        tab = Tab(live.url)
        session_id = tab.session(None)
        fresh_rate_window()
        for _ in range(2):
            tab.say(session_id, "hello")
            assert tab.next("bot_uttered")["text"]
        tab.say(session_id, "hello")
        error = tab.next("deskbot_error")
        assert error["error"] == 429 and "this conversation" in error["detail"]
        tab.close()
    finally:
        stop_server(live, thread)


def test_a_session_id_the_bot_would_refuse_is_replaced_not_confirmed(
    live_server: LiveServer, tabs: list[Tab]
) -> None:
    tab = open_tab(live_server, tabs, transport="websocket")
    for stored in ("s" * 500, "   ", "bad\nid"):
        fresh = tab.session(stored)
        assert fresh != stored and len(fresh) == 32  # a new id the widget then keeps
    tab.sio.emit("session_request", {"session_id": {"a": 1}})
    assert len(tab.next("session_confirm")) == 32
    refusal = {"error": 422, "detail": f"session_id: {SENDER_RULE}"}  # the REST channel's rule
    for bad in ({"a": 1}, "x" * 300, "   "):
        tab.sio.emit("user_uttered", {"message": "hello", "session_id": bad})
        assert tab.next("deskbot_error") == refusal
    # A refused id never became this socket's session: a message without one is answered.
    tab.sio.emit("user_uttered", {"message": "hello"})
    assert tab.next("bot_uttered")["text"] == "Hello! How can I help?"
    kept = tab.session("widget-session-1")
    assert kept == "widget-session-1"
    tab.say(kept, "hello")
    assert tab.next("bot_uttered")["text"] == "Hello! How can I help?"


def test_a_triggered_intent_and_a_due_reminder_reach_the_users_socket(
    live_server: LiveServer, tabs: list[Tab]
) -> None:
    tab, session_id = greeted_tab(live_server, tabs)
    headers = bearer(live_server.app, "agent", "ana")
    url = f"{live_server.url}/conversations/{session_id}/trigger_intent"
    body = {"name": "EXTERNAL_order_shipped", "entities": {"order_number": "NW-1"}}
    assert httpx.post(url, json=body, headers=headers).status_code == 200
    assert tab.quiet(1.0) == []  # Rasa's default: the replies come back to the caller only
    sent = httpx.post(f"{url}?output_channel=latest", json=body, headers=headers)
    assert sent.status_code == 200, sent.text
    assert tab.next("bot_uttered")["text"] == "Good news: order NW-1 has shipped."
    # A reminder an action set (written as the dialogue manager stores it) is fired by the
    # serving process's own loop once due.
    store = live_server.context.dialogue
    assert store is not None
    reminder = Reminder(
        conversation_id=session_id,
        name="shipped",
        intent="EXTERNAL_order_shipped",
        entities=[{"entity": "order_number", "value": "NW-2"}],
        due_at=time.time() + 1.5,
    )
    asyncio.run(store.reminders.apply(session_id, [reminder]))
    assert tab.quiet(0.5) == []  # not before its time
    assert tab.next("bot_uttered")["text"] == "Good news: order NW-2 has shipped."
    deadline = time.monotonic() + WAIT  # removed just after its reply went out
    while asyncio.run(store.reminders.pending(session_id)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert asyncio.run(store.reminders.pending(session_id)) == []
