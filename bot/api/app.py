"""The FastAPI application factory; every dependency is built in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.db import create_db_engine
from bot.errors import BotError
from bot.services import Services, build_services
from bot.settings import Settings


@dataclass
class AppState:
    services: Services


def create_app(settings: Settings) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings.database_url)
        services = await build_services(settings, engine)
        app.state.deskbot = AppState(services=services)
        try:
            yield
        finally:
            await services.aclose()
            engine.dispose()

    app = FastAPI(title="deskbot", version="0.1.0", lifespan=lifespan)

    @app.exception_handler(BotError)
    async def bot_error(_request: Request, error: BotError) -> JSONResponse:
        return JSONResponse(
            {"error": type(error).__name__, "detail": str(error)}, status_code=error.status_code
        )

    @app.get("/health")
    async def health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    return app
