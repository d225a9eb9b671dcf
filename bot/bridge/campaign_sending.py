"""Sending a campaign: ``sendbulk/`` with ``messages`` entries, one batch per job run.

Each run takes the next valid lines (at most ``SMS_BULK_BATCH_SIZE``, 1,000), makes one
``messages`` row for each (its ``origin_key`` unique per line, its ``reference`` our id
so PUSH statuses find it) and commits them as *sending* before mProfi is called. So a
restart finds the batch it was in the middle of as *sending* and shows it as uncertain
— never sends it again — and goes on with the lines after it. Opt-outs are looked up
again for every batch that is about to go, a retried one included: a number that texted
STOP (or was forgotten) after the dry run is not sent to. A scheduled campaign waits in
the bridge (its first job runs at the chosen time), so it can be cancelled until then and
its opt-outs are checked when it goes; ``{date}`` is the day it goes. A batch that would go
inside the quiet hours waits for their end, and the campaign's message says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge import quiet_hours
from bot.bridge.bulk_send import record_answers
from bot.bridge.campaign_progress import queue_campaign_render
from bot.bridge.campaign_reading import with_date
from bot.bridge.context import Context
from bot.bridge.models import RetryLater
from bot.bridge.refusals import mprofi_sentence
from bot.bridge.statuses import first_status_check
from bot.i18n import _, use_language
from bot.mprofi import AuthenticationError, MProfiError, NotSentError, RetryableError, UncertainError
from bot.mprofi.models import OutgoingSms
from bot.sms.numbers import PhoneE164, recipient_digits
from bot.sms.text import transliterate
from storage import campaigns, dispatches
from storage.audit import record_many
from storage.campaign_models import Campaign, CampaignRow, CampaignState
from storage.kinds import AuditKind, JobKind, Lane, MessageStatus
from storage.models import Dispatch, Job, utcnow
from storage.queue import enqueue
from storage.sending import opted_out_among

__all__ = ["send_campaign_batch", "finish_campaign"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Out:
    """One message of a batch, as the call to mProfi and the audit log need it."""

    id: int
    phone: str
    text: str
    encoding: str | None
    parts: int

    @property
    def reference(self) -> str:
        return f"mps-{self.id}"  # as Message.reference: PUSH statuses find it by this


def _message(campaign: Campaign, row: CampaignRow, *, opted_out: bool, now: datetime, day: str) -> dict[str, Any]:
    """The ``messages`` row of one line: its text (``{date}`` the day it goes) and parts as the dry run counted them."""
    plain = campaign.plain and row.unicode
    text = with_date(row.text, day)
    return {
        "dispatch_id": campaign.dispatch_id,
        "direction": "out",
        "kind": "sms",
        "phone": row.phone,
        "text": transliterate(text) if plain else text,
        "encoding": "utf-8" if row.unicode and not campaign.plain else None,
        "parts": row.plain_parts if plain else row.parts,
        "status": MessageStatus.FAILED if opted_out else MessageStatus.SENDING,
        "status_detail": _("It opted out before this SMS went; nothing was sent to it.") if opted_out else None,
        "status_at": now,
        "origin_key": f"campaign-row:{row.id}",  # one line, one message: ever
        "author": campaign.sent_by or campaign.user_id,
        "scheduled_for": None,  # it goes now: a scheduled campaign waited in the bridge
        "polls": 0,
        "created_at": now,
    }


def _opted_out_sentence() -> str:
    return _("It opted out before this SMS went; nothing was sent to it.")


async def _take_batch(ctx: Context, session: AsyncSession, campaign: Campaign, dispatch: Dispatch, job: Job) -> tuple[list[_Out], int]:
    """The messages this run sends, committed as *sending*: ones a refused call left queued
    (their opt-outs looked up again), else new ones for the lines after the job's cursor.
    And the cursor for the next batch."""
    size = ctx.config.bulk_batch_size
    after = int((job.payload or {}).get("after") or 0)
    left = await campaigns.queued_messages(session, dispatch.id, size)
    if left:
        opted = await opted_out_among(session, [m.phone for m in left])
        if opted:
            await dispatches.set_batch(
                session, [m.id for m in left if m.phone in opted], MessageStatus.FAILED, detail=_opted_out_sentence()
            )
        batch = [_Out(m.id, m.phone, m.text, m.encoding, m.parts) for m in left if m.phone not in opted]
        await dispatches.set_batch(session, [m.id for m in batch], MessageStatus.SENDING)
    else:
        rows = await campaigns.next_batch(session, campaign.id, size, after_id=after)
        if not rows:
            return [], after
        after = rows[-1].id
        opted = await opted_out_among(session, [row.phone for row in rows if row.phone])
        now = utcnow()
        day = now.astimezone(ctx.config.zone).strftime("%d.%m.%Y")
        made = [_message(campaign, row, opted_out=row.phone in opted, now=now, day=day) for row in rows]
        ids = await campaigns.add_messages(session, made)
        await campaigns.link_messages(session, [{"id": row.id, "message_id": i} for row, i in zip(rows, ids, strict=True)])
        batch = [
            _Out(i, m["phone"], m["text"], m["encoding"], m["parts"])
            for i, m in zip(ids, made, strict=True)
            if m["status"] == MessageStatus.SENDING
        ]
    dispatch.state = "sending"
    await session.commit()
    return batch, after


async def _hold_for_quiet_hours(ctx: Context, session: AsyncSession, campaign: Campaign, dispatch: Dispatch, job: Job) -> bool:
    """Inside the quiet hours nothing goes: the next batch waits for their end (a new job,
    so the wait counts as no failed attempt) and the message says until when. True when held."""
    now = utcnow()
    quiet = quiet_hours.inside(ctx.config, now)
    figures = dict(campaign.figures or {})
    if quiet is None:
        if figures.pop("held_until", None) is not None:
            campaign.figures = figures
            await queue_campaign_render(session, campaign.id, dispatch_id=dispatch.id)
        return False
    until = quiet.ends_after(now)
    campaign.figures = {**figures, "held_until": until.isoformat()}
    enqueue(session, kind=JobKind.CAMPAIGN_SEND, lane=Lane.MPROFI, dispatch_id=dispatch.id, payload=job.payload, run_after=until)
    await queue_campaign_render(session, campaign.id)
    await session.commit()
    ctx.wake_workers()
    logger.info("campaign %s: held for the quiet hours until %s", campaign.id, until.isoformat())
    return True


async def send_campaign_batch(ctx: Context, job: Job) -> None:
    async with ctx.sessions() as session:
        dispatch = await session.get(Dispatch, job.dispatch_id)
        campaign = await campaigns.campaign_of_dispatch(session, job.dispatch_id or 0)
        if dispatch is None or campaign is None or campaign.state != CampaignState.SENDING:
            return
        with use_language(ctx.config.language):
            if job.attempts > 1:  # a batch left "sending" by a crash may or may not have reached mProfi: shown, never sent again
                interrupted = await dispatches.mark_interrupted(session, dispatch.id, _("The bridge stopped while sending this batch."))
                if interrupted:
                    logger.warning("campaign %s: %s messages were being sent when the bridge stopped", campaign.id, interrupted)
            if await _hold_for_quiet_hours(ctx, session, campaign, dispatch, job):
                return
            batch, after = await _take_batch(ctx, session, campaign, dispatch, job)
            if not batch and not await campaigns.next_batch(session, campaign.id, 1, after_id=after):
                await finish_campaign(session, campaign, dispatch)
                await session.commit()
                ctx.wake_workers()
                return
            if batch:
                await _send(ctx, session, campaign, dispatch, batch)
        if campaign.state == CampaignState.SENDING:
            enqueue(session, kind=JobKind.CAMPAIGN_SEND, lane=Lane.MPROFI, dispatch_id=dispatch.id, payload={"after": after})
        await queue_campaign_render(session, campaign.id, dispatch_id=dispatch.id)
        await session.commit()
    ctx.wake_workers()


async def finish_campaign(session: AsyncSession, campaign: Campaign, dispatch: Dispatch, *, stopped: str | None = None) -> None:
    """Every line was handed over (or sending ``stopped``, for that reason): the results CSV
    goes into the thread, and the message shows how it ended."""
    campaign.state = CampaignState.SENT
    if stopped is not None:
        campaign.figures = {**(campaign.figures or {}), "stopped": stopped}
    dispatch.state = "done"
    await dispatches.count_outcomes(session, dispatch)
    enqueue(session, kind=JobKind.CAMPAIGN_RESULTS, lane=Lane.SLACK, payload={"campaign": campaign.id})
    await queue_campaign_render(session, campaign.id)


async def _send(ctx: Context, session: AsyncSession, campaign: Campaign, dispatch: Dispatch, batch: list[_Out]) -> None:
    entries = [
        OutgoingSms(recipient_digits(PhoneE164(m.phone)), m.text, reference=m.reference, encoding=m.encoding)
        for m in batch  # no date: a scheduled campaign is kept here until its time
    ]
    ids = [m.id for m in batch]
    outcomes: dict[int, tuple[int | None, str]]
    try:
        result = await ctx.mprofi_for(campaign.channel_id).send_bulk(entries)
    except RetryableError as exc:  # nothing was accepted: the same messages go on the next try
        await dispatches.set_batch(session, ids, MessageStatus.QUEUED)
        await session.commit()
        raise RetryLater(exc.message, exc.retry_after) from None
    except (AuthenticationError, NotSentError) as exc:
        # A key or address problem fails every batch alike: stop, say so once, spend nothing more.
        said = exc.message if isinstance(exc, NotSentError) else mprofi_sentence(exc, sending=True)
        await dispatches.set_batch(session, ids, MessageStatus.FAILED, detail=said)
        await finish_campaign(session, campaign, dispatch, stopped=said)
        outcomes = {i: (None, f"{MessageStatus.FAILED}: {exc.message}") for i in ids}
    except (UncertainError, MProfiError) as exc:
        status = MessageStatus.UNCERTAIN if isinstance(exc, UncertainError) else MessageStatus.FAILED
        await dispatches.set_batch(session, ids, status, detail=exc.message)
        outcomes = {i: (None, f"{status}: {exc.message}") for i in ids}
    else:
        outcomes = await record_answers(session, result, [message.id for message in batch], check_at=first_status_check(ctx, None))
    await record_many(
        session,
        [
            {
                "kind": AuditKind.SMS_SENT,
                "actor": campaign.sent_by or campaign.user_id,
                "channel_id": campaign.channel_id,
                "phone": m.phone,
                "text": m.text,
                "parts": m.parts,
                "mprofi_id": outcomes[m.id][0],
                "message_id": m.id,
                "detail": outcomes[m.id][1],
            }
            for m in batch
        ],
    )
