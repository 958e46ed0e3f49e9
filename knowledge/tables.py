"""The FAQ tables, owned by the knowledge package (its own MetaData; Alembic targets it)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

faq_entries = Table(
    "faq_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The key staff and imports use to address an entry; re-imports upsert by it.
    Column("external_key", String(200), nullable=False, unique=True),
    Column("question", Text, nullable=False),
    Column("alternatives", JSON, nullable=False, default=list),
    Column("answer", Text, nullable=False),
    Column("buttons", JSON, nullable=False, default=list),
    Column("links", JSON, nullable=False, default=list),
    Column("tags", JSON, nullable=False, default=list),
    Column("language", String(16), nullable=False, default="en"),
    Column("active", Boolean, nullable=False, default=True),
    # Optimistic concurrency: an edit names the version it was made against.
    Column("version", Integer, nullable=False, default=1),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per change. Its id is the base's global revision number: an index is tagged with the
# highest id it reflects, so "is the index stale?" is one comparison.
faq_revisions = Table(
    "faq_revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entry_id", Integer, ForeignKey("faq_entries.id", ondelete="CASCADE"), nullable=False),
    Column("entry_version", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("changes", JSON, nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_faq_revisions_entry", "entry_id", "entry_version"),
)
