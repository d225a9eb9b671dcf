"""What a campaign shows in Slack: its one message (dry run, then progress, then outcome)
drawn from the database, and the results CSV uploaded in its thread."""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge import quiet_hours
from bot.bridge.campaign_progress import expire_if_old
from bot.bridge.campaign_reading import with_date
from bot.bridge.context import Context
from bot.bridge.posts import post_once, upload_once
from bot.bridge.spreadsheets import inert
from bot.i18n import _, pgettext, use_language
from bot.slack.blocks.campaigns import CampaignPicture, campaign_message
from bot.slack.errors import slack_error
from bot.sms.text import transliterate
from storage import campaigns, dispatches
from storage.campaign_models import Campaign, CampaignState, RowKind
from storage.models import Job, utcnow

__all__ = ["picture_of", "render_campaign", "campaign_results"]

logger = logging.getLogger(__name__)

RESULT_CHUNK = 2000  # lines read from the database at a time while the CSV is written


async def picture_of(ctx: Context, session: AsyncSession, campaign: Campaign) -> CampaignPicture:
    """Everything the campaign's message shows now."""
    figures = campaign.figures or {}
    now = utcnow()
    if campaign.state in (CampaignState.SENDING, CampaignState.SENT) and "counts" in figures:
        # Sending: the lines' kinds are settled, only the messages' statuses move.
        held = figures.get("held_until")
        return CampaignPicture(
            campaign_id=campaign.id,
            user_id=campaign.user_id,
            file_name=campaign.file_name,
            template_name=campaign.template_name,
            state=campaign.state,
            plain=campaign.plain,
            counts=dict(figures["counts"]),
            statuses=await dispatches.status_counts(session, campaign.dispatch_id) if campaign.dispatch_id is not None else None,
            send_at=campaign.send_at,
            sent_by=campaign.sent_by,
            stopped=figures.get("stopped"),
            held_until=datetime.fromisoformat(str(held)) if held and campaign.state == CampaignState.SENDING else None,
            waiting=campaign.state == CampaignState.SENDING and campaign.send_at is not None and campaign.send_at > now,
        )
    counts = await campaigns.counts(session, campaign.id)
    today = now.astimezone(ctx.config.zone).strftime("%d.%m.%Y")
    samples = []
    for phone, stored in await campaigns.samples(session, campaign.id):
        text = with_date(stored, today)
        samples.append((str(phone), transliterate(text) if campaign.plain else text))
    invalid = [(line, problem or "") for line, problem in await campaigns.first_problems(session, campaign.id, RowKind.INVALID)]
    quiet = quiet_hours.inside(ctx.config, now)
    return CampaignPicture(
        campaign_id=campaign.id,
        user_id=campaign.user_id,
        file_name=campaign.file_name,
        template_name=campaign.template_name,
        state=campaign.state,
        plain=campaign.plain,
        counts=counts,
        samples=samples,
        invalid=invalid,
        missing=await campaigns.missing_variables(session, campaign.id),
        quiet=str(quiet) if quiet is not None else None,
        hlr=figures.get("hlr"),
        detail=campaign.detail,
        send_at=campaign.send_at,
        sent_by=campaign.sent_by,
        expired=campaign.state == CampaignState.CANCELLED and campaign.detail == "expired",
        abroad=counts.get("abroad", 0),
    )


async def render_campaign(ctx: Context, job: Job) -> None:
    """Post the campaign's message in the file's thread, or update it in place."""
    campaign_id = int((job.payload or {})["campaign"])
    async with ctx.sessions() as session:
        campaign = await session.get(Campaign, campaign_id)
        if campaign is None:
            return
        if await expire_if_old(session, campaign):  # a dry run past its week: shown as expired
            await session.commit()
            await session.refresh(campaign)
        with use_language(ctx.config.language):
            payload = campaign_message(await picture_of(ctx, session, campaign), zone=ctx.config.zone)
        await session.commit()  # reads done: no transaction stays open across Slack calls
        if campaign.message_ts is not None:
            try:
                await ctx.slack.chat_update(channel=campaign.channel_id, ts=campaign.message_ts, **payload)
                return
            except SlackApiError as exc:
                if slack_error(exc) != "message_not_found":
                    raise
                campaign.message_ts = None  # someone deleted it: post it again
        campaign.message_ts = await post_once(
            ctx.slack,
            key=f"campaign:{campaign.id}",
            job=job,
            channel=campaign.channel_id,
            thread_ts=campaign.thread_ts,
            refresh=True,
            **payload,
        )
        await session.commit()


def _not_sent(kind: str) -> str:
    """Why a line of the file got no message, in the results CSV's words."""
    words = {
        RowKind.INVALID: _("not sent: invalid"),
        RowKind.DUPLICATE: _("not sent: duplicate"),
        RowKind.OPTED_OUT: _("not sent: opted out"),
        RowKind.MISSING: _("not sent: a variable has no value"),
        RowKind.INACTIVE: _("not sent: inactive (HLR)"),
    }
    return words.get(kind, "")


def _header(columns: list[str]) -> list[str]:
    return [
        *columns,
        pgettext("campaign results CSV header", "phone (E.164)"),
        pgettext("campaign results CSV header", "text"),
        pgettext("campaign results CSV header", "parts"),
        pgettext("campaign results CSV header", "status"),
        pgettext("campaign results CSV header", "status time"),
        pgettext("campaign results CSV header", "note"),
    ]


async def campaign_results(ctx: Context, job: Job) -> None:
    """Every line of the file with its text, parts and how it ended, as a CSV in the thread
    (``;`` and UTF-8 with a BOM for Excel; cells that look like formulas stay words)."""
    campaign_id = int((job.payload or {})["campaign"])
    async with ctx.sessions() as session:
        campaign = await session.get(Campaign, campaign_id)
        if campaign is None or campaign.state not in (CampaignState.SENDING, CampaignState.SENT):
            return
        columns = [str(c) for c in (campaign.figures or {}).get("columns", [])]
        # Written to a temporary file as it is read, chunk by chunk: only the finished file's
        # bytes are ever held, for the upload (a str of it would take twice their size or more).
        with tempfile.TemporaryFile() as spool:
            out = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
            writer = csv.writer(out, delimiter=";")
            with use_language(ctx.config.language):
                today = utcnow().astimezone(ctx.config.zone).strftime("%d.%m.%Y")
                reason = (campaign.figures or {}).get("stopped")
                stopped = _("not sent: sending stopped ({reason})").format(reason=str(reason).rstrip(".")) if reason else None
                writer.writerow(_header(columns))
                after = 0
                while chunk := await campaigns.result_rows(session, campaign.id, after, RESULT_CHUNK):
                    for _row_id, _line, phone, cells, stored, kind, problem, parts, status, status_at in chunk:
                        text = with_date(stored, today)
                        shown = status or (stopped if kind == RowKind.VALID and stopped else _not_sent(kind))
                        at = status_at.astimezone(ctx.config.zone).strftime("%Y-%m-%d %H:%M:%S") if status_at else ""
                        found = cells or {}
                        line = [*(found.get(c, "") for c in columns), phone or "", text, parts, shown, at, problem or ""]
                        writer.writerow([inert(cell) for cell in line])
                    after = chunk[-1][0]
                title = _("Campaign results: {file}").format(file=campaign.file_name)
            out.flush()
            spool.seek(0)
            content = spool.read()
            out.detach()
        await session.commit()
    await upload_once(
        ctx.slack,
        job=job,
        channel=campaign.channel_id,
        thread_ts=campaign.thread_ts,
        content=content,
        filename=f"campaign-{campaign.id}-results-{job.id}.csv",
        title=title,
    )
    logger.info("campaign %s: results CSV uploaded", campaign.id)
