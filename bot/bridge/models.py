"""What crosses into the bridge: parsed inbound messages, status updates, job outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.sms.numbers import PhoneE164, SenderId

__all__ = [
    "InboundImage",
    "InboundSms",
    "StatusUpdate",
    "RetryLater",
    "Received",
    "SmsRequest",
    "SmsAccepted",
    "HlrRequest",
    "SurveyRequest",
    "Recipient",
]


@dataclass(frozen=True)
class InboundImage:
    filename: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class InboundSms:
    """One SMS/MMS that mProfi delivered, whatever the webhook format was."""

    sender: SenderId  # a number (+48…) or a sender name / short code (``ORANGE``, ``8080``): see sender_id()
    recipient: str
    text: str
    via: str  # "standard" | "3cx" | "mms" | "getincoming"
    received_at: datetime | None = None
    external_id: str | None = None
    images: tuple[InboundImage, ...] = ()
    left_out: tuple[str, ...] = ()  # MMS parts that could not be kept, each with why


@dataclass(frozen=True)
class Received:
    """The answer to a webhook: the stored message and whether it repeats an earlier one."""

    message_id: int
    conversation_id: int
    repeat_of: int | None
    new: bool = True  # False: the other inbound path (webhook / catch-up) had already stored it


@dataclass(frozen=True)
class StatusUpdate:
    mprofi_id: int | None
    raw_status: str
    reference: str | None = None
    ts: datetime | None = None


class RetryLater(Exception):
    """A job could not finish now; run it again after ``delay`` seconds."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


@dataclass(frozen=True)
class SmsRequest:
    """A checked ``/sms`` (from the command line or the form), ready to be stored."""

    trigger_id: str
    user_id: str
    channel_id: str
    text: str
    recipients: tuple[PhoneE164, ...]
    refused: tuple[tuple[str, str], ...] = ()
    duplicates: int = 0
    send_at: datetime | None = None
    encoding: str | None = None
    response_url: str | None = None
    typed: str | None = None  # what the person typed, when ``text`` (what phones get) reads otherwise
    # A template filled in per person: each number's own text (``text`` is then the template).
    texts: Mapping[PhoneE164, str] | None = None


@dataclass(frozen=True)
class SmsAccepted:
    """What happened to a ``/sms`` at once: who will get it, who will not and why."""

    dispatch_id: int
    sending: tuple[PhoneE164, ...]
    opted_out: tuple[PhoneE164, ...]
    refused: tuple[tuple[str, str], ...]
    duplicates: int
    again: bool = False  # the same command was stored before
    needs_confirmation: bool = False  # many numbers: nothing goes until the person confirms
    refusal: str | None = None  # a limit would be broken: nothing was stored
    quiet_question: dict[str, Any] | None = None  # inside QUIET_HOURS: held; the private question to answer with
    parts: tuple[int, ...] = ()  # each number sent to: its own text's SMS parts, in order
    thread_channel: str | None = None  # one number: the channel of the thread it shows in (ROUTES)

    @property
    def parts_total(self) -> int:
        """What the sending costs: the sum of each number's own parts."""
        return sum(self.parts)

    @property
    def parts_each(self) -> int:
        """Every text's parts when they are alike; 0 when texts filled in per number differ (or none are sent)."""
        return self.parts[0] if len(set(self.parts)) == 1 else 0


@dataclass(frozen=True)
class HlrRequest:
    """A checked ``/hlr`` (typed numbers or a CSV file shared with the bot)."""

    trigger_id: str
    user_id: str
    channel_id: str
    numbers: tuple[PhoneE164, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (what was given, why it was not used)
    thread_ts: str | None = None
    response_url: str | None = None


@dataclass(frozen=True)
class SurveyRequest:
    """A checked ``/survey`` command: ``list``, ``show``, ``start`` or ``report``."""

    action: str
    user_id: str
    channel_id: str
    survey_id: int | None = None
    numbers: tuple[str, ...] = ()  # 48XXXXXXXXX
    response_url: str | None = None


@dataclass(frozen=True)
class Recipient:
    """A name typed after /sms, resolved: one contact (and where the name ended), or the candidates."""

    phone: PhoneE164 | None
    name: str | None
    end: int = 0  # where the name ends in the typed text
    candidates: tuple[tuple[str, str], ...] = ()  # (name, phone) when the name is not enough
