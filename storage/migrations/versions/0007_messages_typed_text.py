"""outgoing messages keep what was typed when the phone reads it differently

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("typed_text", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("messages", "typed_text")
