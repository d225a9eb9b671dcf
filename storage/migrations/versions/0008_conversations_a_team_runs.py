"""conversations a team runs: state, owner, snooze, reminders; contacts; the undo window

Conversations gain their state (new, waiting for us, waiting for the customer, closed),
an owner, a snooze and the bookkeeping for reminders; the names that lived on the
conversation row move to ``contacts`` (one per number, whatever channel it texts);
outgoing messages gain their undo window and the reaction that shows their state;
inbound ones record when their webhook was answered; an opt-out records who set it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_WHEN = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("search_name", sa.String(length=200), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_contacts")),
    )
    op.create_index("ix_contacts_search_name", "contacts", ["search_name"], unique=False)
    # A name kept on a conversation becomes the number's contact (the first one wins).
    op.execute(
        sa.text(
            "INSERT INTO contacts (phone, name, search_name, updated_at) "
            "SELECT phone, MIN(contact_name), LOWER(MIN(contact_name)), CURRENT_TIMESTAMP FROM conversations "
            "WHERE contact_name IS NOT NULL AND contact_name <> '' GROUP BY phone"
        )
    )
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("contact_name")
        batch.drop_column("opted_out")
        batch.add_column(sa.Column("state", sa.String(length=20), nullable=False, server_default="new"))
        batch.add_column(sa.Column("owner", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("state_by", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("snoozed_until", _WHEN, nullable=True))
        batch.add_column(sa.Column("waiting_since", _WHEN, nullable=True))
        batch.add_column(sa.Column("reminded_at", _WHEN, nullable=True))
        batch.add_column(sa.Column("last_outbound_at", _WHEN, nullable=True))
        batch.add_column(sa.Column("last_hlr", sa.JSON(), nullable=True))
    op.create_index("ix_conversations_snoozed_until", "conversations", ["snoozed_until"], unique=False)
    op.create_index("ix_conversations_waiting_since", "conversations", ["waiting_since"], unique=False)
    # Conversations that already have messages: the last one says who waits for whom.
    op.execute(
        sa.text(
            "UPDATE conversations SET state = CASE "
            "(SELECT direction FROM messages m WHERE m.conversation_id = conversations.id AND m.kind <> 'note' "
            " ORDER BY m.id DESC LIMIT 1) WHEN 'in' THEN 'waiting_us' WHEN 'out' THEN 'waiting_customer' ELSE 'new' END"
        )
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("reaction", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("send_after", _WHEN, nullable=True))
        batch.add_column(sa.Column("answered_at", _WHEN, nullable=True))
    op.add_column("opt_outs", sa.Column("by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("opt_outs", "by")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("answered_at")
        batch.drop_column("send_after")
        batch.drop_column("reaction")
    op.drop_index("ix_conversations_waiting_since", table_name="conversations")
    op.drop_index("ix_conversations_snoozed_until", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        for name in ("last_hlr", "last_outbound_at", "reminded_at", "waiting_since", "snoozed_until", "state_by", "owner", "state"):
            batch.drop_column(name)
        batch.add_column(sa.Column("opted_out", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("contact_name", sa.String(length=200), nullable=True))
    op.execute(sa.text("UPDATE conversations SET contact_name = (SELECT name FROM contacts c WHERE c.phone = conversations.phone)"))
    op.drop_index("ix_contacts_search_name", table_name="contacts")
    op.drop_table("contacts")
