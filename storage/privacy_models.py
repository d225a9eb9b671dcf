"""The tables that keep the bridge accountable for personal data.

- ``audit_log``: an append-only record of every SMS/MMS handed to mProfi, every consent
  change, every contact and data-protection action: who, from where, when, about which
  number, and what. Rows are only ever added, except that erasing a number replaces it
  with its hash and removes the texts, and retention removes old texts; both acts are
  themselves recorded.
- ``forgotten_opt_outs``: the salted hash of a number that was erased while opted out,
  so the opt-out still holds although the number itself is gone.
- ``install_keys``: secrets the installation makes for itself (the salt of those hashes).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow

__all__ = ["AuditEntry", "ForgottenOptOut", "InstallKey"]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_phone_at", "phone", "at"), Index("ix_audit_log_actor_at", "actor", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(24))  # an AuditKind (storage/kinds.py)
    actor: Mapped[str | None] = mapped_column(String(32))  # a Slack user; NULL: the phone itself or the bridge
    channel_id: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(80))  # E.164, or "#<hash>" once the number is erased
    text: Mapped[str | None] = mapped_column(Text)
    parts: Mapped[int | None] = mapped_column(Integer)
    mprofi_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: the message may be erased, the record stays
    detail: Mapped[str | None] = mapped_column(Text)  # the keyword, the reason, the outcome, the counts


class ForgottenOptOut(Base):
    __tablename__ = "forgotten_opt_outs"

    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    word: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class InstallKey(Base):
    __tablename__ = "install_keys"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
