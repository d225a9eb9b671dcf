"""The job table: every kind of work has its function, and work this code does not know is dropped."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest

from bot.bridge import jobs, notices, replies
from bot.bridge.context import Context
from bot.sandbox.mprofi import SimulatorState
from bot.sandbox.slack import SlackState
from storage.kinds import JobKind, Lane
from storage.models import Job, utcnow
from storage.queue import enqueue

from .queue import claim_next, run_jobs, waiting_jobs
from .steps import ANNA, BRIDGE, open_thread, person_says, rows


def test_every_kind_of_job_has_a_handler() -> None:
    assert set(jobs.JOBS) == set(JobKind)
    assert all(callable(handler) for handler in jobs.JOBS.values())


async def test_a_kind_this_code_does_not_know_is_dropped_without_raising(ctx: Context, slack: SlackState) -> None:
    async with ctx.sessions() as session, session.begin():
        enqueue(session, kind=cast(JobKind, "from_a_newer_replica"), lane=Lane.SLACK, payload={"what": "?"})
    job = await claim_next(ctx, "slack")

    await jobs.run_job(ctx, job)  # logged, not raised
    assert slack.calls == []


async def test_an_unknown_kind_does_not_hold_up_the_work_behind_it(ctx: Context, slack: SlackState) -> None:
    async with ctx.sessions() as session, session.begin():
        enqueue(session, kind=cast(JobKind, "from_a_newer_replica"), lane=Lane.SLACK)
    await notices.tell_privately(ctx, channel_id=BRIDGE, user_id=ANNA, text="Po nieznanym")

    assert await run_jobs(ctx) == 2
    assert [t["text"] for t in slack.ephemeral] == ["Po nieznanym"]
    assert await waiting_jobs(ctx) == []
    assert all(job.failed_at is None for job in await rows(ctx, Job))


async def test_run_job_calls_the_function_of_the_jobs_kind(ctx: Context, slack: SlackState) -> None:
    await notices.tell_privately(ctx, channel_id=BRIDGE, user_id=ANNA, text="Przez tabelę")
    job = await claim_next(ctx, "slack")
    assert job.kind == JobKind.TELL

    await jobs.run_job(ctx, job)
    assert [t["text"] for t in slack.ephemeral] == ["Przez tabelę"]


# ---- the test helper itself: run_jobs runs what is due, and notices a loop ----------


async def test_run_jobs_leaves_work_scheduled_for_later_until_now_says_so(ctx: Context, slack: SlackState) -> None:
    later = utcnow() + timedelta(minutes=10)
    async with ctx.sessions() as session, session.begin():
        payload = {"channel": BRIDGE, "user": ANNA, "text": "Za dziesięć minut"}
        enqueue(session, kind=JobKind.TELL, lane=Lane.SLACK, payload=payload, run_after=later)

    assert await run_jobs(ctx) == 0
    assert await run_jobs(ctx, now=later) == 1
    assert [t["text"] for t in slack.ephemeral] == ["Za dziesięć minut"]


async def test_run_jobs_calls_a_job_that_keeps_coming_back_a_loop(ctx: Context, sim: SimulatorState, slack: SlackState) -> None:
    parent = await open_thread(ctx, slack)
    sim.queue_fault("send", "503", count=100)
    await replies.handle_slack_message(ctx, person_says(slack, parent, "Halo"))

    with pytest.raises(AssertionError, match="did not empty within 5 jobs"):
        await run_jobs(ctx, now=utcnow() + timedelta(days=1), limit=5)
