"""A campaign's message redrawn when its messages' statuses move: at most one redraw
waits at a time, a few seconds after the change, so 1,000 PUSH statuses a second cost
one ``chat.update`` every few seconds, not 1,000.

A leaf (it imports only storage), so :mod:`bot.bridge.statuses` may call it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage import campaigns
from storage.campaign_models import Campaign, CampaignState
from storage.kinds import JobKind, Lane
from storage.models import utcnow
from storage.queue import enqueue, has_waiting_job

__all__ = ["REDRAW_AFTER_SECONDS", "DRY_RUN_DAYS", "queue_campaign_render", "after_status", "expire_if_old"]

REDRAW_AFTER_SECONDS = 2.0
DRY_RUN_DAYS = 7  # a dry run nobody sends or cancels expires then: the file's personal data is not kept for ever


async def expire_if_old(session: AsyncSession, campaign: Campaign) -> bool:
    """A dry run older than ``DRY_RUN_DAYS``: expired now (and its message redrawn). True when it is over."""
    if campaign.state == CampaignState.CANCELLED and campaign.detail == "expired":
        return True
    if campaign.state != CampaignState.READY:
        return False
    if not await campaigns.expire_dry_run(session, campaign.id, made_before=utcnow() - timedelta(days=DRY_RUN_DAYS)):
        return False
    await queue_campaign_render(session, campaign.id)
    return True


async def queue_campaign_render(
    session: AsyncSession, campaign_id: int, *, dispatch_id: int | None = None, later: bool = False, at: datetime | None = None
) -> None:
    """A redraw of the campaign's message (``at`` a given time). Once it sends
    (``dispatch_id``), a redraw already waiting makes this one needless: redraws coalesce."""
    if dispatch_id is not None and await has_waiting_job(session, JobKind.CAMPAIGN_RENDER, dispatch_id=dispatch_id):
        return
    run_after = at or (utcnow() + timedelta(seconds=REDRAW_AFTER_SECONDS) if later else None)
    enqueue(
        session,
        kind=JobKind.CAMPAIGN_RENDER,
        lane=Lane.SLACK,
        dispatch_id=dispatch_id,
        payload={"campaign": campaign_id},
        run_after=run_after,
    )


async def after_status(session: AsyncSession, dispatch_id: int | None) -> None:
    """A status of a message with no thread (a broadcast's) moved: if the broadcast is a
    campaign, its message is redrawn a little later."""
    if dispatch_id is None:
        return
    campaign_id = await campaigns.campaign_id_of_dispatch(session, dispatch_id)
    if campaign_id is not None:
        await queue_campaign_render(session, campaign_id, dispatch_id=dispatch_id, later=True)
