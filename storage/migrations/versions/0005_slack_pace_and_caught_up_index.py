"""slack pace shared by replicas; caught-up messages marked and indexed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_pace",
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_slack_pace")),
    )
    op.add_column("conversations", sa.Column("caught_up_at", storage.models.UTCDateTime(timezone=True), nullable=True))
    where = sa.text("received_via IN ('getincoming', 'mobileapp')")
    op.create_index(
        "ix_messages_caught_up", "messages", ["conversation_id", "created_at"], unique=False, sqlite_where=where, postgresql_where=where
    )


def downgrade() -> None:
    op.drop_index("ix_messages_caught_up", table_name="messages")
    op.drop_column("conversations", "caught_up_at")
    op.drop_table("slack_pace")
