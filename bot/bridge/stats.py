"""``/sms stats [7d|30d]``: the team's figures for a period, in the channel, with a CSV and a chart.

The command only stores the request (a ``stats_report`` job) and answers at once; the
job reads the figures (:mod:`storage.stats`), posts the report where the command was
typed and shares, in its thread, a CSV with one row per day and a PNG of the daily
volume. Days are ``DEFAULT_TIMEZONE``'s. A channel the app may not post in is told to
the person privately (the command's ``response_url``), in one sentence.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.bridge.context import Context
from bot.bridge.posts import post_once, upload_once
from bot.bridge.spreadsheets import csv_file
from bot.bridge.volume_chart import volume_png
from bot.i18n import _, use_language
from bot.slack.blocks.stats import PEOPLE_SHOWN, PersonFigures, StatsReport, csv_header, stats_message
from bot.slack.errors import PLACE_REFUSED, slack_error
from bot.slack.responses import post_response
from storage import repository
from storage import stats as figures
from storage.kinds import JobKind, Lane
from storage.models import Job, utcnow
from storage.queue import enqueue, save_payload

__all__ = ["Period", "Stats", "percentile", "report_days", "run_stats_report"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Period:
    """The report's days, ``first`` to ``last`` inclusive, and each day's start (and the end) in UTC."""

    first: date
    last: date
    bounds: list[datetime]


def report_days(days: int, now: datetime, ctx: Context) -> Period:
    """The last ``days`` days up to and including today, in ``DEFAULT_TIMEZONE``."""
    zone = ctx.config.zone
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    bounds = [datetime.combine(first + timedelta(days=i), datetime.min.time(), tzinfo=zone) for i in range(days + 1)]
    return Period(first=first, last=today, bounds=bounds)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` 0.5 → p50): a value that occurred, not an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


class Stats:
    """What ``/sms stats`` calls (``bridge.stats``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def start(self, *, trigger_id: str, user_id: str, channel_id: str, days: int, response_url: str | None) -> None:
        """Store the request; a job makes and posts the report (a repeated command makes one)."""
        payload = {"user": user_id, "channel": channel_id, "days": days, "response_url": response_url, "at": utcnow().isoformat()}
        async with self.ctx.sessions() as session, session.begin():
            if not await repository.remember_slack_event(session, f"stats:{trigger_id}"[:64]):
                return
            enqueue(session, kind=JobKind.STATS_REPORT, lane=Lane.SLACK, payload=payload)
        self.ctx.wake_workers()


async def _figures(ctx: Context, period: Period) -> tuple[StatsReport, list[figures.DayFigures]]:
    start, end = period.bounds[0], period.bounds[-1]
    async with ctx.sessions() as session:
        days = await figures.daily_figures(session, period.bounds)
        sent = await figures.sent_by_person(session, start, end)
        everyone: list[float] = []
        each: dict[str, list[float]] = {}
        async for wait in figures.waits(session, start, end):
            seconds = (wait.answered - wait.started).total_seconds()
            everyone.append(seconds)
            if wait.by:
                each.setdefault(wait.by, []).append(seconds)
    total = figures.DayFigures()
    for day in days:
        total.add(day)
    people = []
    for index, (user, count) in enumerate(sorted(sent.items(), key=lambda item: (-item[1], item[0]))):
        name = await _name(ctx, user) if index < PEOPLE_SHOWN else user  # the rest are only counted
        people.append(PersonFigures(user_id=user, name=name, sent=count, p50_seconds=percentile(each.get(user, []), 0.5)))
    report = StatsReport(
        first_day=period.first,
        last_day=period.last,
        zone_name=ctx.config.default_timezone,
        inbound=total.inbound,
        outbound=total.outbound,
        parts=total.parts,
        delivered=total.delivered,
        final=total.delivered + total.undelivered,
        opt_outs=total.opt_outs,
        waits=len(everyone),
        p50_seconds=percentile(everyone, 0.5),
        p90_seconds=percentile(everyone, 0.9),
        people=people,
    )
    return report, days


async def _name(ctx: Context, user_id: str) -> str:
    """The person as Slack shows them (named, not mentioned: nobody is pinged by a report)."""
    try:
        return await ctx.directory.user_name(user_id) or user_id
    except SlackApiError:
        return user_id


def _csv(period: Period, days: list[figures.DayFigures]) -> bytes:
    rows = [
        [(period.first + timedelta(days=i)).isoformat(), d.inbound, d.outbound, d.parts, d.delivered, d.undelivered, d.opt_outs]
        for i, d in enumerate(days)
    ]
    return csv_file(csv_header(), rows)


async def run_stats_report(ctx: Context, job: Job) -> None:
    """Make the report and post it, then its CSV and chart in its thread; each step once."""
    payload: dict[str, Any] = dict(job.payload or {})
    channel = str(payload["channel"])
    asked = datetime.fromisoformat(str(payload["at"])) if payload.get("at") else utcnow()
    period = report_days(int(payload.get("days") or 7), asked, ctx)  # the days of the request, on a retry too
    report, days = await _figures(ctx, period)
    with use_language(ctx.config.language):  # the channel's words, whoever asked
        message = stats_message(report)
        stem = f"sms-stats-{period.first.isoformat()}-{period.last.isoformat()}-{job.id}"
        title = _("Messages per day, {first} – {last}").format(first=period.first.strftime("%d.%m"), last=period.last.strftime("%d.%m"))
        chart = volume_png(
            [period.first + timedelta(days=i) for i in range(len(days))],
            [d.inbound for d in days],
            [d.outbound for d in days],
            title=title,
            labels=(_("In"), _("Out")),
        )
        csv_title, chart_title = _("SMS report, each day (CSV)"), _("SMS report, messages per day (chart)")
        content = _csv(period, days)
    ts = payload.get("ts")
    if ts is None:
        try:
            ts = await post_once(ctx.slack, key=f"stats:{job.id}", job=job, channel=channel, **message)
        except SlackApiError as exc:
            if slack_error(exc) not in PLACE_REFUSED:
                raise
            await _cannot_post(ctx, payload, slack_error(exc))
            return
        payload["ts"] = ts
        await _keep(ctx, job, payload)
    if not payload.get("csv"):
        await upload_once(ctx.slack, job=job, channel=channel, thread_ts=str(ts), content=content, filename=f"{stem}.csv", title=csv_title)
        payload["csv"] = True
        await _keep(ctx, job, payload)
    await upload_once(ctx.slack, job=job, channel=channel, thread_ts=str(ts), content=chart, filename=f"{stem}.png", title=chart_title)
    logger.info("stats: report of %s day(s) posted in %s", len(days), channel)


async def _keep(ctx: Context, job: Job, payload: dict[str, Any]) -> None:
    job.payload = payload
    async with ctx.sessions() as session, session.begin():
        await save_payload(session, job.id, payload)


async def _cannot_post(ctx: Context, payload: dict[str, Any], error: str) -> None:
    """The app may not post where the command was typed: the person hears why, privately."""
    logger.info("stats: cannot post the report in %s: %s", payload["channel"], error)
    url = payload.get("response_url")
    if not url:
        return
    language = await ctx.timezones.user_language(str(payload.get("user") or "")) or ctx.config.language
    with use_language(language):
        text = _("The report cannot be posted in this channel: invite the app here (/invite @mProfi SMS) or type /sms stats where it is.")
    await post_response(ctx.http, str(url), {"text": text})
