"""``/sms stats``: the report's Block Kit message, its CSV's header, and durations in plain words.

Pure functions of the figures the bridge computed (:class:`StatsReport`). People are
named, not mentioned: a report typed again and again must not ping the whole team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.i18n import _, current_language, figure, ngettext, pgettext
from bot.slack.blocks.markup import escape, fallback

__all__ = ["PersonFigures", "StatsReport", "csv_header", "duration", "stats_message"]

PEOPLE_SHOWN = 20


@dataclass(frozen=True)
class PersonFigures:
    user_id: str
    name: str  # as Slack shows them (display name, else full name); their id if unknown
    sent: int
    p50_seconds: float | None  # their median first response (None: they ended no wait)


@dataclass(frozen=True)
class StatsReport:
    first_day: date
    last_day: date
    zone_name: str
    inbound: int
    outbound: int
    parts: int
    delivered: int
    final: int  # outgoing messages with a final status (delivered or not)
    opt_outs: int
    waits: int  # waits answered in the period
    p50_seconds: float | None
    p90_seconds: float | None
    people: list[PersonFigures] = field(default_factory=list)


def duration(seconds: float | None) -> str:
    """A response time in plain words: "45 s", "12 min", "2 h 5 min", "3 d 4 h"."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return _("{n} s").format(n=whole)
    minutes = whole // 60
    if minutes < 60:
        return _("{n} min").format(n=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=rest)
    days, hours = divmod(hours, 24)
    return _("{days} d {hours} h").format(days=figure(days), hours=hours)


def _rate(report: StatsReport) -> str:
    if not report.final:
        return _("no final statuses yet")
    percent = 100 * report.delivered / report.final
    shown = f"{percent:.1f}".replace(".", ",") if current_language() == "pl" else f"{percent:.1f}"
    return _("{percent}% ({delivered} of {total})").format(percent=shown, delivered=figure(report.delivered), total=figure(report.final))


def _person(person: PersonFigures) -> str:
    sent = ngettext("{n} message sent", "{n} messages sent", person.sent).format(n=figure(person.sent))
    who = "@" + escape(person.name)
    if person.p50_seconds is None:
        return f"• {who}: {sent}"
    answered = _("first response p50 {time}").format(time=duration(person.p50_seconds))
    return f"• {who}: {sent}, {answered}"


def stats_message(report: StatsReport) -> dict[str, Any]:
    """The report as posted in the channel: the period, the figures, each person's."""
    days = (report.last_day - report.first_day).days + 1
    title = ngettext("SMS report: the last {n} day", "SMS report: the last {n} days", days).format(n=days)
    period = _("{first} – {last} ({zone})").format(
        first=report.first_day.strftime("%d.%m.%Y"), last=report.last_day.strftime("%d.%m.%Y"), zone=escape(report.zone_name)
    )
    answered = ngettext("{n} answered wait", "{n} answered waits", report.waits).format(n=figure(report.waits))
    fields = [
        _("*Messages in:* {n}").format(n=figure(report.inbound)),
        _("*Messages out:* {n} ({parts} SMS parts)").format(n=figure(report.outbound), parts=figure(report.parts)),
        _("*First response:* p50 {p50}, p90 {p90} ({answered})").format(
            p50=duration(report.p50_seconds), p90=duration(report.p90_seconds), answered=answered
        ),
        _("*Delivery rate:* {rate}").format(rate=_rate(report)),
        _("*Opt-outs:* {n}").format(n=figure(report.opt_outs)),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": period}]},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if report.people:
        lines = [_person(p) for p in report.people[:PEOPLE_SHOWN]]
        if len(report.people) > PEOPLE_SHOWN:
            more = len(report.people) - PEOPLE_SHOWN
            lines.append(ngettext("…and {n} more", "…and {n} more", more).format(n=figure(more)))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _("*By person*") + "\n" + "\n".join(lines)}})
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _("Each day's figures (CSV) and a chart of the volume are in the thread.")}],
        }
    )
    summary = _("{title}: {inbound} in, {outbound} out, first response p50 {p50}.").format(
        title=title, inbound=figure(report.inbound), outbound=figure(report.outbound), p50=duration(report.p50_seconds)
    )
    return {"text": fallback(summary), "blocks": blocks}


def csv_header() -> list[str]:
    """The columns of the report's CSV, one row per day, in the report's language."""
    return [
        pgettext("stats CSV header", "day"),
        pgettext("stats CSV header", "in"),
        pgettext("stats CSV header", "out"),
        pgettext("stats CSV header", "SMS parts"),
        pgettext("stats CSV header", "delivered"),
        pgettext("stats CSV header", "failed"),
        pgettext("stats CSV header", "opt-outs"),
    ]
