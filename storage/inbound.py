"""Storing what phones sent: many webhooks' messages in one set of bulk statements."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Attachment, Conversation, Job, Message

__all__ = ["add_messages", "add_attachments", "add_jobs", "set_repeat_of", "set_received_via", "touch_conversations", "mark_answered"]


async def add_messages(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows; their ids in the same order."""
    if not rows:
        return []
    inserted = await session.execute(insert(Message).returning(Message.id, sort_by_parameter_order=True), rows)
    return [row.id for row in inserted]


async def add_attachments(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(Attachment), rows)


async def add_jobs(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Many jobs in one statement (:func:`storage.queue.enqueue` adds one through the ORM)."""
    if rows:
        await session.execute(insert(Job), rows)


async def set_repeat_of(session: AsyncSession, message_id: int, first_id: int) -> None:
    """The phone sent the same text again soon after: the message points at the first."""
    await session.execute(update(Message).where(Message.id == message_id).values(repeat_of_id=first_id))


async def set_received_via(session: AsyncSession, message_id: int, via: str) -> None:
    """A webhook brought a message the catch-up had already stored: it came by webhook after all."""
    await session.execute(update(Message).where(Message.id == message_id).values(received_via=via))


async def touch_conversations(
    session: AsyncSession, ids: Collection[int], *, inbound_at: datetime, caught_up: Collection[int] = ()
) -> None:
    """When each conversation last heard from its phone (and last had a message caught up)."""
    if ids:
        await session.execute(update(Conversation).where(Conversation.id.in_(set(ids))).values(last_inbound_at=inbound_at))
    if caught_up:
        await session.execute(update(Conversation).where(Conversation.id.in_(set(caught_up))).values(caught_up_at=inbound_at))


async def mark_answered(sessions: async_sessionmaker[AsyncSession], message_ids: Collection[int], *, at: datetime) -> None:
    """Our 2xx went out for the webhooks that brought these messages, so mProfi will not send
    them again: a later one with the same text is the customer's own. The first answer's time is kept."""
    if not message_ids:
        return
    async with sessions() as session, session.begin():
        await session.execute(_ANSWERED, {"ids": list(set(message_ids)), "at": at})


_ANSWERED = (
    update(Message)
    .where(Message.id.in_(bindparam("ids", expanding=True)), Message.answered_at.is_(None))
    .values(answered_at=bindparam("at"))
    .execution_options(synchronize_session=False)  # a session of its own: nothing loaded to bring up to date
)
