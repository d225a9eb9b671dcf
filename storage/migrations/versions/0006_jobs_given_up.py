"""jobs that were given up are marked, so an operator can count them

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("failed_at", storage.models.UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_jobs_failed_at", "jobs", ["failed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_jobs_failed_at", table_name="jobs")
    op.drop_column("jobs", "failed_at")
