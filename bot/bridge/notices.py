"""Lines the bridge adds of its own: a private word to one person, a notice in a
thread, the 📝 on a note. None of them costs an SMS."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.context import Context
from bot.bridge.posts import post_once
from bot.slack import blocks
from bot.slack.errors import slack_error
from storage import repository
from storage.kinds import JobKind, Lane
from storage.models import Conversation, Job, Message
from storage.queue import enqueue

__all__ = ["tell_privately", "tell", "react_note", "post_notice", "queue_notice"]

logger = logging.getLogger(__name__)


async def tell_privately(
    ctx: Context,
    *,
    channel_id: str,
    user_id: str,
    text: str,
    thread_ts: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    once: str | None = None,
) -> None:
    """Queue a private sentence; with ``once``, a key already told about (a Slack retry) tells nothing."""
    async with ctx.sessions() as session, session.begin():
        if once and not await repository.remember_slack_event(session, once):
            return
        payload = {"channel": channel_id, "user": user_id, "thread_ts": thread_ts, "text": text, "blocks": blocks}
        enqueue(session, kind=JobKind.TELL, lane=Lane.SLACK, payload=payload)
    ctx.wake_workers()


async def tell(ctx: Context, job: Job) -> None:
    """Post a private (ephemeral) sentence to one person."""
    payload = job.payload or {}
    try:
        await ctx.slack.chat_postEphemeral(
            channel=payload["channel"],
            user=payload["user"],
            text=payload["text"],
            thread_ts=payload.get("thread_ts"),
            blocks=payload.get("blocks"),
        )
    except SlackApiError as exc:
        if exc.response.status_code == 429:
            raise
        # Ephemeral messages fail for people who left the channel; nothing to keep.
        logger.warning("could not tell %s privately: %s", payload.get("user"), slack_error(exc))


async def react_note(ctx: Context, job: Job) -> None:
    async with ctx.sessions() as session:
        message = await session.get(Message, job.message_id)
    assert message is not None and message.slack_channel and message.slack_ts
    try:
        await ctx.slack.reactions_add(channel=message.slack_channel, timestamp=message.slack_ts, name=blocks.note_marker())
    except SlackApiError as exc:
        if slack_error(exc) != "already_reacted":
            raise


async def post_notice(ctx: Context, job: Job) -> None:
    async with ctx.sessions() as session:
        conversation = await session.get(Conversation, job.conversation_id)
    assert conversation is not None
    payload = job.payload or {}
    text = str(payload.get("text") or "")
    ping = [str(user) for user in payload.get("ping") or [] if user]
    extra = {"reply_broadcast": True} if payload.get("broadcast") else {}
    await post_once(
        ctx.slack,
        key=f"job:{job.id}",
        job=job,
        channel=conversation.channel_id,
        thread_ts=conversation.thread_ts,
        **blocks.notice(text, ping=ping),
        **extra,
    )


def queue_notice(
    session: AsyncSession, conversation_id: int, text: str, *, ping: list[str | None] | None = None, broadcast: bool = False
) -> None:
    """A line in the conversation's thread (``ping``: people mentioned after it; ``broadcast``: shown in the channel too)."""
    payload: dict[str, Any] = {"text": text}
    if ping and any(ping):
        payload["ping"] = [user for user in ping if user]
    if broadcast:
        payload["broadcast"] = True
    enqueue(session, kind=JobKind.NOTICE, lane=Lane.SLACK, conversation_id=conversation_id, payload=payload)
