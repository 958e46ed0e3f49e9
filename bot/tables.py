"""The bot package's tables: conversations, transcript events, session state, locks, tokens,
reminders."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from knowledge.tables import NAMING

metadata = MetaData(naming_convention=NAMING)
PREVIEW_CHARS = 200

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("status", String(16), nullable=False, default="open"),
    Column("handoff", String(16), nullable=False, default="bot"),
    Column("has_low_confidence", Boolean, nullable=False, default=False),
    # The highest sequence number handed out; appends bump it under a row lock.
    Column("last_seq", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # What the user last wrote (its start): the agents' list tells waiting chats apart by it.
    Column("last_user_text", String(PREVIEW_CHARS), nullable=True),
    # When the handoff state last changed: the agents' queue is served longest-waiting first.
    Column("handoff_at", DateTime(timezone=True), nullable=True),
    Index("ix_conversations_updated_at", "updated_at"),
    Index("ix_conversations_handoff", "handoff"),
)

conversation_events = Table(
    "conversation_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "conversation_id",
        String(200),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("seq", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    Column("actor", String(200), nullable=True),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("conversation_id", "seq", name="uq_conversation_events_seq"),
)

session_states = Table(
    "session_states",
    metadata,
    Column("conversation_id", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Column("expires_at", Float, nullable=False),
)

conversation_locks = Table(
    "conversation_locks",
    metadata,
    Column("conversation_id", String(200), primary_key=True),
    Column("token", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    # Only a SHA-256 of the token is kept; the token itself is shown once at creation.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked", Boolean, nullable=False, default=False),
)

# Rasa's ReminderScheduled: kept here, not in a process's memory, so a reminder outlives a
# restart and any serving process may fire it (the first to claim it).
reminders = Table(
    "reminders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("intent", String(200), nullable=False),
    Column("entities", JSON, nullable=False),
    Column("due_at", Float, nullable=False),
    Column("kill_on_user_message", Boolean, nullable=False),
    # Set by the process firing it; past this another process may claim it again.
    Column("claimed_until", Float, nullable=True),
    UniqueConstraint("conversation_id", "name", name="uq_reminders_name"),
    Index("ix_reminders_due_at", "due_at"),
    # Ids are never reused: a reminder set again must not pass for one claimed before.
    sqlite_autoincrement=True,
)
