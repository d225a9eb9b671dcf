"""A number's conversations in every channel, and where the team last texted it from:
what decides the channel an inbound SMS goes to (bot/bridge/routing.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, Dispatch, Message, utcnow

__all__ = ["Placed", "lock_conversations_of", "lock_numbers", "last_sent_channels", "open_conversations"]


@dataclass(frozen=True)
class Placed:
    id: int
    channel_id: str
    caught_up_at: datetime | None
    active_at: datetime  # the last SMS in or out, else when it was opened


async def lock_numbers(session: AsyncSession, phones: Collection[str]) -> None:
    """Take each number's own lock until commit (PostgreSQL; SQLite has one writer anyway).

    Row locks guard conversations that exist; a number with none yet has no row to
    lock, so two first messages at once could each open one — in two channels, if the
    routes send them apart. Taken in one order, so two batches never wait on each other."""
    if session.get_bind().dialect.name != "postgresql" or not phones:
        return
    keys = sorted({int.from_bytes(hashlib.sha256(phone.encode()).digest()[:8], "big", signed=True) for phone in phones})
    # One statement for them all (a batch of new numbers took one round trip each). The
    # ORDER BY is what keeps the order: PostgreSQL calls a volatile function in the select
    # list after sorting, so the locks are taken one by one, smallest first.
    await session.execute(text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k"), {"keys": keys})


# Built once: every batch of webhooks asks this.
_FOUND = select(
    Conversation.phone,
    Conversation.id,
    Conversation.channel_id,
    Conversation.caught_up_at,
    Conversation.last_inbound_at,
    Conversation.last_outbound_at,
    Conversation.created_at,
).where(Conversation.phone.in_(bindparam("phones", expanding=True)))
_LOCKED = _FOUND.order_by(Conversation.id).with_for_update()


async def lock_conversations_of(session: AsyncSession, phones: Collection[str], *, lock: bool = True) -> dict[str, list[Placed]]:
    """Every conversation of these numbers, in any channel, locked until commit (``lock``).

    On PostgreSQL the rows are locked in id order (no deadlocks), so two transactions
    storing messages of one number take turns; SQLite lets one writer in at a time anyway.
    """
    query = _LOCKED if lock and session.get_bind().dialect.name == "postgresql" else _FOUND
    found: dict[str, list[Placed]] = {}
    rows = (await session.execute(query, {"phones": list(phones)})).all()
    for phone, conversation_id, channel, caught_up_at, inbound_at, outbound_at, created_at in rows:
        active = max(t for t in (inbound_at, outbound_at, created_at) if t is not None)
        found.setdefault(phone, []).append(Placed(int(conversation_id), channel, caught_up_at, active))
    return found


async def last_sent_channels(session: AsyncSession, phones: Collection[str], *, since: datetime) -> dict[str, str]:
    """For each number texted since ``since``, the channel its latest outgoing message was
    sent from: its conversation's, else the channel its ``/sms`` (or campaign) was typed in."""
    rows = await session.execute(
        select(Message.phone, Conversation.channel_id, Dispatch.channel_id)
        .outerjoin(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(Dispatch, Dispatch.id == Message.dispatch_id)
        .where(Message.phone.in_(phones), Message.direction == "out", Message.kind != "note", Message.created_at >= since)
        .order_by(Message.created_at, Message.id)
    )
    found: dict[str, str] = {}
    for phone, conversation_channel, dispatch_channel in rows.all():
        channel = conversation_channel or dispatch_channel
        if channel:
            found[phone] = channel  # the latest wins
    return found


async def open_conversations(session: AsyncSession, homes: dict[str, str]) -> None:
    """A new conversation for each number (phone → channel) in one statement.

    One that another transaction opened meanwhile (a ``/sms`` to the same number) is
    left as it is: the unique key (channel, phone) decides, and the caller reads them back.
    """
    if not homes:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    rows = [{"channel_id": channel, "phone": phone, "state": "new", "created_at": now} for phone, channel in homes.items()]
    await session.execute(insert(Conversation).on_conflict_do_nothing(index_elements=["channel_id", "phone"]), rows)
