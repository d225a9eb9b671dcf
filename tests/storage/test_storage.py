"""Storage on SQLite and on PostgreSQL: migrations, the thread map, keys, the queue."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import repository
from storage.kinds import JobKind, Lane
from storage.migrate import HEAD_REVISION, current_revision, head_revision, upgrade
from storage.models import Base, Message, utcnow
from storage.pace import hold_until, take_turn
from storage.queue import claim, complete, enqueue, give_up, jobs_given_up, pending_count, renew, retry_failed, retry_later


async def test_migrations_reach_head_and_match_the_models(engine: AsyncEngine) -> None:
    assert head_revision() == HEAD_REVISION, "a new migration moves storage.migrate.HEAD_REVISION too"
    assert await current_revision(engine) == head_revision()
    await upgrade(engine)  # a second start migrates nothing and fails nothing
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        columns = await connection.run_sync(lambda c: {t: {col["name"] for col in inspect(c).get_columns(t)} for t in Base.metadata.tables})
    assert set(Base.metadata.tables) <= tables
    for name, table in Base.metadata.tables.items():
        assert {c.name for c in table.columns} == columns[name], name


async def test_models_and_migrations_have_not_drifted(engine: AsyncEngine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    async with engine.connect() as connection:
        diff = await connection.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    assert diff == []


async def test_one_conversation_per_number_even_when_two_writers_race(sessions: async_sessionmaker[AsyncSession]) -> None:
    async def open_conversation() -> int:
        async with sessions() as session, session.begin():
            conversation = await repository.get_or_create_conversation(session, channel_id="C1", phone="+48600100200")
            return conversation.id

    ids = await asyncio.gather(*(open_conversation() for _ in range(6)))
    assert len(set(ids)) == 1
    async with sessions() as session, session.begin():
        other = await repository.get_or_create_conversation(session, channel_id="C2", phone="+48600100200")
    assert other.id != ids[0]


async def test_a_slack_message_can_become_only_one_outgoing_message(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        session.add(Message(direction="out", kind="sms", phone="+48600100200", status="queued", origin_key="slack:C1:1.1"))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(Message(direction="out", kind="sms", phone="+48600100200", status="queued", origin_key="slack:C1:1.1"))


async def test_slack_event_ids_are_remembered_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        assert await repository.remember_slack_event(session, "Ev1")
    async with sessions() as session, session.begin():
        assert not await repository.remember_slack_event(session, "Ev1")
        assert await repository.remember_slack_event(session, "Ev2")


async def test_times_come_back_aware_and_in_utc(sessions: async_sessionmaker[AsyncSession]) -> None:
    moment = utcnow()
    async with sessions() as session, session.begin():
        message = Message(direction="in", kind="sms", phone="+48600100200", status="received", status_at=moment)
        session.add(message)
    async with sessions() as session:
        stored = await session.get(Message, message.id)
    assert stored is not None and stored.status_at == moment and stored.status_at.tzinfo is not None


async def test_queue_runs_one_job_per_conversation_lane_at_a_time_in_order(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        conversation = await repository.get_or_create_conversation(session, channel_id="C1", phone="+48600100200")
        first = enqueue(session, kind=JobKind.POST_INBOUND, lane=Lane.SLACK, conversation_id=conversation.id)
        second = enqueue(session, kind=JobKind.RENDER_STATUS, lane=Lane.SLACK, conversation_id=conversation.id)
        other_lane = enqueue(session, kind=JobKind.SEND_REPLY, lane=Lane.MPROFI, conversation_id=conversation.id)
    lease = timedelta(seconds=30)
    got = [await claim(sessions, lanes=("slack", "mprofi"), lease=lease) for _ in range(3)]
    claimed = {job.id for job in got if job is not None}
    assert claimed == {first.id, other_lane.id}  # the second slack job waits for the first
    await complete(sessions, first.id)
    job = await claim(sessions, lanes=("slack",), lease=lease)
    assert job is not None and job.id == second.id and job.attempts == 1


async def test_a_job_is_leased_to_one_claimer_only(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        for _ in range(10):
            enqueue(session, kind=JobKind.TELL, lane=Lane.SLACK)
    claims = await asyncio.gather(*(claim(sessions, lanes=("slack",), lease=timedelta(seconds=30)) for _ in range(15)))
    ids = [job.id for job in claims if job is not None]
    assert len(ids) == len(set(ids)) == 10


async def test_retry_later_releases_the_lease_and_delays_the_job(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        job = enqueue(session, kind=JobKind.TELL, lane=Lane.SLACK)
    claimed = await claim(sessions, lanes=("slack",), lease=timedelta(seconds=30))
    assert claimed is not None
    await retry_later(sessions, claimed.id, delay=60, error="Slack: ratelimited")
    assert await claim(sessions, lanes=("slack",), lease=timedelta(seconds=30)) is None
    later = await claim(sessions, lanes=("slack",), lease=timedelta(seconds=30), now=utcnow() + timedelta(seconds=61))
    assert later is not None and later.id == job.id and later.attempts == 2 and later.last_error == "Slack: ratelimited"
    assert await pending_count(sessions) == 1


async def test_an_expired_lease_lets_another_worker_take_the_job(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        enqueue(session, kind=JobKind.TELL, lane=Lane.SLACK)
    first = await claim(sessions, lanes=("slack",), lease=timedelta(seconds=5))
    assert first is not None
    assert await claim(sessions, lanes=("slack",), lease=timedelta(seconds=5)) is None
    again = await claim(sessions, lanes=("slack",), lease=timedelta(seconds=5), now=utcnow() + timedelta(seconds=6))
    assert again is not None and again.id == first.id


async def test_posting_turns_are_handed_out_once_each_and_a_hold_pushes_them_back(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = 1_000_000.0
    turns = await asyncio.gather(*(take_turn(sessions, "C1", now=now, interval=0.5) for _ in range(6)))
    assert sorted(turns) == [now + 0.5 * i for i in range(6)]  # six askers at once: six different turns
    assert await take_turn(sessions, "C2", now=now, interval=0.5, burst=3) == now - 1.0  # a burst may go at once
    assert await take_turn(sessions, "C2", now=now, interval=0.5, burst=3) == now - 0.5
    assert await take_turn(sessions, "C2", now=now, interval=0.5, burst=3) == now
    assert await take_turn(sessions, "C2", now=now, interval=0.5, burst=3) == now + 0.5  # then one per interval
    await hold_until(sessions, "C3", now + 30)  # Slack said 429, Retry-After: 30
    assert await take_turn(sessions, "C3", now=now, interval=0.5) == now + 30
    await hold_until(sessions, "C1", now - 100)  # a hold never brings turns forward
    assert await take_turn(sessions, "C1", now=now, interval=0.5) == now + 3.0


async def test_a_run_whose_lease_passed_on_cannot_finish_free_or_end_the_job(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        enqueue(session, kind=JobKind.POST_INBOUND, lane=Lane.SLACK)
    first = await claim(sessions, lanes=("slack",), lease=timedelta(seconds=1))
    assert first is not None
    assert await renew(sessions, first, lease=timedelta(seconds=-1))  # it ran past its lease
    second = await claim(sessions, lanes=("slack",), lease=timedelta(seconds=60))
    assert second is not None and second.id == first.id and second.attempts == first.attempts + 1
    assert not await renew(sessions, first, lease=timedelta(seconds=60))
    assert not await complete(sessions, first.id, attempts=first.attempts)
    assert not await retry_later(sessions, first.id, delay=0, error="x", attempts=first.attempts)
    assert not await give_up(sessions, first.id, error="x", attempts=first.attempts)
    assert await claim(sessions, lanes=("slack",), lease=timedelta(seconds=60)) is None  # still the second run's
    assert await give_up(sessions, second.id, error="refused", attempts=second.attempts)
    assert await pending_count(sessions) == 0 and await jobs_given_up(sessions, utcnow() - timedelta(minutes=1)) == 1
    assert await retry_failed(sessions, utcnow() - timedelta(minutes=1)) == 1
    assert await pending_count(sessions) == 1
