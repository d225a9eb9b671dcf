"""an index of the jobs still open, by line

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01

A claim asks of every due job whether an earlier one of its line (conversation, lane)
is still open. Without statistics (a fresh PostgreSQL, or a queue that grew faster than
autovacuum looks) PostgreSQL answered that through ``ix_jobs_pending`` and compared
every open job with every other: 107 ms for 2,000 queued jobs instead of 1 ms.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_OPEN = "done_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_jobs_lane_open",
        "jobs",
        ["conversation_id", "lane", "id"],
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_lane_open", table_name="jobs")
