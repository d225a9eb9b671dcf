"""each person's own settings (App Home)

``people_settings`` keeps, per Slack user, the follow-up mention choice made on the
Home tab and when the tab was opened and last published; ``home_marks`` keeps what
each conversation looked like when the Home tabs were last brought up to date.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_WHEN = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "people_settings",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("mention_on_follow_up", sa.Boolean(), nullable=True),
        sa.Column("home_opened_at", _WHEN, nullable=True),
        sa.Column("home_due_at", _WHEN, nullable=True),
        sa.Column("home_published_at", _WHEN, nullable=True),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_people_settings")),
    )
    op.create_table(
        "home_marks",
        sa.Column("conversation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("waiting_since", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_home_marks")),
    )


def downgrade() -> None:
    op.drop_table("home_marks")
    op.drop_table("people_settings")
