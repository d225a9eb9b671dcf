"""What /metrics reads from the database: the queue as a worker sees it, and the last
day's messages, counted through an index rather than a scan of every message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import repository
from storage.health import message_figures, queue_figures
from storage.kinds import JobKind, Lane
from storage.models import Job, Message, utcnow
from storage.queue import HELD_UNTIL


async def test_queue_figures_count_what_a_worker_could_take(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        line = await repository.get_or_create_conversation(session, channel_id="C1", phone="+48600100200")

        def job(**fields: Any) -> Job:
            return Job(kind=JobKind.SEND_REPLY, lane=Lane.MPROFI, **{"attempts": 0, **fields})

        session.add_all(
            [
                job(run_after=now - timedelta(minutes=5)),  # due
                job(run_after=now + timedelta(hours=1)),  # waiting for its time
                job(run_after=HELD_UNTIL),  # waiting for a person's choice (QUIET_HOURS)
                job(run_after=now - timedelta(minutes=30), locked_until=now + timedelta(minutes=5), attempts=1),  # being run
                job(run_after=now - timedelta(hours=2), done_at=now - timedelta(hours=1)),  # done
                job(run_after=now - timedelta(hours=3), done_at=now - timedelta(hours=1), failed_at=now - timedelta(hours=1)),
                job(run_after=now - timedelta(days=3), done_at=now - timedelta(hours=30), failed_at=now - timedelta(hours=30)),
            ]
        )
        await session.flush()
        # Two of one conversation's line: the first is due, the second waits behind it.
        session.add(job(conversation_id=line.id, run_after=now - timedelta(minutes=2)))
        await session.flush()
        session.add(job(conversation_id=line.id, run_after=now - timedelta(minutes=1)))

    figures = await queue_figures(sessions, now=now)

    # Unfinished: the two due, the future one, the leased one, the one behind its line.
    # The held one waits for a person, not for the bridge, and is left out.
    assert figures.pending == 5
    assert figures.due == 2
    # The longest-waiting job a worker could take was due 5 minutes ago; the leased one
    # (due for 30) is being run and the blocked one is not anybody's to take yet.
    assert figures.oldest_due_seconds == pytest.approx(300, abs=1)
    assert figures.given_up_24h == 1


async def test_an_empty_queue_has_waited_for_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    figures = await queue_figures(sessions)
    assert (figures.pending, figures.due, figures.oldest_due_seconds, figures.given_up_24h) == (0, 0, 0.0, 0)


async def test_message_figures_count_the_last_day_by_direction_kind_and_status(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        for direction, status, age in [
            ("out", "delivered", timedelta(hours=1)),
            ("out", "delivered", timedelta(hours=23)),
            ("out", "failed", timedelta(minutes=5)),
            ("in", "received", timedelta(hours=2)),
            ("out", "delivered", timedelta(hours=25)),  # older than a day
        ]:
            session.add(Message(direction=direction, kind="sms", phone="+48600100200", status=status, created_at=now - age))

    assert await message_figures(sessions) == {
        ("out", "sms", "delivered"): 2,
        ("out", "sms", "failed"): 1,
        ("in", "sms", "received"): 1,
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_last_days_messages_are_found_by_index_not_by_reading_them_all(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if "FROM messages" in statement:
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await message_figures(sessions)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert len(seen) == 1
    statement, parameters = seen[0]

    async with engine.connect() as connection:
        plan = [str(row[-1]) for row in (await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()]
    assert any("ix_messages_created_at" in step for step in plan), plan
    assert not any(step.startswith("SCAN messages") for step in plan), plan
