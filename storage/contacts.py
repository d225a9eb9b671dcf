"""Contacts: one name (and tags) per E.164 number."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record, record_many
from storage.kinds import AuditKind
from storage.models import Contact, utcnow

__all__ = ["contact_of", "names_of", "set_name", "search_key", "named", "starting_with", "search", "all_contacts", "upsert_many"]


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
            record(session, AuditKind.CONTACT_CHANGED, actor=by, phone=phone, text=name, detail="added")
            return True
        except IntegrityError:  # someone else created it a moment ago: update theirs
            contact = await session.scalar(query)
            assert contact is not None
    if contact.name == name and (tags is None or contact.tags == tags):
        return False
    contact.name, contact.search_name, contact.updated_by, contact.updated_at = name, search_key(name), by, utcnow()
    if tags is not None:
        contact.tags = tags
    record(session, AuditKind.CONTACT_CHANGED, actor=by, phone=phone, text=name, detail="renamed")
    return True


def _like_prefix(text: str) -> str:
    """``text`` as a LIKE prefix pattern, its own ``%`` and ``_`` taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def named(session: AsyncSession, keys: Collection[str]) -> dict[str, list[Contact]]:
    """Contacts whose whole name (search key) is one of ``keys``, by key."""
    found: dict[str, list[Contact]] = {}
    if keys:
        rows = await session.scalars(select(Contact).where(Contact.search_name.in_(set(keys))).order_by(Contact.name, Contact.phone))
        for contact in rows.all():
            found.setdefault(contact.search_name, []).append(contact)
    return found


async def starting_with(session: AsyncSession, key: str, *, limit: int = 10, whole_words: bool = True) -> list[Contact]:
    """Contacts whose name goes on from the word(s) ``key`` (a search key); with
    ``whole_words`` False, also from a part of its last word ("anna now" → Anna Nowak)."""
    prefix = key + " " if whole_words else key
    query = select(Contact).where(Contact.search_name.like(_like_prefix(prefix), escape="\\")).order_by(Contact.name).limit(limit)
    return list((await session.scalars(query)).all())


async def search(session: AsyncSession, query: str, *, limit: int = 20) -> tuple[list[Contact], int]:
    """Contacts whose name contains ``query`` or whose number contains its digits; (first ``limit``, how many in all)."""
    key = search_key(query)
    digits = "".join(ch for ch in query if ch.isdigit())
    where: list[ColumnElement[bool]] = []
    if key:
        where.append(Contact.search_name.like("%" + _like_prefix(key), escape="\\"))
    if digits and len(digits) >= 3:
        where.append(Contact.phone.like("%" + digits + "%"))
    condition = or_(*where) if where else true()
    total = int(await session.scalar(select(func.count()).select_from(Contact).where(condition)) or 0)
    rows = await session.scalars(select(Contact).where(condition).order_by(Contact.name, Contact.phone).limit(limit))
    return list(rows.all()), total


async def all_contacts(session: AsyncSession) -> list[Contact]:
    return list((await session.scalars(select(Contact).order_by(Contact.name, Contact.phone))).all())


async def upsert_many(
    session: AsyncSession, rows: Sequence[tuple[str, str, list[str] | None]], *, by: str | None
) -> tuple[list[str], list[str], int]:
    """Add or update many contacts (phone, name, tags); (phones added, phones updated, unchanged count).

    Tags None keeps a contact's tags. Existing rows are read in chunks (databases cap
    IN-list sizes) and locked on PostgreSQL, so an import and a rename at once do not
    lose either.
    """
    phones = [phone for phone, _, _ in rows]
    existing: dict[str, Contact] = {}
    for start in range(0, len(phones), 5000):
        query = select(Contact).where(Contact.phone.in_(phones[start : start + 5000]))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        existing.update({c.phone: c for c in (await session.scalars(query)).all()})
    added: list[str] = []
    updated: list[str] = []
    unchanged = 0
    now = utcnow()
    for phone, name, tags in rows:
        contact = existing.get(phone)
        if contact is None:
            session.add(Contact(phone=phone, name=name, search_name=search_key(name), tags=tags, updated_by=by, updated_at=now))
            added.append(phone)
        elif contact.name == name and (tags is None or contact.tags == tags):
            unchanged += 1
        else:
            contact.name, contact.search_name, contact.updated_by, contact.updated_at = name, search_key(name), by, now
            if tags is not None:
                contact.tags = tags
            updated.append(phone)
    await session.flush()
    names = {phone: name for phone, name, _ in rows}
    changes = [(phone, "imported") for phone in added] + [(phone, "imported, renamed") for phone in updated]
    await record_many(
        session, [{"kind": AuditKind.CONTACT_CHANGED, "actor": by, "phone": p, "text": names[p], "detail": d} for p, d in changes]
    )
    record(session, AuditKind.CONTACTS_IMPORTED, actor=by, detail=f"added {len(added)}, updated {len(updated)}, unchanged {unchanged}")
    return added, updated, unchanged
