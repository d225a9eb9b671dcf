"""The hot queries one by one, timed on a small database and on a grown one.

What the webhook, the workers and the Slack listeners ask of the database every
minute of the day: a PUSH status finding its message, the status poller's and the
catch-up's look-ups, a card's facts, the Home tab's lists, a claim on the queue.
Each is run many times in one session and its median kept, so that the grown
database's figure over the small one's shows what a year of rows costs each query.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import conversations, make_engine, make_sessionmaker, people, queue, repository
from storage.kinds import Lane
from storage.models import utcnow

__all__ = ["QUERIES", "time_queries"]

CHANNEL = "C0SMSBRIDGE"  # the prefilled database's channel (bench/prefill.py)
PHONE = "+48510000003"  # conversation 4 of the prefilled database


def _queries(messages: int) -> dict[str, Callable[[AsyncSession], Awaitable[Any]]]:
    """Each with arguments that find a row in both databases (their last message, its conversation)."""
    now = utcnow()
    last = messages if messages % 2 == 0 else messages - 1  # the last outgoing message's id (prefill: even ids)
    return {
        "PUSH status: the message by its reference": lambda s: repository.message_by_reference(s, f"mps-{last}"),
        "PUSH status: the message by mProfi's id": lambda s: repository.message_by_mprofi_id(s, 50_000_000 + last - 1),
        "status poller: messages due": lambda s: repository.messages_due_for_poll(s, now=now),
        "catch-up: the webhook's twin": lambda s: repository.inbound_to_match(
            s, key="77", phone=PHONE, text="x", earliest=now - timedelta(minutes=5), latest=now + timedelta(minutes=40)
        ),
        "catch-up: unclaimed caught-up": lambda s: repository.unclaimed_caught_up(
            s, conversation_ids={4}, since=now - timedelta(minutes=40)
        ),
        "repeat check: fingerprints": lambda s: repository.first_inbound_by_fingerprint(
            s, fingerprints={f"{last - 2:064x}"[-64:]}, since=now - timedelta(days=400)
        ),
        "card: its facts": lambda s: conversations.card_facts(s, 4, phone=PHONE),
        "Home: waiting for us": lambda s: people.waiting_for_us(s, limit=10, channels={CHANNEL}),
        "Home: my conversations": lambda s: people.my_conversations(s, "U0ANNA", limit=10, channels={CHANNEL}),
    }


QUERIES = list(_queries(100))


async def _claim(sessions: Any) -> None:
    await queue.claim_next(sessions, lanes=(Lane.SLACK, Lane.MPROFI), lease=timedelta(seconds=30))


async def time_queries(database_url: str, *, messages: int, repeat: int) -> dict[str, float]:
    """Median microseconds of each hot query on a database prefilled with ``messages`` messages."""
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    figures: dict[str, float] = {}
    try:
        for name, query in _queries(messages).items():
            async with sessions() as session:
                await query(session)  # warm: the statement compiled and cached
                seconds = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    await query(session)
                    seconds.append(time.perf_counter() - started)
                await session.rollback()
            figures[name] = round(statistics.median(seconds) * 1e6, 1)
        seconds = []
        for _ in range(repeat):
            started = time.perf_counter()
            await _claim(sessions)  # every job is done: the claim finds none, as an idle worker's does
            seconds.append(time.perf_counter() - started)
        figures["queue: an idle worker's claim"] = round(statistics.median(seconds) * 1e6, 1)
    finally:
        await engine.dispose()
    return figures
