"""``/sms``: one number goes through its conversation thread, many go out in batches.

The listener checks what was typed and calls :func:`start_sms`, which stores the
whole request (a ``dispatches`` row, one ``messages`` row per recipient and the jobs)
in one transaction before Slack gets its answer. Workers do the rest:

- one recipient: the message shows in the number's thread (opened if needed) with its
  live status, exactly like a reply typed there; the person gets a link to it;
- many recipients: ``sendbulk/`` with ``default_message`` + ``recipients`` (``messages``
  entries when a template gives each number its own text), one batch per job run, and a
  progress message in the channel updated after every batch.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge import policy, quiet_hours
from bot.bridge.bulk_send import goes_as_unicode
from bot.bridge.card import queue_card
from bot.bridge.context import Context
from bot.bridge.models import SmsAccepted, SmsRequest
from bot.bridge.outcomes import queue_outcome_reply, respond
from bot.bridge.routing import sending_home
from bot.bridge.statuses import queue_send
from bot.i18n import _, figure, ngettext, use_language
from bot.sms.numbers import PhoneE164, display
from bot.sms.quiet_hours import QuietHours
from bot.sms.text import analyze
from storage import conversations as conversation_store
from storage import dispatches, repository
from storage.kinds import JobKind, Lane, MessageStatus
from storage.models import Dispatch, Message, utcnow
from storage.queue import enqueue

__all__ = ["start_sms", "answer_confirmation", "respond", "queue_outcome_reply"]

logger = logging.getLogger(__name__)


async def start_sms(ctx: Context, request: SmsRequest) -> SmsAccepted:
    now = utcnow()
    refusal = await policy.over_limit(ctx, user_id=request.user_id, channel_id=request.channel_id, adding=len(request.recipients))
    if request.send_at is not None and not refusal:
        refusal = quiet_hours.scheduled_refusal(ctx.config, request.send_at)
    quiet = quiet_hours.inside(ctx.config, now) if request.send_at is None else None
    if refusal:
        return SmsAccepted(dispatch_id=0, sending=(), opted_out=(), refused=request.refused, duplicates=request.duplicates, refusal=refusal)
    try:
        async with ctx.sessions() as session, session.begin():
            opted = await policy.opted_out_among(session, request.recipients)
            with use_language(ctx.config.language):  # shown in the channel's progress message
                stop_word = _("texted STOP")
            sending = tuple(n for n in request.recipients if n not in opted and (request.texts is None or n in request.texts))
            dispatch = Dispatch(
                trigger_id=request.trigger_id,
                user_id=request.user_id,
                channel_id=request.channel_id,
                text=request.texts[sending[0]] if request.texts and len(sending) == 1 else request.text,
                encoding=request.encoding,
                send_at=request.send_at,
                response_url=request.response_url,
                total=len(sending),
                accepted=0,
                failed=0,
                refused=[list(r) for r in request.refused] + [[display(n), stop_word] for n in request.recipients if n in opted],
                state="queued",
                created_at=now,
            )
            session.add(dispatch)
            await session.flush()
            held = len(sending) > ctx.config.confirm_above or quiet is not None
            parts = [analyze(dispatch.text, utf8=dispatch.encoding == "utf-8").parts] if len(sending) == 1 else []
            thread_channel = None
            if len(sending) == 1:
                thread_channel = await _queue_single(ctx, session, dispatch, sending[0], typed=request.typed, held=quiet is not None)
            elif sending:
                parts = await _queue_many(ctx, session, dispatch, sending, held=held, texts=request.texts)
            else:
                dispatch.state = "done"
            if quiet is not None and sending:
                dispatch.state = quiet_hours.HELD
            accepted = SmsAccepted(
                dispatch_id=dispatch.id,
                sending=sending,
                opted_out=tuple(n for n in request.recipients if n in opted),
                refused=request.refused,
                duplicates=request.duplicates,
                needs_confirmation=held and len(sending) > 1 and quiet is None,
                quiet_question=_quiet_question(dispatch.id, sending, quiet) if quiet is not None and sending else None,
                parts=tuple(parts),
                thread_channel=thread_channel,
            )
    except IntegrityError:
        # The same command arrived twice (same trigger): it was stored the first time.
        async with ctx.sessions() as session:
            existing = await dispatches.dispatch_by_trigger(session, request.trigger_id)
        assert existing is not None
        return SmsAccepted(dispatch_id=existing.id, sending=(), opted_out=(), refused=(), duplicates=0, again=True)
    ctx.wake_workers()
    return accepted


async def _queue_single(
    ctx: Context, session: AsyncSession, dispatch: Dispatch, number: PhoneE164, *, typed: str | None = None, held: bool = False
) -> str:
    """One number: the message lives in the number's thread like a reply typed there
    (``held``: inside the quiet hours, it waits for its sender's choice). Returns the
    thread's channel."""
    home = await sending_home(ctx.config, session, dispatch.channel_id, number)  # bot/bridge/routing.py
    conversation = await repository.get_or_create_conversation(session, channel_id=home, phone=number)
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
        status=MessageStatus.HELD if held else MessageStatus.QUEUED,
        status_at=utcnow(),
        origin_key=f"dispatch:{dispatch.id}",
        author=dispatch.user_id,
        scheduled_for=dispatch.send_at,
        polls=0,
        created_at=utcnow(),
    )
    session.add(message)
    await session.flush()
    if held:
        return home  # quiet_hours.answer_quiet_hours sends it, or not
    queue_send(session, message)
    # A /sms to one number is part of its conversation: the card shows it went out.
    await conversation_store.after_outbound(session, conversation.id, author=dispatch.user_id, at=message.created_at)
    await queue_card(session, conversation.id)
    return home


async def _queue_many(
    ctx: Context,
    session: AsyncSession,
    dispatch: Dispatch,
    numbers: tuple[PhoneE164, ...],
    *,
    held: bool = False,
    texts: Mapping[PhoneE164, str] | None = None,
) -> list[int]:
    """Many numbers: one row each (in one bulk insert), sent in batches by one job at a time; returns each one's parts.

    ``held``: more numbers than ``SMS_CONFIRM_ABOVE``; the rows wait until the person
    presses Send (or Cancel) and no job runs before that. ``texts``: each number's own
    text (a template filled in per person), sent in sendbulk's ``messages`` form.
    """
    parts = analyze(dispatch.text, utf8=dispatch.encoding == "utf-8").parts
    status = MessageStatus.HELD if held else MessageStatus.QUEUED
    own: dict[str, tuple[str, int]] | None = None
    if texts:
        own = {n: (texts[n], analyze(texts[n], utf8=goes_as_unicode(dispatch, texts[n])).parts) for n in numbers}
    await dispatches.add_recipients(session, dispatch, numbers, parts=parts, status=status, texts=own)
    if held:
        dispatch.state = "unconfirmed"
    else:
        enqueue(session, kind=JobKind.SEND_BULK, lane=Lane.MPROFI, dispatch_id=dispatch.id)
        enqueue(session, kind=JobKind.RENDER_DISPATCH, lane=Lane.SLACK, dispatch_id=dispatch.id)
    return [own[n][1] for n in numbers] if own else [parts] * len(numbers)


async def answer_confirmation(ctx: Context, dispatch_id: int, *, user_id: str, send: bool) -> str | dict[str, Any]:
    """Send or cancel a held dispatch, once; only the person who typed it may decide. Sent
    inside ``QUIET_HOURS`` (confirmed at night), it asks the quiet-hours question instead."""
    async with ctx.sessions() as session, session.begin():
        dispatch = await session.get(Dispatch, dispatch_id)
        if dispatch is None:
            return _("That /sms is not known any more.")
        if dispatch.user_id != user_id:
            return _("Only the person who typed this /sms can send or cancel it.")
        if dispatch.state != "unconfirmed":
            if dispatch.state == "cancelled":
                return _("This /sms was already cancelled.")
            return _("This /sms was already confirmed; it is not sent twice.")
        if not send:
            dispatch.state = "cancelled"
            await dispatches.set_all(session, dispatch.id, MessageStatus.CANCELLED)
            said = ngettext(
                "Cancelled: nothing was sent to the {n} number.", "Cancelled: nothing was sent to the {n} numbers.", dispatch.total
            )
            return said.format(n=figure(dispatch.total))
        refusal = await policy.over_limit(ctx, user_id=user_id, channel_id=dispatch.channel_id, adding=dispatch.total)
        if refusal:
            return refusal
        quiet = quiet_hours.inside(ctx.config, utcnow()) if dispatch.send_at is None else None
        if quiet is not None:
            dispatch.state = quiet_hours.HELD  # its rows stay held until the quiet-hours answer
            what = ngettext("this SMS to {n} number", "this SMS to {n} numbers", dispatch.total).format(n=figure(dispatch.total))
            return quiet_hours.question(f"sms:{dispatch.id}", what, quiet)
        dispatch.state = "queued"
        await dispatches.set_all(session, dispatch.id, MessageStatus.QUEUED, where=(MessageStatus.HELD,))
        enqueue(session, kind=JobKind.SEND_BULK, lane=Lane.MPROFI, dispatch_id=dispatch.id)
        enqueue(session, kind=JobKind.RENDER_DISPATCH, lane=Lane.SLACK, dispatch_id=dispatch.id)
        total = dispatch.total
    ctx.wake_workers()
    said = ngettext(
        "Sending to {n} number. Progress shows in this channel.", "Sending to {n} numbers. Progress shows in this channel.", total
    )
    return said.format(n=figure(total))


def _quiet_question(dispatch_id: int, sending: tuple[PhoneE164, ...], quiet: QuietHours) -> dict[str, Any]:
    if len(sending) == 1:
        what = _("this SMS to {number}").format(number=display(sending[0]))
    else:
        what = ngettext("this SMS to {n} number", "this SMS to {n} numbers", len(sending)).format(n=figure(len(sending)))
    return quiet_hours.question(f"sms:{dispatch_id}", what, quiet)
