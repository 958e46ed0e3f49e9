"""reminders

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reminders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('intent', sa.String(length=200), nullable=False),
    sa.Column('entities', sa.JSON(), nullable=False),
    sa.Column('due_at', sa.Float(), nullable=False),
    sa.Column('kill_on_user_message', sa.Boolean(), nullable=False),
    sa.Column('claimed_until', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    sa.UniqueConstraint('conversation_id', 'name', name='uq_reminders_name'),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_due_at', ['due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_due_at')
    op.drop_table('reminders')
