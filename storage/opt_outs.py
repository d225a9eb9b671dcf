"""Opt-outs: set, lifted, listed; each change enters the audit log with where it came from.

An opt-out row is the number's current state; the audit log (``opt_out``/``opt_in``
records) is its history: the SMS that said STOP, or the person in Slack and their
reason. A number erased while opted out leaves only its salted hash behind
(:mod:`storage.privacy`), and that hash still counts as opted out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record
from storage.kinds import AuditKind
from storage.models import Contact, OptOut
from storage.privacy import number_hash
from storage.privacy_models import ForgottenOptOut

__all__ = ["OptOutRow", "count", "is_opted_out", "listed", "opt_in", "opt_out"]


async def opt_out(
    session: AsyncSession,
    phone: str,
    *,
    word: str,
    by: str | None,
    at: datetime,
    message_id: int | None = None,
    channel_id: str | None = None,
    reason: str | None = None,
) -> bool:
    """Record that ``phone`` must not be texted; False when it already was (nothing changes).

    ``word`` is the keyword the phone texted, or ``SLACK`` when a person set it (``by``,
    with their ``reason`` if they gave one)."""
    if await session.get(OptOut, phone) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(OptOut(phone=phone, word=word, by=by, at=at, message_id=message_id))
    except IntegrityError:  # someone else opted it out at the same moment
        return False
    detail = f"{word}: {reason}" if reason else word
    record(session, AuditKind.OPT_OUT, actor=by, channel_id=channel_id, phone=phone, message_id=message_id, detail=detail, at=at)
    return True


async def opt_in(
    session: AsyncSession,
    phone: str,
    *,
    word: str,
    by: str | None,
    at: datetime,
    message_id: int | None = None,
    channel_id: str | None = None,
    reason: str | None = None,
) -> bool:
    """Allow texting ``phone`` again; False when it was not opted out."""
    result = await session.execute(delete(OptOut).where(OptOut.phone == phone).execution_options(synchronize_session=False))
    # A number erased while opted out is opted out by its hash alone: START lifts that too.
    forgotten = await session.execute(
        delete(ForgottenOptOut)
        .where(ForgottenOptOut.phone_hash == await number_hash(session, phone))
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount and not forgotten.rowcount:  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult
        return False
    detail = f"{word}: {reason}" if reason else word
    record(session, AuditKind.OPT_IN, actor=by, channel_id=channel_id, phone=phone, message_id=message_id, detail=detail, at=at)
    return True


async def is_opted_out(session: AsyncSession, phone: str) -> bool:
    """True for an opted-out number, also one erased since (only its hash is left)."""
    if await session.get(OptOut, phone) is not None:
        return True
    return await session.get(ForgottenOptOut, await number_hash(session, phone)) is not None


@dataclass(frozen=True)
class OptOutRow:
    phone: str
    name: str | None
    word: str
    by: str | None
    at: datetime


def _matching(search: str | None) -> ColumnElement[bool] | None:
    if not search:
        return None
    digits = "".join(c for c in search if c.isdigit())
    needle = search.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    clauses = [Contact.search_name.like(f"%{needle}%", escape="\\")]
    if digits:
        clauses.append(OptOut.phone.like(f"%{digits}%"))
    return or_(*clauses)


async def listed(session: AsyncSession, *, search: str | None = None, limit: int | None = 20) -> list[OptOutRow]:
    """Opt-outs, newest first, with the contact's name; narrowed by a part of a name or number."""
    query = select(OptOut, Contact.name).outerjoin(Contact, Contact.phone == OptOut.phone)
    condition = _matching(search)
    if condition is not None:
        query = query.where(condition)
    query = query.order_by(OptOut.at.desc(), OptOut.phone)
    if limit is not None:
        query = query.limit(limit)
    rows = (await session.execute(query)).all()
    return [OptOutRow(phone=row.phone, name=name, word=row.word, by=row.by, at=row.at) for row, name in rows]


async def count(session: AsyncSession, *, search: str | None = None) -> int:
    query = select(func.count()).select_from(OptOut).outerjoin(Contact, Contact.phone == OptOut.phone)
    condition = _matching(search)
    if condition is not None:
        query = query.where(condition)
    return int(await session.scalar(query) or 0)
