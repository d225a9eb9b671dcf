"""indexes for the Home tab's lists

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

The Home tab's "Waiting for us" and "My conversations" read every conversation of
the channel without them: after a year, thousands of closed ones on each open tab.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_WAITING = "waiting_since IS NOT NULL"
_OWNED = "owner IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_conversations_home_waiting",
        "conversations",
        ["channel_id", "waiting_since"],
        sqlite_where=sa.text(_WAITING),
        postgresql_where=sa.text(_WAITING),
    )
    op.create_index("ix_conversations_owner", "conversations", ["owner"], sqlite_where=sa.text(_OWNED), postgresql_where=sa.text(_OWNED))


def downgrade() -> None:
    op.drop_index("ix_conversations_owner", table_name="conversations")
    op.drop_index("ix_conversations_home_waiting", table_name="conversations")
