"""Handing a thread reply to mProfi: once, never after a Cancel or an opt-out, never blindly again.

The ``SEND_REPLY`` job runs when the reply's undo window ends. Its first step is one
conditional update (queued → sending, only while the number is not opted out), so a
Cancel, a STOP or the card's *Opt out* that came first wins. A send that may or may not
have reached mProfi is shown as uncertain, never retried by itself; one that never left
is tried again later when that is safe (no connection), else shown as not sent.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge import policy
from bot.bridge.context import Context
from bot.bridge.mms_files import FileUnavailable, download_mms_file
from bot.bridge.models import RetryLater
from bot.bridge.outcomes import queue_outcome_reply
from bot.bridge.refusals import mprofi_sentence
from bot.bridge.statuses import first_status_check, queue_render, set_status
from bot.i18n import _
from bot.mprofi import MProfiError, NotSentError, RetryableError, UncertainError
from bot.sms.numbers import PhoneE164, recipient_digits
from storage import conversations, sending
from storage.audit import record
from storage.kinds import AuditKind, MessageStatus
from storage.models import Job, Message
from storage.outgoing import start_sending

__all__ = ["send_reply"]


async def send_reply(ctx: Context, job: Job) -> None:
    async with ctx.sessions() as session:
        message = await session.get(Message, job.message_id)
        assert message is not None
        if message.status == MessageStatus.SENDING:
            # A previous attempt died between asking mProfi and hearing back.
            await set_status(
                session,
                message,
                MessageStatus.UNCERTAIN,
                detail=_("The bridge stopped while sending; check the phone before sending again."),
            )
            await queue_render(session, message)
            await session.commit()
            ctx.wake_workers()
            return
        if message.status != MessageStatus.QUEUED:
            return
        file = None
        if message.kind == "mms":
            await session.commit()  # no transaction stays open across the download
            try:
                file = await download_mms_file(ctx, (job.payload or {}).get("file"))
            except FileUnavailable as exc:
                await session.refresh(message, with_for_update=True)
                if message.status != MessageStatus.QUEUED:  # cancelled while the file was fetched
                    await session.commit()
                    return
                await _not_sent(session, message, _("{reason} Nothing was sent.").format(reason=exc))
                await session.commit()
                ctx.wake_workers()
                return
        # The undo window's Cancel races this: the conditional update lets one of them win.
        if not await start_sending(session, message.id):
            await session.refresh(message, with_for_update=True)
            found = await sending.opt_out_of(session, message.phone)
            if message.status == MessageStatus.QUEUED and found is not None:  # still queued: its number opted out meanwhile
                await _not_sent(session, message, policy.opt_out_sentence(found))
            elif message.status == MessageStatus.QUEUED:  # opted back in that very moment: look again shortly
                await session.commit()
                raise RetryLater("the number's opt-out changed while sending began", 1.0)  # untranslated: a retry reason for the jobs table
            await session.commit()
            ctx.wake_workers()
            return  # cancelled, opted out, or moved on by another run: nothing goes to mProfi
        message.status = MessageStatus.SENDING  # as the row now says
        sender = ctx.mprofi_for(await sending.channel_sent_from(session, message))  # ROUTE_KEYS
        if message.send_after is not None:
            await queue_render(session, message)  # its Cancel is over
        await session.commit()
        outcome: tuple[MessageStatus, str | None] = (MessageStatus.ACCEPTED, None)
        mprofi_id: int | None = None
        try:
            if message.kind == "mms":
                result = await ctx.mprofi.send_mms(  # MMS go with MPROFI_MMS_KEY from every channel
                    recipient_digits(PhoneE164(message.phone)),
                    message.text,
                    file=file,
                    reference=message.reference,
                    encoding=message.encoding,
                )
            else:
                result = await sender.send_sms(
                    recipient_digits(PhoneE164(message.phone)),
                    message.text,
                    reference=message.reference,
                    encoding=message.encoding,
                    date=message.scheduled_for,
                )
            mprofi_id = result.id
        except RetryableError as exc:
            outcome = (MessageStatus.QUEUED, None)
            retry = RetryLater(exc.message, exc.retry_after)
        except UncertainError as exc:
            outcome = (MessageStatus.UNCERTAIN, _("{reason} Check with the customer before sending again.").format(reason=exc.message))
        except NotSentError as exc:  # it never left (the mProfi URL, say): a plain failure, its sentence says so
            outcome = (MessageStatus.FAILED, exc.message)
        except MProfiError as exc:  # a refused key too: only an admin can fix that
            outcome = (MessageStatus.FAILED, mprofi_sentence(exc, sending=True))
        # A PUSH status can arrive before mProfi's answer does: re-read the row under a
        # lock and move it on only if nothing else has.
        await session.refresh(message, with_for_update=True)
        if mprofi_id is not None and message.mprofi_id is None:
            message.mprofi_id = mprofi_id
        status, detail = outcome
        if status != MessageStatus.QUEUED:  # the call ended: what was handed to mProfi is on record
            typed_in = message.slack_channel or await sending.channel_of_dispatch(session, message.dispatch_id)
            if typed_in is None and message.conversation_id is not None:  # Send again: pressed in the thread
                typed_in = await sending.channel_sent_from(session, message)
            record(
                session,
                AuditKind.MMS_SENT if message.kind == "mms" else AuditKind.SMS_SENT,
                actor=message.author,
                channel_id=typed_in,
                phone=message.phone,
                text=message.text,
                parts=message.parts,
                mprofi_id=mprofi_id,
                message_id=message.id,
                detail=f"{status}: {detail}" if detail else str(status),
            )
        if message.status == MessageStatus.SENDING:
            if status == MessageStatus.QUEUED:
                message.status = MessageStatus.QUEUED
                if job.attempts == 1:
                    await queue_outcome_reply(session, message, unreachable=True)
                await session.commit()
                raise retry
            await set_status(session, message, status, detail=detail)
            if status == MessageStatus.FAILED and message.conversation_id is not None:
                await conversations.settle_unsent(session, message.conversation_id)  # nothing went: we still owe the answer
            if status == MessageStatus.ACCEPTED:
                message.next_poll_at = first_status_check(ctx, message.scheduled_for)
        await queue_render(session, message)
        await queue_outcome_reply(session, message)
        await session.commit()
    ctx.wake_workers()


async def _not_sent(session: AsyncSession, message: Message, reason: str) -> None:
    """The reply ends unsent: its line says why, and the conversation still waits for us."""
    await set_status(session, message, MessageStatus.FAILED, detail=reason)
    await queue_render(session, message)
    if message.conversation_id is not None:
        await conversations.settle_unsent(session, message.conversation_id)
