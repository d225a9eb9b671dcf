"""The audit log: add a record, read records back for ``/sms audit``.

Records are added in the same transaction as the act they record, so an SMS handed
to mProfi, an opt-out or an erasure is never in the database without its record.
Nothing here changes or removes a record; :mod:`storage.privacy` alone does, when
a number is erased or texts pass their retention, and says so in a record of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.kinds import AuditKind
from storage.models import Message, utcnow
from storage.privacy_models import AuditEntry

__all__ = ["AuditRow", "entries", "record", "record_many"]

MAX_ROWS = 100_000  # one CSV answers at most this many; a narrower filter answers the rest


def record(
    session: AsyncSession,
    kind: AuditKind,
    *,
    actor: str | None = None,
    channel_id: str | None = None,
    phone: str | None = None,
    text: str | None = None,
    parts: int | None = None,
    mprofi_id: int | None = None,
    message_id: int | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=at or utcnow(),
            kind=str(kind),
            actor=actor,
            channel_id=channel_id,
            phone=phone,
            text=text,
            parts=parts,
            mprofi_id=mprofi_id,
            message_id=message_id,
            detail=detail[:2000] if detail else detail,
        )
    )


async def record_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Many records in one statement (a bulk ``/sms`` batch); each dict has ``record``'s keywords."""
    if not rows:
        return
    now = utcnow()
    await session.execute(insert(AuditEntry), [{"at": now, **row, "kind": str(row["kind"])} for row in rows])


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    kind: str
    actor: str | None
    channel_id: str | None
    phone: str | None
    text: str | None
    parts: int | None
    mprofi_id: int | None
    detail: str | None
    outcome: str | None  # the message's status now, for a send; None when it is gone or not a send


async def entries(
    session: AsyncSession,
    *,
    phone: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = MAX_ROWS,
) -> list[AuditRow]:
    """Records in time order, narrowed to a number, a person and a period."""
    query = select(AuditEntry, Message.status).outerjoin(Message, Message.id == AuditEntry.message_id)
    if phone is not None:
        query = query.where(AuditEntry.phone == phone)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    rows = (await session.execute(query.order_by(AuditEntry.at, AuditEntry.id).limit(limit))).all()
    sends = (str(AuditKind.SMS_SENT), str(AuditKind.MMS_SENT))
    return [
        AuditRow(
            at=entry.at,
            kind=entry.kind,
            actor=entry.actor,
            channel_id=entry.channel_id,
            phone=entry.phone,
            text=entry.text,
            parts=entry.parts,
            mprofi_id=entry.mprofi_id,
            detail=entry.detail,
            outcome=str(status) if status is not None and entry.kind in sends else None,
        )
        for entry, status in rows
    ]
