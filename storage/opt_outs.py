"""Opt-outs set or lifted from Slack (the card's buttons), recorded with who did it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OptOut

__all__ = ["opt_out", "opt_in"]


async def opt_out(session: AsyncSession, phone: str, *, word: str, by: str | None, at: datetime) -> bool:
    """Record that ``phone`` must not be texted; False when it already was (nothing changes)."""
    if await session.get(OptOut, phone) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(OptOut(phone=phone, word=word, by=by, at=at))
    except IntegrityError:  # someone else opted it out at the same moment
        return False
    return True


async def opt_in(session: AsyncSession, phone: str) -> bool:
    """Allow texting ``phone`` again; False when it was not opted out."""
    result = await session.execute(delete(OptOut).where(OptOut.phone == phone).execution_options(synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult
