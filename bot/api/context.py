"""What the HTTP layer works with: the services plus the dialogue manager and FAQ objects.

The API depends on small Protocols rather than concrete classes, so its tests can run with
stand-ins and the app works whichever process built the real objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import Request

from bot.dialogue.messages import BotMessage, MessageSink
from bot.dialogue.ports import Parser
from bot.errors import BotError, InvalidInput
from bot.services import Services

if TYPE_CHECKING:
    from bot.api.metrics import ApiMetrics
    from bot.api.ratelimit import RateLimiter
    from bot.project import Domain
    from bot.reminders import Reminder, ReminderStore
    from knowledge import FaqBase, FaqRetriever


class Dialogue(Protocol):
    """The part of ``bot.dialogue.DialogueManager`` the channels and the console call."""

    parser: Parser | None  # the app times it into its metrics
    domain: Domain  # annotations are checked against its intents and entities
    reminders: ReminderStore  # the serving process fires what is due

    async def handle(
        self,
        sender_id: str,
        text: str,
        metadata: dict[str, Any] | None = None,
        *,
        channel: str = "rest",
    ) -> list[BotMessage]: ...

    async def takeover(
        self, conversation_id: str, agent: str, *, force: bool = False, holder: str | None = None
    ) -> None: ...

    async def release(
        self, conversation_id: str, agent: str, *, force: bool = False, holder: str | None = None
    ) -> None: ...

    async def close(
        self, conversation_id: str, agent: str, *, force: bool = False, holder: str | None = None
    ) -> None: ...

    async def agent_message(self, conversation_id: str, agent: str, text: str) -> BotMessage: ...

    def add_listener(self, sink: MessageSink) -> None: ...

    async def annotate(
        self,
        conversation_id: str,
        seq: int,
        intent: str,
        entities: list[dict[str, Any]],
        agent: str,
    ) -> None: ...

    async def parse(self, text: str) -> dict[str, Any]: ...

    async def model_parse(self, text: str) -> dict[str, Any]: ...

    async def tracker(
        self, conversation_id: str, include_events: str = "AFTER_RESTART"
    ) -> dict[str, Any]: ...

    async def trigger_intent(
        self, conversation_id: str, intent: str, entities: Any = None, *, deliver: bool = False
    ) -> list[BotMessage]: ...

    async def fire_reminder(self, reminder: Reminder) -> list[BotMessage]: ...

    async def chat_reading(self, parse: dict[str, Any]) -> dict[str, Any]: ...

    async def chat_reply(
        self, parse: dict[str, Any], reading: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...

    def ready(self) -> dict[str, bool]: ...


class InvalidRequest(InvalidInput):
    """A request that is well-formed JSON but cannot be carried out as sent."""


class ServiceUnavailable(BotError):
    """A part of the bot this route needs is not configured or not loaded."""

    status_code = 503


@dataclass
class ApiContext:
    """Everything a request handler may use; built once per process in the lifespan."""

    services: Services
    dialogue: Dialogue | None
    faq: FaqBase | None
    retriever: FaqRetriever | None
    metrics: ApiMetrics
    limiter: RateLimiter

    def need_dialogue(self) -> Dialogue:
        """The dialogue manager, or a 503 saying the bot is not loaded."""
        if self.dialogue is None:
            raise ServiceUnavailable("the dialogue manager is not loaded; check /ready")
        return self.dialogue

    def need_faq(self) -> FaqBase:
        """The FAQ base, or a 503 saying the FAQ is not configured."""
        if self.faq is None:
            raise ServiceUnavailable("the FAQ knowledge base is not configured; check /ready")
        return self.faq

    def need_retriever(self) -> FaqRetriever:
        """The FAQ retriever, or a 503 saying it is not loaded."""
        if self.retriever is None:
            raise ServiceUnavailable("the FAQ retriever is not loaded; check /ready")
        return self.retriever


def api_context(request: Request) -> ApiContext:
    """FastAPI dependency: this process's :class:`ApiContext`."""
    context: ApiContext = request.app.state.deskbot
    return context
