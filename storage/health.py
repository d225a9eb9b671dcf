"""What ``/healthz``, ``/readyz`` and ``/metrics`` read from the database."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Job, Message, utcnow
from storage.queue import HELD_UNTIL, claimable

__all__ = ["QueueFigures", "database_reachable", "message_figures", "queue_figures"]

logger = logging.getLogger(__name__)


async def database_reachable(sessions: async_sessionmaker[AsyncSession]) -> bool:
    try:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"
        logger.warning("database check failed: %s", type(exc).__name__)
        return False
    return True


@dataclass(frozen=True)
class QueueFigures:
    pending: int  # unfinished jobs, those waiting for their time included (not sends held for a person's choice)
    due: int  # jobs a worker could take now
    oldest_due_seconds: float  # how long the longest-waiting of those has been due (0: none)
    given_up_24h: int


async def queue_figures(sessions: async_sessionmaker[AsyncSession], now: datetime | None = None) -> QueueFigures:
    """The queue as a worker sees it. A job waiting behind an earlier one of its line, or
    for a retry's back-off, is pending but not due: only work nobody takes counts as late."""
    now = now or utcnow()
    async with sessions() as session:
        pending = await session.scalar(select(func.count()).select_from(Job).where(Job.done_at.is_(None), Job.run_after != HELD_UNTIL))
        due, oldest = (await session.execute(select(func.count(), func.min(Job.run_after)).where(claimable(now)))).one()
        given_up = await session.scalar(select(func.count()).select_from(Job).where(Job.failed_at >= now - timedelta(hours=24)))
    waited = 0.0
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        waited = max(0.0, (now - oldest).total_seconds())
    return QueueFigures(pending=int(pending or 0), due=int(due or 0), oldest_due_seconds=waited, given_up_24h=int(given_up or 0))


async def message_figures(sessions: async_sessionmaker[AsyncSession], *, hours: float = 24.0) -> dict[tuple[str, str, str], int]:
    """Messages stored in the last ``hours``, by (direction, kind, status) as they stand now."""
    since = utcnow() - timedelta(hours=hours)
    query = (
        select(Message.direction, Message.kind, Message.status, func.count())
        .where(Message.created_at >= since)
        .group_by(Message.direction, Message.kind, Message.status)
    )
    async with sessions() as session:
        return {(str(d), str(k), str(s)): int(n) for d, k, s, n in (await session.execute(query)).all()}
