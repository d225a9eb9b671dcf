"""A campaign job given up (Slack or mProfi kept failing, or refused for good): the
campaign is moved to where it can stand for ever, and people are told in one sentence.

Without this a given-up read leaves no message at all, a given-up HLR check leaves the
dry run with no buttons, and a given-up batch leaves "sending…" for ever.
"""

from __future__ import annotations

import logging

from bot.bridge import notices
from bot.bridge.campaign_progress import queue_campaign_render
from bot.bridge.campaign_sending import finish_campaign
from bot.bridge.context import Context
from bot.i18n import _, use_language
from storage import campaigns, dispatches
from storage.campaign_models import Campaign, CampaignState
from storage.kinds import JobKind
from storage.models import Dispatch, Job

__all__ = ["CAMPAIGN_KINDS", "campaign_given_up"]

logger = logging.getLogger(__name__)

CAMPAIGN_KINDS = frozenset(
    {JobKind.CAMPAIGN_READ, JobKind.CAMPAIGN_HLR, JobKind.CAMPAIGN_SEND, JobKind.CAMPAIGN_RENDER, JobKind.CAMPAIGN_RESULTS}
)


async def campaign_given_up(ctx: Context, job: Job, reason: str) -> None:
    """End the campaign ``job`` belonged to as well as it can be ended, for ``reason``."""
    with use_language(ctx.config.language):
        if job.kind == JobKind.CAMPAIGN_SEND:
            await _sending_stopped(ctx, job, reason)
            return
        campaign_id = int((job.payload or {}).get("campaign") or 0)
        told: str | None = None
        async with ctx.sessions() as session, session.begin():
            campaign = await session.get(Campaign, campaign_id)
            if campaign is None:
                return
            if job.kind == JobKind.CAMPAIGN_READ:
                # Its message is the one sentence in the file's thread (a read posts none before it ends).
                detail = _("the file could not be read ({reason}); nothing was sent. Share it again to start over.").format(reason=reason)
                if await campaigns.move_state(
                    session, campaign.id, from_states=(CampaignState.READING,), to=CampaignState.FAILED, detail=detail
                ):
                    await queue_campaign_render(session, campaign.id)
            elif job.kind == JobKind.CAMPAIGN_HLR:
                failed = _("The HLR check could not be finished ({reason}); no number was left out.").format(reason=reason)
                figures = {**(campaign.figures or {}), "hlr": {"failed": failed}}
                if await campaigns.move_state(
                    session, campaign.id, from_states=(CampaignState.CHECKING,), to=CampaignState.READY, figures=figures
                ):
                    await queue_campaign_render(session, campaign.id)
            elif job.kind == JobKind.CAMPAIGN_RESULTS:
                told = _("The results CSV of the campaign from {file} could not be uploaded ({reason}); press Results CSV to try again.")
            else:
                told = _("The campaign's message for {file} could not be shown in the thread ({reason}).")
        if told is not None:  # after the transaction: telling is a write of its own
            text = told.format(file=campaign.file_name, reason=reason)
            await notices.tell_privately(ctx, channel_id=campaign.channel_id, user_id=campaign.user_id, text=text)
    logger.error("campaign job %s (%s) given up: %s", job.id, job.kind, reason)


async def _sending_stopped(ctx: Context, job: Job, reason: str) -> None:
    """A batch that could not go in time: what was being sent is uncertain, the rest is not
    sent, and the message and results CSV say sending stopped and why."""
    async with ctx.sessions() as session, session.begin():
        dispatch = await session.get(Dispatch, job.dispatch_id)
        campaign = await campaigns.campaign_of_dispatch(session, job.dispatch_id or 0)
        if dispatch is None or campaign is None or campaign.state != CampaignState.SENDING:
            return
        await dispatches.mark_interrupted(
            session, dispatch.id, _("No answer came from mProfi for this batch ({reason}); it may have been sent.").format(reason=reason)
        )
        await finish_campaign(
            session, campaign, dispatch, stopped=_("mProfi could not be reached in time ({reason})").format(reason=reason)
        )
