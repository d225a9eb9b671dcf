"""What has been sent, and to whom it may not be: the questions behind "who may spend money"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.campaign_models import Campaign, CampaignRow, CampaignState, RowKind
from storage.kinds import MessageStatus
from storage.models import Conversation, Dispatch, Message, OptOut
from storage.privacy import number_hash
from storage.privacy_models import ForgottenOptOut

__all__ = [
    "channel_of_dispatch",
    "channel_sent_from",
    "forgotten_opt_out",
    "opt_out_of",
    "opted_out_among",
    "sent_by_channel_since",
    "sent_by_user_since",
]

# Outgoing rows that cost nothing: refused before sending, waiting for Send, or cancelled.
_NOT_SENT = (MessageStatus.FAILED, MessageStatus.HELD, MessageStatus.CANCELLED)


def _counted(since: datetime) -> tuple[ColumnElement[bool], ...]:
    return (Message.direction == "out", Message.created_at >= since, Message.kind != "note", Message.status.notin_(_NOT_SENT))


async def sent_by_user_since(session: AsyncSession, user_id: str, since: datetime) -> int:
    """SMS a person sent (or queued) since ``since``, from threads and /sms alike."""
    query = select(func.count()).select_from(Message).where(*_counted(since), Message.author == user_id)
    return int(await session.scalar(query) or 0) + await _campaigns_to_come(session, since, Campaign.sent_by == user_id)


async def _campaigns_to_come(session: AsyncSession, since: datetime, whose: ColumnElement[bool]) -> int:
    """Lines of campaigns being sent (now, or within the hour) that have no message yet:
    their messages are made a batch at a time, so two campaigns pressed close together
    would otherwise both pass the limit."""
    query = (
        select(func.count())
        .select_from(CampaignRow)
        .join(Campaign, Campaign.id == CampaignRow.campaign_id)
        .where(
            whose,
            Campaign.state == CampaignState.SENDING,
            or_(Campaign.send_at.is_(None), Campaign.send_at < since + timedelta(hours=2)),
            CampaignRow.kind == RowKind.VALID,
            CampaignRow.message_id.is_(None),
        )
    )
    return int(await session.scalar(query) or 0)


async def sent_by_channel_since(session: AsyncSession, channel_id: str, since: datetime) -> int:
    """SMS sent from a channel since ``since``: its /sms broadcasts and its thread replies."""
    from_dispatches = select(func.count()).select_from(Message).join(Dispatch, Message.dispatch_id == Dispatch.id)
    sent = int(await session.scalar(from_dispatches.where(*_counted(since), Dispatch.channel_id == channel_id)) or 0)
    replies = select(func.count()).select_from(Message).where(*_counted(since), Message.slack_channel == channel_id)
    return sent + int(await session.scalar(replies) or 0) + await _campaigns_to_come(session, since, Campaign.channel_id == channel_id)


async def opted_out_among(session: AsyncSession, numbers: Sequence[str]) -> set[str]:
    """Which of these numbers texted STOP (asked in chunks: databases cap IN-list sizes)."""
    found: set[str] = set()
    for start in range(0, len(numbers), 5000):
        chunk = numbers[start : start + 5000]
        found.update((await session.scalars(select(OptOut.phone).where(OptOut.phone.in_(chunk)))).all())
    if await session.scalar(select(ForgottenOptOut.phone_hash).limit(1)) is not None:  # erased numbers still opted out
        hashes = {await number_hash(session, number): number for number in numbers}
        keys = list(hashes)
        for start in range(0, len(keys), 5000):
            chunk = keys[start : start + 5000]
            found.update(
                hashes[h]
                for h in (await session.scalars(select(ForgottenOptOut.phone_hash).where(ForgottenOptOut.phone_hash.in_(chunk)))).all()
            )
    return found


async def opt_out_of(session: AsyncSession, phone: str) -> OptOut | None:
    """The number's opt-out (the word it texted), or None when it may be texted. A number
    erased while opted out answers with an unsaved row made from its hash's record."""
    found = await session.get(OptOut, phone)
    if found is not None:
        return found
    forgotten = await session.get(ForgottenOptOut, await number_hash(session, phone))
    return forgotten_opt_out(phone, forgotten) if forgotten is not None else None


def forgotten_opt_out(phone: str, forgotten: ForgottenOptOut) -> OptOut:
    """An unsaved opt-out row made from an erased number's record (its word and when)."""
    return OptOut(phone=phone, word=forgotten.word, at=forgotten.at, by=None)


async def channel_sent_from(session: AsyncSession, message: Message) -> str | None:
    """The channel whose key a message goes with: its conversation's, else where its ``/sms`` was typed."""
    if message.conversation_id is not None:
        conversation = await session.get(Conversation, message.conversation_id)
        if conversation is not None:
            return conversation.channel_id
    return await channel_of_dispatch(session, message.dispatch_id)


async def channel_of_dispatch(session: AsyncSession, dispatch_id: int | None) -> str | None:
    """Where a ``/sms`` was typed (None for a message that did not come from one)."""
    if dispatch_id is None:
        return None
    dispatch = await session.get(Dispatch, dispatch_id)
    return dispatch.channel_id if dispatch else None
