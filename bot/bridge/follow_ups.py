"""Follow-ups are seen: an SMS that would land unseen in an old thread is also shown in the channel.

Decided when the SMS is stored (from the conversation's state just before it), carried
on its ``post_inbound`` job, and drawn by :func:`bot.slack.blocks.card.follow_up`.
Whether the owner is mentioned is the owner's own choice on the Home tab, else
``FOLLOWUP_MENTION_OWNER``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.context import Context
from bot.bridge.models import InboundSms
from storage.conversations import Before
from storage.kinds import ConversationState
from storage.people import mention_choices

__all__ = ["follow_ups"]


async def follow_ups(
    ctx: Context,
    session: AsyncSession,
    batch: list[InboundSms],
    moves: list[bool],
    conversations: dict[str, int],
    before: dict[int, Before],
) -> list[dict[str, Any] | None]:
    """For each message, whether it is a follow-up the channel must see (and whose owner to mention).

    A message to a conversation that was closed, snoozed or last answered by us would
    otherwise land unseen in an old thread; only the first such message of a batch is
    announced.
    """
    announced: set[int] = set()
    found: list[tuple[str, str | None] | None] = []
    for sms, move in zip(batch, moves, strict=True):
        conversation_id = conversations[sms.sender]
        was = before.get(conversation_id)
        reason = None
        if move and was is not None and conversation_id not in announced:
            if was.state == ConversationState.CLOSED:
                reason = "reopened"
            elif was.snoozed_until is not None:
                reason = "snoozed"
            elif was.state == ConversationState.WAITING_CUSTOMER:
                reason = "answered"
        if reason is None:
            found.append(None)
            continue
        announced.add(conversation_id)
        found.append((reason, was.owner if was is not None else None))
    owners = {owner for item in found if item is not None and (owner := item[1])}
    chosen = await mention_choices(session, owners)

    def mentioned(owner: str | None) -> str | None:
        choice = chosen.get(owner) if owner else None
        return owner if owner and (ctx.config.followup_mention_owner if choice is None else choice) else None

    return [None if item is None else {"follow_up": item[0], "owner": mentioned(item[1])} for item in found]
