"""The thread of a number: opened once, by whichever job needs it first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.slack import blocks
from bot.sms.numbers import PhoneE164
from storage.models import Conversation

if TYPE_CHECKING:
    from bot.bridge.core import Bridge

__all__ = ["ensure_thread"]


async def ensure_thread(bridge: Bridge, session: AsyncSession, conversation: Conversation) -> str:
    """The conversation's thread ts, posting its parent message first if there is none.

    Jobs of one conversation run one at a time (the queue's lanes), so only one job
    can get here for a new number; the ts is committed at once so a crash after the
    post cannot open a second thread.
    """
    if conversation.thread_ts is None:
        await session.commit()  # no transaction stays open across a Slack call
        parent = await bridge.slack.chat_postMessage(
            channel=conversation.channel_id,
            **blocks.thread_parent(PhoneE164(conversation.phone), conversation.contact_name, note_prefix=bridge.config.note_prefix),
        )
        conversation.thread_ts = str(parent["ts"])
        await session.commit()
    return conversation.thread_ts
