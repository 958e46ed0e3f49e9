"""A cap on request bodies, so one request cannot fill the disk or memory (413 past it)."""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyLimit:
    """ASGI middleware refusing HTTP bodies over ``max_bytes`` (``import_bytes`` for imports).

    A declared ``Content-Length`` over the limit is refused before anything is read; a body
    sent without one is read here and refused as soon as it passes the limit.
    """

    def __init__(
        self,
        app: Callable[[Scope, Receive, Send], Awaitable[None]],
        *,
        max_bytes: int,
        import_bytes: int,
        import_paths: tuple[str, ...] = ("/api/faq/import",),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.import_bytes = import_bytes
        self.import_paths = import_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = str(scope.get("path", "")).startswith(self.import_paths)
        limit = self.import_bytes if upload else self.max_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, int(declared), limit, upload)
            return
        if declared is not None:  # the server refuses a body longer than it declares
            await self.app(scope, receive, send)
            return
        # No length declared (chunked): read it here, up to the limit, then hand it on.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, None, limit, upload)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # waits for the disconnect, as Starlette expects
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def readable_size(size: int, *, up: bool = False) -> str:
    """``10485760`` -> ``"10 MB"``: staff whose import was refused were told byte counts.

    ``up``: rounded up, for a size refused as over a limit (8,193 bytes read "8 KB", the
    same as the 8 KB limit it was over)."""
    if size < 1024:
        return f"{size} bytes"
    value, units = size / 1024, ["KB", "MB", "GB"]
    while True:
        shown = math.ceil(value * 10) / 10 if up else round(value, 1)
        if shown < 1024 or len(units) == 1:
            return f"{shown:.1f}".removesuffix(".0") + f" {units[0]}"
        value, units = value / 1024, units[1:]


async def _too_large(send: Send, size: int | None, limit: int, upload: bool) -> None:
    what = "the uploaded file" if upload else "the request body"
    said = f"is {readable_size(size, up=True)}" if size is not None else "is too large"
    detail = f"{what} {said}; the limit is {readable_size(limit)}"
    if upload:  # staff see this in the editor; whoever runs the server can raise it
        detail += " (DESKBOT_MAX_IMPORT_BYTES): nothing imported"
    body = json.dumps({"error": "RequestTooLarge", "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})
