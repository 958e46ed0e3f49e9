"""Bearer-token auth for the agents' console and the FAQ editor (roles ``agent`` and ``admin``)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request

from bot.api.context import ApiContext, api_context
from bot.errors import BotError
from bot.tokens import TokenInfo

TOUCH_SECONDS = 30.0


class Unauthorized(BotError):
    """No token, or one that is unknown or revoked."""

    status_code = 401


class Forbidden(BotError):
    """A valid token whose role may not do this."""

    status_code = 403


# Every request reads its token, so a revoked token is refused at once by every worker; the
# last-used time is written at most once per TOUCH_SECONDS per token, or a console polling
# every 2 s would write it on every request.
_touched: dict[str, float] = {}


async def current_token(
    request: Request, context: Annotated[ApiContext, Depends(api_context)]
) -> TokenInfo:
    """The token of this request (``Authorization: Bearer <token>``).

    Raises:
        Unauthorized: the header is missing, or the token unknown or revoked.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("log in with an API token: send 'Authorization: Bearer <token>'")
    return await verified(token.strip(), context)


async def verified(token: str, context: ApiContext) -> TokenInfo:
    """The token's holder and role (its last use recorded now and then).

    Raises:
        Unauthorized: the token is unknown or revoked.
    """
    now = time.monotonic()
    touch = _touched.get(token, 0.0) <= now
    info = await context.services.tokens.averify(token, touch=touch)
    if info is None:
        _touched.pop(token, None)
        raise Unauthorized(
            "this API token is unknown or revoked; create one with "
            "'deskbot token create --role agent'"
        )
    if touch:
        if len(_touched) > 1000:
            _touched.clear()
        _touched[token] = now + TOUCH_SECONDS
    return info


async def agent_token(info: Annotated[TokenInfo, Depends(current_token)]) -> TokenInfo:
    """An ``agent`` or ``admin`` token (an admin can do what an agent can)."""
    if info.role not in ("agent", "admin"):
        raise Forbidden(f"role {info.role!r} may not use the agents' console")
    return info


async def admin_token(info: Annotated[TokenInfo, Depends(current_token)]) -> TokenInfo:
    """An ``admin`` token.

    Raises:
        Forbidden: the token is an agent's.
    """
    if info.role != "admin":
        raise Forbidden("this needs an admin token; agents may not edit the FAQ")
    return info


AgentToken = Annotated[TokenInfo, Depends(agent_token)]
AdminToken = Annotated[TokenInfo, Depends(admin_token)]
Context = Annotated[ApiContext, Depends(api_context)]
