"""Typed results of the mProfi API: what callers get instead of raw JSON."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NewType

from bot.sms.clock import WARSAW

__all__ = [
    "MProfiMessageId",
    "DeliveryStatus",
    "OutgoingSms",
    "SendResult",
    "BulkEntry",
    "BulkResult",
    "MessageStatus",
    "IncomingMessage",
    "Survey",
    "SurveyDetail",
    "SurveyReportEntry",
    "HlrResult",
    "HlrUpload",
    "HlrReport",
    "parse_timestamp",
    "WARSAW",
]

MProfiMessageId = NewType("MProfiMessageId", int)


class DeliveryStatus(StrEnum):
    """mProfi's delivery states. Unknown spellings read as :attr:`UNKNOWN`."""

    PROCESSING = "processing"
    SENT = "sent"
    DELIVERED = "delivered"
    NOT_DELIVERED = "not delivered"
    ERROR = "error"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: object) -> DeliveryStatus:
        """Read a status spelling case-insensitively; never raise."""
        if not isinstance(raw, str):
            return cls.UNKNOWN
        key = re.sub(r"[\s_\-]+", " ", raw.strip().lower())
        return _STATUS_ALIASES.get(key, cls.UNKNOWN)

    @property
    def is_final(self) -> bool:
        return self in (DeliveryStatus.DELIVERED, DeliveryStatus.NOT_DELIVERED, DeliveryStatus.ERROR)


_STATUS_ALIASES: dict[str, DeliveryStatus] = {
    "processing": DeliveryStatus.PROCESSING,
    "waiting to process": DeliveryStatus.PROCESSING,  # untranslated: a status as mProfi spells it
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "not delivered": DeliveryStatus.NOT_DELIVERED,
    "notdelivered": DeliveryStatus.NOT_DELIVERED,
    "undelivered": DeliveryStatus.NOT_DELIVERED,
    "error": DeliveryStatus.ERROR,
    "unknown": DeliveryStatus.UNKNOWN,
}


def parse_timestamp(raw: object) -> datetime | None:
    """Read mProfi's timestamps: ISO 8601 (``Z``, offsets, fractions) or
    ``YYYY-MM-DD HH:MM[:SS]`` in Polish local time (hours may have one digit).

    Returns an aware datetime, or ``None`` for empty or unreadable values.
    """
    if raw is None or raw == "":
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        try:
            return datetime.fromtimestamp(raw, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?", text)
    if m:
        day, hour, minute, second = m.groups()
        try:  # the shape can match a day or hour that does not exist (2024-02-30, 25:00)
            naive = datetime.fromisoformat(f"{day}T{int(hour):02d}:{minute}:{second or '00'}")
        except ValueError:
            return None
        return naive.replace(tzinfo=WARSAW)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=WARSAW)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class OutgoingSms:
    """One entry of sendbulk's ``messages`` form (recipient in wire form)."""

    recipient: str
    message: str
    reference: str | None = None
    date: datetime | int | str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class SendResult:
    id: MProfiMessageId


@dataclass(frozen=True)
class BulkEntry:
    """One message of a bulk answer: an id when accepted, an error otherwise."""

    index: int
    recipient: str
    id: MProfiMessageId | None
    error_code: str | None = None
    error_text: str | None = None

    @property
    def ok(self) -> bool:
        return self.id is not None


@dataclass(frozen=True)
class BulkResult:
    """A 200 answer of sendbulk/sendbulkmms: per-message results, in input order."""

    entries: tuple[BulkEntry, ...]

    @property
    def accepted(self) -> tuple[BulkEntry, ...]:
        return tuple(e for e in self.entries if e.ok)

    @property
    def failed(self) -> tuple[BulkEntry, ...]:
        return tuple(e for e in self.entries if not e.ok)


@dataclass(frozen=True)
class MessageStatus:
    id: MProfiMessageId
    status: DeliveryStatus
    reference: str | None
    ts: datetime | None
    raw_status: str = ""


@dataclass(frozen=True)
class IncomingMessage:
    message: str
    sender: str
    recipient: str
    ts: datetime | None
    id: int | None = None


@dataclass(frozen=True)
class Survey:
    id: int
    name: str
    active: bool
    created_at: datetime | None
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class SurveyDetail(Survey):
    msisdn: str = ""
    participants: int = 0


@dataclass(frozen=True)
class SurveyReportEntry:
    msisdn: str
    answers: tuple[str, ...]
    finished: datetime | None


@dataclass(frozen=True)
class HlrResult:
    """A number check. ``mccmnc`` is e.g. ``26001``; ``provider`` is mProfi's ``spn``."""

    msisdn: str
    valid: bool
    status_code: str
    message_id: str
    mccmnc: str
    provider: str
    checked_at: datetime | None

    @property
    def mcc(self) -> str:
        return self.mccmnc[:3]

    @property
    def mnc(self) -> str:
        return self.mccmnc[3:]


@dataclass(frozen=True)
class HlrUpload:
    upload_id: str


@dataclass(frozen=True)
class HlrReport:
    """The answer of hlr/download/: ``ready`` is False while mProfi still works on it."""

    upload_id: str
    ready: bool
    rows: tuple[HlrResult, ...] = ()
    raw: bytes = field(default=b"", repr=False)


def lower_keys(data: dict[str, Any]) -> dict[str, Any]:
    """mProfi's documents capitalise some keys (``Hlr_mccmnc``); read them all alike."""
    return {str(k).strip().lower(): v for k, v in data.items()}
