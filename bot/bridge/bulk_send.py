"""One batch of a ``/sms`` to many numbers through ``sendbulk/``, and the next one queued after it.

The broadcast form (``default_message`` + ``recipients``) when every number gets the
same text; ``messages`` entries when a template gave each number its own, each as
Unicode only where its own letters need it. Opt-outs are looked at again before every
batch; a batch that may have reached mProfi is never sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge import policy
from bot.bridge.context import Context
from bot.bridge.dispatch_progress import queue_progress
from bot.bridge.models import RetryLater
from bot.bridge.refusals import mprofi_sentence
from bot.bridge.statuses import first_status_check
from bot.i18n import _
from bot.mprofi import AuthenticationError, BulkResult, MProfiError, NotSentError, OutgoingSms, RetryableError, UncertainError
from bot.sms.numbers import PhoneE164, recipient_digits
from bot.sms.text import analyze, wire_encoding
from storage import dispatches
from storage.audit import record_many
from storage.kinds import AuditKind, JobKind, Lane, MessageStatus
from storage.models import Dispatch, Job
from storage.queue import enqueue

__all__ = ["send_bulk", "goes_as_unicode", "record_answers"]

logger = logging.getLogger(__name__)


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
            await queue_progress(session, dispatch)
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
                await queue_progress(session, dispatch)
                await session.commit()
                ctx.wake_workers()
                return
        ids = [row.id for row in batch]
        # Texts filled in per person differ from the dispatch's (the template): one ``messages`` entry each.
        personal = any(row.text != dispatch.text for row in batch)
        utf8 = {text: goes_as_unicode(dispatch, text) if personal else dispatch.encoding == "utf-8" for text in {row.text for row in batch}}
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
            outcomes: dict[int, tuple[int | None, str]] = {row_id: (None, f"{MessageStatus.FAILED}: {exc.message}") for row_id in ids}
        except (UncertainError, MProfiError) as exc:
            status = MessageStatus.UNCERTAIN if isinstance(exc, UncertainError) else MessageStatus.FAILED
            await dispatches.set_batch(session, ids, status, detail=exc.message)
            outcomes = {row_id: (None, f"{status}: {exc.message}") for row_id in ids}
        else:
            outcomes = await record_answers(session, result, ids, check_at=first_status_check(ctx, dispatch.send_at))
        await record_many(session, [_audited(dispatch, recipient, *outcomes[recipient[0]]) for recipient in recipients])
        await dispatches.count_outcomes(session, dispatch)
        enqueue(session, kind=JobKind.SEND_BULK, lane=Lane.MPROFI, dispatch_id=dispatch.id)
        await queue_progress(session, dispatch)
        await session.commit()
    ctx.wake_workers()


async def record_answers(
    session: AsyncSession, result: BulkResult, ids: Sequence[int], *, check_at: datetime | None
) -> dict[int, tuple[int | None, str]]:
    """Store what mProfi answered for each entry of one ``sendbulk/`` call (its answers
    come in the input's order), and return each row's mProfi id and outcome for the audit log."""
    changes: list[dict[str, Any]] = []
    for entry, row_id in zip(result.entries, ids, strict=True):
        if entry.ok:
            changes.append(
                {"id": row_id, "mprofi_id": entry.id, "status": MessageStatus.ACCEPTED, "status_detail": None, "next_poll_at": check_at}
            )
        else:
            code = entry.error_code or _("error")
            reason = f"{code} {entry.error_text or ''}".strip()
            changes.append({"id": row_id, "mprofi_id": None, "status": MessageStatus.FAILED, "status_detail": reason, "next_poll_at": None})
    await dispatches.record_batch(session, changes)
    return {c["id"]: (c["mprofi_id"], str(c["status"]) + (f": {c['status_detail']}" if c["status_detail"] else "")) for c in changes}


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


def goes_as_unicode(dispatch: Dispatch, text: str) -> bool:
    """A text goes as Unicode only when the dispatch allows it and its own letters need it."""
    return dispatch.encoding == "utf-8" and wire_encoding(text) == "utf-8"
