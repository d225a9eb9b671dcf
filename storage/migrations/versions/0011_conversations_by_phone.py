"""conversations found by phone across channels

With routing a number can have a conversation in several channels; an inbound SMS
looks up all of them by phone, which the (channel_id, phone) key cannot serve.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_conversations_phone", "conversations", ["phone"])


def downgrade() -> None:
    op.drop_index("ix_conversations_phone", table_name="conversations")
