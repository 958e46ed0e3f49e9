"""Browser tests: Playwright driving Debian's Chromium against a real deskbot server.

Outside CI a missing Chromium skips this tier with one line; under CI (``CI`` set) it is an
error. The server runs the real dialogue manager, FAQ base and retriever (see botstack) in a
uvicorn thread, once per session.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# pytest runs with --import-mode=importlib: the shared bot stack lives beside the API tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from botstack import LiveServer, start_server, stop_server

from bot import db
from bot.api import create_app
from bot.settings import load_settings

# Screenshots land in .cache/screenshots (ignored by git) so a test run leaves the tree clean;
# DESKBOT_SCREENSHOT_DIR=docs refreshes the pictures kept in docs/ on purpose.
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / os.environ.get(
    "DESKBOT_SCREENSHOT_DIR", ".cache/screenshots"
)
VENDOR = Path(__file__).resolve().parent / "vendor"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI needs Chromium for the browser tests: apt-get install -y chromium",
                pytrace=False,
            )
        pytest.skip("Chromium not installed (apt-get install -y chromium); browser tests skipped")
    return path


@dataclass
class StaticSite:
    """A plain HTTP server on another local port: a third-party site embedding a widget."""

    folder: Path
    origin: str


@pytest.fixture(scope="session")
def webchat_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticSite]:
    # Chromium blocks a public origin from calling 127.0.0.1 (private network access), so the
    # "other site" is another local port: cross-origin, as a real embedding is.
    folder = tmp_path_factory.mktemp("webchat-site")
    shutil.copy(VENDOR / "rasa-webchat-1.0.1.js", folder / "rasa-webchat.js")
    handler = partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield StaticSite(folder, f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def web_server(
    tmp_path_factory: pytest.TempPathFactory, webchat_site: StaticSite, trained_demo: Path
) -> Iterator[LiveServer]:
    """The demo bot with its trained model, as `make run` serves it, for the whole session;
    CORS is open to the rasa-webchat site."""
    folder = tmp_path_factory.mktemp("web-server")
    url = f"sqlite:///{folder / 'deskbot.db'}"
    db.upgrade(url)
    settings = load_settings(
        database_url=url,
        data_dir=folder / "var",
        project_dir=trained_demo,
        cors_origins=[webchat_site.origin],
        bootstrap_admin_token=False,
        rate_limit_conversation=1000,
        rate_limit_address=10_000,
    )
    live, thread = start_server(create_app(settings))
    yield live
    stop_server(live, thread)


# Module scope, not session: Playwright's sync API runs an event loop in the main thread
# while it is open, and a later test's asyncio.run() failed ("cannot be called from a
# running event loop") when tests/web ran before the others. (A directory without
# __init__.py is no package to pytest, so package scope lasted the whole session.)
@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Open pages in fresh browser contexts (each its own localStorage and sessionStorage)."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def token_for(web_server: LiveServer) -> Any:
    def make(role: str, name: str) -> str:
        token, _ = web_server.context.services.tokens.create(role, name)
        return token

    return make


@pytest.fixture
def screenshot() -> Any:
    """Save a screenshot of a page (see SCREENSHOT_DIR), to look at after a run."""

    def save(page: Any, name: str) -> None:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name))

    return save


@pytest.fixture
def webchat_page(web_server: LiveServer, webchat_site: StaticSite) -> str:
    """The URL of a page embedding the unchanged rasa-webchat 1.0.1 bundle, pointed at the
    deskbot server from another origin."""
    page = webchat_site.folder / "index.html"
    page.write_text(WEBCHAT_HTML.replace("SOCKET_URL", web_server.url), encoding="utf-8")
    return f"{webchat_site.origin}/index.html"


WEBCHAT_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rasa-webchat</title></head>
<body>
<div id="webchat"></div>
<script src="/rasa-webchat.js"></script>
<script>
  WebChat.default({
    initPayload: "/greet",
    customData: {language: "en"},
    socketUrl: "SOCKET_URL",
    socketPath: "/socket.io/",
    title: "rasa-webchat on deskbot",
    embedded: true,
    params: {storage: "session"}
  }, document.getElementById("webchat"));
</script>
</body></html>
"""
