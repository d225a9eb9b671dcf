"""Finished jobs leave the queue table; pending and recent ones stay (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.kinds import JobKind, Lane
from storage.models import Job, utcnow
from storage.queue import enqueue, prune_finished


async def _jobs(sessions: async_sessionmaker[AsyncSession], **ages: tuple[str, timedelta | None]) -> dict[str, int]:
    """One job per name: ``(state, age)`` with state "pending", "done" or "failed"."""
    now = utcnow()
    ids: dict[str, int] = {}
    async with sessions() as session, session.begin():
        for name in ages:
            job = enqueue(session, kind=JobKind.POST_INBOUND, lane=Lane.SLACK)
            await session.flush()
            ids[name] = job.id
    async with sessions() as session, session.begin():
        for name, (state, age) in ages.items():
            if state == "pending" or age is None:
                continue
            at = now - age
            values = {"done_at": at} if state == "done" else {"done_at": at, "failed_at": at, "last_error": "refused"}
            await session.execute(update(Job).where(Job.id == ids[name]).values(**values))
    return ids


async def test_done_jobs_go_after_a_day_and_given_up_ones_after_thirty(sessions: async_sessionmaker[AsyncSession]) -> None:
    ids = await _jobs(
        sessions,
        pending=("pending", None),
        done_old=("done", timedelta(days=2)),
        done_recent=("done", timedelta(hours=3)),
        failed_recent=("failed", timedelta(days=10)),
        failed_old=("failed", timedelta(days=40)),
    )
    now = utcnow()
    removed = await prune_finished(sessions, done_before=now - timedelta(days=1), failed_before=now - timedelta(days=30))
    assert removed == (2, True)
    async with sessions() as session:
        left = set((await session.scalars(select(Job.id))).all())
    assert left == {ids["pending"], ids["done_recent"], ids["failed_recent"]}


async def test_many_finished_jobs_go_in_batches(sessions: async_sessionmaker[AsyncSession]) -> None:
    await _jobs(sessions, **{f"done{n}": ("done", timedelta(days=3)) for n in range(23)}, waiting=("pending", None))
    now = utcnow()
    removed = await prune_finished(sessions, done_before=now - timedelta(days=1), failed_before=now, batch=5, pause=0)
    assert removed == (23, True)
    async with sessions() as session:
        assert len((await session.scalars(select(Job.id))).all()) == 1


async def test_a_pass_stops_at_its_budget_and_the_next_goes_on(sessions: async_sessionmaker[AsyncSession]) -> None:
    """A backlog (a first pass after an upgrade) is cleared over several passes, a batch at a time."""
    await _jobs(sessions, **{f"done{n}": ("done", timedelta(days=3)) for n in range(12)})
    now = utcnow()
    first = await prune_finished(sessions, done_before=now - timedelta(days=1), failed_before=now, batch=5, pause=0, budget=0)
    assert first == (5, False)  # one batch, then the budget was spent
    second = await prune_finished(sessions, done_before=now - timedelta(days=1), failed_before=now, batch=5, pause=0)
    assert second == (7, True)
    async with sessions() as session:
        assert (await session.scalars(select(Job.id))).all() == []
