"""The figures of ``/sms stats`` and of the Home tab's *Today*, read cheaply from a large table.

Every read is a range on an indexed time (``ix_messages_created_at``,
``ix_audit_log_at``). Days are the caller's (its time zone, its daylight saving): it
passes their boundaries, and one statement sorts each row into its day with a
``CASE`` over them, so a 30-day report is one range scan, not thirty.

What counts:

- *in*: an SMS or MMS from a customer, not a webhook's re-sent repeat;
- *out*: an SMS or MMS of ours that went, or is going, to mProfi — not a note, not
  one held, cancelled or refused before sending (``failed``);
- *delivered* / *undelivered*: an outgoing message whose final status is delivered,
  or not delivered or a delivery error;
- *opt-outs*: the ``opt_out`` records of the audit log (STOP texted, or set in Slack);
- a *wait* starts with a customer's message that follows one of ours (or opens the
  conversation) and ends with our next outgoing message in that conversation; notes
  do not end it. A wait whose first message is before the period is not counted, nor
  one still unanswered at its end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.kinds import AuditKind, MessageStatus
from storage.models import Message
from storage.privacy_models import AuditEntry

__all__ = ["DayFigures", "Wait", "daily_figures", "sent_by_person", "waits"]

NOT_GONE = (MessageStatus.HELD, MessageStatus.CANCELLED, MessageStatus.FAILED)
UNDELIVERED = (MessageStatus.NOT_DELIVERED, MessageStatus.ERROR)
_CHUNK = 5000  # ids in one IN list: databases cap them


@dataclass
class DayFigures:
    """One day's counts (or a whole period's, added up)."""

    inbound: int = 0
    outbound: int = 0
    parts: int = 0  # SMS parts of the outgoing messages
    delivered: int = 0
    undelivered: int = 0
    opt_outs: int = 0

    def add(self, other: DayFigures) -> None:
        self.inbound += other.inbound
        self.outbound += other.outbound
        self.parts += other.parts
        self.delivered += other.delivered
        self.undelivered += other.undelivered
        self.opt_outs += other.opt_outs


@dataclass(frozen=True)
class Wait:
    """A customer's wait for the team: when it began, when the answer went, and who answered."""

    started: datetime
    answered: datetime
    by: str | None


def _real() -> ColumnElement[bool]:
    came_in = and_(Message.direction == "in", Message.repeat_of_id.is_(None))
    went_out = and_(Message.direction == "out", Message.status.notin_(NOT_GONE))
    return and_(Message.kind != "note", or_(came_in, went_out))


def _day(column: Any, bounds: Sequence[datetime]) -> Any:
    """Which day (0 …) of ``bounds`` (day *i* is ``[bounds[i], bounds[i+1])``) a time falls in."""
    if len(bounds) <= 2:
        return literal(0)
    return case(*[(column < bounds[i + 1], i) for i in range(len(bounds) - 2)], else_=len(bounds) - 2)


async def daily_figures(session: AsyncSession, bounds: Sequence[datetime]) -> list[DayFigures]:
    """Each day's figures; ``bounds`` are the days' starts and the last day's end (UTC-aware)."""
    if len(bounds) < 2:
        return []
    days = [DayFigures() for _ in range(len(bounds) - 1)]
    start, end = bounds[0], bounds[-1]
    inner = (
        select(
            _day(Message.created_at, bounds).label("day"),
            Message.direction.label("direction"),
            Message.status.label("status"),
            Message.parts.label("parts"),
        )
        .where(Message.created_at >= start, Message.created_at < end, _real())
        .subquery()
    )
    counted = select(inner.c.day, inner.c.direction, inner.c.status, func.count(), func.coalesce(func.sum(inner.c.parts), 0)).group_by(
        inner.c.day, inner.c.direction, inner.c.status
    )
    for day, direction, status, count, parts in (await session.execute(counted)).all():
        figures = days[int(day)]
        if direction == "in":
            figures.inbound += int(count)
            continue
        figures.outbound += int(count)
        figures.parts += int(parts or 0)
        if status == MessageStatus.DELIVERED:
            figures.delivered += int(count)
        elif status in UNDELIVERED:
            figures.undelivered += int(count)
    opt_outs = select(_day(AuditEntry.at, bounds).label("day")).where(
        AuditEntry.at >= start, AuditEntry.at < end, AuditEntry.kind == AuditKind.OPT_OUT
    )
    grouped = opt_outs.subquery()
    for day, count in (await session.execute(select(grouped.c.day, func.count()).group_by(grouped.c.day))).all():
        days[int(day)].opt_outs += int(count)
    return days


async def sent_by_person(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    """Outgoing messages of the period by the Slack user who sent them (thread replies, /sms)."""
    rows = await session.execute(
        select(Message.author, func.count())
        .where(
            Message.created_at >= start,
            Message.created_at < end,
            Message.direction == "out",
            Message.kind != "note",
            Message.status.notin_(NOT_GONE),
            Message.author.is_not(None),
        )
        .group_by(Message.author)
    )
    return {str(author): int(count) for author, count in rows.all()}


async def _last_before(session: AsyncSession, conversation_ids: list[int], start: datetime) -> dict[int, str]:
    """The direction of each conversation's last real message before ``start``."""
    found: dict[int, str] = {}
    for at in range(0, len(conversation_ids), _CHUNK):
        chunk = conversation_ids[at : at + _CHUNK]
        last = (
            select(func.max(Message.id))
            .where(Message.conversation_id.in_(chunk), Message.created_at < start, _real())
            .group_by(Message.conversation_id)
        )
        rows = await session.execute(select(Message.conversation_id, Message.direction).where(Message.id.in_(last)))
        found.update({int(cid): str(direction) for cid, direction in rows.all() if cid is not None})
    return found


async def waits(session: AsyncSession, start: datetime, end: datetime) -> AsyncIterator[Wait]:
    """Every wait that began in ``[start, end)`` and was answered before ``end``, streamed.

    The period's messages are read once, in conversation order, a page at a time, and
    folded as they come: only one conversation's open wait is kept.
    """
    period = (Message.created_at >= start, Message.created_at < end, Message.conversation_id.is_not(None))
    talked = await session.scalars(select(Message.conversation_id).where(*period, Message.direction == "in", _real()).distinct())
    before = await _last_before(session, sorted(int(cid) for cid in talked.all() if cid is not None), start)
    rows = await session.stream(
        select(Message.conversation_id, Message.direction, Message.created_at, Message.author)
        .where(*period, _real())
        .order_by(Message.conversation_id, Message.id)
    )
    current: int | None = None
    previous: str | None = None
    opened: datetime | None = None
    try:
        async for part in rows.partitions(2000):  # a page at a time: fewer round trips than a row at a time
            for conversation_id, direction, created_at, author in part:
                if conversation_id != current:
                    current, opened = conversation_id, None
                    previous = before.get(conversation_id) if conversation_id is not None else None
                if direction == "in":
                    if previous != "in" and opened is None:
                        opened = created_at
                elif opened is not None:
                    yield Wait(started=opened, answered=created_at, by=author)
                    opened = None
                previous = direction
    finally:
        await rows.close()  # a caller that stops early does not leave the read open
