"""When a job will never succeed: end it, say so where people look, hold nothing back.

A job ends this way when Slack refuses its payload or its channel for good
(``invalid_blocks``, ``not_in_channel``…), or when a passing failure has lasted too
long (``JOB_MAX_ATTEMPTS``, ``JOB_GIVE_UP_HOURS``). The jobs queued after it then run;
the failure is logged at error level and counted in ``/healthz``; where it helps, the
thread shows a plain-text version or a sentence in its place.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.bridge.campaign_stops import CAMPAIGN_KINDS, campaign_given_up
from bot.bridge.context import Context
from bot.bridge.outcomes import queue_outcome_reply
from bot.bridge.posts import post_once
from bot.bridge.statuses import queue_render, set_status
from bot.i18n import _, ngettext
from bot.slack.blocks.markup import clip, escape
from bot.slack.errors import PLACE_REFUSED, slack_error
from bot.sms.numbers import display
from storage import dispatches
from storage.kinds import JobKind, Lane, MessageStatus
from storage.models import Conversation, Dispatch, Job, Message
from storage.queue import enqueue, give_up

__all__ = ["end_job"]

logger = logging.getLogger(__name__)


async def end_job(ctx: Context, job: Job, reason: str, *, tries: tuple[int, str] | None = None) -> None:
    """Give ``job`` up for ``reason`` (Slack's code or a sentence), after doing what still can be done.

    ``tries`` (how many, over how long): it ended because it kept failing. People are
    then told that, in their words; ``reason``, with the last error, goes to the log
    and the jobs table.

    What can be shown is shown first, so a crash in between leaves the job to run again
    rather than a message nobody sees. A run that no longer holds the job (its lease
    passed to another run) changes nothing.
    """
    try:
        if job.kind == JobKind.POST_INBOUND:
            await _show_inbound_plainly(ctx, job, reason)
        elif job.kind == JobKind.SEND_REPLY:
            await _outbound_not_sent(ctx, job, _shown(reason, tries))
        elif job.kind == JobKind.SEND_BULK:
            await _batch_not_sent(ctx, job, _shown(reason, tries))
        elif job.kind in CAMPAIGN_KINDS:
            await campaign_given_up(ctx, job, _shown(reason, tries))
    except Exception as exc:  # noqa: BLE001 - the place itself is refused, or Slack is down: the log and the count remain
        logger.error("job %s: not even a plain note could be posted: %s", job.id, exc)
    if await give_up(ctx.sessions, job.id, error=f"given up: {reason}", attempts=job.attempts):
        logger.error("job %s (%s) given up after %s attempt(s): %s", job.id, job.kind, job.attempts, reason)
    ctx.wake_workers()


def _shown(reason: str, tries: tuple[int, str] | None) -> str:
    """The cause as people read it inside the sentences below."""
    if tries is None:
        return reason
    count, duration = tries
    return ngettext("{n} try over {duration} failed", "{n} tries over {duration} failed", count).format(n=count, duration=duration)


async def _show_inbound_plainly(ctx: Context, job: Job, reason: str) -> None:
    """An SMS Slack would not show with blocks: its plain text, or a sentence in its place."""
    if reason in PLACE_REFUSED:
        return  # posting anything there fails alike
    async with ctx.sessions() as session:
        message = await session.get(Message, job.message_id)
        conversation = await session.get(Conversation, job.conversation_id)
        if message is None or conversation is None or conversation.thread_ts is None or message.slack_ts is not None:
            return
        who = escape(display(message.phone))
        text = (
            _("SMS from {phone}: {text}").format(phone=who, text=clip(escape(message.text), 3000))
            if message.text
            else _("SMS from {phone} (no text)").format(phone=who)
        )
        key, channel, thread_ts = f"message:{message.id}", conversation.channel_id, conversation.thread_ts
        try:
            ts = await post_once(ctx.slack, key=key, job=job, channel=channel, thread_ts=thread_ts, text=text)
        except SlackApiError as exc:
            text = _("This SMS from {phone} could not be shown ({error}); it is kept in the bridge's database.").format(
                phone=who, error=escape(slack_error(exc))
            )
            ts = await post_once(ctx.slack, key=key, job=job, channel=channel, thread_ts=thread_ts, text=text)
        message.slack_channel, message.slack_ts, message.status = conversation.channel_id, ts, MessageStatus.POSTED
        await session.commit()


async def _outbound_not_sent(ctx: Context, job: Job, reason: str) -> None:
    """A reply that could not go out in time: shown as not sent (or, if it may have
    left, as uncertain), never sent late; a ``/sms`` author hears it too."""
    async with ctx.sessions() as session, session.begin():
        message = await session.get(Message, job.message_id)
        if message is None or message.status not in (MessageStatus.QUEUED, MessageStatus.SENDING):
            return
        if message.status == MessageStatus.SENDING:
            detail = _("The last attempt ended without an answer ({reason}).").format(reason=reason)
            await set_status(session, message, MessageStatus.UNCERTAIN, detail=detail)
        else:
            detail = _("It could not be sent in time ({reason}). Nothing was sent.").format(reason=reason)
            await set_status(session, message, MessageStatus.FAILED, detail=detail)
        if message.conversation_id is not None:
            await queue_render(session, message)
        await queue_outcome_reply(session, message)


async def _batch_not_sent(ctx: Context, job: Job, reason: str) -> None:
    """A ``/sms`` to many numbers that mProfi would not take in time: what is left is not
    sent, and its progress message says so."""
    async with ctx.sessions() as session, session.begin():
        dispatch = await session.get(Dispatch, job.dispatch_id)
        if dispatch is None:
            return
        await dispatches.mark_interrupted(
            session, dispatch.id, _("No answer came from mProfi for this batch ({reason}); it may have been sent.").format(reason=reason)
        )
        detail = _("It could not be sent in time ({reason}). Nothing was sent.").format(reason=reason)
        await dispatches.set_all(session, dispatch.id, MessageStatus.FAILED, where=(MessageStatus.QUEUED,), detail=detail)
        await dispatches.count_outcomes(session, dispatch)
        dispatch.state = "done"  # nothing more will go: the progress message shows it finished
        enqueue(session, kind=JobKind.RENDER_DISPATCH, lane=Lane.SLACK, dispatch_id=dispatch.id)
