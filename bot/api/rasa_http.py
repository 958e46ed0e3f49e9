"""Rasa's HTTP API beside its channels: what monitoring scripts and Rasa tooling call."""

from __future__ import annotations

import asyncio
from importlib.metadata import version as package_version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from bot.api.auth import Context, agent_token, current_token, verified
from bot.api.schemas import ConversationId, TriggerIntentRequest
from bot.dialogue.tracker import RASA_VERSION
from bot.errors import BotError
from bot.tokens import TokenInfo
from bot.training import nlu_model_dir, read_stamp

router = APIRouter(tags=["rasa"])


async def _rasa_token(request: Request, context: Context) -> TokenInfo:
    """An agent's token as Rasa's API takes one, ``?token=``, or as deskbot's does, the
    ``Authorization`` header (Rasa tooling sends the query parameter)."""
    token = request.query_params.get("token", "").strip()
    if token and not request.headers.get("authorization"):
        return await agent_token(await verified(token, context))
    return await agent_token(await current_token(request, context))


RasaToken = Annotated[TokenInfo, Depends(_rasa_token)]
EVENT_VERBOSITY = ("ALL", "APPLIED", "AFTER_RESTART", "NONE")


def _include_events(include_events: str = "AFTER_RESTART") -> str:
    """Rasa's ``include_events`` (any case)."""
    chosen = include_events.strip().upper()
    if chosen not in EVENT_VERBOSITY:
        # 400, as Rasa answers it
        raise BotError(f"include_events must be one of {', '.join(EVENT_VERBOSITY)}")
    return chosen


IncludeEvents = Annotated[str, Depends(_include_events)]


@router.get("/version")
async def rasa_version() -> dict[str, str]:
    """The Rasa version whose formats this server speaks (``/version`` answered 404)."""
    return {
        "version": RASA_VERSION,
        "minimum_compatible_version": RASA_VERSION,
        "deskbot": package_version("deskbot"),
    }


@router.get("/status")
async def rasa_status(context: Context, _token: RasaToken) -> dict[str, Any]:
    """Rasa's status: the loaded model (the NLU model's training stamp as its fingerprint)."""
    project = context.services.project
    model = nlu_model_dir(project) if project is not None else None
    stamp = await asyncio.to_thread(read_stamp, model) if model is not None else {}
    return {
        "model_id": str(stamp.get("project_hash") or "") or None,
        "model_file": str(model) if stamp else None,
        "num_active_training_jobs": 0,
        "fingerprint": stamp,
    }


@router.get("/conversations/{conversation_id}/tracker")
async def rasa_tracker(
    conversation_id: ConversationId, context: Context, _token: RasaToken, events: IncludeEvents
) -> dict[str, Any]:
    """A conversation's tracker as Rasa's API gives it (agents' token: it holds what the
    user said)."""
    return await context.need_dialogue().tracker(conversation_id, events)


@router.post("/conversations/{conversation_id}/trigger_intent")
async def rasa_trigger_intent(
    conversation_id: ConversationId,
    body: TriggerIntentRequest,
    context: Context,
    _token: RasaToken,
    events: IncludeEvents,
    output_channel: str | None = None,
) -> dict[str, Any]:
    """Act on an intent the user did not send, as Rasa's API does (a scheduler or a backend
    telling the bot something happened). With ``output_channel`` ``latest`` (or
    ``socketio``) the replies also reach the user's widget; they are returned either way."""
    dialogue = context.need_dialogue()
    deliver = output_channel in ("latest", "socketio")
    replies = await dialogue.trigger_intent(
        conversation_id, body.name, body.entities, deliver=deliver
    )
    return {
        "tracker": await dialogue.tracker(conversation_id, events),
        "messages": [part.to_rest(conversation_id) for m in replies for part in m.split()],
    }
