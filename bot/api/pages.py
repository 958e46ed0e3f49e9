"""The web pages and static files: the widget and its demo page, the console, the FAQ editor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

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


def _file(name: str) -> Response:
    if name in BUNDLES:
        text = "\n".join(_path(part).read_text(encoding="utf-8") for part in BUNDLES[name])
        return Response(text, media_type=TYPES[".js"], headers=CACHE)
    path = _path(name)
    media = TYPES.get(path.suffix, "text/html; charset=utf-8")
    return FileResponse(path, media_type=media, headers=CACHE)


def _serving(name: str) -> Callable[[], Awaitable[Response]]:
    # A closure, not a default argument: FastAPI would expose a parameter as a query field.
    async def serve() -> Response:
        return _file(name)

    return serve


for _route, _name in PAGES.items():
    router.add_api_route(_route, _serving(_name), methods=["GET"])
for _name in sorted({*ASSETS, *BUNDLES}):
    router.add_api_route(f"/{_name}", _serving(_name), methods=["GET"])
# Browsers ask for /favicon.ico on every page; a 404 there is an error in each console.
router.add_api_route("/favicon.ico", _serving("favicon.svg"), methods=["GET"])


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
