"""Campaigns from a spreadsheet: a CSV shared with the bot and a template, a dry run in
the file's thread, then *Send* or *Schedule* (or *Cancel*).

Started by a mention (``@mProfi kampania Dzień dobry {imię}…`` with a CSV), read in a
job (:mod:`bot.bridge.campaign_reading`), optionally checked by HLR
(:mod:`bot.bridge.campaign_hlr`), sent in batches (:mod:`bot.bridge.campaign_sending`)
and shown in one message (:mod:`bot.bridge.campaign_messages`). The buttons' answers
are plain sentences for the person who pressed.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge import policy, quiet_hours
from bot.bridge.campaign_progress import expire_if_old, queue_campaign_render
from bot.bridge.context import Context
from bot.i18n import _, figure, ngettext
from bot.slack import files
from bot.sms.templates import NAME_PATTERN
from storage import campaigns, repository
from storage.campaign_models import Campaign, CampaignState
from storage.kinds import JobKind, Lane
from storage.models import Dispatch, utcnow
from storage.queue import enqueue

__all__ = ["Campaigns", "split_template"]

_TEMPLATE_NAME = re.compile(r"^#(\S+)\s*$")


def split_template(typed: str) -> tuple[str, str | None]:
    """What follows the word *campaign*: (the text, None), or ("", name) for ``#name``."""
    match = _TEMPLATE_NAME.match(typed.strip())
    if match and NAME_PATTERN.match(match.group(1)):
        return "", match.group(1)
    return typed.strip(), None


class _PressedTwice(Exception):
    """Another press moved the campaign on first: this one's transaction is rolled back."""


class Campaigns:
    """The campaign operations the listeners call (``bridge.campaigns.<method>``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def start(self, *, trigger_id: str, user_id: str, channel_id: str, thread_ts: str, file: dict[str, Any], typed: str) -> None:
        """A CSV shared with a mention and the word campaign: stored, then read in a job."""
        text, name = split_template(typed)
        async with self.ctx.sessions() as session, session.begin():
            if not await repository.remember_slack_event(session, f"campaign:{trigger_id}"[:64]):
                return  # Slack delivered the mention again: one campaign
            campaign = Campaign(
                trigger_id=trigger_id,
                user_id=user_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                file_name=str(file.get("name") or "file.csv")[:255],
                template=text,
                template_name=name,
                plain=False,
                state=CampaignState.READING,
                hlr_polls=0,
                created_at=utcnow(),
            )
            session.add(campaign)
            await session.flush()
            enqueue(session, kind=JobKind.CAMPAIGN_READ, lane=Lane.SLACK, payload={"campaign": campaign.id, "file": files.file_ref(file)})
        self.ctx.wake_workers()

    def schedule_refusal(self, send_at: datetime) -> str | None:
        """Why the campaign may not go at ``send_at`` (past, or inside the quiet hours), or None."""
        if send_at <= utcnow():
            return _("That time has already passed; pick a time in the future.")
        return quiet_hours.scheduled_refusal(self.ctx.config, send_at)

    async def send(self, campaign_id: int, *, user_id: str, shown_plain: bool | None = None, send_at: datetime | None = None) -> str:
        """*Send*: what the person who pressed reads, sent or not."""
        return (await self.schedule(campaign_id, user_id=user_id, send_at=send_at, shown_plain=shown_plain))[1]

    async def schedule(
        self, campaign_id: int, *, user_id: str, send_at: datetime | None, shown_plain: bool | None = None
    ) -> tuple[bool, str]:
        """*Send* (or a time from *Schedule*): once, however many times it is pressed, and
        only the texts the pressed message showed (``shown_plain``: with or without Polish
        letters). A scheduled campaign stays here until its time (its first batch's job
        waits for it), so opt-outs are checked and it can be cancelled until then.
        (Whether it goes, and the sentence for the person who pressed.)"""
        ctx = self.ctx
        if send_at is not None:
            refusal = self.schedule_refusal(send_at)
        else:
            quiet = quiet_hours.inside(ctx.config, utcnow())
            refusal = (
                _("It is quiet hours ({hours}): the campaign was not sent. Press Schedule… and pick a time after {end}.").format(
                    hours=str(quiet), end=quiet_hours.shown_end(quiet, utcnow())
                )
                if quiet is not None
                else None
            )
        if refusal:
            return False, refusal
        async with ctx.sessions() as session:
            campaign = await session.get(Campaign, campaign_id)
            refusal = await self._stale(session, campaign, shown_plain)
            if refusal or campaign is None:
                await session.commit()
                ctx.wake_workers()
                return False, refusal or _not_ready(campaign)
            counted = await campaigns.counts(session, campaign.id)
            valid = counted.get("valid", 0)
            await session.commit()
        if not valid:
            return False, _("Nothing to send: no line of the file can be sent.")
        refusal = await policy.over_limit(ctx, user_id=user_id, channel_id=campaign.channel_id, adding=valid)
        if refusal:
            return False, refusal
        try:
            async with ctx.sessions() as session, session.begin():
                dispatch = Dispatch(
                    trigger_id=f"campaign:{campaign.id}",  # unique: a second press cannot make a second dispatch
                    user_id=user_id,
                    channel_id=campaign.channel_id,
                    text=campaign.template[:10000],
                    encoding=None,
                    send_at=send_at,
                    total=valid,
                    accepted=0,
                    failed=0,
                    refused=[],
                    state="sending",
                    created_at=utcnow(),
                )
                session.add(dispatch)
                await session.flush()
                moved = await campaigns.move_state(
                    session,
                    campaign.id,
                    from_states=(CampaignState.READY,),
                    to=CampaignState.SENDING,
                    shown_plain=shown_plain,
                    dispatch_id=dispatch.id,
                    send_at=send_at,
                    sent_by=user_id,
                    figures={**(campaign.figures or {}), "counts": counted},  # lines no longer change kind: counted once
                )
                if not moved:
                    raise _PressedTwice
                enqueue(session, kind=JobKind.CAMPAIGN_SEND, lane=Lane.MPROFI, dispatch_id=dispatch.id, run_after=send_at)
                await queue_campaign_render(session, campaign.id)
                if send_at is not None:  # the message shows *Cancel* until then, and no longer after
                    await queue_campaign_render(session, campaign.id, at=send_at)
        except (IntegrityError, _PressedTwice):  # pressed twice at once (or the texts changed meanwhile)
            return False, await self._why_not(campaign_id, shown_plain)
        ctx.wake_workers()
        if send_at is not None:
            return True, ngettext(
                "Scheduled: {n} SMS goes at {time}. Until then Cancel in the thread stops it.",
                "Scheduled: {n} SMS go at {time}. Until then Cancel in the thread stops it.",
                valid,
            ).format(n=figure(valid), time=send_at.astimezone(ctx.config.zone).strftime("%d.%m.%Y %H:%M"))
        return True, ngettext(
            "Sending {n} SMS. Progress shows in the thread.", "Sending {n} SMS. Progress shows in the thread.", valid
        ).format(n=figure(valid))

    async def _why_not(self, campaign_id: int, shown_plain: bool | None) -> str:
        """Why a press that lost to another did nothing."""
        answer = _("This campaign is already being sent; nothing is sent twice.")
        async with self.ctx.sessions() as session, session.begin():
            campaign = await session.get(Campaign, campaign_id)
            if campaign is not None and campaign.state == CampaignState.READY:
                answer = await self._stale(session, campaign, shown_plain) or _changed()
        self.ctx.wake_workers()
        return answer

    async def toggle_plain(self, campaign_id: int, *, user_id: str, shown_plain: bool | None = None) -> str | None:
        """*Remove Polish letters* (or *Keep Polish letters*): the dry run is drawn again.
        Pressed on a message that no longer shows the texts as they are, it changes nothing."""
        async with self.ctx.sessions() as session, session.begin():
            campaign = await session.get(Campaign, campaign_id)
            refusal = await self._stale(session, campaign, shown_plain)
            if refusal is None and campaign is not None:
                was = campaign.plain if shown_plain is None else shown_plain
                if await campaigns.move_state(
                    session, campaign.id, from_states=(CampaignState.READY,), to=CampaignState.READY, shown_plain=was, plain=not was
                ):
                    await queue_campaign_render(session, campaign.id)
                else:
                    refusal = _changed()
                    await queue_campaign_render(session, campaign.id)
        self.ctx.wake_workers()
        return refusal

    async def _stale(self, session: AsyncSession, campaign: Campaign | None, shown_plain: bool | None) -> str | None:
        """Why a press of the dry run's buttons does nothing: the campaign moved on, the dry
        run expired, or the message pressed no longer shows the texts as they are (then it
        is drawn again). None when the press may go ahead."""
        if campaign is not None and await expire_if_old(session, campaign):
            return _expired()
        if campaign is None or campaign.state != CampaignState.READY:
            return _not_ready(campaign)
        if shown_plain is not None and shown_plain != campaign.plain:
            await queue_campaign_render(session, campaign.id)
            return _changed()
        return None

    async def check_numbers(self, campaign_id: int, *, user_id: str) -> str | None:
        """*Check numbers first (HLR)*: one paid check of the valid numbers, once."""
        async with self.ctx.sessions() as session, session.begin():
            campaign = await session.get(Campaign, campaign_id)
            if campaign is not None and await expire_if_old(session, campaign):
                return _expired()
            if campaign is None or campaign.state != CampaignState.READY or (campaign.figures or {}).get("hlr"):
                return (
                    _not_ready(campaign)
                    if campaign is None or campaign.state != CampaignState.READY
                    else _("The numbers were checked already.")
                )
            figures = {**(campaign.figures or {}), "hlr": {"checking": True}}
            if not await campaigns.move_state(
                session, campaign.id, from_states=(CampaignState.READY,), to=CampaignState.CHECKING, figures=figures
            ):
                return _("The numbers are being checked already.")
            enqueue(session, kind=JobKind.CAMPAIGN_HLR, lane=Lane.MPROFI, payload={"campaign": campaign.id})
            await queue_campaign_render(session, campaign.id)
        self.ctx.wake_workers()
        return None

    async def cancel(self, campaign_id: int, *, user_id: str) -> str:
        """*Cancel*: a dry run, or a scheduled campaign whose time has not come."""
        async with self.ctx.sessions() as session, session.begin():
            campaign = await session.get(Campaign, campaign_id)
            if campaign is not None and await expire_if_old(session, campaign):
                return _expired()
            if campaign is None:
                return _not_ready(campaign)
            if await campaigns.move_state(
                session, campaign.id, from_states=(CampaignState.READY,), to=CampaignState.CANCELLED, sent_by=user_id
            ):
                pass
            elif await campaigns.cancel_scheduled(session, campaign.id, now=utcnow(), by=user_id):
                dispatch = await session.get(Dispatch, campaign.dispatch_id)
                if dispatch is not None:
                    dispatch.state = "done"
            else:
                return _not_ready(campaign)
            await queue_campaign_render(session, campaign.id)
        self.ctx.wake_workers()
        return _("Cancelled: nothing was sent.")

    async def results(self, campaign_id: int, *, user_id: str) -> str:
        """*Results CSV*: a fresh one, with the statuses as they stand now."""
        async with self.ctx.sessions() as session, session.begin():
            campaign = await session.get(Campaign, campaign_id)
            if campaign is None or campaign.state not in (CampaignState.SENDING, CampaignState.SENT):
                return _("This campaign has not been sent, so it has no results yet.")
            enqueue(session, kind=JobKind.CAMPAIGN_RESULTS, lane=Lane.SLACK, payload={"campaign": campaign.id})
        self.ctx.wake_workers()
        return _("The results CSV will be in the thread in a moment.")


def _expired() -> str:
    return _("This dry run expired after 7 days; share the file again to send it.")


def _changed() -> str:
    return _("The campaign's message changed after you saw it; look at it again and press once more.")


def _not_ready(campaign: Campaign | None) -> str:
    """Why a button of the dry run does nothing now, in one sentence."""
    if campaign is None:
        return _("That campaign is not known any more.")
    if campaign.state in (CampaignState.SENDING, CampaignState.SENT):
        return _("This campaign is already being sent; nothing is sent twice.")
    if campaign.state == CampaignState.CANCELLED:
        return _("This campaign was cancelled; share the file again to start over.")
    if campaign.state == CampaignState.CHECKING:
        return _("The numbers are being checked; wait for the dry run to show the result.")
    return _("This campaign cannot be sent; share the file again to start over.")
