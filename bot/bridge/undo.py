"""The undo window: a thread reply waits ``SEND_DELAY_SECONDS`` before it goes, and
Cancel in that time means nothing reaches mProfi.

The reply's ``SEND_REPLY`` job is queued to run at ``send_after`` (see
:func:`bot.bridge.statuses.queue_send`); Cancel and that job race for the message row
with conditional updates (:mod:`storage.outgoing`), so exactly one of them wins, on
any replica and after any restart. A Cancel that loses is told so, privately.
"""

from __future__ import annotations

import logging

from bot.bridge.context import Context
from bot.bridge.notices import tell_privately
from bot.bridge.statuses import queue_render
from bot.i18n import _
from bot.slack.blocks.markup import escape
from bot.sms.numbers import PhoneE164, display, is_phone
from storage import conversations, outgoing
from storage.kinds import MessageStatus
from storage.models import Conversation, Message

__all__ = ["cancel_send"]

logger = logging.getLogger(__name__)

# A reply in one of these has left (or may have): a Cancel came too late.
_GONE = frozenset(
    {
        MessageStatus.SENDING,
        MessageStatus.UNCERTAIN,
        MessageStatus.ACCEPTED,
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
        MessageStatus.NOT_DELIVERED,
        MessageStatus.ERROR,
        MessageStatus.UNKNOWN,
    }
)


async def cancel_send(ctx: Context, message_id: int, *, user_id: str) -> None:
    """Cancel a reply still in its undo window; tell ``user_id`` privately when it had already gone.

    A second click (or Slack delivering the click twice) finds it cancelled and says
    nothing; a reply refused before sending has a line saying so already.
    """
    async with ctx.sessions() as session, session.begin():
        message = await session.get(Message, message_id)
        if message is None or message.conversation_id is None or message.direction != "out":
            return
        conversation = await session.get(Conversation, message.conversation_id)
        if conversation is None:
            return
        won = await outgoing.cancel_queued(session, message_id, by=user_id)
        await session.refresh(message)  # the status as the update left it
        if won:
            await conversations.settle_unsent(session, conversation.id)  # nothing went: we still owe the answer
            await queue_render(session, message)  # the line says who cancelled; the card redraws
    if won:
        logger.info("message %s cancelled in its undo window", message_id)
        ctx.wake_workers()
        return
    if message.status in _GONE:
        kind = "MMS" if message.kind == "mms" else "SMS"
        to = display(PhoneE164(message.phone)) if is_phone(message.phone) else escape(message.phone)
        text = _("Too late to cancel: this {kind} to {phone} had already gone to mProfi.").format(kind=kind, phone=to)
        await tell_privately(ctx, channel_id=conversation.channel_id, user_id=user_id, text=text, thread_ts=conversation.thread_ts)
