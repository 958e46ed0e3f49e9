"""The web pages and static files: the widget and its demo page, the console, the FAQ editor."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from bot.errors import NotFoundError

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
router = APIRouter(include_in_schema=False)

PAGES = {"/": "index.html", "/agent": "agent.html", "/admin/faq": "faq.html"}
ASSETS = {
    "widget.css",
    "message-text.js",
    "console.css",
    "agent.js",
    "faq.js",
    "console.js",
    "vendor/socket.io.min.js",
    "vendor/swagger-ui-bundle.js",
    "vendor/swagger-ui.css",
}
# Served as one file: a site embeds the widget with one script tag (README), and the
# widget shows messages with the pages' shared renderer, which must be there before it.
BUNDLES = {"widget.js": ("message-text.js", "widget.js")}
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


# The widget is embedded on other sites: let them cache it briefly, and no longer.
CACHE = {"Cache-Control": "public, max-age=300"}


def _path(name: str) -> Path:
    path = WEB_DIR / name
    if not path.is_file():
        raise NotFoundError(f"{name} is missing from the package; reinstall deskbot")
    return path


@lru_cache(maxsize=64)
def _read(parts: tuple[Path, ...], stamp: tuple[tuple[int, int], ...]) -> tuple[bytes, str]:
    """A file's bytes (a bundle's parts joined) and their ETag; ``stamp`` (each part's
    mtime and size) keys the cache, so an updated file is read again."""
    data = b"\n".join(part.read_bytes() for part in parts)
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _unchanged(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _file(name: str, request: Request) -> Response:
    # An ETag for each file, the bundle included: once max-age has passed, an embedding
    # site's visitors ask again and get 304, not the whole widget on every page.
    parts = tuple(_path(part) for part in BUNDLES.get(name, (name,)))
    stats = [part.stat() for part in parts]
    data, etag = _read(parts, tuple((s.st_mtime_ns, s.st_size) for s in stats))
    headers = {**CACHE, "ETag": etag}
    if _unchanged(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    media = TYPES.get(parts[-1].suffix, "text/html; charset=utf-8")
    return Response(data, media_type=media, headers=headers)


def _serving(name: str) -> Callable[[Request], Awaitable[Response]]:
    # A closure, not a default argument: FastAPI would expose a parameter as a query field.
    async def serve(request: Request) -> Response:
        return _file(name, request)

    return serve


# HEAD as well: uptime monitors and link checkers ask with it, and a 405 reads as "down".
# The server sends HEAD's headers (length and ETag included) without the body.
READ = ["GET", "HEAD"]
for _route, _name in PAGES.items():
    router.add_api_route(_route, _serving(_name), methods=READ)
for _name in sorted({*ASSETS, *BUNDLES}):
    router.add_api_route(f"/{_name}", _serving(_name), methods=READ)
# Browsers ask for /favicon.ico on every page; a 404 there is an error in each console.
router.add_api_route("/favicon.ico", _serving("favicon.svg"), methods=READ)


@router.get("/docs")
async def api_docs() -> HTMLResponse:
    """Swagger UI from the package, not FastAPI's default CDN: a self-hosted bot may be
    offline, and its API page should still work."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="deskbot API",
        swagger_js_url="/vendor/swagger-ui-bundle.js",
        swagger_css_url="/vendor/swagger-ui.css",
        swagger_favicon_url="data:,",
    )
