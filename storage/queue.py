"""The durable job queue: work that must survive a crash, a restart or an outage.

A job is claimed by taking a time-limited lease inside one transaction: on PostgreSQL
the candidate row is locked with ``FOR UPDATE SKIP LOCKED`` so concurrent claimers
(workers, replicas) each take a different job; on SQLite the transaction holds the
write lock from its start. Jobs of the same conversation and lane run one at a time and in order, which
keeps a thread's messages in order and lets only one job open a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from storage.kinds import JobKind, Lane
from storage.models import Job, Message, utcnow

__all__ = [
    "enqueue",
    "claim",
    "claim_next",
    "complete",
    "retry_later",
    "postpone",
    "renew",
    "give_up",
    "retry_failed",
    "pending_count",
    "jobs_given_up",
    "work_due",
    "has_waiting_job",
    "save_payload",
    "conversations_with_waiting_job",
    "claimable",
    "HELD_UNTIL",
    "release_held",
    "drop_held",
    "prune_finished",
    "Pruned",
]

HELD_UNTIL = datetime(9999, 1, 1, tzinfo=UTC)
"""The ``run_after`` of a job that waits for a person's choice (a send held by QUIET_HOURS):
never due until :func:`release_held` gives it a time. Such a job stays out of its
conversation's line, so it holds back nothing behind it."""


def claimable(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """Due, unfinished, not leased, and first in its (conversation, lane) line.

    "First" is asked as the line's lowest open id, a subquery run per candidate through
    ``ix_jobs_lane_open``: written as NOT EXISTS, PostgreSQL without statistics (a new
    server, a queue grown faster than autovacuum looks) joined every open job with every
    other instead (110 ms for 2,000 queued jobs, against 1 ms).
    """
    line = aliased(Job)
    first_open = (
        select(func.min(line.id))
        .where(line.conversation_id == Job.conversation_id, line.lane == Job.lane, line.done_at.is_(None))
        .scalar_subquery()
    )
    free = or_(Job.locked_until.is_(None), Job.locked_until < now)
    return and_(Job.done_at.is_(None), Job.run_after <= now, free, or_(Job.conversation_id.is_(None), first_open == Job.id))


# The claim's statements, built once: a worker claims after every job, and building the
# expression (and its cache key) each time cost more than running it.
_RUNNABLE = select(Job.id).where(claimable(bindparam("now")), Job.lane.in_(bindparam("lanes", expanding=True))).order_by(Job.id)
_FIRST_UNLOCKED = _RUNNABLE.limit(1).with_for_update(skip_locked=True, of=Job)
_FIRST_TWO = _RUNNABLE.limit(2)
_LEASE = (
    update(Job)
    .where(Job.id == bindparam("job_id"), Job.done_at.is_(None), or_(Job.locked_until.is_(None), Job.locked_until < bindparam("now")))
    .values(locked_until=bindparam("until"), attempts=Job.attempts + 1)
    .returning(Job)
    .execution_options(synchronize_session=False, populate_existing=True)
)


def enqueue(
    session: AsyncSession,
    *,
    kind: JobKind,
    lane: Lane,
    conversation_id: int | None = None,
    message_id: int | None = None,
    dispatch_id: int | None = None,
    payload: dict[str, Any] | None = None,
    run_after: datetime | None = None,
) -> Job:
    """Add a job to ``session``; it is durable when the caller commits."""
    job = Job(
        kind=kind,
        lane=lane,
        conversation_id=conversation_id,
        message_id=message_id,
        dispatch_id=dispatch_id,
        payload=payload,
        run_after=run_after or utcnow(),
        attempts=0,
    )
    session.add(job)
    return job


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    *,
    lanes: tuple[str, ...],
    lease: timedelta,
    now: datetime | None = None,
) -> Job | None:
    """Lease the oldest runnable job at the head of its (conversation, lane) line."""
    job, _more = await claim_next(sessions, lanes=lanes, lease=lease, now=now)
    return job


async def claim_next(
    sessions: async_sessionmaker[AsyncSession],
    *,
    lanes: tuple[str, ...],
    lease: timedelta,
    now: datetime | None = None,
) -> tuple[Job | None, bool]:
    """:func:`claim`, and whether another job may be runnable too (an idle worker may take it).

    One transaction: the candidates, then the lease taken and the row read back in one
    ``UPDATE … RETURNING``.
    """
    now = now or utcnow()
    async with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            # Concurrent claimers (workers, replicas) each lock a different row. Locking a
            # second row to learn of it would hide it from them: say there may be more.
            candidates = (await session.scalars(_FIRST_UNLOCKED, {"now": now, "lanes": lanes})).all()
            more = bool(candidates)
        else:
            # SQLite: the transaction began with BEGIN IMMEDIATE, so claimers take turns.
            candidates = (await session.scalars(_FIRST_TWO, {"now": now, "lanes": lanes})).all()
            more = len(candidates) > 1
        if not candidates:
            await session.rollback()
            return None, False
        taken = await session.scalars(_LEASE, {"job_id": candidates[0], "now": now, "until": now + lease})
        job = taken.one_or_none()
        await session.commit()
        return job, more


def _this_run(job_id: int, attempts: int | None) -> Any:
    """The job, as long as this run still holds it: a run whose lease ran out (and whose
    job another worker took, moving ``attempts`` on) must not finish or free it."""
    if attempts is None:
        return and_(Job.id == job_id, Job.done_at.is_(None))
    return and_(Job.id == job_id, Job.done_at.is_(None), Job.attempts == attempts)


# Built once, as the claim is: every job ends here.
_DONE = (
    update(Job)
    .where(Job.id == bindparam("job_id"), Job.done_at.is_(None))
    .values(done_at=bindparam("at"), locked_until=None)
    .execution_options(synchronize_session=False)  # a session of its own: no loaded job to bring up to date
)
_DONE_BY_THIS_RUN = _DONE.where(Job.attempts == bindparam("this_run"))


async def complete(sessions: async_sessionmaker[AsyncSession], job_id: int, *, attempts: int | None = None) -> bool:
    async with sessions() as session, session.begin():
        if attempts is None:
            result = await session.execute(_DONE, {"job_id": job_id, "at": utcnow()})
        else:
            result = await session.execute(_DONE_BY_THIS_RUN, {"job_id": job_id, "at": utcnow(), "this_run": attempts})
        return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def retry_later(
    sessions: async_sessionmaker[AsyncSession], job_id: int, *, delay: float, error: str, attempts: int | None = None
) -> bool:
    """Release the lease and run the job again after ``delay`` seconds."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(Job)
            .where(_this_run(job_id, attempts))
            .values(run_after=utcnow() + timedelta(seconds=delay), locked_until=None, last_error=error[:2000])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def postpone(sessions: async_sessionmaker[AsyncSession], job_id: int, *, delay: float, attempts: int) -> bool:
    """Put a job back until ``delay`` seconds from now without counting this run as a try:
    it stopped before doing anything (its Slack channel's turn was still to come)."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(Job)
            .where(_this_run(job_id, attempts))
            .values(run_after=utcnow() + timedelta(seconds=delay), locked_until=None, attempts=attempts - 1)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def pending_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return len((await session.scalars(select(Job.id).where(Job.done_at.is_(None)))).all())


async def renew(sessions: async_sessionmaker[AsyncSession], job: Job, *, lease: timedelta) -> bool:
    """Extend a running job's lease; False when it is no longer this run's (the lease ran
    out and another worker took the job: its ``attempts`` moved on)."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(Job)
            .where(Job.id == job.id, Job.attempts == job.attempts, Job.done_at.is_(None), Job.locked_until.is_not(None))
            .values(locked_until=utcnow() + lease)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def release(sessions: async_sessionmaker[AsyncSession], job_id: int, *, attempts: int | None = None) -> bool:
    """Give back a job this run will not finish (the process is stopping): another worker
    may take it at once, instead of when the lease runs out and the conversation's lane
    has waited that long. Its ``attempts`` stay counted: it did start."""
    async with sessions() as session, session.begin():
        result = await session.execute(update(Job).where(_this_run(job_id, attempts)).values(locked_until=None))
        return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def give_up(sessions: async_sessionmaker[AsyncSession], job_id: int, *, error: str, attempts: int | None = None) -> bool:
    """End a job that will never succeed: done (the jobs after it go on) and marked failed."""
    now = utcnow()
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(Job).where(_this_run(job_id, attempts)).values(done_at=now, failed_at=now, locked_until=None, last_error=error[:2000])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def retry_failed(sessions: async_sessionmaker[AsyncSession], since: datetime) -> int:
    """Queue again every job given up since ``since`` (after a fixed token or channel): the number."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(Job)
            .where(Job.failed_at >= since)
            .values(done_at=None, failed_at=None, locked_until=None, attempts=0, run_after=utcnow(), created_at=utcnow())
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def jobs_given_up(sessions: async_sessionmaker[AsyncSession], since: datetime) -> int:
    """How many jobs were given up since ``since``."""
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Job).where(Job.failed_at >= since)) or 0)


async def has_waiting_job(
    session: AsyncSession,
    kind: JobKind,
    *,
    message_id: int | None = None,
    dispatch_id: int | None = None,
    conversation_id: int | None = None,
) -> bool:
    """A job of ``kind`` for this message, dispatch or conversation that no worker has
    picked up yet: a redraw queued behind it would draw the same thing, so redraws coalesce."""
    query = select(Job.id).where(Job.kind == kind, Job.done_at.is_(None), Job.locked_until.is_(None))
    if conversation_id is not None:
        query = query.where(Job.conversation_id == conversation_id)
    if message_id is not None:
        query = query.where(Job.message_id == message_id)
    if dispatch_id is not None:
        query = query.where(Job.dispatch_id == dispatch_id)
    return await session.scalar(query.limit(1)) is not None


async def conversations_with_waiting_job(session: AsyncSession, kind: JobKind, conversation_ids: Collection[int]) -> set[int]:
    """Which of these conversations already have a job of ``kind`` no worker has picked up."""
    rows = await session.scalars(_WAITING_OF_KIND, {"kind": kind, "ids": list(set(conversation_ids))})
    return {int(cid) for cid in rows.all() if cid is not None}


_WAITING_OF_KIND = select(Job.conversation_id).where(
    Job.kind == bindparam("kind"),
    Job.done_at.is_(None),
    Job.locked_until.is_(None),
    Job.conversation_id.in_(bindparam("ids", expanding=True)),
)


async def save_payload(session: AsyncSession, job_id: int, payload: dict[str, Any]) -> None:
    """Keep what a running job has done so far, so its next try does not repeat it."""
    await session.execute(update(Job).where(Job.id == job_id).values(payload=payload))


async def work_due(engine: AsyncEngine, *, limit: int = 5) -> list[str]:
    """What the workers have to do now, as the database shows it; empty when nothing.

    A job counts while a worker holds its lease, or when a worker may claim it now; one
    waiting for ``run_after`` (a retry's back-off, a check for later) does not, nor do
    jobs of a line held up by an earlier one. A status check counts when it is due.
    Unlike :func:`pending_count` this tells "settled" from "waiting for the clock", which
    is what a test (or an operator's drain before a restart) asks. Reads only: it never
    takes SQLite's write lock.
    """
    now = utcnow()
    leased = and_(Job.done_at.is_(None), Job.locked_until.is_not(None), Job.locked_until >= now)
    jobs = select(Job.id, Job.kind, Job.locked_until).where(or_(leased, claimable(now))).order_by(Job.id).limit(limit)
    checks = select(Message.id).where(Message.next_poll_at.is_not(None), Message.next_poll_at <= now, Message.mprofi_id.is_not(None))
    async with engine.connect() as connection:
        found = [
            f"job {job_id} ({kind}) {'running' if locked_until is not None and locked_until >= now else 'due'}"
            for job_id, kind, locked_until in (await connection.execute(jobs)).all()
        ]
        found += [f"a status check of message {message_id} due" for (message_id,) in (await connection.execute(checks.limit(limit))).all()]
    return found


def _held(kind: JobKind, message_id: int | None, job_id: int | None) -> ColumnElement[bool]:
    which = Job.id == job_id if job_id is not None else Job.message_id == message_id
    return and_(which, Job.kind == kind, Job.done_at.is_(None), Job.run_after == HELD_UNTIL)


async def release_held(
    session: AsyncSession, *, kind: JobKind, run_after: datetime | None, message_id: int | None = None, job_id: int | None = None
) -> bool:
    """Let a held job (by its message, or its own id) run at ``run_after`` (now when None);
    False when no such job is held (already released or dropped)."""
    result = await session.execute(
        update(Job)
        .where(_held(kind, message_id, job_id))
        .values(run_after=run_after or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


async def drop_held(session: AsyncSession, *, kind: JobKind, message_id: int | None = None, job_id: int | None = None) -> bool:
    """A held job that will never run (its send was cancelled): done, with nothing done."""
    result = await session.execute(
        update(Job)
        .where(_held(kind, message_id, job_id))
        .values(done_at=utcnow(), last_error="cancelled while held")
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


class Pruned(NamedTuple):
    removed: int
    cleared: bool  # False: the pass ran out of time with finished jobs left


async def prune_finished(
    sessions: async_sessionmaker[AsyncSession],
    *,
    done_before: datetime,
    failed_before: datetime,
    batch: int = 500,
    pause: float = 0.1,
    budget: float = 300.0,
) -> Pruned:
    """Delete finished jobs: those done before ``done_before``, and those given up before
    ``failed_before`` (kept longer: ``mprofi-slack retry`` and /healthz read them).

    A few hundred rows a transaction and ``pause`` seconds between them, for at most
    ``budget`` seconds a pass: a backlog of a million rows (a first pass after an upgrade)
    then takes minutes, leaving SQLite's one writer to the webhooks and workers nine
    tenths of the time, instead of holding it for half a minute; what is left goes next pass
    (``Pruned.cleared`` is False).
    """
    finished = or_(
        and_(Job.failed_at.is_(None), Job.done_at < done_before),
        and_(Job.failed_at.is_not(None), Job.failed_at < failed_before),
    )
    removed = 0
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + budget
    while True:
        async with sessions() as session, session.begin():
            chosen = select(Job.id).where(Job.done_at.is_not(None), finished).limit(batch)
            result = await session.execute(delete(Job).where(Job.id.in_(chosen.scalar_subquery())))
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult
        removed += count
        if count < batch:
            return Pruned(removed, cleared=True)
        if loop.time() >= stop_at:
            return Pruned(removed, cleared=False)
        await asyncio.sleep(pause)
