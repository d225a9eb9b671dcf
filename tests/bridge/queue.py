"""Running the job queue by hand: what the workers do, one job after another, until it is empty."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.bridge.context import Context
from bot.bridge.jobs import run_job
from bot.bridge.models import RetryLater
from bot.bridge.worker import backoff
from storage.models import Job
from storage.queue import claim, complete, retry_later

__all__ = ["claim_next", "run_jobs", "waiting_jobs"]

LANES = ("slack", "mprofi")
LEASE = timedelta(minutes=5)  # nothing else claims here; long enough never to matter


async def run_jobs(ctx: Context, *, now: datetime | None = None, limit: int = 500) -> int:
    """Claim and run due jobs until none is due; how many ran.

    ``now`` moves the clock the queue judges "due" by (a job scheduled for later
    runs only when ``now`` has passed its time). A job that fails is put back for
    later with its error (``waiting_jobs`` shows it), as the workers do; one that
    keeps coming due (``now`` far ahead) runs again, and more than ``limit`` runs is
    an AssertionError: a loop. Unlike the workers, nothing is given up here (a
    permanent Slack refusal, too many attempts): :mod:`bot.bridge.giving_up` is
    called by its own tests.
    """
    ran = 0
    while (job := await claim(ctx.sessions, lanes=LANES, lease=LEASE, now=now)) is not None:
        if ran >= limit:
            raise AssertionError(f"the queue did not empty within {limit} jobs; still running {job.kind} (job {job.id})")
        ran += 1
        try:
            await run_job(ctx, job)
        except RetryLater as exc:
            delay = exc.delay if exc.delay is not None else backoff(job.attempts)
            await retry_later(ctx.sessions, job.id, delay=delay, error=str(exc), attempts=job.attempts)
        except Exception as exc:  # as the workers do: kept, and tried again later
            await retry_later(
                ctx.sessions, job.id, delay=backoff(job.attempts), error=f"{type(exc).__name__}: {exc}", attempts=job.attempts
            )
        else:
            await complete(ctx.sessions, job.id, attempts=job.attempts)
    return ran


async def claim_next(ctx: Context, lane: str) -> Job:
    """Claim the next due job of ``lane`` (``slack`` or ``mprofi``) without running it, as a worker would."""
    job = await claim(ctx.sessions, lanes=(lane,), lease=LEASE)
    assert job is not None, f"no {lane} job is due"
    return job


async def waiting_jobs(ctx: Context) -> list[Job]:
    """Jobs not done yet (scheduled for later, or put back after a failure: see ``last_error``)."""
    async with ctx.sessions() as session:
        return list((await session.scalars(select(Job).where(Job.done_at.is_(None)).order_by(Job.id))).all())
