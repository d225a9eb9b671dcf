"""A reply in its undo window: Cancel and sending race for the message row, and one wins.

Both moves are one conditional ``UPDATE … WHERE status = 'queued'``. On PostgreSQL the
second of two racing updates waits for the first's row lock, then finds the row no
longer queued and changes nothing; SQLite takes writers one at a time. So whichever
replica, worker or click comes first decides, and the other learns it lost: a send
whose update matched nothing never calls mProfi, and a Cancel that matched nothing
tells its author the message had already gone.
"""

from __future__ import annotations

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.kinds import MessageStatus
from storage.models import Message, OptOut, StatusEvent, utcnow
from storage.repository import add_status_event

__all__ = ["start_sending", "cancel_queued", "cancelled_by", "CANCEL_SOURCE"]

CANCEL_SOURCE = "slack"  # a status event's source when a person in Slack cancelled: raw_status holds who


async def start_sending(session: AsyncSession, message_id: int) -> bool:
    """Move a queued message to *sending*; False when it is no longer queued (cancelled,
    say) or its number opted out meanwhile (a STOP, or the card's button, during the undo
    window or a retry): the same statement checks both, so no opt-out slips between them."""
    opted_out = exists().where(OptOut.phone == Message.phone)
    result = await session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.QUEUED, ~opted_out)
        .values(status=MessageStatus.SENDING)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def cancel_queued(session: AsyncSession, message_id: int, *, by: str) -> bool:
    """Cancel a reply still waiting out its undo window; False when it had already moved on.

    Only a message with an undo window (``send_after``) can be cancelled: others never
    offered the button. Who cancelled is kept in the status history.
    """
    now = utcnow()
    result = await session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.QUEUED, Message.send_after.is_not(None))
        .values(status=MessageStatus.CANCELLED, status_detail=None, status_at=now, next_poll_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        return False
    add_status_event(session, message_id=message_id, status=MessageStatus.CANCELLED, source=CANCEL_SOURCE, raw_status=by[:40], at=now)
    return True


async def cancelled_by(session: AsyncSession, message_id: int) -> str | None:
    """The Slack user who cancelled this message, or None."""
    return await session.scalar(
        select(StatusEvent.raw_status)
        .where(
            StatusEvent.message_id == message_id,
            StatusEvent.status == MessageStatus.CANCELLED,
            StatusEvent.source == CANCEL_SOURCE,
        )
        .order_by(StatusEvent.id.desc())
        .limit(1)
    )
