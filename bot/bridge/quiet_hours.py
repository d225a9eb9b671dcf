"""``QUIET_HOURS``: no SMS goes out at night unless its sender chooses to.

A send inside the quiet hours is held and its sender asked privately: *Schedule for
08:00* (it goes when they end) or *Send anyway* (it goes now, and the audit log
records who chose that). A time given for later (``/sms at …``) that falls inside
them is refused with a sentence. Every path that sends asks here: ``/sms`` typed or
from its form, to one number or many, thread replies and files, ``/survey start``.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge import policy
from bot.bridge.card import queue_card
from bot.bridge.context import BridgeConfig, Context
from bot.bridge.notices import tell_privately
from bot.bridge.statuses import queue_render, queue_send, set_status
from bot.i18n import _, figure, ngettext
from bot.slack.blocks.markup import escape
from bot.slack.blocks.quiet_hours import quiet_question
from bot.sms.numbers import PhoneE164, display
from bot.sms.quiet_hours import QuietHours, parse_quiet_hours
from storage import conversations, dispatches
from storage.audit import record
from storage.kinds import AuditKind, JobKind, Lane, MessageStatus
from storage.models import Conversation, Dispatch, Job, Message, utcnow
from storage.queue import drop_held, enqueue, release_held

__all__ = [
    "CANCEL",
    "HELD",
    "SCHEDULE",
    "SEND_ANYWAY",
    "answer",
    "ask_about_reply",
    "inside",
    "question",
    "record_override",
    "scheduled_refusal",
    "shown_end",
]

SCHEDULE, SEND_ANYWAY, CANCEL = "schedule", "send", "cancel"


@cache
def _parsed(value: str | None, zone: str) -> QuietHours | None:
    return parse_quiet_hours(value, ZoneInfo(zone))


def inside(config: BridgeConfig, moment: datetime) -> QuietHours | None:
    """The quiet hours when ``moment`` is inside them; None when sending is fine then."""
    quiet = _parsed(config.quiet_hours, config.default_timezone)
    return quiet if quiet is not None and quiet.contains(moment) else None


def shown_end(quiet: QuietHours, moment: datetime) -> str:
    """``08:00`` (today's or tomorrow's end of the quiet hours), as the buttons name it."""
    return quiet.ends_after(moment).strftime("%H:%M")


def scheduled_refusal(config: BridgeConfig, send_at: datetime) -> str | None:
    """Why a send planned for ``send_at`` is refused (one sentence), or None."""
    quiet = inside(config, send_at)
    if quiet is None:
        return None
    return _(
        "{time} is inside the quiet hours ({hours}), when no SMS is sent; choose a time outside them, e.g. at {end}. Nothing was sent."
    ).format(time=send_at.astimezone(quiet.zone).strftime("%d.%m.%Y %H:%M"), hours=str(quiet), end=shown_end(quiet, send_at))


def record_override(session: AsyncSession, *, user_id: str, channel_id: str | None, what: str, phone: str | None = None) -> None:
    """*Send anyway* inside the quiet hours: on record with who chose it."""
    record(session, AuditKind.QUIET_HOURS_OVERRIDE, actor=user_id, channel_id=channel_id, phone=phone, detail=what)


HELD = "quiet"
"""A ``/sms`` dispatch's state while its sender has not chosen yet."""


async def answer_quiet_sms(ctx: Context, dispatch_id: int, *, user_id: str, choice: str) -> str:
    """*Schedule for 08:00*, *Send anyway* or *Cancel* under a held ``/sms``; once, by its sender."""
    now = utcnow()
    async with ctx.sessions() as session, session.begin():
        dispatch = await session.get(Dispatch, dispatch_id, with_for_update=True)
        if dispatch is None:
            return _("That /sms is not known any more.")
        if dispatch.user_id != user_id:
            return _("Only the person who typed this /sms can decide when it goes.")
        if dispatch.state != HELD:
            return _("You already chose what happens to this /sms; it is not sent twice.")
        count = ngettext("{n} number", "{n} numbers", dispatch.total).format(n=figure(dispatch.total))
        if choice == CANCEL:
            dispatch.state = "cancelled"
            await dispatches.set_all(session, dispatch.id, MessageStatus.CANCELLED)
            return _("Cancelled: nothing was sent to {count}.").format(count=count)
        refusal = await policy.over_limit(ctx, user_id=user_id, channel_id=dispatch.channel_id, adding=dispatch.total)
        if refusal:
            return refusal
        quiet = _parsed(ctx.config.quiet_hours, ctx.config.default_timezone)
        if choice == SCHEDULE and quiet is not None and quiet.contains(now):
            dispatch.send_at = quiet.ends_after(now)
            await dispatches.schedule_all(session, dispatch.id, dispatch.send_at)
            said = _("Scheduled: the SMS to {count} goes at {time}.").format(count=count, time=dispatch.send_at.strftime("%H:%M"))
        else:
            if choice == SEND_ANYWAY and quiet is not None and quiet.contains(now):
                record_override(session, user_id=user_id, channel_id=dispatch.channel_id, what=f"/sms to {dispatch.total} number(s)")
            said = _("Sending now to {count}.").format(count=count)
        dispatch.state = "queued"
        await dispatches.set_all(session, dispatch.id, MessageStatus.QUEUED, where=(MessageStatus.HELD,))
        single = await dispatches.single_message(session, dispatch.id) if dispatch.total == 1 else None
        if single is not None:
            queue_send(session, single)
            if single.conversation_id is not None:
                await conversations.after_outbound(session, single.conversation_id, author=user_id, at=now)
                await queue_card(session, single.conversation_id)
        else:
            enqueue(session, kind=JobKind.SEND_BULK, lane=Lane.MPROFI, dispatch_id=dispatch.id)
            enqueue(session, kind=JobKind.RENDER_DISPATCH, lane=Lane.SLACK, dispatch_id=dispatch.id)
    ctx.wake_workers()
    return said


def question(key: str, what: str, quiet: QuietHours) -> dict[str, Any]:
    """The private question under a held send (``what``: escaped words naming it)."""
    return quiet_question(key=key, what=what, hours=str(quiet), end=shown_end(quiet, utcnow()))


async def answer_quiet_survey(ctx: Context, job_id: int, *, user_id: str, choice: str) -> str:
    """The choice for a ``/survey start`` held by the quiet hours; once, by whoever typed it."""
    now = utcnow()
    async with ctx.sessions() as session, session.begin():
        job = await session.get(Job, job_id)
        payload = (job.payload or {}) if job is not None and job.kind == JobKind.SURVEY_COMMAND else None
        if payload is None:
            return _("That /survey is not known any more.")
        if payload.get("user") != user_id:
            return _("Only the person who typed this /survey can decide when it starts.")
        survey = payload.get("survey_id")
        if choice == CANCEL:
            done = await drop_held(session, kind=JobKind.SURVEY_COMMAND, job_id=job_id)
            said = _("Cancelled: survey {survey} was not started.").format(survey=survey)
        else:
            quiet = _parsed(ctx.config.quiet_hours, ctx.config.default_timezone)
            later = quiet.ends_after(now) if choice == SCHEDULE and quiet is not None and quiet.contains(now) else None
            done = await release_held(session, kind=JobKind.SURVEY_COMMAND, job_id=job_id, run_after=later)
            if done and later is None and quiet is not None and quiet.contains(now):
                record_override(session, user_id=user_id, channel_id=payload.get("channel"), what=f"/survey start {survey}")
            if later is not None:
                said = _("Scheduled: survey {survey} starts at {time}.").format(survey=survey, time=later.strftime("%H:%M"))
            else:
                said = _("Starting survey {survey} now.").format(survey=survey)
        if not done:
            return _("You already chose what happens to this /survey; it is not started twice.")
    ctx.wake_workers()
    return said


async def ask_about_reply(
    ctx: Context, conversation: Conversation, event: dict[str, Any], *, message_id: int, kind: str, quiet: QuietHours
) -> None:
    """Tell the author of a held reply privately, under it, what they may choose."""
    what = _("this MMS to {number}") if kind == "mms" else _("this SMS to {number}")
    said = question(f"reply:{message_id}", what.format(number=escape(display(PhoneE164(conversation.phone)))), quiet)
    await tell_privately(
        ctx,
        channel_id=str(event["channel"]),
        user_id=str(event.get("user")),
        thread_ts=conversation.thread_ts,
        text=said["text"],
        blocks=said["blocks"],
    )


async def answer_quiet_reply(ctx: Context, message_id: int, *, user_id: str, choice: str) -> str:
    """The author's choice for a reply held by the quiet hours; once."""
    now = utcnow()
    async with ctx.sessions() as session, session.begin():
        message = await session.get(Message, message_id, with_for_update=True)
        if message is None:
            return _("That reply is not known any more.")
        if message.author != user_id:
            return _("Only the person who wrote this reply can decide when it goes.")
        if message.status != MessageStatus.HELD:
            return _("You already chose what happens to this reply; it is not sent twice.")
        number = display(PhoneE164(message.phone))
        if choice == CANCEL:
            await set_status(session, message, MessageStatus.CANCELLED, detail=None)
            await drop_held(session, kind=JobKind.SEND_REPLY, message_id=message.id)
            await queue_render(session, message)
            said = _("Cancelled: nothing was sent to {number}.").format(number=number)
        else:
            quiet = _parsed(ctx.config.quiet_hours, ctx.config.default_timezone)
            later = quiet.ends_after(now) if choice == SCHEDULE and quiet is not None and quiet.contains(now) else None
            if choice == SEND_ANYWAY and quiet is not None and quiet.contains(now):
                record_override(
                    session, user_id=user_id, channel_id=message.slack_channel, what=f"{message.kind} reply", phone=message.phone
                )
            message.send_after = later  # Cancel stays possible until it goes, as in the undo window
            await set_status(session, message, MessageStatus.QUEUED, detail=None)
            await release_held(session, kind=JobKind.SEND_REPLY, message_id=message.id, run_after=later)
            await queue_render(session, message)
            if message.conversation_id is not None:
                await conversations.after_outbound(session, message.conversation_id, author=user_id, at=now)
                await queue_card(session, message.conversation_id)
            if later is not None:
                said = _("Scheduled: the reply to {number} goes at {time}; Cancel under it stops it until then.").format(
                    number=number, time=later.strftime("%H:%M")
                )
            else:
                said = _("Sending the reply to {number} now.").format(number=number)
    ctx.wake_workers()
    return said


async def answer(ctx: Context, kind: str, held_id: int, *, user_id: str, choice: str) -> str | None:
    """The choice made under a held send, by what is held; None for a kind this code does not know."""
    if kind == "sms":
        return await answer_quiet_sms(ctx, held_id, user_id=user_id, choice=choice)
    if kind == "reply":
        return await answer_quiet_reply(ctx, held_id, user_id=user_id, choice=choice)
    if kind == "survey":
        return await answer_quiet_survey(ctx, held_id, user_id=user_id, choice=choice)
    return None
