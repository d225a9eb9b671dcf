"""Claims and put-offs on SQLite and PostgreSQL: a job put back for its channel's turn
does not count as a try, and a claim tells whether more work is ready."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.kinds import JobKind, Lane
from storage.models import Job, utcnow
from storage.privacy import number_hash
from storage.queue import claim, claim_next, enqueue, postpone

LEASE = timedelta(seconds=30)


async def test_a_put_off_job_waits_and_its_try_is_not_counted(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        job = enqueue(session, kind=JobKind.POST_INBOUND, lane=Lane.SLACK)
    claimed = await claim(sessions, lanes=("slack",), lease=LEASE)
    assert claimed is not None and claimed.attempts == 1
    assert await postpone(sessions, claimed.id, delay=60, attempts=claimed.attempts)
    assert await claim(sessions, lanes=("slack",), lease=LEASE) is None  # not due for a minute
    async with sessions() as session:
        row = await session.get(Job, job.id)
        assert row is not None and row.attempts == 0 and row.locked_until is None and row.last_error is None
        assert row.run_after > utcnow() + timedelta(seconds=50)
    assert not await postpone(sessions, claimed.id, delay=0, attempts=claimed.attempts)  # that run is over: no second put-off


async def test_a_claim_tells_when_more_work_is_ready(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        first = enqueue(session, kind=JobKind.POST_INBOUND, lane=Lane.SLACK, payload={"n": 1})
        enqueue(session, kind=JobKind.TELL, lane=Lane.SLACK)
    job, more = await claim_next(sessions, lanes=("slack",), lease=LEASE)
    assert job is not None and job.id == first.id and job.attempts == 1 and job.payload == {"n": 1}  # read back whole
    assert more
    job, _more = await claim_next(sessions, lanes=("slack",), lease=LEASE)
    assert job is not None
    job, more = await claim_next(sessions, lanes=("slack",), lease=LEASE)
    assert job is None and not more


async def test_the_number_salt_is_remembered_only_once_committed(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        unsaved = await number_hash(session, "+48600100200")
        await session.rollback()  # the salt made here was never stored
    async with sessions() as session, session.begin():
        kept = await number_hash(session, "+48600100200")
    async with sessions() as session:
        again = await number_hash(session, "+48600100200")
    assert kept == again and unsaved != kept
