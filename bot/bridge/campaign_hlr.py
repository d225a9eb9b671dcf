"""A campaign's optional HLR pre-check: its valid numbers uploaded once to ``hlr/bulk/``,
the report asked for with growing gaps, inactive numbers left out of the sending.

Look-ups are paid: a check found half-uploaded after a restart is not uploaded again;
the dry run says so and the campaign can still be sent as it is.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.campaign_progress import queue_campaign_render
from bot.bridge.context import Context
from bot.bridge.models import RetryLater
from bot.bridge.refusals import mprofi_sentence
from bot.i18n import _, use_language
from bot.mprofi import MProfiError, RetryableError
from bot.mprofi.models import HlrReport
from bot.sms.numbers import PhoneE164, msisdn
from storage import campaigns
from storage.campaign_models import Campaign, CampaignState
from storage.kinds import JobKind, Lane
from storage.models import Job, utcnow
from storage.queue import enqueue

__all__ = ["check_campaign_numbers"]

logger = logging.getLogger(__name__)

_UPLOADING = ""  # hlr_upload_id while the upload is under way


async def _done(session: AsyncSession, campaign: Campaign, hlr: dict[str, Any]) -> None:
    """Back to the dry run, with what the check found (or why it did not finish)."""
    campaign.state = CampaignState.READY
    campaign.figures = {**(campaign.figures or {}), "hlr": hlr}
    await queue_campaign_render(session, campaign.id)
    await session.commit()


async def _upload(ctx: Context, session: AsyncSession, campaign: Campaign) -> None:
    lines: list[str] = []
    after = 0
    while chunk := await campaigns.phones_after(session, campaign.id, after, 5000):
        lines.extend(msisdn(PhoneE164(phone)) + "\n" for _row_id, phone in chunk)
        after = chunk[-1][0]
    campaign.hlr_upload_id = _UPLOADING
    await session.commit()
    try:
        upload = await ctx.mprofi.hlr_bulk("".join(lines).encode())
    except RetryableError as exc:
        campaign.hlr_upload_id = None
        await session.commit()
        raise RetryLater(exc.message, exc.retry_after) from None
    except MProfiError as exc:
        await _done(session, campaign, {"failed": mprofi_sentence(exc, key="hlr")})
        return
    campaign.hlr_upload_id = upload.upload_id
    campaign.figures = {**(campaign.figures or {}), "hlr": {"checking": True, "checked": len(lines), "started": utcnow().isoformat()}}
    enqueue(
        session,
        kind=JobKind.CAMPAIGN_HLR,
        lane=Lane.MPROFI,
        payload={"campaign": campaign.id},
        run_after=utcnow() + timedelta(seconds=ctx.config.hlr_poll_first_seconds),
    )
    await session.commit()


async def check_campaign_numbers(ctx: Context, job: Job) -> None:
    campaign_id = int((job.payload or {})["campaign"])
    async with ctx.sessions() as session:
        campaign = await session.get(Campaign, campaign_id)
        if campaign is None or campaign.state != CampaignState.CHECKING:
            return
        with use_language(ctx.config.language):
            if campaign.hlr_upload_id == _UPLOADING:
                said = _(
                    "The bridge stopped while uploading the numbers for the HLR check; they were not uploaded again to avoid paying twice."
                )
                await _done(session, campaign, {"failed": said})
            elif campaign.hlr_upload_id is None:
                await _upload(ctx, session, campaign)
            else:
                await _report(ctx, session, campaign)
    ctx.wake_workers()


async def _report(ctx: Context, session: AsyncSession, campaign: Campaign) -> None:
    assert campaign.hlr_upload_id
    try:
        report = await ctx.mprofi.hlr_download(campaign.hlr_upload_id)
    except RetryableError as exc:
        logger.info("campaign %s: HLR report: %s", campaign.id, exc.message)
        report = HlrReport(upload_id=campaign.hlr_upload_id, ready=False)
    except MProfiError as exc:
        await _done(session, campaign, {"failed": mprofi_sentence(exc, key="hlr")})
        return
    checked = int(((campaign.figures or {}).get("hlr") or {}).get("checked", 0))
    if report.ready:
        inactive = {"+" + row.msisdn for row in report.rows if not row.valid and row.msisdn.isdigit()}
        parts = "plain_parts" if campaign.plain else "parts"
        before = (await campaigns.counts(session, campaign.id)).get(parts, 0)
        await campaigns.mark_inactive(session, campaign.id, inactive, _("the HLR check found the number inactive"))
        after = (await campaigns.counts(session, campaign.id)).get(parts, 0)
        await _done(session, campaign, {"checked": checked or len(report.rows), "inactive": len(inactive), "saved": before - after})
        return
    campaign.hlr_polls += 1
    started = datetime.fromisoformat(str(((campaign.figures or {}).get("hlr") or {}).get("started") or utcnow().isoformat()))
    waited = (utcnow() - started).total_seconds()
    if waited > ctx.config.hlr_report_timeout_seconds:
        said = _("mProfi's HLR report was not ready in time (upload id {upload_id}); the campaign can be sent without it.").format(
            upload_id=campaign.hlr_upload_id
        )
        await _done(session, campaign, {"failed": said})
        return
    gap = min(ctx.config.hlr_poll_max_seconds, ctx.config.hlr_poll_first_seconds * 2**campaign.hlr_polls)
    enqueue(
        session, kind=JobKind.CAMPAIGN_HLR, lane=Lane.MPROFI, payload={"campaign": campaign.id}, run_after=utcnow() + timedelta(seconds=gap)
    )
    await session.commit()
