"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from redis.asyncio import Redis
from sqlalchemy import text

from bot.api.auth import Context
from bot.api.context import ApiContext

router = APIRouter(tags=["operations"])
CHECK_TIMEOUT = 2.0


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


async def _database(context: ApiContext) -> tuple[bool, str]:
    def ping() -> None:
        with context.services.engine.connect() as conn:
            conn.execute(text("select 1"))

    try:
        await asyncio.wait_for(asyncio.to_thread(ping), CHECK_TIMEOUT)
        return True, "ok"
    except Exception as error:
        return False, f"{type(error).__name__}: {error}"[:300]


async def _redis(url: str) -> tuple[bool, str]:
    client: Redis = Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT)
    try:
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT)
        return True, "ok"
    except Exception as error:
        return False, f"{type(error).__name__}: {error}"[:300]
    finally:
        await client.aclose()


@router.get("/ready", responses={503: {"description": "a dependency is not ready"}})
async def ready(context: Context) -> JSONResponse:
    """Ready to serve: the model is loaded and the database (and Redis, if set) answer."""
    checks: dict[str, dict[str, Any]] = {}
    ok, detail = await _database(context)
    checks["database"] = {"ok": ok, "detail": detail}
    if context.services.settings.redis_url:
        ok, detail = await _redis(context.services.settings.redis_url)
        checks["redis"] = {"ok": ok, "detail": detail}
    if context.dialogue is None:
        checks["dialogue"] = {"ok": False, "detail": "the dialogue manager is not loaded"}
    else:
        for name, loaded in context.dialogue.ready().items():
            checks[name] = {"ok": bool(loaded), "detail": "ok" if loaded else "not loaded"}
    all_ok = all(check["ok"] for check in checks.values())
    return JSONResponse(
        {"status": "ready" if all_ok else "not ready", "checks": checks},
        status_code=200 if all_ok else 503,
    )


# Monitors and load balancers often probe with HEAD; kept out of the schema, which would
# otherwise list each operation twice under one id.
router.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)
router.add_api_route("/ready", ready, methods=["HEAD"], include_in_schema=False)


@router.get("/metrics", response_class=Response)
async def metrics(context: Context) -> Response:
    """Prometheus metrics of this worker."""
    return Response(context.metrics.render(), media_type=CONTENT_TYPE_LATEST)
