"""Finished jobs leave the queue table, so what the workers scan stays small.

A job row is the queue's work; once done it is only history, and a year of it would
make every claim and every "is anything due" question read past millions of rows.
Done jobs go after a day (enough to look into yesterday's trouble); given-up jobs stay
30 days, since ``mprofi-slack retry`` and ``/healthz`` read them. One replica prunes,
once an hour, whatever ``RETENTION_DAYS`` says about texts.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.bridge.context import Context
from storage import cursors
from storage.queue import prune_finished

__all__ = ["CURSOR", "EVERY", "KEEP_DONE", "KEEP_FAILED", "prune_finished_jobs"]

logger = logging.getLogger(__name__)

CURSOR = "job_pruning"
EVERY = timedelta(hours=1)
LEASE = timedelta(minutes=10)
KEEP_DONE = timedelta(days=1)
KEEP_FAILED = timedelta(days=30)


async def prune_finished_jobs(ctx: Context, now: datetime) -> int | None:
    """One pass if one is due and no other replica is running it; how many jobs it removed."""
    held = await cursors.take(ctx.sessions, CURSOR, now=now, until=now + LEASE)
    if held is None:
        return None
    try:
        if held.position is not None and now - held.position < EVERY:
            return None
        removed = await prune_finished(ctx.sessions, done_before=now - KEEP_DONE, failed_before=now - KEEP_FAILED)
        await cursors.advance(ctx.sessions, CURSOR, now)
        if removed:
            logger.info("job pruning: removed %s finished jobs", removed)
        return removed
    finally:
        await cursors.release(ctx.sessions, CURSOR)
