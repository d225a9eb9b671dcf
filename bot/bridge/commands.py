"""``/sms``: one number goes through its conversation thread, many go out in batches.

The listener checks what was typed and calls :func:`start_sms`, which stores the
whole request (a ``dispatches`` row, one ``messages`` row per recipient and the jobs)
in one transaction before Slack gets its answer. Workers do the rest:

- one recipient: the message shows in the number's thread (opened if needed) with its
  live status, exactly like a reply typed there; the person gets a link to it;
- many recipients: ``sendbulk/`` with ``default_message`` + ``recipients``, one batch
  per job run, and a progress message in the channel updated after every batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.models import KEY_REFUSED, RetryLater, SmsAccepted, SmsRequest
from bot.bridge.posts import post_once
from bot.bridge.replies import post_response, queue_outcome_reply, respond
from bot.bridge.statuses import first_status_check, queue_send
from bot.mprofi import AuthenticationError, MProfiError, RetryableError, UncertainError
from bot.slack import blocks
from bot.slack.errors import slack_error
from bot.sms.numbers import PhoneE164, display, recipient_digits
from bot.sms.text import analyze
from storage import repository
from storage.models import Dispatch, Job, Message, OptOut, utcnow
from storage.queue import enqueue

if TYPE_CHECKING:
    from bot.bridge.core import Bridge

__all__ = [
    "start_sms",
    "send_bulk",
    "render_dispatch",
    "respond",
    "user_timezone",
    "queue_outcome_reply",
    "post_response",
    "over_limit",
    "answer_confirmation",
]

logger = logging.getLogger(__name__)


async def user_timezone(bridge: Bridge, user_id: str) -> ZoneInfo:
    """The person's own time zone from Slack (cached), else the configured default.

    Asked before the command is answered, so it waits at most one second.
    """
    cached = bridge.timezones.get(user_id)
    if cached is not None:
        return cached
    zone = ZoneInfo(bridge.config.default_timezone)
    try:
        answer = await asyncio.wait_for(bridge.slack.users_info(user=user_id), timeout=1.0)
        name = (answer.get("user") or {}).get("tz")
        if name:
            zone = ZoneInfo(str(name))
            bridge.timezones[user_id] = zone
    except (TimeoutError, SlackApiError, ValueError, KeyError, OSError) as exc:
        logger.info("time zone of %s unknown (%s); using %s", user_id, type(exc).__name__, zone.key)
    return zone


async def over_limit(bridge: Bridge, *, user_id: str, channel_id: str, adding: int) -> str | None:
    """Per-hour limits on what one person and one channel may send (0 = no limit)."""
    config = bridge.config
    if not config.user_limit_per_hour and not config.channel_limit_per_hour:
        return None
    since = utcnow() - timedelta(hours=1)
    counted = (Message.direction == "out", Message.created_at >= since, Message.kind != "note", Message.status.notin_(_NOT_SENT))
    async with bridge.sessions() as session:
        if config.user_limit_per_hour:
            sent = int(await session.scalar(select(func.count()).select_from(Message).where(*counted, Message.author == user_id)) or 0)
            if sent + adding > config.user_limit_per_hour:
                return (
                    f"Not sent: this would make {sent + adding:,} SMS from you in an hour, and the limit is "
                    f"{config.user_limit_per_hour:,} (SMS_USER_LIMIT_PER_HOUR). Nothing was sent."
                )
        if config.channel_limit_per_hour:
            from_dispatches = select(func.count()).select_from(Message).join(Dispatch, Message.dispatch_id == Dispatch.id)
            sent = int(await session.scalar(from_dispatches.where(*counted, Dispatch.channel_id == channel_id)) or 0)
            sent += int(
                await session.scalar(select(func.count()).select_from(Message).where(*counted, Message.slack_channel == channel_id)) or 0
            )
            if sent + adding > config.channel_limit_per_hour:
                return (
                    f"Not sent: this would make {sent + adding:,} SMS from this channel in an hour, and the limit is "
                    f"{config.channel_limit_per_hour:,} (SMS_CHANNEL_LIMIT_PER_HOUR). Nothing was sent."
                )
    return None


_NOT_SENT = ("failed", "held", "cancelled")


async def start_sms(bridge: Bridge, request: SmsRequest) -> SmsAccepted:
    now = utcnow()
    refusal = await over_limit(bridge, user_id=request.user_id, channel_id=request.channel_id, adding=len(request.recipients))
    if refusal:
        return SmsAccepted(dispatch_id=0, sending=(), opted_out=(), refused=request.refused, duplicates=request.duplicates, refusal=refusal)
    try:
        async with bridge.sessions() as session, session.begin():
            opted = await _opted_out(session, request.recipients)
            sending = tuple(n for n in request.recipients if n not in opted)
            dispatch = Dispatch(
                trigger_id=request.trigger_id,
                user_id=request.user_id,
                channel_id=request.channel_id,
                text=request.text,
                encoding=request.encoding,
                send_at=request.send_at,
                response_url=request.response_url,
                total=len(sending),
                accepted=0,
                failed=0,
                refused=[list(r) for r in request.refused] + [[display(n), "texted STOP"] for n in request.recipients if n in opted],
                state="queued",
                created_at=now,
            )
            session.add(dispatch)
            await session.flush()
            held = len(sending) > bridge.config.confirm_above
            if len(sending) == 1:
                await _queue_single(bridge, session, dispatch, sending[0], typed=request.typed)
            elif sending:
                await _queue_many(bridge, session, dispatch, sending, held=held)
            else:
                dispatch.state = "done"
            accepted = SmsAccepted(
                dispatch_id=dispatch.id,
                sending=sending,
                opted_out=tuple(n for n in request.recipients if n in opted),
                refused=request.refused,
                duplicates=request.duplicates,
                needs_confirmation=held and len(sending) > 1,
            )
    except IntegrityError:
        # The same command arrived twice (same trigger): it was stored the first time.
        async with bridge.sessions() as session:
            existing = await session.scalar(select(Dispatch).where(Dispatch.trigger_id == request.trigger_id))
        assert existing is not None
        return SmsAccepted(dispatch_id=existing.id, sending=(), opted_out=(), refused=(), duplicates=0, again=True)
    bridge.wake_workers()
    return accepted


async def _opted_out(session: AsyncSession, numbers: tuple[PhoneE164, ...]) -> set[str]:
    """Which of these numbers texted STOP (asked in chunks: databases cap IN-list sizes)."""
    found: set[str] = set()
    for start in range(0, len(numbers), 5000):
        chunk = numbers[start : start + 5000]
        found.update((await session.scalars(select(OptOut.phone).where(OptOut.phone.in_(chunk)))).all())
    return found


async def _queue_single(bridge: Bridge, session: AsyncSession, dispatch: Dispatch, number: PhoneE164, *, typed: str | None = None) -> None:
    """One number: the message lives in the number's thread like a reply typed there."""
    conversation = await repository.get_or_create_conversation(session, channel_id=bridge.config.channel_id, phone=number)
    encoding = dispatch.encoding
    message = Message(
        conversation_id=conversation.id,
        dispatch_id=dispatch.id,
        direction="out",
        kind="sms",
        phone=number,
        text=dispatch.text,
        typed_text=typed,
        encoding=encoding,
        parts=analyze(dispatch.text, utf8=encoding == "utf-8").parts,
        status="queued",
        status_at=utcnow(),
        origin_key=f"dispatch:{dispatch.id}",
        author=dispatch.user_id,
        scheduled_for=dispatch.send_at,
        polls=0,
        created_at=utcnow(),
    )
    session.add(message)
    await session.flush()
    queue_send(session, message)


async def _queue_many(
    bridge: Bridge, session: AsyncSession, dispatch: Dispatch, numbers: tuple[PhoneE164, ...], *, held: bool = False
) -> None:
    """Many numbers: one row each (in one bulk insert), sent in batches by one job at a time.

    ``held``: more numbers than ``SMS_CONFIRM_ABOVE``; the rows wait until the person
    presses Send (or Cancel) and no job runs before that.
    """
    now = utcnow()
    parts = analyze(dispatch.text, utf8=dispatch.encoding == "utf-8").parts
    rows = [
        {
            "dispatch_id": dispatch.id,
            "direction": "out",
            "kind": "sms",
            "phone": number,
            "text": dispatch.text,
            "encoding": dispatch.encoding,
            "parts": parts,
            "status": "held" if held else "queued",
            "status_at": now,
            "author": dispatch.user_id,
            "scheduled_for": dispatch.send_at,
            "polls": 0,
            "created_at": now,
        }
        for number in numbers
    ]
    await session.execute(insert(Message), rows)
    if held:
        dispatch.state = "unconfirmed"
        return
    enqueue(session, kind="send_bulk", lane="mprofi", dispatch_id=dispatch.id)
    enqueue(session, kind="render_dispatch", lane="slack", dispatch_id=dispatch.id)


async def answer_confirmation(bridge: Bridge, dispatch_id: int, *, user_id: str, send: bool) -> str:
    """Send or cancel a held dispatch, once; only the person who typed it may decide."""
    async with bridge.sessions() as session, session.begin():
        dispatch = await session.get(Dispatch, dispatch_id)
        if dispatch is None:
            return "That /sms is not known any more."
        if dispatch.user_id != user_id:
            return "Only the person who typed this /sms can send or cancel it."
        if dispatch.state != "unconfirmed":
            return "This /sms was already " + ("cancelled." if dispatch.state == "cancelled" else "confirmed; it is not sent twice.")
        if not send:
            dispatch.state = "cancelled"
            await session.execute(update(Message).where(Message.dispatch_id == dispatch.id).values(status="cancelled"))
            return f"Cancelled: nothing was sent to the {dispatch.total:,} numbers."
        refusal = await over_limit(bridge, user_id=user_id, channel_id=dispatch.channel_id, adding=dispatch.total)
        if refusal:
            return refusal
        dispatch.state = "queued"
        await session.execute(update(Message).where(Message.dispatch_id == dispatch.id, Message.status == "held").values(status="queued"))
        enqueue(session, kind="send_bulk", lane="mprofi", dispatch_id=dispatch.id)
        enqueue(session, kind="render_dispatch", lane="slack", dispatch_id=dispatch.id)
        total = dispatch.total
    bridge.wake_workers()
    return f"Sending to {total:,} numbers. Progress shows in this channel."


async def send_bulk(bridge: Bridge, job: Job) -> None:
    """Send the next batch of a dispatch through ``sendbulk/``; queue the next batch after it."""
    async with bridge.sessions() as session:
        dispatch = await session.get(Dispatch, job.dispatch_id)
        assert dispatch is not None
        # A batch left "sending" by a crash may or may not have reached mProfi.
        interrupted = await session.execute(
            update(Message)
            .where(Message.dispatch_id == dispatch.id, Message.status == "sending")
            .values(status="uncertain", status_detail="The bridge stopped while sending this batch.", status_at=utcnow())
        )
        batch = (
            await session.execute(
                select(Message.id, Message.phone)
                .where(Message.dispatch_id == dispatch.id, Message.status == "queued")
                .order_by(Message.id)
                .limit(bridge.config.bulk_batch_size)
            )
        ).all()
        if not batch:
            dispatch.state = "done"
            await _queue_progress(session, dispatch)
            await session.commit()
            bridge.wake_workers()
            return
        ids = [row.id for row in batch]
        await session.execute(update(Message).where(Message.id.in_(ids)).values(status="sending"))
        dispatch.state = "sending"
        await session.commit()
        if interrupted.rowcount:  # type: ignore[attr-defined]
            logger.warning("dispatch %s: %s messages were being sent when the bridge stopped", dispatch.id, interrupted.rowcount)  # type: ignore[attr-defined]
        try:
            result = await bridge.mprofi.send_bulk_default(
                dispatch.text,
                [recipient_digits(PhoneE164(row.phone)) for row in batch],
                encoding=dispatch.encoding,
                date=dispatch.send_at,
            )
        except RetryableError as exc:
            await session.execute(update(Message).where(Message.id.in_(ids)).values(status="queued"))
            await session.commit()
            raise RetryLater(exc.message, exc.retry_after) from None
        except AuthenticationError:
            # A key problem fails every batch alike: stop here, say so once, spend nothing more.
            await session.execute(
                update(Message)
                .where(Message.dispatch_id == dispatch.id, Message.status.in_(("queued", "sending")))
                .values(status="failed", status_detail=KEY_REFUSED, status_at=utcnow())
            )
        except (UncertainError, MProfiError) as exc:
            status = "uncertain" if isinstance(exc, UncertainError) else "failed"
            await session.execute(
                update(Message).where(Message.id.in_(ids)).values(status=status, status_detail=exc.message, status_at=utcnow())
            )
        else:
            changes: list[dict[str, Any]] = []
            check_at = first_status_check(bridge, dispatch.send_at)
            for entry, row in zip(result.entries, batch, strict=True):
                if entry.ok:
                    changes.append(
                        {"id": row.id, "mprofi_id": entry.id, "status": "accepted", "status_detail": None, "next_poll_at": check_at}
                    )
                else:
                    reason = f"{entry.error_code or 'error'} {entry.error_text or ''}".strip()
                    changes.append({"id": row.id, "mprofi_id": None, "status": "failed", "status_detail": reason, "next_poll_at": None})
            await session.execute(update(Message), changes)
        await _count(session, dispatch)
        enqueue(session, kind="send_bulk", lane="mprofi", dispatch_id=dispatch.id)
        await _queue_progress(session, dispatch)
        await session.commit()
    bridge.wake_workers()


async def _count(session: AsyncSession, dispatch: Dispatch) -> None:
    counts = dict(
        (
            await session.execute(select(Message.status, func.count()).where(Message.dispatch_id == dispatch.id).group_by(Message.status))
        ).all()
    )
    dispatch.accepted = int(counts.get("accepted", 0)) + sum(int(counts.get(s, 0)) for s in ("sent", "delivered", "not_delivered", "error"))
    dispatch.failed = int(counts.get("failed", 0)) + int(counts.get("uncertain", 0))


async def _queue_progress(session: AsyncSession, dispatch: Dispatch) -> None:
    """A redraw of the progress message, unless one is already waiting (redraws coalesce)."""
    waiting = await session.scalar(
        select(Job.id)
        .where(Job.kind == "render_dispatch", Job.dispatch_id == dispatch.id, Job.done_at.is_(None), Job.locked_until.is_(None))
        .limit(1)
    )
    if waiting is None:
        enqueue(session, kind="render_dispatch", lane="slack", dispatch_id=dispatch.id)


async def render_dispatch(bridge: Bridge, job: Job) -> None:
    """Post or update the progress message of a many-number ``/sms`` in its channel."""
    async with bridge.sessions() as session:
        dispatch = await session.get(Dispatch, job.dispatch_id)
        assert dispatch is not None
        counts = Counter(
            dict(
                (
                    await session.execute(
                        select(Message.status, func.count()).where(Message.dispatch_id == dispatch.id).group_by(Message.status)
                    )
                ).all()
            )
        )
        failures = (
            await session.execute(
                select(Message.phone, Message.status, Message.status_detail)
                .where(Message.dispatch_id == dispatch.id, Message.status.in_(("failed", "uncertain")))
                .order_by(Message.id)
                .limit(10)
            )
        ).all()
        payload = blocks.dispatch_progress(
            user_id=dispatch.user_id,
            text=dispatch.text,
            total=dispatch.total,
            counts=dict(counts),
            failures=[(PhoneE164(f.phone), f.status, f.status_detail or "") for f in failures],
            refused=[(str(r[0]), str(r[1])) for r in (dispatch.refused or [])],
            send_at=dispatch.send_at,
            done=dispatch.state == "done",
        )
        await session.commit()  # reads done: no transaction stays open across Slack calls
        try:
            if dispatch.progress_ts is not None:
                try:
                    await bridge.slack.chat_update(channel=dispatch.channel_id, ts=dispatch.progress_ts, **payload)
                except SlackApiError as exc:
                    if slack_error(exc) != "message_not_found":
                        raise
                    dispatch.progress_ts = None  # someone deleted the progress message: post it again
            if dispatch.progress_ts is None:
                dispatch.progress_ts = await post_once(
                    bridge.slack, key=f"dispatch:{dispatch.id}", job=job, channel=dispatch.channel_id, refresh=True, **payload
                )
                await session.commit()
        except SlackApiError as exc:
            if slack_error(exc) not in ("not_in_channel", "channel_not_found", "is_archived"):
                raise
            # The bot cannot post there (a private channel it was not invited to): tell
            # the person privately when the dispatch is finished.
            if dispatch.state == "done" and dispatch.response_url:
                await post_response(bridge, dispatch.response_url, payload)
