"""Which conversation an inbound SMS belongs to, and so which channel it shows in.

A number that already has a conversation keeps it (the most recently active one when
it has several): changing ``ROUTES`` never splits a conversation. A number the team
texted lately from a channel where conversations live (``/sms``, a campaign) answers
there. Otherwise the routes decide (keyword, then the number texted), and what no
route claims goes to ``SLACK_CHANNEL``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bridge.context import BridgeConfig
from bot.bridge.models import InboundSms
from storage import routing as routing_store

__all__ = ["place_conversations", "sending_home", "ANSWER_DAYS"]

# A number texted from a channel this many days ago answers in that channel.
ANSWER_DAYS = 30


def _latest(placed: list[routing_store.Placed]) -> routing_store.Placed:
    return max(placed, key=lambda p: (p.active_at, p.id))


async def place_conversations(
    config: BridgeConfig, session: AsyncSession, batch: Sequence[InboundSms], *, now: datetime
) -> dict[str, tuple[int, datetime | None]]:
    """Each sender's conversation (id, when the catch-up last stored there), created
    where the routes say when it has none; all of them locked until commit."""
    phones = {sms.sender for sms in batch}
    found = await routing_store.lock_conversations_of(session, phones)
    new = phones - found.keys()
    if new:  # another batch may be opening one of them right now: it finishes first, then we look again
        await routing_store.lock_numbers(session, new)
        found |= await routing_store.lock_conversations_of(session, new)
        new = phones - found.keys()
    if new:  # create them (once, even under races), then lock those too
        sent = await routing_store.last_sent_channels(session, new, since=now - timedelta(days=ANSWER_DAYS))
        homes: dict[str, str] = {}
        for sms in batch:
            if sms.sender in new and sms.sender not in homes:  # its first SMS of the batch decides
                answered = sent.get(sms.sender)
                if answered in config.conversation_channels:
                    homes[sms.sender] = answered
                else:
                    homes[sms.sender] = config.routes.channel_for(recipient=sms.recipient, text=sms.text) or config.channel_id
        await routing_store.open_conversations(session, homes)
        found |= await routing_store.lock_conversations_of(session, phones - found.keys())
    return {phone: (chosen.id, chosen.caught_up_at) for phone, chosen in ((p, _latest(rows)) for p, rows in found.items())}


async def sending_home(config: BridgeConfig, session: AsyncSession, typed_in: str, phone: str) -> str:
    """The channel of the conversation a ``/sms`` to one number joins.

    Typed where conversations live: that channel. Typed anywhere else (``#general``):
    the number's conversation used last, so a customer of the sales team is not given a
    second thread (and a second sender) by a colleague elsewhere; else ``SLACK_CHANNEL``."""
    if typed_in in config.conversation_channels:
        return typed_in
    found = (await routing_store.lock_conversations_of(session, [phone], lock=False)).get(phone)
    return _latest(found).channel_id if found else config.channel_id
