"""Migration 0008 on both databases: names move to contacts (Polish letters searchable),
existing conversations get the state their last message gives them, and it goes back down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import make_engine
from storage.migrate import alembic_config, upgrade


def downgrade(connection: Any, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


async def test_names_and_states_of_existing_conversations_survive_the_upgrade(engine: AsyncEngine) -> None:
    await upgrade(engine, "0007")
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    async with engine.begin() as connection:
        for cid, phone, name in [(1, "+48600100200", "Łukasz  ŻÓŁW"), (2, "+48600100201", None), (3, "+48600100202", "")]:
            await connection.execute(
                text(
                    "INSERT INTO conversations (id, channel_id, phone, contact_name, opted_out, created_at) "
                    "VALUES (:id, 'C1', :phone, :name, false, :at)"
                ),
                {"id": cid, "phone": phone, "name": name, "at": now},
            )
        for mid, cid, direction in [(1, 1, "in"), (2, 1, "out"), (3, 2, "in")]:
            await connection.execute(
                text(
                    "INSERT INTO messages (id, conversation_id, direction, kind, phone, text, parts, status, polls, created_at) "
                    "VALUES (:id, :cid, :direction, 'sms', '+48', 'x', 1, 'posted', 0, :at)"
                ),
                {"id": mid, "cid": cid, "direction": direction, "at": now},
            )
    await upgrade(engine)
    async with engine.connect() as connection:
        contacts = (await connection.execute(text("SELECT phone, name, search_name FROM contacts"))).all()
        states: dict[int, str] = dict((await connection.execute(text("SELECT id, state FROM conversations ORDER BY id"))).all())
    assert [tuple(row) for row in contacts] == [("+48600100200", "Łukasz  ŻÓŁW", "łukasz żółw")]
    assert states == {1: "waiting_customer", 2: "waiting_us", 3: "new"}

    async with engine.begin() as connection:  # and back: the name returns to its conversation
        await connection.run_sync(downgrade, "0007")
    async with engine.connect() as connection:
        names: dict[int, str | None] = dict(
            (await connection.execute(text("SELECT id, contact_name FROM conversations ORDER BY id"))).all()
        )
    assert names == {1: "Łukasz  ŻÓŁW", 2: None, 3: None}
    await upgrade(engine)
