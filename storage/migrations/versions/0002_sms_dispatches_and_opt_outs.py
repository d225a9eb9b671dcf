"""sms dispatches and opt-outs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger_id", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=True),
        sa.Column("send_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_url", sa.Text(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("refused", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("progress_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatches")),
        sa.UniqueConstraint("trigger_id", name=op.f("uq_dispatches_trigger_id")),
    )
    op.create_table(
        "opt_outs",
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("word", sa.String(length=40), nullable=False),
        sa.Column("at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_opt_outs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatch_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_jobs_dispatch_id_dispatches"), "dispatches", ["dispatch_id"], ["id"])

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatch_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_dispatch_id"), ["dispatch_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_messages_dispatch_id_dispatches"), "dispatches", ["dispatch_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_messages_dispatch_id_dispatches"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_messages_dispatch_id"))
        batch_op.drop_column("dispatch_id")

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_jobs_dispatch_id_dispatches"), type_="foreignkey")
        batch_op.drop_column("dispatch_id")

    op.drop_table("opt_outs")
    op.drop_table("dispatches")
