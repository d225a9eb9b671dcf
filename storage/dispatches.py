"""A ``/sms`` to many numbers: its rows, its batches and its counts.

The whole broadcast moves by set-based statements (one ``UPDATE`` per batch, not
one per number), which keeps a 10,000-number send to a few dozen round trips.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.kinds import MessageStatus
from storage.models import Dispatch, Message, utcnow

__all__ = [
    "dispatch_by_trigger",
    "add_recipients",
    "set_all",
    "mark_interrupted",
    "next_batch",
    "set_batch",
    "record_batch",
    "status_counts",
    "failures",
    "count_outcomes",
    "schedule_all",
    "single_message",
]


async def dispatch_by_trigger(session: AsyncSession, trigger_id: str) -> Dispatch | None:
    return await session.scalar(select(Dispatch).where(Dispatch.trigger_id == trigger_id))


async def add_recipients(
    session: AsyncSession,
    dispatch: Dispatch,
    numbers: Sequence[str],
    *,
    parts: int,
    status: MessageStatus,
    texts: Mapping[str, tuple[str, int]] | None = None,
) -> None:
    """One outgoing row per number, in one bulk insert (``texts``: each number's own text and its parts)."""
    now = utcnow()
    rows = [
        {
            "dispatch_id": dispatch.id,
            "direction": "out",
            "kind": "sms",
            "phone": number,
            "text": texts[number][0] if texts else dispatch.text,
            "encoding": dispatch.encoding,
            "parts": texts[number][1] if texts else parts,
            "status": status,
            "status_at": now,
            "author": dispatch.user_id,
            "scheduled_for": dispatch.send_at,
            "polls": 0,
            "created_at": now,
        }
        for number in numbers
    ]
    await session.execute(insert(Message), rows)


async def set_all(
    session: AsyncSession, dispatch_id: int, status: MessageStatus, *, where: Sequence[MessageStatus] = (), detail: str | None = None
) -> None:
    """Move the dispatch's rows (those in ``where``, or all) to ``status``."""
    query = update(Message).where(Message.dispatch_id == dispatch_id)
    if where:
        query = query.where(Message.status.in_(where))
    await session.execute(query.values(status=status, status_detail=detail, status_at=utcnow()))


async def mark_interrupted(session: AsyncSession, dispatch_id: int, detail: str) -> int:
    """A batch left ``sending`` by a crash may or may not have reached mProfi: uncertain. How many."""
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]  # an UPDATE's result is a CursorResult
        update(Message)
        .where(Message.dispatch_id == dispatch_id, Message.status == MessageStatus.SENDING)
        .values(status=MessageStatus.UNCERTAIN, status_detail=detail, status_at=utcnow())
    )
    return int(result.rowcount)


async def next_batch(session: AsyncSession, dispatch_id: int, size: int) -> Sequence[Row[int, str, str]]:
    """The next ``size`` queued recipients, in order: (id, phone, text)."""
    query = (
        select(Message.id, Message.phone, Message.text)
        .where(Message.dispatch_id == dispatch_id, Message.status == MessageStatus.QUEUED)
        .order_by(Message.id)
        .limit(size)
    )
    return (await session.execute(query)).all()


async def set_batch(session: AsyncSession, ids: Sequence[int], status: MessageStatus, *, detail: str | None = None) -> None:
    values: dict[str, Any] = {"status": status}
    if detail is not None:
        values |= {"status_detail": detail, "status_at": utcnow()}
    await session.execute(update(Message).where(Message.id.in_(ids)).values(**values))


async def record_batch(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """What mProfi answered for each number of a batch (``id`` plus the new values)."""
    await session.execute(update(Message), changes)


async def status_counts(session: AsyncSession, dispatch_id: int) -> dict[str, int]:
    query = select(Message.status, func.count()).where(Message.dispatch_id == dispatch_id).group_by(Message.status)
    return {str(status): int(count) for status, count in (await session.execute(query)).all()}


async def failures(session: AsyncSession, dispatch_id: int, *, limit: int = 10) -> Sequence[Row[str, str, str | None]]:
    """The first numbers that failed or may not have been sent: (phone, status, detail)."""
    query = (
        select(Message.phone, Message.status, Message.status_detail)
        .where(Message.dispatch_id == dispatch_id, Message.status.in_((MessageStatus.FAILED, MessageStatus.UNCERTAIN)))
        .order_by(Message.id)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def count_outcomes(session: AsyncSession, dispatch: Dispatch) -> None:
    """Set the dispatch's sent and failed counts from its rows."""
    counts = await status_counts(session, dispatch.id)
    taken = (MessageStatus.ACCEPTED, MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.NOT_DELIVERED, MessageStatus.ERROR)
    dispatch.accepted = sum(counts.get(status, 0) for status in taken)
    dispatch.failed = counts.get(MessageStatus.FAILED, 0) + counts.get(MessageStatus.UNCERTAIN, 0)


async def schedule_all(session: AsyncSession, dispatch_id: int, send_at: datetime) -> None:
    """Give every row of a held dispatch the time mProfi is to send it at."""
    await session.execute(update(Message).where(Message.dispatch_id == dispatch_id).values(scheduled_for=send_at))


async def single_message(session: AsyncSession, dispatch_id: int) -> Message | None:
    """The one message of a ``/sms`` to one number (it lives in the number's thread)."""
    return await session.scalar(select(Message).where(Message.dispatch_id == dispatch_id, Message.conversation_id.is_not(None)).limit(1))
