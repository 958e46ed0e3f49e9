"""Conversation state: what the session store keeps between turns, serialised to JSON."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from bot.errors import BotError

# An agent in the transcript: "agent:ana#3" (Conversation.agent and the API say "ana#3").
AGENT_ACTOR = "agent:"


def agent_actor(agent: str) -> str:
    """The transcript actor for what an agent does."""
    return AGENT_ACTOR + agent


def agent_of(actor: str | None) -> str | None:
    """The agent behind a transcript actor ("ana#3" for "agent:ana#3"); None for others."""
    if actor is None or not actor.startswith(AGENT_ACTOR):
        return None
    return actor.removeprefix(AGENT_ACTOR)


def agent_name(agent: str) -> str:
    """The person behind an agent's token: "ana" for "ana#3" or "agent:ana#3" (the number
    tells the API's tokens apart; people know each other by name)."""
    name = agent_of(agent) or agent
    base, _, number = name.rpartition("#")
    return base if base and number.isdigit() else name


SCHEMA_VERSION = 1

Handoff = Literal["bot", "pending_human", "human", "closed"]
HANDOFF_STATES: tuple[str, ...] = ("bot", "pending_human", "human", "closed")


@dataclass
class Conversation:
    """The live state of one conversation. The transcript, not this, is the full record.

    ``version`` is the optimistic-concurrency counter: a store's ``save`` accepts a state only
    when the stored version equals the version it was loaded at.
    """

    id: str
    version: int = 0
    slots: dict[str, Any] = field(default_factory=dict)
    active_form: str | None = None
    requested_slot: str | None = None
    handoff: Handoff = "bot"
    # The agent who took the conversation over (while ``handoff`` is "human").
    agent: str | None = None
    paused: bool = False
    fallback_count: int = 0
    followup_action: str | None = None
    latest_message: dict[str, Any] | None = None
    latest_action: str | None = None
    # The last N events of this conversation (bounded by the dialogue manager).
    events: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    session_started_at: float = field(default_factory=time.time)
    last_activity_at: float = field(default_factory=time.time)

    @property
    def tracker_slots(self) -> dict[str, Any]:
        """The slots as Rasa's tracker has them, ``requested_slot`` among them (a rule's
        condition may name it)."""
        return {**self.slots, "requested_slot": self.requested_slot}

    @property
    def holder(self) -> str | None:
        """The agent answering the user now, if one is."""
        return self.agent if self.handoff == "human" else None

    def to_json(self) -> str:
        return json.dumps({"schema": SCHEMA_VERSION, **asdict(self)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Conversation:
        """Rebuild a state; unknown keys from a newer writer are ignored, missing ones defaulted.

        Raises:
            BotError: the payload is not a conversation state or is from an unknown schema.
        """
        try:
            data = json.loads(raw)
        except ValueError as error:
            raise BotError(f"stored conversation state is not JSON: {error}") from None
        if not isinstance(data, dict) or "id" not in data:
            raise BotError("stored conversation state has no id")
        schema = data.pop("schema", None)
        if schema != SCHEMA_VERSION:
            raise BotError(f"conversation state schema {schema!r} is not {SCHEMA_VERSION}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
