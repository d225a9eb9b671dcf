"""an audit log, opt-outs that remember where they came from, erasure that keeps an opt-out

``audit_log`` records every send, consent change, contact and data-protection act;
``forgotten_opt_outs`` keeps the salted hash of an erased number that had opted out;
``install_keys`` holds that salt. An opt-out row records the SMS that set it, and a
conversation when an SMS only hinted at opting out. Each existing opt-out enters the
audit log once, so the history starts complete.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_WHEN = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("phone", sa.String(length=80), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("parts", sa.Integer(), nullable=True),
        sa.Column("mprofi_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_phone_at", "audit_log", ["phone", "at"])
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor", "at"])
    op.create_table(
        "forgotten_opt_outs",
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("word", sa.String(length=40), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("phone_hash", name=op.f("pk_forgotten_opt_outs")),
    )
    op.create_table(
        "install_keys",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_install_keys")),
    )
    op.add_column("opt_outs", sa.Column("message_id", sa.Integer(), nullable=True))
    op.add_column("conversations", sa.Column("opt_out_hint_at", _WHEN, nullable=True))
    op.execute("INSERT INTO audit_log (at, kind, actor, phone, detail) SELECT at, 'opt_out', by, phone, word FROM opt_outs ORDER BY at")


def downgrade() -> None:
    op.drop_column("conversations", "opt_out_hint_at")
    op.drop_column("opt_outs", "message_id")
    op.drop_table("install_keys")
    op.drop_table("forgotten_opt_outs")
    op.drop_index("ix_audit_log_actor_at", table_name="audit_log")
    op.drop_index("ix_audit_log_phone_at", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
