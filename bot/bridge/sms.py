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

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge import policy, quiet_hours
from bot.bridge.card import queue_card
from bot.bridge.context import Context
from bot.bridge.models import RetryLater, SmsAccepted, SmsRequest
from bot.bridge.outcomes import queue_outcome_reply, respond
from bot.bridge.posts import post_once
from bot.bridge.refusals import mprofi_sentence
from bot.bridge.routing import sending_home
from bot.bridge.statuses import first_status_check, queue_send
from bot.i18n import _, figure, ngettext, use_language
from bot.mprofi import AuthenticationError, MProfiError, NotSentError, OutgoingSms, RetryableError, UncertainError
from bot.slack import blocks
from bot.slack.errors import slack_error
from bot.slack.responses import post_response
from bot.sms.numbers import PhoneE164, display, recipient_digits
from bot.sms.quiet_hours import QuietHours
from bot.sms.text import analyze, wire_encoding
from storage import conversations as conversation_store
from storage import dispatches, repository
from storage.audit import record_many
from storage.kinds import AuditKind, JobKind, Lane, MessageStatus
from storage.models import Dispatch, Job, Message, utcnow
from storage.queue import enqueue, has_waiting_job

__all__ = ["start_sms", "answer_confirmation", "send_bulk", "render_dispatch", "respond", "queue_outcome_reply"]

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
            sending = tuple(n for n in request.recipients if n not in opted)
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
            if len(sending) == 1:
                await _queue_single(ctx, session, dispatch, sending[0], typed=request.typed, held=quiet is not None)
            elif sending:
                await _queue_many(ctx, session, dispatch, sending, held=held, texts=request.texts)
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
) -> None:
    """One number: the message lives in the number's thread like a reply typed there
    (``held``: inside the quiet hours, it waits for its sender's choice)."""
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
        return  # quiet_hours.answer_quiet_hours sends it, or not
    queue_send(session, message)
    # A /sms to one number is part of its conversation: the card shows it went out.
    await conversation_store.after_outbound(session, conversation.id, author=dispatch.user_id, at=message.created_at)
    await queue_card(session, conversation.id)


async def _queue_many(
    ctx: Context,
    session: AsyncSession,
    dispatch: Dispatch,
    numbers: tuple[PhoneE164, ...],
    *,
    held: bool = False,
    texts: Mapping[PhoneE164, str] | None = None,
) -> None:
    """Many numbers: one row each (in one bulk insert), sent in batches by one job at a time.

    ``held``: more numbers than ``SMS_CONFIRM_ABOVE``; the rows wait until the person
    presses Send (or Cancel) and no job runs before that. ``texts``: each number's own
    text (a template filled in per person), sent in sendbulk's ``messages`` form.
    """
    parts = analyze(dispatch.text, utf8=dispatch.encoding == "utf-8").parts
    status = MessageStatus.HELD if held else MessageStatus.QUEUED
    own: dict[str, tuple[str, int]] | None = None
    if texts:
        own = {n: (texts[n], analyze(texts[n], utf8=_utf8(dispatch, texts[n])).parts) for n in numbers}
    await dispatches.add_recipients(session, dispatch, numbers, parts=parts, status=status, texts=own)
    if held:
        dispatch.state = "unconfirmed"
        return
    enqueue(session, kind=JobKind.SEND_BULK, lane=Lane.MPROFI, dispatch_id=dispatch.id)
    enqueue(session, kind=JobKind.RENDER_DISPATCH, lane=Lane.SLACK, dispatch_id=dispatch.id)


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


async def send_bulk(ctx: Context, job: Job) -> None:
    """Send the next batch of a dispatch through ``sendbulk/``; queue the next batch after it."""
    async with ctx.sessions() as session:
        dispatch = await session.get(Dispatch, job.dispatch_id)
        assert dispatch is not None
        # A batch left "sending" by a crash may or may not have reached mProfi.
        interrupted = await dispatches.mark_interrupted(session, dispatch.id, _("The bridge stopped while sending this batch."))
        batch = await dispatches.next_batch(session, dispatch.id, ctx.config.bulk_batch_size)
        if not batch:
            dispatch.state = "done"
            await _queue_progress(session, dispatch)
            await session.commit()
            ctx.wake_workers()
            return
        # An opt-out that came after the /sms was typed (while it waited for Send, the quiet
        # hours, or earlier batches) still holds: those numbers are left out now.
        opted = await policy.opted_out_among(session, [row.phone for row in batch])
        if opted:
            left_out = [row.id for row in batch if row.phone in opted]
            await dispatches.set_batch(
                session, left_out, MessageStatus.FAILED, detail=_("It opted out before this SMS went; nothing was sent to it.")
            )
            batch = [row for row in batch if row.phone not in opted]
            if not batch:
                await dispatches.count_outcomes(session, dispatch)
                enqueue(session, kind=JobKind.SEND_BULK, lane=Lane.MPROFI, dispatch_id=dispatch.id)
                await _queue_progress(session, dispatch)
                await session.commit()
                ctx.wake_workers()
                return
        ids = [row.id for row in batch]
        # Texts filled in per person differ from the dispatch's (the template): one ``messages`` entry each.
        personal = any(row.text != dispatch.text for row in batch)
        utf8 = {text: _utf8(dispatch, text) if personal else dispatch.encoding == "utf-8" for text in {row.text for row in batch}}
        recipients = [(row.id, row.phone, analyze(row.text, utf8=utf8[row.text]).parts, row.text) for row in batch]
        await dispatches.set_batch(session, ids, MessageStatus.SENDING)
        dispatch.state = "sending"
        await session.commit()
        if interrupted:
            logger.warning("dispatch %s: %s messages were being sent when the bridge stopped", dispatch.id, interrupted)
        try:
            sender = ctx.mprofi_for(dispatch.channel_id)  # ROUTE_KEYS: the key of the channel it was typed in
            if personal:  # each text its own encoding: Unicode only where its own letters need it
                entries = [
                    OutgoingSms(
                        recipient_digits(PhoneE164(row.phone)),
                        row.text,
                        reference=f"mps-{row.id}",
                        date=dispatch.send_at,
                        encoding=dispatch.encoding and wire_encoding(row.text),
                    )
                    for row in batch
                ]
                result = await sender.send_bulk(entries)
            else:
                result = await sender.send_bulk_default(
                    dispatch.text,
                    [recipient_digits(PhoneE164(row.phone)) for row in batch],
                    encoding=dispatch.encoding,
                    date=dispatch.send_at,
                )
        except RetryableError as exc:
            await dispatches.set_batch(session, ids, MessageStatus.QUEUED)
            await session.commit()
            raise RetryLater(exc.message, exc.retry_after) from None
        except (AuthenticationError, NotSentError) as exc:
            # A key or address problem fails every batch alike: stop here, say so once, spend nothing more.
            unsent = (MessageStatus.QUEUED, MessageStatus.SENDING)
            said = exc.message if isinstance(exc, NotSentError) else mprofi_sentence(exc, sending=True)  # it says nothing went
            await dispatches.set_all(session, dispatch.id, MessageStatus.FAILED, where=unsent, detail=said)
            outcomes = {row_id: (None, f"{MessageStatus.FAILED}: {exc.message}") for row_id in ids}
        except (UncertainError, MProfiError) as exc:
            status = MessageStatus.UNCERTAIN if isinstance(exc, UncertainError) else MessageStatus.FAILED
            await dispatches.set_batch(session, ids, status, detail=exc.message)
            outcomes = {row_id: (None, f"{status}: {exc.message}") for row_id in ids}
        else:
            changes: list[dict[str, Any]] = []
            check_at = first_status_check(ctx, dispatch.send_at)
            for entry, row in zip(result.entries, batch, strict=True):
                if entry.ok:
                    changes.append(
                        {
                            "id": row.id,
                            "mprofi_id": entry.id,
                            "status": MessageStatus.ACCEPTED,
                            "status_detail": None,
                            "next_poll_at": check_at,
                        }
                    )
                else:
                    code = entry.error_code or _("error")
                    reason = f"{code} {entry.error_text or ''}".strip()
                    changes.append(
                        {"id": row.id, "mprofi_id": None, "status": MessageStatus.FAILED, "status_detail": reason, "next_poll_at": None}
                    )
            await dispatches.record_batch(session, changes)
            outcomes = {
                c["id"]: (c["mprofi_id"], str(c["status"]) + (f": {c['status_detail']}" if c["status_detail"] else "")) for c in changes
            }
        await record_many(session, [_audited(dispatch, recipient, *outcomes[recipient[0]]) for recipient in recipients])
        await dispatches.count_outcomes(session, dispatch)
        enqueue(session, kind=JobKind.SEND_BULK, lane=Lane.MPROFI, dispatch_id=dispatch.id)
        await _queue_progress(session, dispatch)
        await session.commit()
    ctx.wake_workers()


def _quiet_question(dispatch_id: int, sending: tuple[PhoneE164, ...], quiet: QuietHours) -> dict[str, Any]:
    if len(sending) == 1:
        what = _("this SMS to {number}").format(number=display(sending[0]))
    else:
        what = ngettext("this SMS to {n} number", "this SMS to {n} numbers", len(sending)).format(n=figure(len(sending)))
    return quiet_hours.question(f"sms:{dispatch_id}", what, quiet)


def _audited(dispatch: Dispatch, recipient: tuple[int, str, int, str], mprofi_id: int | None, outcome: str) -> dict[str, Any]:
    """The audit record of one recipient of a ``/sms``: handed to mProfi, and how that call ended."""
    message_id, phone, parts, text = recipient
    return {
        "kind": AuditKind.SMS_SENT,
        "actor": dispatch.user_id,
        "channel_id": dispatch.channel_id,
        "phone": phone,
        "text": text,
        "parts": parts,
        "mprofi_id": mprofi_id,
        "message_id": message_id,
        "detail": outcome,
    }


async def _queue_progress(session: AsyncSession, dispatch: Dispatch) -> None:
    """A redraw of the progress message, unless one is already waiting (redraws coalesce)."""
    if not await has_waiting_job(session, JobKind.RENDER_DISPATCH, dispatch_id=dispatch.id):
        enqueue(session, kind=JobKind.RENDER_DISPATCH, lane=Lane.SLACK, dispatch_id=dispatch.id)


async def render_dispatch(ctx: Context, job: Job) -> None:
    """Post or update the progress message of a many-number ``/sms`` in its channel."""
    async with ctx.sessions() as session:
        dispatch = await session.get(Dispatch, job.dispatch_id)
        assert dispatch is not None
        counts = await dispatches.status_counts(session, dispatch.id)
        failures = await dispatches.failures(session, dispatch.id)
        payload = blocks.dispatch_progress(
            user_id=dispatch.user_id,
            text=dispatch.text,
            total=dispatch.total,
            counts=counts,
            failures=[(PhoneE164(f.phone), f.status, f.status_detail or "") for f in failures],
            refused=[(str(r[0]), str(r[1])) for r in (dispatch.refused or [])],
            send_at=dispatch.send_at,
            done=dispatch.state == "done",
            zone=ctx.config.zone,
        )
        await session.commit()  # reads done: no transaction stays open across Slack calls
        try:
            if dispatch.progress_ts is not None:
                try:
                    await ctx.slack.chat_update(channel=dispatch.channel_id, ts=dispatch.progress_ts, **payload)
                except SlackApiError as exc:
                    if slack_error(exc) != "message_not_found":
                        raise
                    dispatch.progress_ts = None  # someone deleted the progress message: post it again
            if dispatch.progress_ts is None:
                dispatch.progress_ts = await post_once(
                    ctx.slack, key=f"dispatch:{dispatch.id}", job=job, channel=dispatch.channel_id, refresh=True, **payload
                )
                await session.commit()
        except SlackApiError as exc:
            if slack_error(exc) not in ("not_in_channel", "channel_not_found", "is_archived"):
                raise
            # The bot cannot post there (a private channel it was not invited to): tell
            # the person privately when the dispatch is finished.
            if dispatch.state == "done" and dispatch.response_url:
                await post_response(ctx.http, dispatch.response_url, payload)


def _utf8(dispatch: Dispatch, text: str) -> bool:
    """A text goes as Unicode only when the dispatch allows it and its own letters need it."""
    return dispatch.encoding == "utf-8" and wire_encoding(text) == "utf-8"
