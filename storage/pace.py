"""Turns at posting into a Slack channel, handed out by the database to every replica.

One row per channel holds the earliest moment the next post may go. Taking a turn
moves it on by one interval in a single statement (an upsert that returns the new
value), so two replicas asking at once get different turns. Letting that moment lag
up to ``burst - 1`` intervals behind now allows a short burst (the generic cell rate
algorithm: a token bucket kept as one number).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import SlackPace

__all__ = ["hold_until", "take_turn"]


def _upsert(session: AsyncSession, channel: str, first: float, later: Any) -> Any:
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    statement = insert(SlackPace).values(channel_id=channel, next_at=first)
    return statement.on_conflict_do_update(index_elements=[SlackPace.channel_id], set_={"next_at": later})


def _later(session: AsyncSession, *values: Any) -> Any:
    """The later of two moments, in the database's own words."""
    return (func.greatest if session.get_bind().dialect.name == "postgresql" else func.max)(*values)


async def take_turn(sessions: async_sessionmaker[AsyncSession], channel: str, *, now: float, interval: float, burst: int = 1) -> float:
    """Reserve the next turn at ``channel``: the moment (epoch seconds) this post may go."""
    floor = now - (max(1, burst) - 1) * interval
    async with sessions() as session, session.begin():
        later = _later(session, SlackPace.next_at, floor) + interval
        statement = _upsert(session, channel, floor + interval, later).returning(SlackPace.next_at)
        next_at = float((await session.execute(statement)).scalar_one())
    return next_at - interval


async def hold_until(sessions: async_sessionmaker[AsyncSession], channel: str, until: float) -> None:
    """Nobody posts to ``channel`` before ``until`` (Slack said 429 with ``Retry-After``)."""
    async with sessions() as session, session.begin():
        await session.execute(_upsert(session, channel, until, _later(session, SlackPace.next_at, until)))
