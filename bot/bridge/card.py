"""The live card: a conversation's thread parent, drawn again from the database on every change.

Anything that changes what the card shows (a message in or out, a status, the owner,
close/snooze, a name, an opt-out, a number check) calls :func:`queue_card` in the
same transaction; redraws that pile up behind one not yet started coalesce into it.
A card still in the old form (a header and a line) is redrawn the first time its
conversation changes.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import conversations
from storage.inbound import add_jobs
from storage.kinds import JobKind, Lane
from storage.models import utcnow
from storage.queue import conversations_with_waiting_job, enqueue, has_waiting_job

__all__ = ["queue_card", "queue_cards", "queue_cards_of_phone"]


async def queue_card(session: AsyncSession, conversation_id: int) -> None:
    """Queue a redraw of the conversation's card, unless one is already waiting."""
    if not await has_waiting_job(session, JobKind.RENDER_CARD, conversation_id=conversation_id):
        enqueue(session, kind=JobKind.RENDER_CARD, lane=Lane.SLACK, conversation_id=conversation_id)


async def queue_cards(session: AsyncSession, conversation_ids: set[int]) -> set[int]:
    """:func:`queue_card` for many conversations at once (an inbound batch): two statements, not 2 × n.

    Returns the conversations whose card was not already waiting: only their Slack line may
    be free now (a waiting card is work still queued in it, ahead of anything added now)."""
    if not conversation_ids:
        return set()
    waiting = await conversations_with_waiting_job(session, JobKind.RENDER_CARD, conversation_ids)
    now = utcnow()
    rows = [
        {"kind": JobKind.RENDER_CARD, "lane": Lane.SLACK, "conversation_id": cid, "run_after": now, "attempts": 0, "created_at": now}
        for cid in sorted(conversation_ids - waiting)
    ]
    await add_jobs(session, rows)
    return conversation_ids - waiting


async def queue_cards_of_phone(session: AsyncSession, phone: str) -> None:
    """Redraw the card of every conversation of ``phone`` (its name or opt-out changed)."""
    for conversation_id in await conversations.conversation_ids_of_phone(session, phone):
        await queue_card(session, conversation_id)
