"""campaigns from a spreadsheet

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_WHEN = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger_id", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("template_name", sa.String(length=40), nullable=True),
        sa.Column("plain", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("hlr_upload_id", sa.String(length=100), nullable=True),
        sa.Column("hlr_polls", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=True),
        sa.Column("send_at", _WHEN, nullable=True),
        sa.Column("sent_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["dispatch_id"], ["dispatches.id"], name=op.f("fk_campaigns_dispatch_id_dispatches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("trigger_id", name=op.f("uq_campaigns_trigger_id")),
        sa.UniqueConstraint("dispatch_id", name=op.f("uq_campaigns_dispatch_id")),
    )
    op.create_table(
        "campaign_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("cells", sa.JSON(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("plain_parts", sa.Integer(), nullable=False),
        sa.Column("unicode", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_rows_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_campaign_rows_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_rows")),
    )
    op.create_index("ix_campaign_rows_campaign_kind", "campaign_rows", ["campaign_id", "kind", "id"])
    op.create_index("ix_campaign_rows_campaign_phone", "campaign_rows", ["campaign_id", "phone"])


def downgrade() -> None:
    op.drop_index("ix_campaign_rows_campaign_phone", table_name="campaign_rows")
    op.drop_index("ix_campaign_rows_campaign_kind", table_name="campaign_rows")
    op.drop_table("campaign_rows")
    op.drop_table("campaigns")
