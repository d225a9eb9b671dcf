"""The catch-up poller's place in ``getincoming/``: one row, leased so one replica reads at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Cursor

__all__ = ["take", "advance", "release"]


async def take(sessions: async_sessionmaker[AsyncSession], name: str, *, now: datetime, until: datetime) -> Cursor | None:
    """Lease the cursor until ``until``; None when another holder's lease still runs."""
    async with sessions() as session:
        if await session.get(Cursor, name) is None:
            session.add(Cursor(name=name, position=None, locked_until=None))
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()  # another replica made it a moment ago
        taken = await session.execute(
            update(Cursor)
            .where(Cursor.name == name, (Cursor.locked_until.is_(None)) | (Cursor.locked_until < now))
            .values(locked_until=until)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        if taken.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
            return None
        return await session.get(Cursor, name, populate_existing=True)


async def advance(sessions: async_sessionmaker[AsyncSession], name: str, position: datetime) -> None:
    async with sessions() as session, session.begin():
        await session.execute(update(Cursor).where(Cursor.name == name).values(position=position))


async def release(sessions: async_sessionmaker[AsyncSession], name: str) -> None:
    async with sessions() as session, session.begin():
        await session.execute(update(Cursor).where(Cursor.name == name).values(locked_until=None))
