"""Answers to the person who typed a ``/sms``: how it went, through Slack's response_url.

Slack shows a response_url post only to that person; a form has no response_url, so
its answer goes as an ephemeral message instead.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.context import Context
from bot.i18n import use_language
from bot.slack import blocks
from bot.slack.errors import slack_error
from bot.slack.responses import post_response
from bot.sms.numbers import PhoneE164
from storage import contacts, sending
from storage.kinds import JobKind, Lane
from storage.models import Dispatch, Job, Message
from storage.queue import enqueue

__all__ = ["queue_outcome_reply", "respond"]

logger = logging.getLogger(__name__)


async def queue_outcome_reply(session: AsyncSession, message: Message, *, unreachable: bool = False) -> None:
    """After a one-number ``/sms`` was handed over (or not), answer the person who typed it."""
    if message.dispatch_id is None:
        return
    enqueue(
        session,
        kind=JobKind.RESPOND,
        lane=Lane.SLACK,
        conversation_id=message.conversation_id,
        message_id=message.id,
        dispatch_id=message.dispatch_id,
        payload={"unreachable": unreachable},
    )


async def respond(ctx: Context, job: Job) -> None:
    """Tell the person how their one-number ``/sms`` went, with a link to the thread."""
    async with ctx.sessions() as session:
        dispatch = await session.get(Dispatch, job.dispatch_id)
        message = await session.get(Message, job.message_id)
        contact = await contacts.contact_of(session, message.phone) if message is not None else None
        home = await sending.channel_sent_from(session, message) if message is not None else None
    if dispatch is None or message is None:
        return
    link = None
    if message.status_message_ts and message.conversation_id is not None:
        try:
            answer = await ctx.slack.chat_getPermalink(channel=home or ctx.config.channel_id, message_ts=message.status_message_ts)
            link = str(answer.get("permalink") or "") or None
        except SlackApiError as exc:
            logger.info("no permalink for the status line: %s", slack_error(exc))
    person = await ctx.timezones.user_language(dispatch.user_id)  # a private answer: in their own Slack's language
    with use_language(person or ctx.config.language):
        text = blocks.sms_outcome(
            phone=PhoneE164(message.phone),
            status=message.status,
            detail=message.status_detail,
            scheduled_for=message.scheduled_for,
            link=link,
            zone=ctx.config.zone,
            unreachable=bool((job.payload or {}).get("unreachable")),
            name=contact.name if contact else None,
        )
    if dispatch.response_url:
        await post_response(ctx.http, dispatch.response_url, {"text": text})
    else:  # sent from the form, which has no response_url
        await ctx.slack.chat_postEphemeral(channel=dispatch.channel_id, user=dispatch.user_id, text=text)
