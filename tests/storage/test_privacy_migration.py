"""Migration 0009 on both databases: the opt-outs already there start the audit log, and
it goes back down with data in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import make_engine
from storage.migrate import upgrade
from tests.storage.test_conversations_migration import downgrade


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


async def test_existing_opt_outs_enter_the_audit_log_and_it_goes_back_down(engine: AsyncEngine) -> None:
    await upgrade(engine, "0008")
    at = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO opt_outs (phone, word, at, by) VALUES ('+48600100200', 'STOP', :at, NULL), ('+48600100201', 'SLACK', :at, 'U1')"
            ),
            {"at": at},
        )
    await upgrade(engine)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT kind, actor, phone, detail FROM audit_log ORDER BY phone"))).all()
    assert [tuple(r) for r in rows] == [("opt_out", None, "+48600100200", "STOP"), ("opt_out", "U1", "+48600100201", "SLACK")]

    async with engine.begin() as connection:
        await connection.run_sync(downgrade, "0008")
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        kept = (await connection.execute(text("SELECT count(*) FROM opt_outs"))).scalar()
    assert "audit_log" not in tables and "forgotten_opt_outs" not in tables and kept == 2
