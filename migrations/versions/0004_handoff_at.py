"""when a conversation's handoff state last changed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handoff_at', sa.DateTime(timezone=True), nullable=True))
    # Conversations already handed over: their last activity is the best guess there is.
    op.execute("UPDATE conversations SET handoff_at = updated_at WHERE handoff <> 'bot'")


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('handoff_at')
