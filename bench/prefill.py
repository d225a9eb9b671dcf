"""A database that has lived a year: conversations, messages with their statuses, jobs done
(the last day's: older ones are pruned).

The hot paths are measured on it beside an empty database in the same run, so a
query that reads past old rows shows as a ratio. Rows go in with SQLAlchemy Core in
large batches (no ORM objects), spread over the past 365 days; the numbers are ones
the load never uses (``+4851…``), so the load opens conversations of its own.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from storage import make_engine
from storage.migrate import upgrade
from storage.models import Conversation, Job, Message, utcnow

__all__ = ["prefill"]

BATCH = 10_000
MESSAGES_PER_CONVERSATION = 10
CHANNEL = "C0SMSBRIDGE"


def _conversation(n: int, now: Any) -> dict[str, Any]:
    started = now - timedelta(days=365) + timedelta(seconds=n * 7)
    return {
        "id": n + 1,
        "channel_id": CHANNEL,
        "phone": f"+4851{n:07d}",
        "thread_ts": f"1700000000.{n:06d}",
        "state": "closed",
        "created_at": started,
        "last_inbound_at": started,
        "last_outbound_at": started,
    }


def _message(n: int, conversations: int, now: Any) -> dict[str, Any]:
    conversation = n % conversations
    outgoing = n % 2 == 1
    at = now - timedelta(days=365) + timedelta(seconds=n * 31 % (365 * 86400))
    return {
        "id": n + 1,
        "conversation_id": conversation + 1,
        "direction": "out" if outgoing else "in",
        "kind": "sms",
        "phone": f"+4851{conversation:07d}",
        "text": f"Wiadomość numer {n}: dzień dobry, zamówienie jest w drodze.",
        "parts": 1,
        "status": "delivered" if outgoing else "posted",
        "status_at": at,
        "mprofi_id": 50_000_000 + n if outgoing else None,
        "fingerprint": f"{n:064x}"[-64:],
        "slack_channel": CHANNEL,
        "slack_ts": f"1700000001.{n:07d}",
        "author": "U0ANNA" if outgoing else None,
        "created_at": at,
    }


def _job(n: int, conversations: int, now: Any) -> dict[str, Any]:
    # Finished within the last day: what the hourly pruning leaves (older ones are gone), so
    # the queue table is as big as a busy day makes it and no first pruning pass runs
    # under the measurements (the one-off pass after upgrading from a version that kept
    # every job is a different event; BENCHMARKS.md says what it costs).
    at = now - timedelta(seconds=60 + n * 37 % (22 * 3600))
    outgoing = n % 2 == 1
    return {
        "kind": "send_outbound" if outgoing else "post_inbound",
        "lane": "mprofi" if outgoing else "slack",
        "conversation_id": n % conversations + 1,
        "message_id": n + 1,
        "run_after": at,
        "attempts": 1,
        "done_at": at,
        "created_at": at,
    }


async def prefill(database_url: str, *, messages: int, jobs: int | None = None) -> dict[str, Any]:
    """Migrate ``database_url`` and fill it: ``messages`` messages (one conversation per ten)
    and ``jobs`` finished jobs (as many as messages unless told), as a year of use leaves them."""
    started = time.perf_counter()
    conversations = max(1, messages // MESSAGES_PER_CONVERSATION)
    jobs = messages if jobs is None else jobs
    now = utcnow()
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        rows: list[tuple[Any, int, Callable[[int], dict[str, Any]]]] = [
            (Conversation.__table__, conversations, lambda n: _conversation(n, now)),
            (Message.__table__, messages, lambda n: _message(n, conversations, now)),
            (Job.__table__, jobs, lambda n: _job(n, conversations, now)),
        ]
        for table, count, row in rows:
            for first in range(0, count, BATCH):
                async with engine.begin() as connection:
                    await connection.execute(insert(table), [row(n) for n in range(first, min(count, first + BATCH))])
        if engine.dialect.name == "postgresql":
            # Rows given their ids leave PostgreSQL's sequences behind: move them past.
            async with engine.begin() as connection:
                for name in ("conversations", "messages"):
                    await connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))
            # A year-old server has been vacuumed and analysed by autovacuum, and is not in the
            # middle of writing out a bulk load: so is this one.
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("VACUUM (ANALYZE)"))
                with contextlib.suppress(DBAPIError):  # CHECKPOINT needs a superuser (or pg_checkpoint)
                    await connection.execute(text("CHECKPOINT"))
    finally:
        await engine.dispose()
    return {"messages": messages, "conversations": conversations, "jobs": jobs, "fill_s": round(time.perf_counter() - started, 1)}
