"""Templates on SQLite and PostgreSQL: names unique whatever their case or Polish letters."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import templates
from storage.templates import NameTaken


async def test_add_find_change_and_remove(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        added = await templates.add_template(session, name="Dostawa", text="Paczka jedzie, {first_name}.", by="U1")
        await templates.add_template(session, name="zażółć", text="x", by="U1")
    async with sessions() as session:
        found = await templates.template_by_name(session, "DOSTAWA")
        assert found is not None and (found.id, found.name, found.created_by) == (added.id, "Dostawa", "U1")
        assert (await templates.template_by_name(session, "ZAZOLC")) is not None  # no Polish letters typed
        assert [t.name for t in await templates.all_templates(session)] == ["Dostawa", "zażółć"]
    async with sessions() as session, session.begin():
        changed = await templates.change_template(session, added.id, name="dostawa-jutro", text="Jutro.", by="U2")
        assert changed is not None and changed.updated_by == "U2"
    async with sessions() as session, session.begin():
        assert await templates.remove_template(session, added.id) == "dostawa-jutro"
    async with sessions() as session, session.begin():
        assert await templates.remove_template(session, added.id) is None  # removed twice: nothing happens
        assert await templates.change_template(session, added.id, name="x", text="y", by="U2") is None


async def test_a_name_in_another_case_is_taken(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await templates.add_template(session, name="Dostawa", text="a", by="U1")
        other = await templates.add_template(session, name="Zwrot", text="b", by="U1")
    with pytest.raises(NameTaken):
        async with sessions() as session, session.begin():
            await templates.add_template(session, name="DOSTAWA", text="c", by="U2")
    with pytest.raises(NameTaken):
        async with sessions() as session, session.begin():
            await templates.change_template(session, other.id, name="dostawa", text="b", by="U2")
    async with sessions() as session, session.begin():  # its own name in another case is fine
        renamed = await templates.change_template(session, other.id, name="ZWROT", text="b", by="U2")
        assert renamed is not None and renamed.name == "ZWROT"


async def test_two_people_saving_one_name_at_once_make_one_template(sessions: async_sessionmaker[AsyncSession]) -> None:
    async def save(text: str) -> bool:
        try:
            async with sessions() as session, session.begin():
                await templates.add_template(session, name="Powitanie", text=text, by="U1")
            return True
        except NameTaken:
            return False

    saved = await asyncio.gather(*(save(str(n)) for n in range(4)))
    assert saved.count(True) == 1
    async with sessions() as session:
        assert len(await templates.all_templates(session)) == 1


async def test_every_name_that_fits_is_stored_and_a_longer_key_is_refused_before(sessions: async_sessionmaker[AsyncSession]) -> None:
    """``ß`` is compared as ``ss`` and ``ﬃ`` as ``ffi``: a name's key can outgrow its column
    (PostgreSQL would raise DataError), so the name is refused by :func:`name_fits` first."""
    assert not templates.name_fits("ß" * 40) and not templates.name_fits("ﬃ" * 14)
    longest = ["ß" * 20, "ﬃ" * 13 + "a", "Zażółć" + "a" * 34]
    assert all(templates.name_fits(name) for name in longest)
    async with sessions() as session, session.begin():
        for name in longest:
            await templates.add_template(session, name=name, text="x", by="U1")
    async with sessions() as session:
        assert (await templates.template_by_name(session, "SS" * 20)) is not None
