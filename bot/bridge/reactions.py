"""STATUS_STYLE=reactions: a reply's state as one reaction on the reply itself.

A line under every reply doubles a thread. With reactions, the person's own message
wears the state (⏳ sending, 📨 accepted, 📤 sent, ✅ delivered, ⚠️/❌ not delivered,
🚫 cancelled) and a line is posted only while someone can or must act on it: the undo
window's Cancel, *not sent* with its reason, *uncertain* with *Send again*. The line
is deleted once it has nothing left to offer. ``messages.reaction`` records the
reaction now shown so the next state can take it off; Slack's ``already_reacted`` and
``no_reaction`` mean a retried job finds its own earlier work, not an error.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.context import Context
from bot.slack.blocks.conversation import status_reaction
from bot.slack.errors import slack_error
from storage.kinds import MessageStatus
from storage.models import Message

__all__ = ["wears_reaction", "offers_something", "show_reaction", "delete_line"]

logger = logging.getLogger(__name__)


def wears_reaction(ctx: Context, message: Message) -> bool:
    """Reactions are the style and the message is a person's own Slack message (a resend
    or a ``/sms`` has none: those keep a line)."""
    return ctx.config.status_style == "reactions" and bool(message.slack_channel and message.slack_ts)


def offers_something(message: Message) -> bool:
    """Does the line give a person something to do or know that the reaction cannot?"""
    if message.status == MessageStatus.QUEUED:
        return message.send_after is not None  # Cancel
    return message.status in (MessageStatus.FAILED, MessageStatus.UNCERTAIN, MessageStatus.HELD)  # the reason; Send again; quiet hours


async def show_reaction(ctx: Context, session: AsyncSession, message: Message) -> bool:
    """Put the reaction of the message's status on its reply, taking the previous one off.

    False when the reply is gone from Slack (its author deleted it): the caller shows a
    line instead. The new reaction goes on before the old comes off, so the reply never
    looks unsent in between.
    """
    assert message.slack_channel and message.slack_ts
    wanted = status_reaction(message.status)
    if message.reaction == wanted:
        return True
    channel, ts = message.slack_channel, message.slack_ts
    try:
        try:
            await ctx.slack.reactions_add(channel=channel, timestamp=ts, name=wanted)
        except SlackApiError as exc:
            if slack_error(exc) != "already_reacted":
                raise
        if message.reaction:
            try:
                await ctx.slack.reactions_remove(channel=channel, timestamp=ts, name=message.reaction)
            except SlackApiError as exc:
                if slack_error(exc) != "no_reaction":
                    raise
    except SlackApiError as exc:
        if slack_error(exc) != "message_not_found":
            raise
        logger.info("reply %s is gone from Slack; its status shows in a line", message.id)
        return False
    message.reaction = wanted
    await session.commit()
    return True


async def delete_line(ctx: Context, session: AsyncSession, message: Message, channel: str) -> None:
    """Take the message's status line away (it has nothing left to offer)."""
    if message.status_message_ts is None:
        return
    try:
        await ctx.slack.chat_delete(channel=channel, ts=message.status_message_ts)
    except SlackApiError as exc:
        if slack_error(exc) != "message_not_found":  # deleted already: by an earlier try, or a person
            raise
    message.status_message_ts = None
    await session.commit()
