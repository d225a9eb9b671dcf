"""Templates (canned replies): listed, found by name, added, changed and removed.

Names are compared through :func:`name_key` (no case, no Polish letters); the unique
key on ``templates.name_key`` settles two people saving the same name at once.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import utcnow
from storage.template_models import Template

__all__ = [
    "NameTaken",
    "name_key",
    "name_fits",
    "all_templates",
    "template_by_name",
    "template_by_id",
    "add_template",
    "change_template",
    "remove_template",
]


NAME_KEY_MAX = 40  # templates.name_key's column length


class NameTaken(ValueError):
    """Another template already has this name (in any case or spelling of its letters)."""


def name_key(name: str) -> str:
    """``Dostawa-Jutro``, ``dostawa-jutro`` and ``DOSTAWA-JUTRO`` are one name; so are ``Zażółć`` and ``zazolc``."""
    decomposed = unicodedata.normalize("NFKD", name.strip().casefold().replace("ł", "l"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_fits(name: str) -> bool:
    """Whether a name's compared form fits its column (``ß`` is compared as ``ss``, ``ﬃ``
    as ``ffi``: forty letters can make a longer key, which PostgreSQL would refuse)."""
    return len(name_key(name)) <= NAME_KEY_MAX


async def all_templates(session: AsyncSession) -> Sequence[Template]:
    """Every template, by name."""
    return (await session.scalars(select(Template).order_by(Template.name_key))).all()


async def template_by_name(session: AsyncSession, name: str) -> Template | None:
    return await session.scalar(select(Template).where(Template.name_key == name_key(name)))


async def template_by_id(session: AsyncSession, template_id: int) -> Template | None:
    return await session.get(Template, template_id)


async def add_template(session: AsyncSession, *, name: str, text: str, by: str | None) -> Template:
    """Store a new template; :class:`NameTaken` when the name is someone else's already."""
    now = utcnow()
    template = Template(name=name, name_key=name_key(name), text=text, created_by=by, created_at=now, updated_by=by, updated_at=now)
    try:
        async with session.begin_nested():
            session.add(template)
    except IntegrityError:
        raise NameTaken(name) from None
    return template


async def change_template(session: AsyncSession, template_id: int, *, name: str, text: str, by: str | None) -> Template | None:
    """Rename and rewrite a template; None when it was removed meanwhile, :class:`NameTaken`
    when the new name belongs to another one."""
    template = await session.get(Template, template_id)
    if template is None:
        return None
    try:
        async with session.begin_nested():
            template.name, template.name_key, template.text = name, name_key(name), text
            template.updated_by, template.updated_at = by, utcnow()
    except IntegrityError:
        raise NameTaken(name) from None
    return template


async def remove_template(session: AsyncSession, template_id: int) -> str | None:
    """Remove a template; its name, or None when it was not there (removed twice)."""
    name = await session.scalar(select(Template.name).where(Template.id == template_id))
    if name is None:
        return None
    await session.execute(delete(Template).where(Template.id == template_id))
    return name
