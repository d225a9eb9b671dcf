"""The tables of each person's own view of the bridge (the App Home tab).

- ``people_settings``: one row per Slack user who opened the Home tab or changed a
  setting there: whether a follow-up in their conversations mentions them (NULL: the
  installation's ``FOLLOWUP_MENTION_OWNER``), when they first opened the tab (only
  those people's tabs are kept up to date), and the debounce of its republishing.
- ``home_marks``: what each conversation looked like to the Home tabs when they were
  last brought up to date (owner, state, wait): a card redraw that changes one of
  them republishes the tabs it touches, and nothing else does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow

__all__ = ["HomeMark", "PersonSettings"]


class PersonSettings(Base):
    __tablename__ = "people_settings"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Mention me on follow-ups in my conversations; NULL: FOLLOWUP_MENTION_OWNER decides.
    mention_on_follow_up: Mapped[bool | None] = mapped_column(Boolean)
    home_opened_at: Mapped[datetime | None]  # first opened: only these tabs are republished
    home_due_at: Mapped[datetime | None]  # a republish is queued for then (none queued: NULL)
    home_published_at: Mapped[datetime | None]  # the last publish, for the debounce
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HomeMark(Base):
    __tablename__ = "home_marks"

    # No foreign key: a conversation erased with its number leaves a mark that names nobody.
    conversation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    owner: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(20))
    waiting_since: Mapped[datetime | None]
