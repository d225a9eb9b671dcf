"""``/sms optouts``: list, search, export, add and remove opt-outs from Slack.

Adding needs the permission to send (it only ever stops SMS); removing needs a reason,
because it lets SMS reach someone who said no, and both are recorded with who did it.
The thread of each number's conversation is told, and its card redrawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.bridge.card import queue_cards_of_phone
from bot.bridge.context import Context
from bot.bridge.notices import queue_notice
from bot.bridge.posts import upload_once
from bot.bridge.spreadsheets import csv_file
from bot.i18n import N_, _, figure, use_language
from bot.slack.errors import PLACE_REFUSED, slack_error
from bot.slack.responses import post_response
from bot.sms.numbers import PhoneE164, display
from bot.sms.opt_out_words import MIN_REASON
from storage import opt_outs
from storage.audit import record
from storage.conversations import conversation_ids_of_phone, set_opt_out_hint
from storage.kinds import AuditKind, JobKind, Lane
from storage.models import Job, utcnow
from storage.opt_outs import OptOutRow
from storage.queue import enqueue

__all__ = ["add_opt_out", "export_opt_outs", "list_opt_outs", "remove_opt_out", "start_opt_outs_export"]


async def list_opt_outs(ctx: Context, search: str | None, *, limit: int = 20) -> tuple[list[OptOutRow], int]:
    async with ctx.sessions() as session:
        return await opt_outs.listed(session, search=search, limit=limit), await opt_outs.count(session, search=search)


async def _tell_threads(ctx: Context, session: Any, phone: str, user_id: str, notice: Callable[[], str]) -> None:
    """A notice in each thread of ``phone``, worded in ``BOT_LANGUAGE`` (the thread is the
    channel's, whoever typed the command)."""
    with use_language(ctx.config.language):
        text = notice()
    for conversation_id in await conversation_ids_of_phone(session, phone):
        queue_notice(session, conversation_id, text, ping=[user_id])
    await queue_cards_of_phone(session, phone)


async def add_opt_out(ctx: Context, phone: PhoneE164, *, user_id: str, channel_id: str, reason: str | None = None) -> str:
    """Opt ``phone`` out from Slack; the private answer."""
    async with ctx.sessions() as session, session.begin():
        changed = await opt_outs.opt_out(
            session, phone, word="SLACK", by=user_id, at=utcnow(), channel_id=channel_id, reason=reason or None
        )
        if changed:
            await set_opt_out_hint(session, phone, None)
            await _tell_threads(
                ctx,
                session,
                phone,
                user_id,
                lambda: _("{number} was opted out: nothing will be sent to it. Done by").format(number=display(phone)),
            )
    ctx.wake_workers()
    if not changed:
        return _("{number} is opted out already; nothing changed.").format(number=display(phone))
    return _("{number} is opted out: no SMS will be sent to it until someone opts it back in with a reason.").format(number=display(phone))


async def remove_opt_out(ctx: Context, phone: PhoneE164, *, user_id: str, channel_id: str, reason: str) -> str:
    """Opt ``phone`` back in; refused without a reason. The private answer."""
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        return _(
            "Say why {number} may be texted again (the customer's request, when and how), e.g. "
            "/sms optouts remove 600100200 asked by phone on 30.11."
        ).format(number=display(phone))
    async with ctx.sessions() as session, session.begin():
        changed = await opt_outs.opt_in(session, phone, word="SLACK", by=user_id, at=utcnow(), channel_id=channel_id, reason=reason)
        if changed:
            said = N_("{number} was opted back in (“{reason}”): it may be texted again. Done by")
            await _tell_threads(ctx, session, phone, user_id, lambda: _(said).format(number=display(phone), reason=reason[:200]))
    ctx.wake_workers()
    if not changed:
        return _("{number} is not opted out; nothing changed.").format(number=display(phone))
    return _("{number} may be texted again. The reason is kept in the audit log.").format(number=display(phone))


async def start_opt_outs_export(ctx: Context, *, user_id: str, response_url: str | None) -> str:
    payload = {"user": user_id, "channel": ctx.config.channel_id, "response_url": response_url}
    async with ctx.sessions() as session, session.begin():
        enqueue(session, kind=JobKind.EXPORT_OPT_OUTS, lane=Lane.SLACK, payload=payload)
        record(session, AuditKind.OPT_OUTS_EXPORTED, actor=user_id, channel_id=ctx.config.channel_id)
    ctx.wake_workers()
    return _("Exporting the opt-outs: a CSV file will be shared in <#{channel}> in a moment.").format(channel=ctx.config.channel_id)


async def export_opt_outs(ctx: Context, job: Job) -> None:
    payload = job.payload or {}
    async with ctx.sessions() as session:
        rows = await opt_outs.listed(session, limit=None)
    header = [_("phone"), _("name"), _("how"), _("by"), _("since")]
    set_in_slack = _("set in Slack")
    content = csv_file(
        header,
        (
            [
                r.phone,
                r.name or "",
                set_in_slack if r.word == "SLACK" else r.word,
                r.by or _("the phone"),
                r.at.isoformat(timespec="seconds"),
            ]
            for r in rows
        ),
    )
    try:
        await upload_once(
            ctx.slack,
            job=job,
            channel=str(payload["channel"]),
            thread_ts=None,
            content=content,
            filename=f"opt-outs-{job.id}.csv",
            title=_("Opt-outs ({n}), exported for {user}").format(n=figure(len(rows)), user=payload.get("user")),
        )
    except SlackApiError as exc:
        if slack_error(exc) not in PLACE_REFUSED or not payload.get("response_url"):
            raise
        text = _("The app is not in the bridge channel, so it cannot share the file there; invite it and try again.")
        await post_response(ctx.http, str(payload["response_url"]), {"text": text})
