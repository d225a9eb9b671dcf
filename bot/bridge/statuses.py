"""Delivery statuses: recorded from PUSH, PULL or the bridge itself, shown live in Slack.

Each outgoing message has one status line in its thread, posted once and then
updated in place (``chat.update``) from the database, so late or out-of-order
statuses can never show an older state: a status only ever moves forward. With
STATUS_STYLE=reactions a person's own reply wears its state as a reaction instead,
and the line is there only while it offers something (:mod:`bot.bridge.reactions`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, tzinfo
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge import campaign_progress, reactions
from bot.bridge.card import queue_card
from bot.bridge.context import Context
from bot.bridge.models import StatusUpdate
from bot.bridge.posts import post_once
from bot.bridge.threads import ensure_thread
from bot.i18n import _
from bot.mprofi import DeliveryStatus, MProfiClient, MProfiError
from bot.slack import blocks
from bot.slack.errors import slack_error
from bot.sms.numbers import PhoneE164
from storage import contacts, outgoing, repository, sending
from storage.kinds import FINAL_STATUSES, JobKind, Lane, MessageStatus
from storage.models import Conversation, Job, Message, utcnow
from storage.queue import enqueue, has_waiting_job

__all__ = ["apply_status", "render_status", "poll_statuses", "set_status", "queue_render", "queue_send", "first_status_check"]

logger = logging.getLogger(__name__)

POLL_CONCURRENCY = 8  # status/ questions in flight at once: a broadcast's checks finish in minutes, not hours

_RANK: dict[str, int] = {  # by MessageStatus; a status this version does not know ranks 0
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.UNCERTAIN: 1,
    MessageStatus.ACCEPTED: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.NOT_DELIVERED: 4,
    MessageStatus.ERROR: 4,
    MessageStatus.FAILED: 4,
    MessageStatus.UNKNOWN: 4,
    MessageStatus.CANCELLED: 5,  # nothing went: no later status can undo that
}
_ENDED = FINAL_STATUSES | {MessageStatus.CANCELLED}  # nothing more will happen to it
# Where a message's story ends, for the card: final, cancelled, or waiting for a person.
_SHOWN_ON_CARD = _ENDED | {MessageStatus.UNCERTAIN, MessageStatus.UNKNOWN}
_FROM_MPROFI = {
    DeliveryStatus.PROCESSING: MessageStatus.ACCEPTED,
    DeliveryStatus.SENT: MessageStatus.SENT,
    DeliveryStatus.DELIVERED: MessageStatus.DELIVERED,
    DeliveryStatus.NOT_DELIVERED: MessageStatus.NOT_DELIVERED,
    DeliveryStatus.ERROR: MessageStatus.ERROR,
}


def first_status_check(ctx: Context, scheduled_for: datetime | None) -> datetime:
    """When status/ is first asked about a message mProfi just accepted (a scheduled
    one counts from its send time): PULL soon, PUSH only as a safety net."""
    start = max(utcnow(), scheduled_for) if scheduled_for is not None else utcnow()
    return start + timedelta(seconds=ctx.config.first_status_check_seconds)


async def set_status(
    session: AsyncSession, message: Message, status: MessageStatus, *, detail: str | None = None, source: str = "bridge"
) -> None:
    message.status = status
    message.status_detail = detail
    message.status_at = utcnow()
    if status in _ENDED:
        message.next_poll_at = None
    repository.add_status_event(session, message_id=message.id, status=status, source=source)


def queue_send(session: AsyncSession, message: Message, *, payload: dict[str, Any] | None = None) -> None:
    """A new outgoing message: its first status, its send and its status line, in one go.

    A reply with an undo window (``send_after``) is sent no sooner than that; Cancel
    until then beats the send (:mod:`storage.outgoing`), also after a restart.
    """
    repository.add_status_event(session, message_id=message.id, status=message.status, source="bridge")
    enqueue(
        session,
        kind=JobKind.SEND_REPLY,
        lane=Lane.MPROFI,
        conversation_id=message.conversation_id,
        message_id=message.id,
        payload=payload,
        run_after=message.send_after,
    )
    enqueue(session, kind=JobKind.RENDER_STATUS, lane=Lane.SLACK, conversation_id=message.conversation_id, message_id=message.id)


async def queue_render(session: AsyncSession, message: Message) -> None:
    """Queue a redraw of the message's status line, unless one is already waiting; the
    conversation's card too when the message's story has ended (it shows the last one)."""
    if not await has_waiting_job(session, JobKind.RENDER_STATUS, message_id=message.id):
        enqueue(session, kind=JobKind.RENDER_STATUS, lane=Lane.SLACK, conversation_id=message.conversation_id, message_id=message.id)
    if message.conversation_id is not None and message.status in _SHOWN_ON_CARD:
        await queue_card(session, message.conversation_id)


async def apply_status(ctx: Context, status_update: StatusUpdate, *, source: str) -> bool:
    parsed = DeliveryStatus.parse(status_update.raw_status)
    async with ctx.sessions() as session, session.begin():
        message = None
        if status_update.mprofi_id is not None:
            message = await repository.message_by_mprofi_id(session, status_update.mprofi_id)
        if message is None:
            message = await repository.message_by_reference(session, status_update.reference)
            if message is not None and message.direction != "out":
                message = None
        if message is None:
            return False
        repository.add_status_event(
            session,
            message_id=message.id,
            status=_FROM_MPROFI.get(parsed, MessageStatus.UNKNOWN),
            source=source,
            raw_status=status_update.raw_status[:40],
            at=status_update.ts,
        )
        if message.mprofi_id is None and status_update.mprofi_id is not None:
            message.mprofi_id = status_update.mprofi_id  # an "uncertain" send did reach mProfi
        if message.next_poll_at is not None or message.status not in _ENDED:
            # PUSH works for this message, so the safety net's check can wait again (and a
            # message whose id only a status told us gets one).
            message.next_poll_at = first_status_check(ctx, message.scheduled_for)
        new = _FROM_MPROFI.get(parsed)
        if new is None or _RANK[new] <= _RANK.get(message.status, 0):
            return True  # statuses only move forward; late or repeated ones are history
        message.status = new
        message.status_detail = None
        message.status_at = status_update.ts or utcnow()
        if new in FINAL_STATUSES:
            message.next_poll_at = None
        if message.conversation_id is not None:  # many-number /sms messages have no status line
            await queue_render(session, message)
        else:  # a campaign's message shows it, a little later
            await campaign_progress.after_status(session, message.dispatch_id)
    ctx.wake_workers()
    return True


async def render_status(ctx: Context, job: Job) -> None:
    async with ctx.sessions() as session:
        message = await session.get(Message, job.message_id)
        assert message is not None and message.conversation_id is not None
        conversation = await session.get(Conversation, message.conversation_id)
        assert conversation is not None
        contact = await contacts.contact_of(session, message.phone)
        by = await outgoing.cancelled_by(session, message.id) if message.status == MessageStatus.CANCELLED else None
        await session.commit()  # reads done: no transaction stays open across Slack calls
        # Reactions: the reply wears its state, and a line stays only while it offers something.
        shown = reactions.wears_reaction(ctx, message) and await reactions.show_reaction(ctx, session, message)
        if shown and not reactions.offers_something(message):
            await reactions.delete_line(ctx, session, message, conversation.channel_id)
            return
        thread_ts = await ensure_thread(ctx, session, conversation, job)
        payload = _line(message, contact=contact.name if contact else None, cancelled_by=by, zone=ctx.config.zone)
        if message.status_message_ts is not None:
            try:
                await ctx.slack.chat_update(channel=conversation.channel_id, ts=message.status_message_ts, **payload)
                return
            except SlackApiError as exc:
                if slack_error(exc) != "message_not_found":
                    raise
                message.status_message_ts = None  # someone deleted the line: post it again
        if message.status_message_ts is None:
            message.status_message_ts = await post_once(
                ctx.slack,
                key=f"status:{message.id}",
                job=job,
                channel=conversation.channel_id,
                thread_ts=thread_ts,
                refresh=True,
                **payload,
            )
            await session.commit()


def _line(message: Message, *, contact: str | None, cancelled_by: str | None, zone: tzinfo) -> dict[str, Any]:
    """The message's status line as it stands now."""
    # The phone may read a mention as a name or a link with its address, and a signature
    # is added: say what it got (not for a message refused or failed: the phone got nothing).
    typed = message.typed_text
    shows_received = typed is not None and typed != message.text and message.status not in (MessageStatus.FAILED, MessageStatus.CANCELLED)
    waiting = message.status == MessageStatus.QUEUED and message.send_after is not None
    return blocks.status_line(
        message_id=message.id,
        kind=message.kind,
        phone=PhoneE164(message.phone),
        status=message.status,
        at=message.status_at,
        zone=zone,
        detail=message.status_detail,
        author=message.author,
        parts=message.parts,
        encoding=message.encoding,
        text=(typed or message.text) if message.dispatch_id is not None else None,
        scheduled_for=message.scheduled_for,
        received=message.text if shows_received else None,
        contact=contact,
        characters=len(message.text) if message.kind == "sms" else None,
        send_in=(message.send_after - utcnow()).total_seconds() if waiting and message.send_after else None,
        cancellable=waiting,
        cancelled_by=cancelled_by,
    )


async def poll_statuses(ctx: Context) -> int:
    """Ask ``status/`` about messages still in flight whose next check is due.

    With PULL this is how statuses arrive; with PUSH it catches the pushes that were
    lost (mProfi sends each once and never retries). Checks back off as a message
    ages (first after :func:`first_status_check`, doubling up to ``poll_max_seconds``)
    and stop at a final state or after the give-up time, counted from the send time.
    """
    now = utcnow()
    config = ctx.config
    async with ctx.sessions() as session:
        due = await repository.messages_due_for_poll(session, now=now)
        claimed: list[tuple[int, int, datetime, int, MProfiClient]] = []
        for message in due:
            # Push the next check out first: another worker or replica skips it.
            if message.mprofi_id is not None and await repository.postpone_poll(
                session, message, until=now + timedelta(seconds=config.poll_max_seconds)
            ):
                sent_at = max(message.created_at, message.scheduled_for) if message.scheduled_for else message.created_at
                # Asked with the key it was sent with (ROUTE_KEYS); looked up only when there are such keys.
                channel = await sending.channel_sent_from(session, message) if ctx.route_clients else None
                claimed.append((message.id, message.mprofi_id, sent_at, message.polls, ctx.mprofi_for(channel)))
        await session.commit()
    limit = asyncio.Semaphore(POLL_CONCURRENCY)

    async def check(message_id: int, mprofi_id: int, sent_at: datetime, polls: int, client: MProfiClient) -> None:
        async with limit:
            await _check_one(ctx, client, message_id, mprofi_id, sent_at, polls)

    for failed in await asyncio.gather(*(check(*claim) for claim in claimed), return_exceptions=True):
        if isinstance(failed, Exception):  # the database, most likely: the claim's own gap retries it
            logger.warning("a status check could not be recorded: %s", type(failed).__name__)
    if claimed:
        ctx.wake_workers()
    return len(claimed)


async def _check_one(ctx: Context, client: MProfiClient, message_id: int, mprofi_id: int, sent_at: datetime, polls: int) -> None:
    """Ask ``status/`` about one message, record what it says, and set its next check."""
    config = ctx.config
    try:
        status = await client.get_status(mprofi_id)
    except MProfiError as exc:  # an odd answer included: this message waits, the others go on
        logger.warning("status check of message %s failed: %s", message_id, exc.message)
    else:
        await apply_status(
            ctx,
            StatusUpdate(mprofi_id=mprofi_id, raw_status=status.raw_status, reference=status.reference, ts=status.ts),
            source="pull",
        )
    async with ctx.sessions() as session, session.begin():
        message = await session.get(Message, message_id)
        assert message is not None
        message.polls = polls + 1
        if message.status in FINAL_STATUSES:
            message.next_poll_at = None
        elif utcnow() - sent_at > timedelta(hours=config.poll_give_up_hours):
            await set_status(session, message, MessageStatus.UNKNOWN, detail=_("mProfi gave no final status in time."))
            message.next_poll_at = None
            if message.conversation_id is not None:  # many-number /sms messages have no status line
                await queue_render(session, message)
        else:
            first = config.first_status_check_seconds
            gap = max(first, min(config.poll_max_seconds, first * 2 ** (polls + 1)))
            message.next_poll_at = utcnow() + timedelta(seconds=gap)
