"""Finished jobs are pruned once an hour, by one replica, whether or not texts are kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.bridge import job_pruning
from bot.bridge.context import Context
from storage import cursors
from storage.kinds import JobKind, Lane
from storage.models import Job, utcnow
from storage.queue import enqueue

from .steps import rows


async def _done_job(ctx: Context, age: timedelta) -> None:
    async with ctx.sessions() as session, session.begin():
        job = enqueue(session, kind=JobKind.POST_INBOUND, lane=Lane.SLACK)
        await session.flush()
        await session.execute(update(Job).where(Job.id == job.id).values(done_at=utcnow() - age))


async def test_finished_jobs_go_once_an_hour_with_retention_off(ctx: Context) -> None:
    assert ctx.config.retention_days == 0
    await _done_job(ctx, timedelta(days=2))
    now = utcnow()
    assert await job_pruning.prune_finished_jobs(ctx, now) == 1
    assert await rows(ctx, Job) == []

    await _done_job(ctx, timedelta(days=2))
    assert await job_pruning.prune_finished_jobs(ctx, now + timedelta(minutes=30)) is None  # not due yet
    assert len(await rows(ctx, Job)) == 1
    assert await job_pruning.prune_finished_jobs(ctx, now + timedelta(minutes=61)) == 1


async def test_another_replica_pruning_now_is_left_alone(ctx: Context) -> None:
    now = utcnow()
    assert await cursors.take(ctx.sessions, job_pruning.CURSOR, now=now, until=now + timedelta(minutes=10)) is not None
    await _done_job(ctx, timedelta(days=2))
    assert await job_pruning.prune_finished_jobs(ctx, now) is None
    assert len(await rows(ctx, Job)) == 1


async def test_a_backlog_too_big_for_one_pass_goes_on_at_the_next_look(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass that runs out of time leaves the hour's mark where it was, so the rest goes
    at the next look (minutes), not an hour later."""
    for _ in range(3):
        await _done_job(ctx, timedelta(days=2))
    monkeypatch.setattr(job_pruning, "BUDGET", 0.0)
    monkeypatch.setattr(job_pruning, "BATCH", 1)
    now = utcnow()
    assert await job_pruning.prune_finished_jobs(ctx, now) == 1
    assert await job_pruning.prune_finished_jobs(ctx, now + timedelta(minutes=1)) == 1
    monkeypatch.setattr(job_pruning, "BUDGET", 300.0)
    assert await job_pruning.prune_finished_jobs(ctx, now + timedelta(minutes=2)) == 1
    assert await rows(ctx, Job) == []
    assert await job_pruning.prune_finished_jobs(ctx, now + timedelta(minutes=3)) is None  # cleared: the next pass in an hour
