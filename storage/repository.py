"""Queries the bridge needs, as keyword-only async functions over one session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CAUGHT_UP_WHERE, Attachment, Conversation, Message, SlackEvent, StatusEvent, utcnow

__all__ = [
    "postpone_poll",
    "inbound_to_match",
    "unclaimed_caught_up",
    "get_or_create_conversation",
    "first_inbound_by_fingerprint",
    "conversation_by_thread",
    "conversation_by_phone",
    "recent_inbound_with_fingerprint",
    "outbound_by_slack_message",
    "message_by_mprofi_id",
    "message_by_reference",
    "attachments_of",
    "remember_slack_event",
    "add_status_event",
    "messages_due_for_poll",
]


async def get_or_create_conversation(session: AsyncSession, *, channel_id: str, phone: str) -> Conversation:
    """The conversation of ``phone`` in ``channel_id``; created once even under races.

    The unique key (channel, phone) decides a race: the loser's insert fails inside a
    savepoint and it reads the winner's row.
    """
    found = await conversation_by_phone(session, channel_id=channel_id, phone=phone)
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            conversation = Conversation(channel_id=channel_id, phone=phone, state="new", created_at=utcnow())
            session.add(conversation)
    except IntegrityError:
        found = await conversation_by_phone(session, channel_id=channel_id, phone=phone)
        assert found is not None
        return found
    return conversation


async def first_inbound_by_fingerprint(session: AsyncSession, *, fingerprints: set[str], since: datetime) -> dict[str, int]:
    """For each fingerprint, the first inbound message received after ``since`` (its id)."""
    rows = await session.execute(_FIRST_BY_FINGERPRINT, {"fingerprints": list(fingerprints), "since": since})
    return {str(key): int(first) for key, first in rows.all()}


# Built once: every batch of webhooks asks it.
_FIRST_BY_FINGERPRINT = (
    select(Message.fingerprint, func.min(Message.id))
    .where(
        Message.direction == "in",
        Message.fingerprint.in_(bindparam("fingerprints", expanding=True)),
        Message.created_at >= bindparam("since"),
        Message.repeat_of_id.is_(None),
    )
    .group_by(Message.fingerprint)
)


async def conversation_by_phone(session: AsyncSession, *, channel_id: str, phone: str) -> Conversation | None:
    return await session.scalar(select(Conversation).where(Conversation.channel_id == channel_id, Conversation.phone == phone))


async def conversation_by_thread(session: AsyncSession, *, channel_id: str, thread_ts: str) -> Conversation | None:
    return await session.scalar(select(Conversation).where(Conversation.channel_id == channel_id, Conversation.thread_ts == thread_ts))


async def recent_inbound_with_fingerprint(session: AsyncSession, *, fingerprint: str, since: datetime) -> Message | None:
    """The first inbound message with this fingerprint received after ``since``."""
    return await session.scalar(
        select(Message)
        .where(
            Message.direction == "in",
            Message.fingerprint == fingerprint,
            Message.created_at >= since,
            Message.repeat_of_id.is_(None),
        )
        .order_by(Message.id)
        .limit(1)
    )


async def outbound_by_slack_message(session: AsyncSession, *, channel_id: str, ts: str) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.slack_channel == channel_id, Message.slack_ts == ts, Message.direction == "out")
    )


async def message_by_mprofi_id(session: AsyncSession, mprofi_id: int) -> Message | None:
    return await session.scalar(select(Message).where(Message.mprofi_id == mprofi_id))


async def message_by_reference(session: AsyncSession, reference: str | None) -> Message | None:
    """Our own ``reference`` (``mps-<id>``) leads back to the message."""
    if not reference or not reference.startswith("mps-") or not reference[4:].isdigit():
        return None
    return await session.get(Message, int(reference[4:]))


async def attachments_of(session: AsyncSession, message_id: int) -> list[Attachment]:
    return list((await session.scalars(select(Attachment).where(Attachment.message_id == message_id).order_by(Attachment.id))).all())


async def remember_slack_event(session: AsyncSession, event_id: str) -> bool:
    """Record a Slack event id; False when it was seen before."""
    try:
        async with session.begin_nested():
            session.add(SlackEvent(event_id=event_id, received_at=utcnow()))
    except IntegrityError:
        return False
    return True


def add_status_event(
    session: AsyncSession, *, message_id: int, status: str, source: str, raw_status: str | None = None, at: datetime | None = None
) -> None:
    session.add(StatusEvent(message_id=message_id, status=status, raw_status=raw_status, source=source, at=at, recorded_at=utcnow()))


async def messages_due_for_poll(session: AsyncSession, *, now: datetime, limit: int = 50) -> list[Message]:
    return list(
        (
            await session.scalars(
                select(Message)
                .where(Message.next_poll_at.is_not(None), Message.next_poll_at <= now, Message.mprofi_id.is_not(None))
                # A conversation's reply first: a person watches its line; a broadcast can wait.
                .order_by(Message.conversation_id.is_(None), Message.next_poll_at)
                .limit(limit)
            )
        ).all()
    )


async def postpone_poll(session: AsyncSession, message: Message, *, until: datetime) -> bool:
    """Move the message's next status check to ``until``, if no one else moved it first
    (another worker or replica then skips it); True when this caller did."""
    result = await session.execute(
        update(Message)
        .where(Message.id == message.id, Message.next_poll_at == message.next_poll_at)
        .values(next_poll_at=until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def inbound_to_match(session: AsyncSession, *, key: str, phone: str, text: str, earliest: datetime, latest: datetime) -> int | None:
    """A listed message already stored: under its listing ``key``, or as a webhook's message
    with the same number and text received between ``earliest`` and ``latest`` (which
    then takes the key, so the next listing finds it at once)."""
    found = await session.scalar(select(Message.id).where(Message.origin_key == key))
    if found is not None:
        return int(found)
    twin = await session.scalar(
        select(Message.id)
        .where(
            Message.direction == "in",
            Message.phone == phone,
            Message.text == text,
            # Not "origin_key IS NULL": SQLite would read that through origin_key's unique
            # index, which holds every message without a key (a full scan in disguise); the
            # number and the time narrow it to a handful through ix_messages_phone_created.
            func.coalesce(Message.origin_key, "") == "",
            Message.created_at >= earliest,
            Message.created_at <= latest,
        )
        .order_by(Message.id)
        .limit(1)
    )
    if twin is None:
        return None
    await session.execute(update(Message).where(Message.id == twin).values(origin_key=key))
    return int(twin)


async def unclaimed_caught_up(session: AsyncSession, *, conversation_ids: set[int], since: datetime) -> dict[tuple[str, str], list[int]]:
    """Messages the catch-up stored since ``since`` that no webhook has brought yet, by (number, text)."""
    rows = await session.execute(
        select(Message.id, Message.phone, Message.text)
        .where(
            sql_text(CAUGHT_UP_WHERE),  # spelled as the partial index is, so both databases use it
            Message.conversation_id.in_(conversation_ids),
            Message.created_at >= since,
            Message.direction == "in",
        )
        .order_by(Message.id)
    )
    found: dict[tuple[str, str], list[int]] = {}
    for message_id, phone, text in rows.all():
        found.setdefault((str(phone), str(text)), []).append(int(message_id))
    return found
