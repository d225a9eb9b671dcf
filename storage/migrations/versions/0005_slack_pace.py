"""slack pace shared by replicas

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slack_pace',
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('next_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('channel_id', name=op.f('pk_slack_pace'))
    )


def downgrade() -> None:
    op.drop_table('slack_pace')
