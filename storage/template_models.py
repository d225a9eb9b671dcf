"""The ``templates`` table: canned replies the team writes once and sends often.

A template's name is kept as typed (``Dostawa``) and compared by ``name_key``: without
case and without Polish letters (``dostawa``, ``DOSTAWA``), so ``/sms 600100200
#dostawa`` finds it however it is typed, and two templates can never differ only in
case. The unique key on ``name_key`` is what keeps names unique, also when two people
save at the same moment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow

__all__ = ["Template"]


class Template(Base):
    __tablename__ = "templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))  # as typed
    name_key: Mapped[str] = mapped_column(String(40), unique=True)  # what names are compared by
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
