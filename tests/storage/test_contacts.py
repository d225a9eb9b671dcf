"""Contacts on SQLite and PostgreSQL: one per number, found by whole name, prefix or digits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import contacts, make_engine, make_sessionmaker
from storage.migrate import upgrade


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine: AsyncEngine = make_engine(database_url)
    await upgrade(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_one_contact_per_number_and_a_rename_is_one_change(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        assert await contacts.set_name(session, "+48600100200", "Anna Kowalska", by="U1")
    async with sessions() as session, session.begin():
        assert not await contacts.set_name(session, "+48600100200", "Anna Kowalska", by="U2")  # nothing to change
        assert await contacts.set_name(session, "+48600100200", "Anna Nowak", by="U2")
    async with sessions() as session:
        contact = await contacts.contact_of(session, "+48600100200")
        assert contact is not None and (contact.name, contact.search_name, contact.updated_by) == ("Anna Nowak", "anna nowak", "U2")
        assert await contacts.names_of(session, ["+48600100200", "+48600100299"]) == {"+48600100200": "Anna Nowak"}


async def test_names_are_found_whole_by_prefix_and_by_digits(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        added, updated, unchanged = await contacts.upsert_many(
            session,
            [
                ("+48600100200", "Anna Kowalska", ["vip"]),
                ("+48600100201", "Anna Nowak", None),
                ("+48600100202", "Łukasz Żółw", None),
                ("+48600100203", "50%_off Sklep", None),
            ],
            by="U1",
        )
        assert (len(added), updated, unchanged) == (4, [], 0)
    async with sessions() as session, session.begin():
        added, updated, unchanged = await contacts.upsert_many(
            session, [("+48600100200", "Anna Kowalska", None), ("+48600100201", "Anna Nowak-Kot", None)], by="U2"
        )
        assert (added, updated, unchanged) == ([], ["+48600100201"], 1)
    async with sessions() as session:
        assert [c.phone for c in (await contacts.named(session, ["anna kowalska", "łukasz żółw"])).get("łukasz żółw", [])] == [
            "+48600100202"
        ]
        assert [c.name for c in await contacts.starting_with(session, "anna")] == ["Anna Kowalska", "Anna Nowak-Kot"]
        assert await contacts.starting_with(session, "50%") == []  # % is a letter here, not a wildcard
        found, total = await contacts.search(session, "ŻÓŁ")
        assert ([c.name for c in found], total) == (["Łukasz Żółw"], 1)
        found, total = await contacts.search(session, "100 203")
        assert [c.name for c in found] == ["50%_off Sklep"]
        found, total = await contacts.search(session, "", limit=2)
        assert (len(found), total) == (2, 4)
        assert [c.tags for c in await contacts.all_contacts(session) if c.phone == "+48600100200"] == [["vip"]]
