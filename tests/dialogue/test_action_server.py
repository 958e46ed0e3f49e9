"""Custom actions on a real rasa-sdk action server (``python -m rasa_sdk``) over HTTP."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bot.actions import ActionError, InProcessActionRunner, RemoteActionRunner
from bot.actions.runner import server_actions
from bot.dialogue import DialogueManager
from bot.dialogue.config import DEFAULT_ERROR_TEXT
from bot.project import load_project
from bot.project.check import check_project
from bot.services import _warn_missing_actions
from tests.ports import free_port

PROJECT = Path(__file__).parent / "project"


@pytest.fixture(scope="module")
def action_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(port)],
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"action server did not start: {output[-2000:]}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def remote_dm(make_dm: Callable[..., DialogueManager], action_server: str) -> DialogueManager:
    return make_dm(actions=RemoteActionRunner(f"{action_server}/webhook", timeout=5, retries=1))


def texts(messages: list) -> list:  # type: ignore[type-arg]
    return [m.text for m in messages]


def test_the_server_lists_the_test_actions(action_server: str) -> None:
    names = {a["name"] for a in httpx.get(f"{action_server}/actions").json()}
    assert {"action_check_order", "validate_return_form", "action_reject"} <= names


async def test_form_validation_through_the_action_server(remote_dm: DialogueManager) -> None:
    dm = remote_dm
    assert texts(await dm.handle("r1", "/request_return")) == ["What is your order number?"]
    assert texts(await dm.handle("r1", '/inform{"order_number": "12"}')) == [
        "Order numbers look like NW-12345.",
        "What is your order number?",
    ]
    assert texts(await dm.handle("r1", '/inform{"order_number": "NW-10002"}')) == [
        "Which product do you want to return?"
    ]
    assert texts(await dm.handle("r1", '/inform{"product": "Mug"}')) == [
        "Why are you returning the mug?"
    ]
    assert texts(await dm.handle("r1", "chipped")) == [
        "Return for mug on order NW-10002 is registered."
    ]


async def test_action_events_and_responses_are_applied(remote_dm: DialogueManager) -> None:
    replies = await remote_dm.handle("r2", '/check_order{"order_number": "NW-10002"}')
    assert texts(replies) == ["Order NW-10002 is processing."]
    state = await remote_dm.store.load("r2")
    assert state is not None and state.slots["vip"] is True
    assert texts(await remote_dm.handle("r3", "/pause_me")) == ["Pausing for a human."]
    assert (await remote_dm.transcripts.get("r3")).handoff == "pending_human"  # type: ignore[union-attr]


async def test_rejection_404_and_500_from_the_server(remote_dm: DialogueManager) -> None:
    assert texts(await remote_dm.handle("r4", "/reject_me")) == [
        "Sorry, could you say that differently?"
    ]
    missing = await remote_dm.handle("r4", "/missing")
    assert "went wrong" in (missing[0].text or "")
    crashed = await remote_dm.handle("r4", "/crash")
    assert "went wrong" in (crashed[0].text or "")
    page = await remote_dm.transcripts.read("r4", limit=100)
    errors = {e.data["name"]: e.data.get("error", "") for e in page.events if e.type == "action"}
    assert "does not know" in errors["action_missing"]
    assert "HTTP 500" in errors["action_crash"]
    assert texts(await remote_dm.handle("r4", "/greet")) == ["Hello! How can I help?"]


async def test_unreachable_server_fails_after_retries() -> None:
    runner = RemoteActionRunner(f"http://127.0.0.1:{free_port()}/webhook", timeout=1, retries=2)
    started = time.monotonic()
    with pytest.raises(ActionError, match="ConnectError"):
        await runner.run({"next_action": "action_x", "tracker": {}, "domain": {}})
    assert time.monotonic() - started >= 0.3  # backed off between the three attempts
    await runner.aclose()


@contextmanager
def counting_server(status: int, delay: float) -> Iterator[tuple[str, list[float]]]:
    """A real HTTP server that answers every POST with ``status`` after ``delay`` seconds
    and records when each call arrived."""
    calls: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            calls.append(time.monotonic())
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(delay)
            body = b'{"events": [], "responses": []}' if status == 200 else b'{"error": "x"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with suppress(OSError):  # the client may have given up already
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhook", calls
    finally:
        server.shutdown()
        server.server_close()


async def test_an_action_that_may_have_run_is_never_called_twice() -> None:
    # A slow action (opening a ticket) timed out after the request went out, or crashed with
    # a 500: it may have done its work, so it is reported, not run again.
    call = {"next_action": "action_open_ticket", "tracker": {}, "domain": {}}
    with counting_server(200, delay=0.8) as (url, calls):
        runner = RemoteActionRunner(url, timeout=0.3, retries=2)
        with pytest.raises(ActionError, match=r"ReadTimeout.*not retried"):
            await runner.run(call)
        await runner.aclose()
        await asyncio.sleep(1)
        assert len(calls) == 1
    with counting_server(500, delay=0) as (url, calls):
        runner = RemoteActionRunner(url, timeout=2, retries=2)
        with pytest.raises(ActionError, match="HTTP 500"):
            await runner.run(call)
        await runner.aclose()
        assert len(calls) == 1


async def test_an_unavailable_server_is_asked_again() -> None:
    # 503 means the server did not take the call: asking again cannot run it twice.
    with counting_server(503, delay=0) as (url, calls):
        runner = RemoteActionRunner(url, timeout=2, retries=2)
        with pytest.raises(ActionError, match="HTTP 503"):
            await runner.run({"next_action": "action_x", "tracker": {}, "domain": {}})
        await runner.aclose()
        assert len(calls) == 3


IN_PROCESS_ACTIONS = """
import functools, sqlite3
from rasa_sdk import Action

def logged(run):
    @functools.wraps(run)  # a plain decorator around an async run()
    def wrapper(self, *args):
        return run(self, *args)
    return wrapper

class Lookup(Action):
    def __init__(self):
        self.db = sqlite3.connect(":memory:")  # bound to the thread that made it
        self.db.execute("create table stock (item text, n int)")
        self.db.execute("insert into stock values ('lamp', 3)")

    def name(self):
        return "action_lookup"

    def run(self, dispatcher, tracker, domain):
        n = self.db.execute("select n from stock where item = 'lamp'").fetchone()[0]
        dispatcher.utter_message(text=f"{n} lamps left")
        return []

class Decorated(Action):
    def name(self):
        return "action_decorated"

    @logged
    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text="decorated ran")
        return []
"""


async def test_in_process_actions_run_as_rasa_sdk_runs_them(tmp_path: Path) -> None:
    # Both worked before an attempt to move synchronous actions to a thread broke them.
    actions = tmp_path / "my_actions.py"
    actions.write_text(IN_PROCESS_ACTIONS)
    runner = InProcessActionRunner(actions)
    for name, said in (("action_lookup", "3 lamps left"), ("action_decorated", "decorated ran")):
        result = await runner.run(
            {"next_action": name, "tracker": {"sender_id": "s"}, "domain": {}}
        )
        assert [r.get("text") for r in result.responses] == [said]


async def test_a_validator_that_cannot_run_never_lets_a_value_through(make_dm) -> None:
    # The action server is down: the value is not taken unchecked, the user is told, and the
    # form asks again (it used to carry on to the confirmation with the unvalidated value).
    runner = RemoteActionRunner(f"http://127.0.0.1:{free_port()}/webhook", timeout=1, retries=0)
    dm = make_dm(actions=runner)
    assert texts(await dm.handle("v1", "/request_return")) == ["What is your order number?"]
    replies = texts(await dm.handle("v1", '/inform{"order_number": "12"}'))
    assert replies == [DEFAULT_ERROR_TEXT, "What is your order number?"]
    state = await dm.store.load("v1")
    assert state is not None and state.slots.get("order_number") is None
    page = await dm.transcripts.read("v1", limit=100)
    failed = [e.data for e in page.events if e.type == "action"]
    assert any(d["name"] == "validate_return_form" and "error" in d for d in failed)
    await runner.aclose()


async def test_handoff_runs_the_servers_own_action_or_the_built_in_one(
    remote_dm: DialogueManager,
) -> None:
    # The domain lists action_handoff, which this server lacks: deskbot's own handoff runs.
    assert texts(await remote_dm.handle("r5", "/human_handoff")) == ["Connecting you to a person."]
    # action_human_handoff is the project's own, on the server: it runs, then the queue.
    assert texts(await remote_dm.handle("r6", "/escalate")) == [
        "Ticket T-1 is open; a person will answer here."
    ]
    for conversation in ("r5", "r6"):
        summary = await remote_dm.transcripts.get(conversation)
        assert summary is not None and summary.handoff == "pending_human"


HANGING_ACTION = """
import asyncio
from rasa_sdk import Action

class CheckOrder(Action):
    calls = 0

    def name(self):
        return "action_check_order"

    async def run(self, dispatcher, tracker, domain):
        CheckOrder.calls += 1
        if CheckOrder.calls == 1:
            await asyncio.Event().wait()  # a call to a service that never answers
        dispatcher.utter_message(text="order checked")
        return []
"""


async def test_an_in_process_action_that_never_finishes_is_cut_off(make_dm, tmp_path: Path) -> None:
    # It used to hold the conversation's lock, renewed, for ten lock timeouts (300 s).
    actions = tmp_path / "hanging_actions.py"
    actions.write_text(HANGING_ACTION)
    dm = make_dm(actions=InProcessActionRunner(actions, timeout=0.3))
    first = await asyncio.wait_for(dm.handle("hang", "/check_order"), 10)
    assert texts(first) == [DEFAULT_ERROR_TEXT]
    page = await dm.transcripts.read("hang", limit=100)
    errors = [e.data["error"] for e in page.events if e.type == "action" and "error" in e.data]
    assert errors == ["action 'action_check_order' did not finish within 0.3 s"]
    # The lock is free and the state was saved: the conversation goes on at once.
    again = await asyncio.wait_for(dm.handle("hang", "/check_order"), 5)
    assert texts(again) == ["order checked"]


async def test_an_actions_own_timeout_is_not_reported_as_ours(tmp_path: Path) -> None:
    actions = tmp_path / "timing_out_actions.py"
    actions.write_text(
        "from rasa_sdk import Action\n"
        "class CheckOrder(Action):\n"
        "    def name(self):\n"
        "        return 'action_check_order'\n"
        "    async def run(self, dispatcher, tracker, domain):\n"
        "        raise TimeoutError('the stock service timed out')\n"
    )
    runner = InProcessActionRunner(actions, timeout=30)
    call = {"next_action": "action_check_order", "tracker": {"sender_id": "s"}, "domain": {}}
    with pytest.raises(ActionError) as caught:
        await runner.run(call)
    assert str(caught.value) == "action 'action_check_order' failed: the stock service timed out"


KWARG_ACTION = """
from rasa_sdk import Action

class CheckOrder(Action):
    def name(self):
        return "action_check_order"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(
            response="utter_return_submitted", product="lamp", order_number="NW-1"
        )
        return []
"""


async def test_values_an_action_passes_to_a_response_fill_it(make_dm, tmp_path: Path) -> None:
    # rasa-sdk puts utter_message's extra keyword arguments beside text and buttons; they
    # were ignored, and the user read "{product}".
    actions = tmp_path / "kwarg_actions.py"
    actions.write_text(KWARG_ACTION)
    dm = make_dm(actions=InProcessActionRunner(actions))
    await dm.handle("kw", '/inform{"product": "sofa"}')
    assert texts(await dm.handle("kw", "/check_order")) == [
        "Return for lamp on order NW-1 is registered."
    ]


def test_check_and_start_name_the_actions_the_server_lacks(
    action_server: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A server without a form's validator failed every answer of that form, and neither
    # `deskbot check` nor the server's start said why.
    assert {"action_check_order", "validate_return_form"} <= (
        server_actions(f"{action_server}/webhook") or set()
    )
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("actions", "__pycache__"))
    config = project / "config.yml"
    config.write_text(f"deskbot:\n  action_endpoint: {action_server}/webhook\n")
    found = [p.message for p in check_project(project) if "action server" in p.message]
    assert found == [
        f"custom action action_missing: the action server at {action_server}/webhook "
        "does not have it"
    ]
    with caplog.at_level(logging.WARNING, logger="bot.services"):
        _warn_missing_actions(load_project(project))
    assert f"the action server at {action_server}/webhook lacks action_missing" in caplog.text
    # endpoints.yml's token rides in the query: /actions is still asked, the token never shown
    with_token = f"{action_server}/webhook?token=s3cret"
    assert "validate_return_form" in (server_actions(with_token) or set())
    config.write_text(f"deskbot:\n  action_endpoint: {with_token}\n")
    found = [p.message for p in check_project(project) if "action server" in p.message]
    assert found == [
        f"custom action action_missing: the action server at {action_server}/webhook "
        "does not have it"
    ]
    down = f"http://127.0.0.1:{free_port()}/webhook"
    assert server_actions(down) is None
    config.write_text(f"deskbot:\n  action_endpoint: {down}\n")
    found = [p.message for p in check_project(project) if "action server" in p.message]
    assert found == [f"the action server at {down} did not answer: its actions are not checked"]
