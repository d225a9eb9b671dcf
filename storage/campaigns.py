"""A campaign's rows: stored in chunks, counted, taken in batches, read back for the results.

Every question is a set-based statement over ``campaign_rows`` (a count, a sum, one
``UPDATE``), so a 100,000-line file costs a few dozen round trips and never has to be
held in Python at once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Row, and_, case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.campaign_models import Campaign, CampaignRow, CampaignState, RowKind
from storage.models import Message

__all__ = [
    "add_rows",
    "move_state",
    "mark_duplicates",
    "counts",
    "samples",
    "first_problems",
    "missing_variables",
    "phones_after",
    "mark_inactive",
    "next_batch",
    "link_messages",
    "result_rows",
    "campaign_of_dispatch",
    "campaign_id_of_dispatch",
    "delete_rows",
    "queued_messages",
    "add_messages",
    "expire_dry_run",
    "cancel_scheduled",
]


async def add_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One chunk of the file's lines, in one bulk insert."""
    if rows:
        await session.execute(insert(CampaignRow), list(rows))


async def move_state(
    session: AsyncSession, campaign_id: int, *, from_states: Collection[str], to: str, shown_plain: bool | None = None, **values: Any
) -> bool:
    """Move a campaign on only from one of ``from_states`` (and, given ``shown_plain``, only
    while its texts are still as the pressed message showed them): of two presses of one
    button, one wins and the other finds the campaign already moved. True when this one moved it."""
    same = () if shown_plain is None else (Campaign.plain.is_(shown_plain),)
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]  # an UPDATE's result is a CursorResult
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.state.in_(list(from_states)), *same)
        .values(state=to, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def mark_duplicates(session: AsyncSession, campaign_id: int) -> int:
    """Every line of a number but the one kept: a duplicate. The number's first line that
    can be sent is kept (else its first line), so a broken first line does not leave the
    number with nothing. How many."""
    earlier = aliased(CampaignRow)
    same = (earlier.campaign_id == campaign_id, earlier.phone == CampaignRow.phone)
    first_valid = select(func.min(earlier.id)).where(*same, earlier.kind == RowKind.VALID).scalar_subquery()
    first = select(func.min(earlier.id)).where(*same).scalar_subquery()
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]  # an UPDATE's result is a CursorResult
        update(CampaignRow)
        .where(CampaignRow.campaign_id == campaign_id, CampaignRow.phone.is_not(None), CampaignRow.id != func.coalesce(first_valid, first))
        .values(kind=RowKind.DUPLICATE)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


async def counts(session: AsyncSession, campaign_id: int) -> dict[str, int]:
    """Lines by kind, and of the valid ones: ``parts``, ``plain_parts``, ``unicode`` (texts
    that need utf-8), ``unicode_parts`` (their parts) and ``abroad`` (numbers outside Poland)."""
    by_kind = select(CampaignRow.kind, func.count()).where(CampaignRow.campaign_id == campaign_id).group_by(CampaignRow.kind)
    found = {str(kind): int(n) for kind, n in (await session.execute(by_kind)).all()}
    sums = select(
        func.coalesce(func.sum(CampaignRow.parts), 0),
        func.coalesce(func.sum(CampaignRow.plain_parts), 0),
        func.coalesce(func.sum(case((CampaignRow.unicode, 1), else_=0)), 0),
        func.coalesce(func.sum(case((CampaignRow.unicode, CampaignRow.parts), else_=0)), 0),
        func.coalesce(func.sum(case((CampaignRow.phone.like("+48%"), 0), else_=1)), 0),
    ).where(CampaignRow.campaign_id == campaign_id, CampaignRow.kind == RowKind.VALID)
    parts, plain, unicode, unicode_parts, abroad = (await session.execute(sums)).one()
    return {
        **found,
        "parts": int(parts),
        "plain_parts": int(plain),
        "unicode": int(unicode),
        "unicode_parts": int(unicode_parts),
        "abroad": int(abroad),
    }


async def samples(session: AsyncSession, campaign_id: int, *, limit: int = 3) -> Sequence[Row[str | None, str]]:
    """The first valid lines: (phone, text)."""
    query = (
        select(CampaignRow.phone, CampaignRow.text)
        .where(CampaignRow.campaign_id == campaign_id, CampaignRow.kind == RowKind.VALID)
        .order_by(CampaignRow.id)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def first_problems(session: AsyncSession, campaign_id: int, kind: str, *, limit: int = 5) -> Sequence[Row[int, str | None]]:
    """The first lines of ``kind``: (line, problem)."""
    query = (
        select(CampaignRow.line, CampaignRow.problem)
        .where(CampaignRow.campaign_id == campaign_id, CampaignRow.kind == kind)
        .order_by(CampaignRow.id)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def missing_variables(session: AsyncSession, campaign_id: int, *, limit: int = 10) -> list[str]:
    """The variables that had no value on some line (each once)."""
    query = (
        select(CampaignRow.problem)
        .where(CampaignRow.campaign_id == campaign_id, CampaignRow.kind == RowKind.MISSING)
        .group_by(CampaignRow.problem)
        .limit(limit)
    )
    names: dict[str, None] = {}
    for problem in (await session.scalars(query)).all():
        names.update(dict.fromkeys(name.strip() for name in (problem or "").split(",") if name.strip()))
    return list(names)


async def phones_after(session: AsyncSession, campaign_id: int, after_id: int, size: int) -> Sequence[Row[int, str]]:
    """The next ``size`` valid lines after ``after_id``: (id, phone), for the HLR upload."""
    query = (
        select(CampaignRow.id, CampaignRow.phone)
        .where(CampaignRow.campaign_id == campaign_id, CampaignRow.kind == RowKind.VALID, CampaignRow.id > after_id)
        .order_by(CampaignRow.id)
        .limit(size)
    )
    return [row for row in (await session.execute(query)).all() if row[1] is not None]  # type: ignore[misc]  # valid lines have a phone


async def mark_inactive(session: AsyncSession, campaign_id: int, phones: Collection[str], problem: str) -> None:
    """Valid lines whose number the HLR check found inactive are left out."""
    listed = list(phones)
    for start in range(0, len(listed), 5000):  # databases cap IN-list sizes
        await session.execute(
            update(CampaignRow)
            .where(
                CampaignRow.campaign_id == campaign_id,
                CampaignRow.kind == RowKind.VALID,
                CampaignRow.phone.in_(listed[start : start + 5000]),
            )
            .values(kind=RowKind.INACTIVE, problem=problem)
            .execution_options(synchronize_session=False)
        )


async def next_batch(session: AsyncSession, campaign_id: int, size: int, *, after_id: int = 0) -> Sequence[CampaignRow]:
    """The next ``size`` valid lines after ``after_id`` not yet handed to a message, in file order."""
    query = (
        select(CampaignRow)
        .where(
            CampaignRow.campaign_id == campaign_id,
            CampaignRow.kind == RowKind.VALID,
            CampaignRow.id > after_id,
            CampaignRow.message_id.is_(None),
        )
        .order_by(CampaignRow.id)
        .limit(size)
    )
    return (await session.scalars(query)).all()


async def link_messages(session: AsyncSession, links: Sequence[dict[str, Any]]) -> None:
    """``[{"id": row id, "message_id": …}, …]`` in one statement."""
    if links:
        await session.execute(update(CampaignRow), list(links))


async def result_rows(
    session: AsyncSession, campaign_id: int, after_id: int, size: int
) -> Sequence[Row[int, int, str | None, dict[str, Any] | None, str, str, str | None, int, str | None, Any]]:
    """The next ``size`` lines after ``after_id`` with how their message stands: (id, line,
    phone, cells, text, kind, problem, parts, message status, status time)."""
    query = (
        select(
            CampaignRow.id,
            CampaignRow.line,
            CampaignRow.phone,
            CampaignRow.cells,
            func.coalesce(Message.text, CampaignRow.text),
            CampaignRow.kind,
            func.coalesce(Message.status_detail, CampaignRow.problem),
            func.coalesce(Message.parts, CampaignRow.parts),
            Message.status,
            Message.status_at,
        )
        .outerjoin(Message, and_(Message.id == CampaignRow.message_id))
        .where(CampaignRow.campaign_id == campaign_id, CampaignRow.id > after_id)
        .order_by(CampaignRow.id)
        .limit(size)
    )
    return (await session.execute(query)).all()


async def campaign_of_dispatch(session: AsyncSession, dispatch_id: int) -> Campaign | None:
    return await session.scalar(select(Campaign).where(Campaign.dispatch_id == dispatch_id))


async def campaign_id_of_dispatch(session: AsyncSession, dispatch_id: int) -> int | None:
    """The campaign that sends through this dispatch (None for a plain /sms)."""
    return await session.scalar(select(Campaign.id).where(Campaign.dispatch_id == dispatch_id))


async def delete_rows(session: AsyncSession, campaign_id: int) -> None:
    """Forget what an interrupted read stored, so reading again starts clean."""
    await session.execute(delete(CampaignRow).where(CampaignRow.campaign_id == campaign_id))


async def add_messages(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[int]:
    """One batch's ``messages`` rows (each with its unique ``origin_key``); their ids, in the order given."""
    if not rows:
        return []
    await session.execute(insert(Message), list(rows))  # executemany: far cheaper than RETURNING row by row
    keys = [str(row["origin_key"]) for row in rows]
    found = {
        str(key): int(i)
        for key, i in (await session.execute(select(Message.origin_key, Message.id).where(Message.origin_key.in_(keys)))).all()
    }
    return [int(found[key]) for key in keys]


async def queued_messages(session: AsyncSession, dispatch_id: int, size: int) -> Sequence[Message]:
    """Messages of the campaign that a refused call (nothing accepted) left to send again."""
    query = select(Message).where(Message.dispatch_id == dispatch_id, Message.status == "queued").order_by(Message.id).limit(size)
    return (await session.scalars(query)).all()


async def expire_dry_run(session: AsyncSession, campaign_id: int, *, made_before: datetime) -> bool:
    """A dry run (``ready``) read before ``made_before`` is over: cancelled, marked expired, so
    retention clears its lines like a finished campaign's. True when this call expired it."""
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]  # an UPDATE's result is a CursorResult
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.state == CampaignState.READY, Campaign.created_at < made_before)
        .values(state=CampaignState.CANCELLED, detail="expired")
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def cancel_scheduled(session: AsyncSession, campaign_id: int, *, now: datetime, by: str) -> bool:
    """A scheduled campaign whose time has not come yet (nothing of it has gone): cancelled.
    True when this call cancelled it."""
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]  # an UPDATE's result is a CursorResult
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.state == CampaignState.SENDING, Campaign.send_at > now)
        .values(state=CampaignState.CANCELLED, sent_by=by)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)
