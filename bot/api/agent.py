"""The agents' API: find conversations, read transcripts, take over, reply and annotate."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from bot.api.annotations import export_yaml
from bot.api.auth import AgentToken, Context
from bot.api.context import ApiContext, InvalidRequest
from bot.api.schemas import AgentReply, Annotation, ConversationId
from bot.errors import NotFoundError
from bot.tables import conversation_events
from bot.tokens import token_id_of
from bot.transcripts import ConversationSummary, as_utc

router = APIRouter(prefix="/api/agent", tags=["agents"])
View = Literal["all", "live", "waiting", "human", "low_confidence", "closed"]
LIVE_MINUTES = 30


async def _with_intent(context: ApiContext, intent: str) -> list[str]:
    """Ids of conversations with a user message parsed (or annotated) as ``intent``."""
    events = conversation_events

    def run() -> list[str]:
        parsed = events.c.data["parse"]["intent"]["name"].as_string()
        annotated = events.c.data["intent"].as_string()
        query = (
            select(events.c.conversation_id)
            .where(
                ((events.c.type == "user") & (parsed == intent))
                | ((events.c.type == "annotation") & (annotated == intent))
            )
            .distinct()
            .limit(5000)
        )
        with context.services.engine.connect() as conn:
            return [row[0] for row in conn.execute(query)]

    return await asyncio.to_thread(run)


@router.get("/me")
async def me(token: AgentToken) -> dict[str, Any]:
    """Who this token is."""
    return {"id": token.id, "name": token.name, "role": token.role, "agent": token.signature}


@router.get("/conversations")
async def list_conversations(
    context: Context,
    _token: AgentToken,
    view: View = "all",
    intent: Annotated[str | None, Query(description="a user message had this intent")] = None,
    since: Annotated[datetime | None, Query(description="active at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="active before (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Conversations, most recently active first: all, live, waiting for a human, taken over,
    with low-confidence turns, or closed; optionally by intent and activity dates."""
    filters: dict[str, Any] = {}
    if view == "live":
        filters["status"] = "open"
        recent = datetime.now(UTC) - timedelta(minutes=LIVE_MINUTES)
        since = max(as_utc(since), recent) if since else recent
    elif view == "waiting":
        filters["handoff"] = "pending_human"
    elif view == "human":
        filters["handoff"] = "human"
    elif view == "low_confidence":
        filters["low_confidence"] = True
    elif view == "closed":
        filters["status"] = "closed"
    if intent:
        filters["conversation_ids"] = await _with_intent(context, intent)
    found = await context.services.transcripts.list_conversations(
        since=since, until=until, limit=limit, offset=offset, **filters
    )
    waiting = await context.services.transcripts.list_conversations(
        handoff="pending_human", limit=500
    )
    return {"conversations": [s.to_json() for s in found], "waiting": len(waiting)}


async def _summary_or_404(context: ApiContext, conversation_id: str) -> ConversationSummary:
    summary = await context.services.transcripts.get(conversation_id)
    if summary is None:
        raise NotFoundError(f"no conversation {conversation_id!r}")
    return summary


@router.get("/conversations/{conversation_id}")
async def read_conversation(
    conversation_id: ConversationId,
    context: Context,
    _token: AgentToken,
    after: Annotated[int, Query(ge=0, description="only events after this seq")] = 0,
) -> dict[str, Any]:
    """A conversation's summary and transcript; user events carry their parse and FAQ match."""
    summary = await _summary_or_404(context, conversation_id)
    events = await context.services.transcripts.read_all(conversation_id, after=after, cap=5000)
    return {
        "conversation": {**summary.to_json(), "agent": await _holder(context, conversation_id)},
        "events": [e.to_json() for e in events],
    }


Force = Annotated[bool, Query(description="act on it though another agent has it")]
Holder = Annotated[
    str | None, Query(max_length=300, description="with force: only if this agent still has it")
]


async def _holder(context: ApiContext, conversation_id: str) -> str | None:
    """The agent answering the conversation now. Its live state may be gone (its TTL passed,
    or Redis restarted) while the transcript says an agent has it: the agent who took it
    last, as the conversation's next turn will find too."""
    state = await context.services.sessions.load(conversation_id)
    if state is not None:
        return state.holder
    return await context.services.transcripts.last_agent(conversation_id)


async def _agent_action(
    context: ApiContext,
    conversation_id: ConversationId,
    token: AgentToken,
    action: Literal["takeover", "release", "close"],
    force: bool,
    holder: str | None,
) -> dict[str, Any]:
    """Take over, release or close, refused (409) while another agent has the conversation
    unless ``force``. A holder whose token was revoked has left: no force is needed."""
    await _summary_or_404(context, conversation_id)
    me = token.signature
    current = await _holder(context, conversation_id)
    # A holder whose token was revoked has left: taking over from them needs no force.
    token_id = token_id_of(current) if current and current != me and not force else None
    if token_id is not None and not await asyncio.to_thread(
        context.services.tokens.is_live, token_id
    ):
        force, holder = True, current
    dialogue = context.need_dialogue()
    method = {"takeover": dialogue.takeover, "release": dialogue.release, "close": dialogue.close}
    await method[action](conversation_id, me, force=force, holder=holder)
    return (await _summary_or_404(context, conversation_id)).to_json()


@router.post("/conversations/{conversation_id}/takeover")
async def takeover(
    conversation_id: ConversationId, context: Context, token: AgentToken, force: Force = False,
    holder: Holder = None,
) -> dict[str, Any]:  # fmt: skip
    """Take the conversation from the bot: it stays silent while the agent answers. Another
    agent's conversation is refused (409) unless ``force``."""
    return await _agent_action(context, conversation_id, token, "takeover", force, holder)


@router.post("/conversations/{conversation_id}/release")
async def release(
    conversation_id: ConversationId, context: Context, token: AgentToken, force: Force = False,
    holder: Holder = None,
) -> dict[str, Any]:  # fmt: skip
    """Give the conversation back to the bot; the user is told they are talking to it again."""
    return await _agent_action(context, conversation_id, token, "release", force, holder)


@router.post("/conversations/{conversation_id}/close")
async def close(
    conversation_id: ConversationId, context: Context, token: AgentToken, force: Force = False,
    holder: Holder = None,
) -> dict[str, Any]:  # fmt: skip
    """Close the conversation."""
    return await _agent_action(context, conversation_id, token, "close", force, holder)


@router.post("/conversations/{conversation_id}/messages")
async def send_message(
    conversation_id: ConversationId, body: AgentReply, context: Context, token: AgentToken
) -> dict[str, Any]:
    """Send the user a message as this agent; it reaches their widget at once."""
    await _summary_or_404(context, conversation_id)
    message = await context.need_dialogue().agent_message(
        conversation_id, token.signature, body.text
    )
    return {"sent": message.to_socketio()}


@router.post("/conversations/{conversation_id}/annotations")
async def annotate(
    conversation_id: ConversationId, body: Annotation, context: Context, token: AgentToken
) -> dict[str, Any]:
    """Record the right intent and entities of one user message (exported as training data)."""
    await _summary_or_404(context, conversation_id)
    page = await context.services.transcripts.read(conversation_id, after=body.seq - 1, limit=1)
    target = page.events[0] if page.events else None
    if target is None or target.seq != body.seq or target.type != "user":
        raise NotFoundError(f"event {body.seq} of {conversation_id!r} is not a user message")
    text = str(target.data.get("text") or "")
    for entity in body.entities:
        if entity.end > len(text) or entity.start >= entity.end:
            raise InvalidRequest(
                f"entities: {entity.entity!r} spans {entity.start}..{entity.end}, outside the "
                f"message's {len(text)} characters"
            )
    entities = [
        {**e.model_dump(exclude_none=True), "value": e.value or text[e.start : e.end]}
        for e in body.entities
    ]
    dialogue = context.need_dialogue()
    await dialogue.annotate(conversation_id, body.seq, body.intent, entities, token.signature)
    # Kept (an annotator may be adding an intent), but said: a typo would teach the model
    # an intent nothing answers.
    notes = (
        []
        if body.intent in dialogue.domain.intents
        else [
            f"the project has no intent {body.intent!r}; training adds it, and no rule answers it"
        ]
    )
    notes += [
        f"the project has no entity {name!r}"
        for name in dict.fromkeys(e["entity"] for e in entities)
        if name not in dialogue.domain.entities
    ]
    return {"seq": body.seq, "intent": body.intent, "entities": entities, "notes": notes}


@router.get("/annotations.yml", response_class=PlainTextResponse)
async def export_annotations(context: Context, _token: AgentToken) -> PlainTextResponse:
    """Every annotation as Rasa NLU YAML (what ``deskbot export annotations`` writes)."""
    text, _count = await asyncio.to_thread(export_yaml, context.services.engine)
    return PlainTextResponse(text, media_type="application/x-yaml")
