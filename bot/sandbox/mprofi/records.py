"""What the simulator keeps of each message, delivery attempt, survey and upload.

Apart from :mod:`state` so that the outgoing calls (:mod:`webhooks`) can use them
without importing the state that calls them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.sandbox.mprofi.rules import KeyPurpose
from bot.sandbox.mprofi.text import delivered_text, sms_parts

__all__ = ["DeliveryAttempt", "FaultKind", "SimHlrUpload", "SimIncoming", "SimMessage", "SimSurvey", "SimulatorConfig", "WebhookFormat"]

# "garbled": a 200 whose body has a shape no endpoint documents (a gateway or a
# changed API answering something else), for testing what a client makes of it.
FaultKind = Literal["400", "429", "503", "500", "500_after_accept", "hang", "hang_after_accept", "garbled"]
WebhookFormat = Literal["standard", "3cx", "mms"]


@dataclass
class SimulatorConfig:
    """How the simulated account is set up in the mProfi panel."""

    keys: dict[KeyPurpose, str] = field(
        default_factory=lambda: {
            "send": "0123456789abcdef0123456789abcdef",
            "receive": "1123456789abcdef0123456789abcdef",
            "hlr": "2123456789abcdef0123456789abcdef",
            "mms": "3123456789abcdef0123456789abcdef",
        }
    )
    inactive_keys: set[str] = field(default_factory=set)
    # Further sending keys of the account (the panel's other channels): key → the sender
    # the phone sees. ``keys["send"]`` sends as ``own_number``.
    sending_keys: dict[str, str] = field(default_factory=dict)
    # Statuses: None → they change only when a test says so.
    status_step_seconds: float | None = None
    final_status: str = "delivered"
    # PUSH status return (None → the account is set to PULL).
    push_url: str | None = None
    # Message Webhook (inbound SMS/MMS in real time).
    webhook_url: str | None = None
    webhook_format: Literal["standard", "3cx"] = "standard"
    webhook_token: str | None = None
    webhook_header: str = "Authorization"
    webhook_attempts: int = 3
    webhook_retry_seconds: float = 600.0
    survey_webhook_url: str | None = None
    # HLR bulk: seconds until a report is ready (None → only when a test says so).
    hlr_report_seconds: float | None = 0.0
    hang_seconds: float = 5.0
    # "Slow answers": every API call waits this long once its request has arrived, then
    # is carried out as usual, even if the caller gave up meanwhile (as a slow server
    # does). The /_sim/ control routes never wait.
    answer_delay_seconds: float = 0.0
    own_number: str = "48664400100"


@dataclass
class SimMessage:
    """One accepted SMS or MMS: the text as sent, and (as properties) as delivered."""

    id: int
    kind: Literal["sms", "mms"]
    recipient: str
    text: str
    reference: str | None
    encoding: str | None
    scheduled_for: datetime | None
    created_at: datetime
    file_name: str | None = None
    file_size: int = 0
    status: str = "processing"
    ts: datetime | None = None
    history: list[tuple[str, datetime]] = field(default_factory=list)
    date: Any = None  # the ``date`` field exactly as the request gave it
    sender: str = ""  # who the phone sees it from: the sending key's channel

    @property
    def delivered_text(self) -> str:
        """What the phone shows: converted unless ``encoding`` was "utf-8"."""
        return delivered_text(self.text, self.encoding)

    @property
    def parts(self) -> int:
        """SMS parts billed for the delivered text (an MMS is one message)."""
        return 1 if self.kind == "mms" else sms_parts(self.delivered_text)


@dataclass
class DeliveryAttempt:
    at: datetime
    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class SimIncoming:
    id: int
    sender: str
    recipient: str
    message: str
    ts: datetime
    images: list[tuple[str, bytes, str]] = field(default_factory=list)
    mobileapp: bool = False
    webhook_format: WebhookFormat | None = None
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    delivered: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class SimSurvey:
    id: int
    name: str
    created_at: datetime
    active: bool
    start: datetime
    end: datetime
    msisdn: str
    questions: list[str]
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class SimHlrUpload:
    upload_id: str
    numbers: list[str]
    ready_at: datetime | None
