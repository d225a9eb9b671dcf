"""The thread of a number: opened once, by whichever job needs it first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.context import Context
from bot.bridge.posts import post_once
from bot.slack import blocks
from bot.sms.numbers import PhoneE164
from storage.models import Conversation, Job

__all__ = ["ensure_thread"]


async def ensure_thread(ctx: Context, session: AsyncSession, conversation: Conversation, job: Job | None) -> str:
    """The conversation's thread ts, posting its parent message first if there is none.

    Jobs of one conversation run one at a time (the queue's lanes), so only one job
    can get here for a new number; the ts is committed at once, and a retry after a
    lost answer finds the parent it already posted instead of opening a second thread.
    """
    if conversation.thread_ts is None:
        await session.commit()  # no transaction stays open across a Slack call
        conversation.thread_ts = await post_once(
            ctx.slack,
            key=f"thread:{conversation.id}",
            job=job,
            channel=conversation.channel_id,
            **blocks.thread_parent(PhoneE164(conversation.phone), None, note_prefix=ctx.config.note_prefixes[0]),
        )
        await session.commit()
    return conversation.thread_ts
