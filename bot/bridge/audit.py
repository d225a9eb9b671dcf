"""``/sms audit``: the audit log as a CSV, for admins, in a direct message with them.

The records themselves are written where each act happens (a send, an opt-out, an
erasure), in that act's transaction; this module only reads them back. The file holds
every text sent: it goes to the admin alone, whatever channel the command was typed in.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.bridge.admins import not_admin, private_channel
from bot.bridge.context import Context
from bot.bridge.posts import post_once, upload_once
from bot.bridge.spreadsheets import csv_file
from bot.i18n import N_, _, figure, ngettext
from bot.slack.blocks.conversation import STATUS_LABELS
from bot.sms.audit_query import AuditQuery
from bot.sms.numbers import display
from storage.audit import MAX_ROWS, AuditRow, entries, record
from storage.kinds import AuditKind, JobKind, Lane
from storage.models import Job
from storage.queue import enqueue

__all__ = ["export_audit", "start_audit_export", "KIND_LABELS"]

KIND_LABELS = {
    AuditKind.SMS_SENT: N_("SMS sent"),
    AuditKind.MMS_SENT: N_("MMS sent"),
    AuditKind.OPT_OUT: N_("opted out"),
    AuditKind.OPT_IN: N_("opted back in"),
    AuditKind.OPT_OUT_HINT: N_("may want to opt out"),
    AuditKind.QUIET_HOURS_OVERRIDE: N_("sent in quiet hours"),
    AuditKind.CONTACT_CHANGED: N_("contact changed"),
    AuditKind.CONTACTS_IMPORTED: N_("contacts imported"),
    AuditKind.CONTACTS_EXPORTED: N_("contacts exported"),
    AuditKind.OPT_OUTS_EXPORTED: N_("opt-outs exported"),
    AuditKind.AUDIT_EXPORTED: N_("audit log exported"),
    AuditKind.NUMBER_EXPORTED: N_("number's data exported"),
    AuditKind.NUMBER_FORGOTTEN: N_("number erased"),
    AuditKind.RETENTION: N_("old texts removed"),
}


def _filters(query: AuditQuery) -> dict[str, Any]:
    return {
        "phone": query.phone,
        "actor": query.actor,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
    }


async def start_audit_export(ctx: Context, *, user_id: str, query: AuditQuery) -> str:
    """Queue the CSV; the private answer (a refusal when the person is no admin)."""
    refusal = not_admin(ctx.config, user_id)
    if refusal:
        return refusal
    filters = _filters(query)
    async with ctx.sessions() as session, session.begin():
        enqueue(session, kind=JobKind.EXPORT_AUDIT, lane=Lane.SLACK, payload={"user": user_id, **filters})
        record(session, AuditKind.AUDIT_EXPORTED, actor=user_id, phone=query.phone, detail=json.dumps(filters, sort_keys=True))
    ctx.wake_workers()
    return _("Preparing the audit log: the CSV will be in a direct message from the app in a moment.")


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _shown(row: AuditRow) -> str:
    if row.phone is None:
        return ""
    return _("erased number {hash}").format(hash=row.phone[1:13]) if row.phone.startswith("#") else row.phone


def audit_csv(rows: list[AuditRow], zone: ZoneInfo) -> bytes:
    header = [
        _("time"),
        _("what"),
        _("who"),
        _("channel"),
        _("number"),
        _("text"),
        _("SMS parts"),
        _("mProfi id"),
        _("outcome"),
        _("details"),
    ]
    labels = {str(kind): label for kind, label in KIND_LABELS.items()}
    return csv_file(
        header,
        (
            [
                _when(row.at, zone),
                _(labels[row.kind]) if row.kind in labels else row.kind,
                row.actor or (_("the phone") if row.kind in ("opt_out", "opt_in", "opt_out_hint") else _("the bridge")),
                row.channel_id or "",
                _shown(row),
                row.text or "",
                row.parts if row.parts is not None else "",
                row.mprofi_id or "",
                _(STATUS_LABELS[row.outcome][1]) if row.outcome in STATUS_LABELS else row.outcome or "",
                row.detail or "",
            ]
            for row in rows
        ),
    )


def _describe(payload: dict[str, Any]) -> str:
    parts = []
    if payload.get("phone"):
        parts.append(display(str(payload["phone"])))
    if payload.get("actor"):
        parts.append(f"<@{payload['actor']}>")
    if payload.get("since") or payload.get("until"):
        since = str(payload.get("since") or "")[:10] or "…"
        until = str(payload.get("until") or "")[:10] or "…"
        parts.append(_("from {since} (until before {until})").format(since=since, until=until))
    return ", ".join(parts) if parts else _("everything")


async def export_audit(ctx: Context, job: Job) -> None:
    payload = job.payload or {}
    since = datetime.fromisoformat(payload["since"]) if payload.get("since") else None
    until = datetime.fromisoformat(payload["until"]) if payload.get("until") else None
    async with ctx.sessions() as session:
        rows = await entries(session, phone=payload.get("phone"), actor=payload.get("actor"), since=since, until=until)
    zone = ZoneInfo(ctx.config.default_timezone)
    count = ngettext("{n} record", "{n} records", len(rows)).format(n=figure(len(rows)))
    text = _("Audit log ({filters}) for <@{user}>: {count}.").format(filters=_describe(payload), user=payload.get("user"), count=count)
    if len(rows) >= MAX_ROWS:
        text += " " + _("That is the most one file holds; narrow the period for the rest.")
    channel = await private_channel(ctx, str(payload.get("user") or ""))
    ts = await post_once(ctx.slack, key=f"audit:{job.id}", job=job, channel=channel, text=text)
    await upload_once(
        ctx.slack,
        job=job,
        channel=channel,
        thread_ts=ts,
        content=audit_csv(rows, zone),
        filename=f"audit-{job.id}.csv",
        title=_("Audit log"),
    )
