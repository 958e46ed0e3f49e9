"""The FastAPI application factory; every dependency is built in the lifespan."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from psycopg.errors import NumericValueOutOfRange
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.api import admin_faq, agent, channels, ops, pages, rasa_http
from bot.api.bodylimit import BodyLimit
from bot.api.context import ApiContext
from bot.api.metrics import ApiMetrics, TimedParser
from bot.api.ratelimit import (
    CounterStore,
    MemoryCounters,
    RateLimited,
    RateLimiter,
    RedisCounters,
)
from bot.api.socketio_channel import (
    SocketIODispatch,
    SocketIOMount,
    asgi_app,
    build_socketio,
    message_sink,
)
from bot.db import create_db_engine
from bot.errors import BotError
from bot.reminders import fire_reminders_periodically
from bot.services import Services, build_services
from bot.sessions import SqlSessionStore
from bot.settings import Settings
from bot.tokens import BOOTSTRAP_NAME
from knowledge import (
    EntryNotFound,
    EntryStateError,
    ImportValidationError,
    InvalidEntryError,
    KeyTakenError,
    KnowledgeError,
    StaleEditError,
    StaleImportError,
)

log = logging.getLogger("deskbot")
_UNPARSED_BODY = "There was an error parsing the body"
# Builds the parts the API needs beyond Services (dialogue, faq, retriever) for tests or
# embedders; by default they are taken from the services the lead's build_services makes.
Components = Callable[[Services], AbstractAsyncContextManager[dict[str, Any]]]
KNOWLEDGE_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (EntryNotFound, 404),
    (StaleEditError, 409),
    (StaleImportError, 409),
    (EntryStateError, 409),
    (KeyTakenError, 409),
    (InvalidEntryError, 422),
    (ImportValidationError, 422),
)


@asynccontextmanager
async def _from_services(services: Services) -> AsyncIterator[dict[str, Any]]:
    yield {name: getattr(services, name, None) for name in ("dialogue", "faq", "retriever")}


def _error(status: int, error: str, detail: str, request: Request, **extra: Any) -> JSONResponse:
    context: ApiContext | None = getattr(request.app.state, "deskbot", None)
    if context is not None:
        context.metrics.errors.labels(error=error).inc()
    return JSONResponse({"error": error, "detail": detail, **extra}, status_code=status)


def _validation_detail(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        if item.get("type") == "json_invalid":  # loc holds a character position, not a field
            where = item.get("loc", ("body", "?"))[-1]
            reason = (item.get("ctx") or {}).get("error", "invalid")
            parts.append(f"body: not valid JSON at character {where}: {reason}")
            continue
        field = ".".join(str(p) for p in item.get("loc", ()) if p not in ("body",))
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{field or 'body'}: {message}")
    return "; ".join(parts)


def bootstrap_admin_token(services: Services) -> str | None:
    """On first start (no admin token yet) create one, log it and write it to
    ``<data_dir>/admin-token.txt`` (mode 600); returns it, or None when one existed.

    Workers started together take a file lock, so only one of them creates the token.
    """
    folder = services.settings.data_dir
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".admin-token.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if services.tokens.count("admin") > 0:
            return None
        token, info = services.tokens.create("admin", BOOTSTRAP_NAME)
        path = folder / "admin-token.txt"
        temporary = folder / f".admin-token.{os.getpid()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
        os.replace(temporary, path)
    # The secret goes to the terminal and the file, not into the logs as well.
    log.warning("created admin token #%s (saved to %s)", info.id, path)
    print(f"deskbot: admin token (also in {path}): {token}", flush=True)
    return token


def create_app(settings: Settings, *, components: Components | None = None) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts.

    Args:
        settings: the process's settings.
        components: builds the dialogue manager, FAQ base and retriever from the services
            (keys ``dialogue``, ``faq``, ``retriever``); by default they are the services' own.
    """
    mount = SocketIOMount()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings.database_url)
        services = await build_services(settings, engine)
        counters: CounterStore = (
            RedisCounters(settings.redis_url, prefix=settings.redis_prefix)
            if settings.redis_url
            else MemoryCounters()
        )
        limiter = RateLimiter(
            counters,
            per_conversation=settings.rate_limit_conversation,
            per_address=settings.rate_limit_address,
            max_chars=settings.max_message_chars,
        )
        try:
            async with (components or _from_services)(services) as parts:
                context = ApiContext(
                    services=services,
                    dialogue=parts.get("dialogue"),
                    faq=parts.get("faq"),
                    retriever=parts.get("retriever"),
                    metrics=ApiMetrics(),
                    limiter=limiter,
                )
                sio = build_socketio(settings, context)
                if context.dialogue is not None:
                    context.dialogue.add_listener(message_sink(sio))
                    parser = context.dialogue.parser
                    if isinstance(parser, TimedParser):  # a dialogue served before
                        parser = parser.parser
                    if parser is not None:
                        context.dialogue.parser = TimedParser(parser, context.metrics.nlu_latency)
                mount.handler = asgi_app(sio)
                app.state.deskbot = context
                if settings.bootstrap_admin_token:
                    await asyncio.to_thread(bootstrap_admin_token, services)
                loops = []
                if isinstance(services.sessions, SqlSessionStore):  # Redis expires state itself
                    loops.append(asyncio.create_task(services.sessions.purge_periodically()))
                if context.dialogue is not None:
                    dialogue = context.dialogue
                    every = settings.reminder_poll_seconds
                    loops.append(
                        asyncio.create_task(
                            fire_reminders_periodically(dialogue.reminders, dialogue, every)
                        )
                    )
                try:
                    yield
                finally:
                    for loop in loops:
                        loop.cancel()
                        with suppress(asyncio.CancelledError):
                            await loop
                    mount.handler = None
                    await sio.shutdown()
        finally:
            await limiter.close()
            await services.aclose()
            engine.dispose()

    app = FastAPI(
        title="deskbot",
        version="0.1.0",
        docs_url=None,  # served by bot.api.pages from packaged assets
        redoc_url=None,
        lifespan=lifespan,
        description="Rasa-compatible channels, the agents' console and the FAQ editor.",
    )

    @app.exception_handler(BotError)
    async def bot_error(request: Request, error: BotError) -> JSONResponse:
        if error.status_code >= 500:  # the operator's problem, not the caller's
            log.warning("%s %s: %s", request.method, request.url.path, error)
        response = _error(error.status_code, error.error_name(), str(error), request)
        if isinstance(error, RateLimited):  # clients and proxies read when to come back here
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.exception_handler(KnowledgeError)
    async def knowledge_error(request: Request, error: KnowledgeError) -> JSONResponse:
        status = next((s for kind, s in KNOWLEDGE_STATUS if isinstance(error, kind)), 400)
        # Every refusal of what the client sent is named alike, whichever part refused it.
        name = "ValidationError" if status == 422 else type(error).__name__
        if isinstance(error, ImportValidationError):
            # detail names the first five; a file with thirty bad rows took six imports
            rows = [asdict(e) for e in error.errors]
            return _error(status, name, str(error), request, rows=rows)
        return _error(status, name, str(error), request)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        detail = _validation_detail(error)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        whole_body = any(tuple(item.get("loc", ())) == ("body",) for item in error.errors())
        if whole_body and kind and kind != "application/json" and not kind.endswith("+json"):
            # curl -d sends a form: FastAPI then read no JSON at all and blamed the shape
            detail = f"the body must be JSON sent as Content-Type: application/json, not {kind}"
        return _error(422, "ValidationError", detail, request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        name = "NotFound" if error.status_code == 404 else "HTTPError"
        detail = str(error.detail)
        if error.status_code == 400 and detail == _UNPARSED_BODY:
            # FastAPI's words when the body is not JSON it can read for reasons other than
            # syntax; answered as those are, so every unreadable body gets the same 422.
            detail = (
                "body: could not be read as JSON: it must be UTF-8 text and nested at most a "
                "few hundred levels"
            )
            return _error(422, "ValidationError", detail, request)
        return _error(error.status_code, name, detail, request)

    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, error: Exception) -> JSONResponse:
        # An id, version or sequence number no database column can hold (SQLite raises
        # OverflowError, PostgreSQL "integer out of range"): the caller's mistake.
        log.warning("out-of-range number on %s %s: %s", request.method, request.url.path, error)
        detail = "a number in the request is out of range for the database"
        return _error(422, "ValidationError", detail, request)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, error: DBAPIError) -> JSONResponse:
        if isinstance(error.orig, NumericValueOutOfRange):
            return await out_of_range(request, error)
        return await server_error(request, error)

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, "InternalError", "the server failed; see its log", request)

    app.include_router(ops.router)
    app.include_router(rasa_http.router)
    app.include_router(channels.router)
    app.include_router(agent.router)
    app.include_router(admin_faq.router)
    app.include_router(pages.router)
    # Inside CORS, so a cross-origin caller can read its 413.
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, import_bytes=settings.max_import_bytes
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
    )
    # Added last, so outermost: engine.io answers its own CORS and must not get Starlette's too,
    # and caps its own bodies (max_http_buffer_size, 1 MB).
    app.add_middleware(SocketIODispatch, mount=mount)
    return app
