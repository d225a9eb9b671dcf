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

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_WHEN = storage.models.UTCDateTime(timezone=True)
WAITING_WHERE = "waiting_since IS NOT NULL AND reminded_at IS NULL AND snoozed_until IS NULL"


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
    # A name kept on a conversation becomes the number's contact (the earliest conversation's
    # name wins), with its search key computed as the app computes it (Polish letters too).
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT phone, contact_name FROM conversations WHERE contact_name IS NOT NULL AND contact_name <> '' ORDER BY id")
    ).all()
    named: dict[str, str] = {}
    for phone, name in rows:
        named.setdefault(str(phone), str(name))
    if named:
        contacts = sa.table(
            "contacts",
            sa.column("phone", sa.String),
            sa.column("name", sa.String),
            sa.column("search_name", sa.String),
            sa.column("updated_at", _WHEN),
        )
        now = datetime.now(UTC)
        op.bulk_insert(
            contacts,
            [
                {"phone": phone, "name": name, "search_name": " ".join(name.casefold().split()), "updated_at": now}
                for phone, name in named.items()
            ],
        )
    # Plain ALTER TABLE, no batch copy: SQLite (3.35+) drops and adds columns in place, and
    # copying the table would trip the foreign keys that point at its rows.
    op.drop_column("conversations", "contact_name")
    op.drop_column("conversations", "opted_out")
    for column in _conversation_columns():
        op.add_column("conversations", column)
    op.create_index("ix_conversations_snoozed_until", "conversations", ["snoozed_until"], unique=False)
    op.create_index(
        "ix_conversations_waiting",
        "conversations",
        ["waiting_since"],
        unique=False,
        sqlite_where=sa.text(WAITING_WHERE),
        postgresql_where=sa.text(WAITING_WHERE),
    )
    op.create_index("ix_messages_phone_created", "messages", ["phone", "created_at"], unique=False)
    # Conversations that already have messages: the last one says who waits for whom.
    op.execute(
        sa.text(
            "UPDATE conversations SET state = CASE "
            "(SELECT direction FROM messages m WHERE m.conversation_id = conversations.id AND m.kind <> 'note' "
            " ORDER BY m.id DESC LIMIT 1) WHEN 'in' THEN 'waiting_us' WHEN 'out' THEN 'waiting_customer' ELSE 'new' END"
        )
    )
    for column in _message_columns():
        op.add_column("messages", column)
    op.add_column("opt_outs", sa.Column("by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("opt_outs", "by")
    for column in _message_columns():
        op.drop_column("messages", column.name)
    op.drop_index("ix_messages_phone_created", table_name="messages")
    op.drop_index("ix_conversations_waiting", table_name="conversations")
    op.drop_index("ix_conversations_snoozed_until", table_name="conversations")
    for column in _conversation_columns():
        op.drop_column("conversations", column.name)
    op.add_column("conversations", sa.Column("opted_out", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("conversations", sa.Column("contact_name", sa.String(length=200), nullable=True))
    op.execute(sa.text("UPDATE conversations SET contact_name = (SELECT name FROM contacts c WHERE c.phone = conversations.phone)"))
    op.drop_index("ix_contacts_search_name", table_name="contacts")
    op.drop_table("contacts")


def _conversation_columns() -> list[sa.Column[Any]]:
    """The new columns, built afresh for each use (a Column belongs to the one table it joined)."""
    return [
        sa.Column("state", sa.String(length=20), nullable=False, server_default="new"),
        sa.Column("owner", sa.String(length=32), nullable=True),
        sa.Column("state_by", sa.String(length=32), nullable=True),
        sa.Column("snoozed_until", _WHEN, nullable=True),
        sa.Column("waiting_since", _WHEN, nullable=True),
        sa.Column("reminded_at", _WHEN, nullable=True),
        sa.Column("last_outbound_at", _WHEN, nullable=True),
        sa.Column("last_hlr", sa.JSON(), nullable=True),
        sa.Column("card_hash", sa.String(length=64), nullable=True),
    ]


def _message_columns() -> list[sa.Column[Any]]:
    """As :func:`_conversation_columns`, for ``messages``."""
    return [
        sa.Column("reaction", sa.String(length=40), nullable=True),
        sa.Column("send_after", _WHEN, nullable=True),
        sa.Column("answered_at", _WHEN, nullable=True),
    ]
