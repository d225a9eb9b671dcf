"""hlr checks and survey notifications

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hlr_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger_id", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("response_url", sa.Text(), nullable=True),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=True),
        sa.Column("upload_id", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("progress_ts", sa.String(length=32), nullable=True),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hlr_checks")),
        sa.UniqueConstraint("trigger_id", name=op.f("uq_hlr_checks_trigger_id")),
    )
    op.create_table(
        "survey_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("survey_id", sa.BigInteger(), nullable=True),
        sa.Column("msisdn", sa.String(length=32), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("slack_ts", sa.String(length=32), nullable=True),
        sa.Column("received_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_notifications")),
    )
    op.create_table(
        "survey_threads",
        sa.Column("survey_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("survey_id", name=op.f("pk_survey_threads")),
    )


def downgrade() -> None:
    op.drop_table("survey_threads")
    op.drop_table("survey_notifications")
    op.drop_table("hlr_checks")
