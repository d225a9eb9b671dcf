"""The tables of a campaign from a spreadsheet: the campaign, and one row per CSV line.

- ``campaigns``: a CSV shared with the bot and a template; what its dry run found,
  which button was pressed, and the ``dispatches`` row its sending goes through.
- ``campaign_rows``: every line of the file as read (its number, its columns, the text
  rendered for it, its parts) and what it is: ``valid`` (sent on *Send*), ``invalid``,
  ``duplicate``, ``opted_out``, ``missing`` (a variable with no value) or ``inactive``
  (dropped by the HLR pre-check). A 100,000-line file lives here, never in a list.

A row is handed to mProfi through one ``messages`` row (``message_id``); the message's
unique ``origin_key`` (``campaign:<row id>``) is what keeps a row from being sent twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow

__all__ = ["Campaign", "CampaignRow", "RowKind", "CampaignState", "DATE_MARK"]

DATE_MARK = "\ue000"  # where {date} goes in a line's stored text: the send day fills it (a private-use character no cell keeps)


class RowKind:
    """What a CSV line is, as ``campaign_rows.kind`` stores it."""

    VALID = "valid"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    OPTED_OUT = "opted_out"
    MISSING = "missing"
    INACTIVE = "inactive"


class CampaignState:
    """Where a campaign stands: reading → ready (the dry run is shown) → checking (HLR) →
    ready → sending → sent; or cancelled, or failed (the file could not be used)."""

    READING = "reading"
    READY = "ready"
    CHECKING = "checking"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger_id: Mapped[str] = mapped_column(String(200), unique=True)  # the mention: Slack's retries store nothing twice
    user_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))  # the file's message: the dry run and progress go in its thread
    file_name: Mapped[str] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(Text)
    template_name: Mapped[str | None] = mapped_column(String(40))  # "#name" when it came from a saved template
    plain: Mapped[bool] = mapped_column(Boolean, default=False)  # Remove Polish letters: sent without utf-8
    state: Mapped[str] = mapped_column(String(12), default=CampaignState.READING)
    detail: Mapped[str | None] = mapped_column(Text)  # why it failed, or what the HLR pre-check found
    # What the read found that the rows do not show: columns, refused lines, HLR figures.
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message_ts: Mapped[str | None] = mapped_column(String(32))  # the one message: dry run, then progress
    hlr_upload_id: Mapped[str | None] = mapped_column(String(100))
    hlr_polls: Mapped[int] = mapped_column(Integer, default=0)
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("dispatches.id"), unique=True)
    send_at: Mapped[datetime | None]
    sent_by: Mapped[str | None] = mapped_column(String(32))  # who pressed Send (or Schedule)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignRow(Base):
    __tablename__ = "campaign_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    line: Mapped[int] = mapped_column(Integer)  # the file's line number, as a spreadsheet shows it
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164; None when the cell is no number
    kind: Mapped[str] = mapped_column(String(12))  # a RowKind
    problem: Mapped[str | None] = mapped_column(Text)  # why it is not sent (invalid: the reason; missing: the variables)
    cells: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the line's columns by header, as in the file
    text: Mapped[str] = mapped_column(Text, default="")  # the template filled in (with Polish letters)
    parts: Mapped[int] = mapped_column(Integer, default=0)  # SMS parts as it would go (utf-8 when it needs it)
    plain_parts: Mapped[int] = mapped_column(Integer, default=0)  # SMS parts without Polish letters
    unicode: Mapped[bool] = mapped_column(Boolean, default=False)  # needs utf-8 to keep its letters
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))

    __table_args__ = (
        Index("ix_campaign_rows_campaign_kind", "campaign_id", "kind", "id"),
        Index("ix_campaign_rows_campaign_phone", "campaign_id", "phone"),
    )
