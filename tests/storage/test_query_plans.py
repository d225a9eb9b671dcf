"""Plans of the queries a grown database once read too much for (bench/queries.py found them):
each must go through the index made for it, on SQLite and on PostgreSQL.

A plan that "searches" an index can still read most of the table (a search for
``origin_key IS NULL`` through ``origin_key``'s unique index is one), so the index is
named here, not only the absence of a scan."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import people, repository
from storage.inbound import add_jobs
from storage.models import Conversation, Job, utcnow
from storage.queue import claimable


async def _plans(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], run: Any, *, seqscan: bool = False) -> list[str]:
    """The plan of every SELECT that ``run`` sends, as text (PostgreSQL's as it would run, with ``seqscan``)."""
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        async with sessions() as session:
            await run(session)
            await session.rollback()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)
    postgres = engine.dialect.name == "postgresql"
    plans = []
    async with engine.connect() as connection:
        if postgres and not seqscan:
            await connection.exec_driver_sql("SET enable_seqscan = off")  # tiny tables: ask what an index could do
        for statement, parameters in statements:
            explain = "EXPLAIN (FORMAT JSON) " if postgres else "EXPLAIN QUERY PLAN "
            rows = (await connection.exec_driver_sql(explain + statement, parameters)).all()
            plans.append(json.dumps(rows[0][0]) if postgres else " ".join(str(row[-1]) for row in rows))
    return plans


async def test_the_home_tabs_lists_read_only_the_conversations_they_show(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def waiting(session: AsyncSession) -> None:
        await people.waiting_for_us(session, limit=10, channels={"C0SMSBRIDGE"})

    async def mine(session: AsyncSession) -> None:
        await people.my_conversations(session, "U0ANNA", limit=10, channels={"C0SMSBRIDGE"})

    for plan in await _plans(engine, sessions, waiting):
        assert "ix_conversations_home_waiting" in plan, plan
    for plan in await _plans(engine, sessions, mine):
        assert "ix_conversations_owner" in plan, plan


async def test_the_catch_ups_twin_is_found_by_number_and_time(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()

    async def twin(session: AsyncSession) -> None:
        await repository.inbound_to_match(
            session, key="77", phone="+48600100200", text="x", earliest=now - timedelta(minutes=5), latest=now + timedelta(minutes=40)
        )

    by_key, by_number = await _plans(engine, sessions, twin)
    keyed = ("sqlite_autoindex_messages", "uq_messages_origin_key")  # origin_key's unique index, by its two names
    assert any(name in by_key for name in keyed), by_key
    assert not any(name in by_number for name in keyed), by_number  # it holds every message without a key
    assert "ix_messages_phone_created" in by_number or "ix_messages_created_at" in by_number, by_number  # a few minutes of one number


async def test_a_claim_asks_each_job_s_line_through_its_index_even_without_statistics(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A queue that grew faster than autovacuum looks (a fresh server's first burst): 1,000
    lines, each with a job put off and one waiting behind it, never analysed."""
    now = utcnow()
    async with sessions() as session, session.begin():
        conversations = [Conversation(channel_id="C1", phone=f"+4860010{n:04d}", state="new", created_at=now) for n in range(1000)]
        session.add_all(conversations)
        await session.flush()
        rows = []
        for conversation in conversations:
            later = now + timedelta(minutes=5)
            rows.append({"kind": "post_inbound", "lane": "slack", "conversation_id": conversation.id, "run_after": later, "attempts": 0})
            rows.append({"kind": "render_card", "lane": "slack", "conversation_id": conversation.id, "run_after": now, "attempts": 0})
        await add_jobs(session, [{**row, "created_at": now} for row in rows])

    async def claim(session: AsyncSession) -> None:
        await session.execute(select(Job.id).where(claimable(utcnow()), Job.lane.in_(("slack",))).order_by(Job.id).limit(2))

    [plan] = await _plans(engine, sessions, claim, seqscan=True)
    assert "ix_jobs_lane_open" in plan, plan
    if engine.dialect.name == "postgresql":  # looked up per job with its line's keys, not joined with every open job
        assert '"Join Type": "Anti"' not in plan and "Join Filter" not in plan, plan
        assert "conversation_id = jobs.conversation_id" in plan, plan
