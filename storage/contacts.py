"""Contacts: one name (and tags) per E.164 number."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, utcnow

__all__ = ["contact_of", "names_of", "set_name", "search_key"]


def search_key(name: str) -> str:
    """What names are compared by: case and spacing do not matter, Polish letters do."""
    return " ".join(name.casefold().split())


async def contact_of(session: AsyncSession, phone: str) -> Contact | None:
    return await session.get(Contact, phone)


async def names_of(session: AsyncSession, phones: Collection[str]) -> dict[str, str]:
    """The names of those of ``phones`` that have one (asked in chunks: databases cap IN lists)."""
    numbers = list(set(phones))
    found: dict[str, str] = {}
    for start in range(0, len(numbers), 5000):
        rows = await session.execute(select(Contact.phone, Contact.name).where(Contact.phone.in_(numbers[start : start + 5000])))
        found.update({str(phone): str(name) for phone, name in rows.all()})
    return found


async def set_name(session: AsyncSession, phone: str, name: str, *, by: str | None, tags: list[str] | None = None) -> bool:
    """Give ``phone`` this name (creating its contact); True when anything changed.

    ``tags`` None keeps the tags it has. On PostgreSQL the row is locked first, so two
    people renaming at once each get one clean write (the later one wins).
    """
    query = select(Contact).where(Contact.phone == phone)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    contact = await session.scalar(query)
    if contact is None:
        try:
            async with session.begin_nested():
                session.add(Contact(phone=phone, name=name, search_name=search_key(name), tags=tags, updated_by=by, updated_at=utcnow()))
            return True
        except IntegrityError:  # someone else created it a moment ago: update theirs
            contact = await session.scalar(query)
            assert contact is not None
    if contact.name == name and (tags is None or contact.tags == tags):
        return False
    contact.name, contact.search_name, contact.updated_by, contact.updated_at = name, search_key(name), by, utcnow()
    if tags is not None:
        contact.tags = tags
    return True
