"""The socket.io channel rasa-webchat speaks (PROTOCOLS §2), mounted at ``/socket.io``.

Every socket of a session joins the room named by the session id, so each tab of a user gets
the bot's replies and the agents' messages. With Redis configured the server uses
``AsyncRedisManager``: a message emitted by any worker reaches sockets held by every worker.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import jwt
import socketio

from bot.api.channels import run_turn
from bot.api.context import ApiContext
from bot.dialogue.messages import BotMessage
from bot.dialogue.senders import SENDER_RULE, is_valid_sender
from bot.errors import BotError
from bot.settings import Settings

log = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ROOM_PREFIX = ""  # rooms are named by the bare session id, as Rasa names them


def _origin_check(settings: Settings) -> Callable[[str | None, dict[str, Any]], bool]:
    allowed = set(settings.cors_origins)

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None or "*" in allowed or origin in allowed:
            return True
        host = environ.get("HTTP_HOST", "")
        scheme = environ.get("wsgi.url_scheme", "http")
        return origin in (
            f"{scheme}://{host}",
            f"{'https' if scheme == 'http' else 'http'}://{host}",
        )

    return check


def _metadata(data: dict[str, Any]) -> dict[str, Any] | None:
    raw = data.get("metadata")
    if raw is None:
        raw = data.get("customData")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else None
        except ValueError:
            raw = {"raw": raw}
    if raw is None:
        return None
    return raw if isinstance(raw, dict) else {"value": raw}


def _bound_conversation(claims: Any) -> str | None:
    """The one conversation a JWT allows, if it is a user's token in Rasa's convention
    (``{"user": {"username": <conversation id>, "role": "user"}}``, as for Rasa's HTTP API);
    None for any other token, which may open any conversation as before.

    Raises:
        ValueError: a user's token whose username cannot name a conversation.
    """
    user = claims.get("user") if isinstance(claims, dict) else None
    if not isinstance(user, dict) or user.get("role") != "user":
        return None
    username = user.get("username")
    if not is_valid_sender(username):
        raise ValueError("a user's JWT must name its conversation in user.username")
    return username


def _client_address(environ: dict[str, Any]) -> str | None:
    # engine.io's ASGI environ hard-codes REMOTE_ADDR to 127.0.0.1; the ASGI scope has the peer.
    client = (environ.get("asgi.scope") or {}).get("client")
    return str(client[0]) if client else None


def build_socketio(settings: Settings, context: ApiContext) -> socketio.AsyncServer:
    """The socket.io server with its handlers, and the dialogue sink that pushes messages."""
    manager = (
        socketio.AsyncRedisManager(
            settings.redis_url,
            channel=f"{settings.redis_prefix}:socketio:v1",
            # a Redis host that does not answer must not hold each delivery for minutes
            redis_options={"socket_connect_timeout": 2},
        )
        if settings.redis_url
        else None
    )
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=_origin_check(settings),
        logger=False,
        engineio_logger=False,
    )

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        if not settings.jwt_secret:
            return True
        token = auth.get("token") if isinstance(auth, dict) else None
        if not token:
            log.info("socket %s refused: no JWT in auth", sid)
            return False
        try:
            claims = jwt.decode(token, settings.jwt_secret, algorithms=[settings.jwt_algorithm])
        except jwt.PyJWTError as error:
            log.info("socket %s refused: %s", sid, error)
            return False
        try:
            bound = _bound_conversation(claims)
        except ValueError as error:
            log.info("socket %s refused: %s", sid, error)
            return False
        await sio.save_session(sid, {"claims": claims, "bound": bound})
        return True

    async def session_request(sid: str, data: Any = None) -> None:
        requested = data.get("session_id") if isinstance(data, dict) else None
        bound = (await sio.get_session(sid)).get("bound")
        # A stored id the bot would refuse (not text, too long) is replaced, not confirmed:
        # the widget keeps the confirmed id, and every message under a bad one would fail.
        # A token for one conversation gets that one, whatever the client had stored.
        if bound is not None:
            session_id = bound
        else:
            session_id = requested if is_valid_sender(requested) else uuid.uuid4().hex
        await _join(sid, session_id)
        await sio.emit("session_confirm", session_id, to=sid)
        # deskbot's widget counts toward the limit as the user types (rasa-webchat ignores it)
        await sio.emit("deskbot_limits", {"max_message_chars": settings.max_message_chars}, to=sid)

    async def _join(sid: str, session_id: str) -> None:
        """Make ``session_id`` this socket's conversation, leaving the one it had: a socket
        that switched kept receiving the old conversation's messages.

        Two events of one socket run as concurrent tasks, yet cannot interleave here: the
        session and the rooms are this process's memory (with the Redis manager too), so none
        of these awaits suspends."""
        async with sio.session(sid) as session:
            previous = session.get("session_id")
            session["session_id"] = session_id
        if previous is not None and previous != session_id:
            await sio.leave_room(sid, ROOM_PREFIX + previous)
        await sio.enter_room(sid, ROOM_PREFIX + session_id)

    # Each event runs as a task of its own: the widget's greeting and a question typed
    # before it was answered raced for the conversation, and under load the question was
    # answered first and the greeting came after the answer. A socket's messages are handled
    # in the order sent (the lock is taken before the task first yields).
    in_order: dict[str, asyncio.Lock] = {}

    async def user_uttered(sid: str, data: Any = None) -> dict[str, Any] | None:
        """Handle one message; the return value acknowledges it to clients that ask
        (deskbot's widget uses it to stop its typing indicator; rasa-webchat does not ask)."""
        async with in_order.setdefault(sid, asyncio.Lock()):
            return await _user_uttered(sid, data)

    async def disconnect(sid: str, *_reason: Any) -> None:
        in_order.pop(sid, None)

    async def _user_uttered(sid: str, data: Any) -> dict[str, Any] | None:
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            await _refuse(sid, "user_uttered needs {'message': str, 'session_id': str}", 422)
            return None
        session = await sio.get_session(sid)
        session_id = data.get("session_id") or session.get("session_id") or sid
        if not is_valid_sender(session_id):  # refused before it becomes this socket's session
            await _refuse(sid, f"session_id: {SENDER_RULE}", 422)
            return None
        bound = session.get("bound")
        if bound is not None and session_id != bound:
            await _refuse(sid, "session_id: this token is for another conversation", 403)
            return None
        if session.get("session_id") != session_id:
            await _join(sid, session_id)
        environ = sio.get_environ(sid) or {}
        address = _client_address(environ)
        try:
            replies = await run_turn(
                context,
                session_id,
                data["message"],
                _metadata(data),
                channel="socketio",
                address=address,
            )
        except BotError as error:
            await _refuse(sid, str(error), error.status_code)
            return None
        except Exception:  # as the HTTP API's 500: said to the widget, counted and logged
            log.exception("unhandled error in user_uttered of %s", session_id)
            context.metrics.errors.labels(error="InternalError").inc()
            await _refuse(sid, "the server failed; see its log", 500)
            return None
        text = data["message"]
        if not text.startswith("/"):  # a button's payload: its other tabs show the reply only
            # The user's other tabs of this chat showed the bot's reply to a message they
            # never saw (rasa-webchat ignores the event).
            room = ROOM_PREFIX + session_id
            await sio.emit("deskbot_user_echo", {"text": text}, room=room, skip_sid=sid)
        for reply in replies:
            await sio.emit("bot_uttered", reply.to_socketio(), room=ROOM_PREFIX + session_id)
        if replies:
            return {"replies": len(replies)}
        summary = await context.services.transcripts.get(session_id)
        return {"replies": 0, "handoff": summary.handoff if summary else "bot"}

    async def _refuse(sid: str, detail: str, status: int) -> None:
        await sio.emit("deskbot_error", {"error": status, "detail": detail}, to=sid)

    sio.on("connect", connect)
    sio.on("session_request", session_request)
    sio.on("user_uttered", user_uttered)
    sio.on("disconnect", disconnect)
    return sio


def message_sink(sio: socketio.AsyncServer) -> Callable[[str, BotMessage], Awaitable[None]]:
    """A dialogue listener that emits agent (and other pushed) messages to the user's room."""

    async def deliver(conversation_id: str, message: BotMessage) -> None:
        for part in message.split():
            await sio.emit("bot_uttered", part.to_socketio(), room=ROOM_PREFIX + conversation_id)

    return deliver


class SocketIOMount:
    """Holds the socket.io ASGI handler once the lifespan has built it."""

    def __init__(self) -> None:
        self.handler: Callable[[Scope, Receive, Send], Awaitable[None]] | None = None


class SocketIODispatch:
    """ASGI middleware sending ``/socket.io/`` to the socket.io server built in the lifespan.

    It sits outside the CORS middleware because engine.io answers its own CORS.
    """

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], mount: SocketIOMount
    ) -> None:
        self.app = app
        self.mount = mount

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.mount.handler
        if (
            handler is not None
            and scope["type"] in ("http", "websocket")
            and str(scope.get("path", "")).startswith("/socket.io/")
        ):
            await handler(scope, receive, send)
            return
        await self.app(scope, receive, send)


def asgi_app(sio: socketio.AsyncServer) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The engine.io ASGI handler of ``sio`` (without a fallback app: dispatch decides)."""
    handler: Callable[[Scope, Receive, Send], Awaitable[None]] = socketio.ASGIApp(
        sio, socketio_path="socket.io"
    )
    return handler
