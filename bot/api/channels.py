"""Rasa's REST channel, ``/model/parse`` and the widget's history (PROTOCOLS §1, §3)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.types import Message

from bot.api.auth import Context
from bot.api.context import ApiContext, InvalidRequest
from bot.api.schemas import ConversationId, ParseRequest, RestMessage
from bot.dialogue.messages import BotMessage, shown_agent
from bot.dialogue.shortcut import parse_shortcut
from bot.errors import BotError
from bot.payloads import has_surrogate, json_problem, shows_anything, text_problem

log = logging.getLogger(__name__)
# What curl -d and plain fetch() label a body; Rasa reads such a body as JSON all the same.
_RELABELLED = frozenset({"application/x-www-form-urlencoded", "text/plain"})


class RasaBodyRoute(APIRoute):
    """Rasa's channels read the body as JSON whatever its Content-Type (Sanic's
    ``request.json``), so ``curl -d '{"sender": ...}'``, sent as a form, works with Rasa: it
    works here too. A body that does not look like JSON keeps its type and its refusal, and so
    does a browser's request (it has an Origin): relabelled, a form or text post from any web
    page would pass without the CORS preflight that a JSON post needs."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind in _RELABELLED and "origin" not in request.headers:
                body = await request.body()
                if body.lstrip()[:1] in (b"{", b"["):
                    headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
                    scope = {**request.scope, "headers": [*headers, _JSON_TYPE]}

                    async def replay() -> Message:
                        return {"type": "http.request", "body": body, "more_body": False}

                    request = Request(scope, replay)
            return await handler(request)

        return route


_JSON_TYPE = (b"content-type", b"application/json")
router = APIRouter(tags=["channels"], route_class=RasaBodyRoute)
HISTORY_LIMIT = 200
MAX_METADATA_BYTES = 16_384  # Rasa channels send a few ids and flags, not documents
# Background metric tasks are kept referenced until done (asyncio holds only weak references).
_pending: set[asyncio.Task[None]] = set()


async def run_turn(
    context: ApiContext,
    sender_id: str,
    text: str,
    metadata: dict[str, Any] | None,
    *,
    channel: str,
    address: str | None,
) -> list[BotMessage]:
    """One user turn through limits, the dialogue manager and the metrics.

    Raises:
        MessageTooLarge: the text is over the size limit.
        InvalidRequest: the text shows nothing (empty, spaces, control characters only) or
            is not valid Unicode; the metadata is too large or too deeply nested.
        RateLimited: the conversation or address sent too many messages.
    """
    check_text(context, text, "message")
    problem = json_problem(metadata, MAX_METADATA_BYTES) if metadata is not None else None
    if problem:
        raise InvalidRequest(f"metadata {problem}")
    try:
        await context.limiter.enforce(sender_id, address)
    except BotError:
        context.metrics.rate_limited.labels(scope="turn").inc()
        raise
    dialogue = context.need_dialogue()
    context.metrics.messages.labels(channel=channel).inc()
    started = time.perf_counter()
    replies = await dialogue.handle(sender_id, text, metadata, channel=channel)
    context.metrics.turn_latency.labels(channel=channel).observe(time.perf_counter() - started)
    task = asyncio.create_task(_observe_turn(context, sender_id))
    _pending.add(task)
    task.add_done_callback(_pending.discard)
    return [part for message in replies for part in message.split()]


async def _observe_turn(context: ApiContext, conversation_id: str) -> None:
    """Count the turn's intent, FAQ decision, fallback and handoff from the transcript."""
    try:
        transcripts = context.services.transcripts
        summary = await transcripts.get(conversation_id)
        if summary is None:
            return
        page = await transcripts.read(conversation_id, after=max(0, summary.last_seq - 30))
        users = [i for i, e in enumerate(page.events) if e.type == "user"]
        if users:
            context.metrics.observe_events(page.events[users[-1] :])
    except Exception:  # metrics must never break a turn
        log.exception("could not count the turn of %s", conversation_id)


def check_text(context: ApiContext, text: str, field: str) -> None:
    """Refuse text that is too long, shows nothing or cannot be stored (a lone surrogate,
    a NUL)."""
    context.limiter.check_size(text)
    if not shows_anything(text) and not has_surrogate(text):
        raise InvalidRequest(f"{field}: must not be empty")
    problem = text_problem(text)
    if problem:
        raise InvalidRequest(f"{field}: {problem}")


def client_address(request: Request) -> str | None:
    """The caller's address (the proxy's, unless uvicorn was told to trust its headers)."""
    return request.client.host if request.client else None


@router.get("/webhooks/rest/")
async def rest_status() -> dict[str, str]:
    """Rasa's REST channel health check."""
    return {"status": "ok"}


@router.post("/webhooks/rest/webhook")
async def rest_webhook(
    body: RestMessage, request: Request, context: Context
) -> list[dict[str, Any]]:
    """One user message; the bot's replies in order (Rasa's REST channel)."""
    replies = await run_turn(
        context,
        body.sender,
        body.message,
        body.metadata,
        channel="rest",
        address=client_address(request),
    )
    return [reply.to_rest(body.sender) for reply in replies]


@router.post("/model/parse")
async def model_parse(body: ParseRequest, context: Context) -> dict[str, Any]:
    """Rasa's parse JSON for a text (intent, ranking, entities), without a conversation."""
    check_text(context, body.text, "text")
    return await context.need_dialogue().model_parse(body.text)  # timed by metrics.TimedParser


@router.get("/api/widget/history/{session_id}")
async def widget_history(session_id: ConversationId, context: Context) -> dict[str, Any]:
    """What was said in one conversation, for the widget to restore after a reload.

    The random session id is the capability: whoever holds it is that conversation's user.
    """
    transcripts = context.services.transcripts
    summary = await transcripts.get(session_id)
    if summary is None:
        return {"session_id": session_id, "handoff": "bot", "messages": []}
    # The newest events: 1000 hold the last 200 messages however many actions ran between.
    page = await transcripts.read(session_id, after=max(0, summary.last_seq - 1000), limit=1000)
    messages: list[dict[str, Any]] = []
    # A click sends the button's payload; the user saw (and clicked) its title.
    offered: dict[str, str] = {}
    for event in page.events:
        data = event.data
        if event.type == "user":
            text = str(data.get("text") or "")
            if text and parse_shortcut(text) is None:  # what the user typed, "/" or not
                messages.append({"sender": "user", "text": text})
            elif data.get("title") or text in offered:
                messages.append({"sender": "user", "text": str(data.get("title") or offered[text])})
            offered = {}
        elif event.type in ("bot", "agent"):
            if data.get("text") is None and not data.get("image") and not data.get("buttons"):
                continue  # custom JSON or an attachment: nothing the widget shows (it was
                # restored as an empty bubble)
            item: dict[str, Any] = {"sender": event.type, "text": data.get("text")}
            if data.get("image"):
                item["image"] = data["image"]
            if data.get("buttons"):
                item["buttons"] = data["buttons"]
                offered.update(
                    (str(b["payload"]), str(b.get("title") or b["payload"]))
                    for b in data["buttons"]
                    if isinstance(b, dict) and b.get("payload")
                )
            if event.type == "agent":
                item["agent"] = shown_agent(event.actor)
            messages.append(item)
    return {
        "session_id": session_id,
        "handoff": summary.handoff,
        "messages": messages[-HISTORY_LIMIT:],
    }
