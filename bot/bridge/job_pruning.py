"""Finished jobs leave the queue table, so what the workers scan stays small.

A job row is the queue's work; once done it is only history, and a year of it would
make every claim and every "is anything due" question read past millions of rows.
Done jobs go after a day (enough to look into yesterday's trouble); given-up jobs stay
30 days, since ``mprofi-slack retry`` and ``/healthz`` read them. One replica prunes,
once an hour, whatever ``RETENTION_DAYS`` says about texts; a backlog too big for one
pass is taken up again at the next look rather than an hour later.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.bridge.context import Context
from storage import cursors
from storage.queue import prune_finished

__all__ = ["BATCH", "BUDGET", "CURSOR", "EVERY", "KEEP_DONE", "KEEP_FAILED", "prune_finished_jobs"]

logger = logging.getLogger(__name__)

CURSOR = "job_pruning"
EVERY = timedelta(hours=1)
LEASE = timedelta(minutes=10)
KEEP_DONE = timedelta(days=1)
KEEP_FAILED = timedelta(days=30)
BUDGET = 300.0  # seconds a pass may take, well inside its lease
BATCH = 500  # rows a transaction


async def prune_finished_jobs(ctx: Context, now: datetime) -> int | None:
    """One pass if one is due and no other replica is running it; how many jobs it removed."""
    held = await cursors.take(ctx.sessions, CURSOR, now=now, until=now + LEASE)
    if held is None:
        return None
    try:
        if held.position is not None and now - held.position < EVERY:
            return None
        pruned = await prune_finished(
            ctx.sessions, done_before=now - KEEP_DONE, failed_before=now - KEEP_FAILED, batch=BATCH, budget=BUDGET
        )
        if pruned.cleared:
            await cursors.advance(ctx.sessions, CURSOR, now)
        # else a backlog (the first pass after an upgrade): the next look goes on with it
        if pruned.removed:
            logger.info("job pruning: removed %s finished jobs%s", pruned.removed, "" if pruned.cleared else ", more to go")
        return pruned.removed
    finally:
        await cursors.release(ctx.sessions, CURSOR)
