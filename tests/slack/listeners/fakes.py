"""Stand-ins for what Bolt hands a listener (ack, respond, client) and for the bridge.

Listeners are called directly with these: no app, no network, no database. Each fake
records what it was given so a test can say what the person saw and what the bridge got.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.bridge.models import HlrRequest, Recipient, SmsAccepted, SmsRequest, SurveyRequest
from bot.sms.clock import WARSAW
from bot.sms.numbers import PhoneE164

__all__ = ["FakeAck", "FakeRespond", "FakeClient", "FakeBridge", "FakeConfig", "FakeDirectory", "within_slack_time"]


async def within_slack_time(listener: Awaitable[None]) -> None:
    """Run a listener. With fakes only it does no I/O, so it cannot take long: the
    timeout only stops a listener that hangs (a test ends by itself), it measures nothing."""
    async with asyncio.timeout(10.0):
        await listener


class FakeAck:
    """Bolt's ``ack``: every call is kept as the keyword arguments Slack would get."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, text: str | None = None, **kwargs: Any) -> None:
        self.calls.append(({"text": text} if text is not None else {}) | kwargs)

    @property
    def only(self) -> dict[str, Any]:
        """The one answer given; a listener acks exactly once."""
        assert len(self.calls) == 1, f"ack was called {len(self.calls)} times: {self.calls}"
        return self.calls[0]

    @property
    def text(self) -> str | None:
        return self.only.get("text")


class FakeRespond:
    """Bolt's ``respond`` (the command's or button's response_url)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


class FakeClient:
    """The few Web API calls listeners make themselves: opening and updating the form."""

    def __init__(self) -> None:
        self.opened: list[dict[str, Any]] = []
        self.updated: list[dict[str, Any]] = []

    async def views_open(self, **kwargs: Any) -> None:
        self.opened.append(kwargs)

    async def views_update(self, **kwargs: Any) -> None:
        self.updated.append(kwargs)


class FakeDirectory:
    """Slack's names for ids, from a dict."""

    def __init__(self, names: dict[str, str] | None = None) -> None:
        self.names = names or {}

    async def user_name(self, user_id: str) -> str | None:
        return self.names.get(user_id)

    async def usergroup_handle(self, group_id: str) -> str | None:
        return self.names.get(group_id)

    async def channel_name(self, channel_id: str) -> str | None:
        return self.names.get(channel_id)


@dataclass(frozen=True)
class FakeConfig:
    channel_id: str = "C0BRIDGE"
    default_timezone: str = "Europe/Warsaw"


class FakeTemplates:
    """``bridge.templates`` with none written: the /sms form shows no picker."""

    async def all(self) -> list[Any]:
        return []


@dataclass
class FakeBridge:
    """The bridge façade as the listeners use it, recording each call as (method, arguments)."""

    refusal: str | None = None  # what may_send answers
    accepted: SmsAccepted | None = None  # what start_sms answers; None: every valid number is sent to
    answer: str = "Sent to 150 numbers."
    config: FakeConfig = field(default_factory=FakeConfig)
    directory: FakeDirectory = field(default_factory=FakeDirectory)
    templates: FakeTemplates = field(default_factory=FakeTemplates)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def called(self, name: str) -> list[Any]:
        """The arguments of each call of one method, in order."""
        return [args for method, args in self.calls if method == name]

    @property
    def started(self) -> list[str]:
        """Which work was handed over (stored or queued), not counting questions."""
        return [m for m, _ in self.calls if m not in ("may_send", "user_timezone", "find_recipient", "list_contacts")]

    def may_send(self, *, user_id: str, channel_id: str) -> str | None:
        self.calls.append(("may_send", {"user_id": user_id, "channel_id": channel_id}))
        return self.refusal

    async def user_timezone(self, user_id: str) -> ZoneInfo:
        self.calls.append(("user_timezone", user_id))
        return WARSAW

    async def start_sms(self, request: SmsRequest) -> SmsAccepted:
        self.calls.append(("start_sms", request))
        if self.accepted is not None:
            return self.accepted
        return SmsAccepted(dispatch_id=1, sending=request.recipients, opted_out=(), refused=request.refused, duplicates=request.duplicates)

    async def tell_privately(self, *, channel_id: str, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        self.calls.append(("tell_privately", {"channel_id": channel_id, "user_id": user_id, "text": text, "blocks": blocks}))

    async def answer_confirmation(self, dispatch_id: int, *, user_id: str, send: bool) -> str:
        self.calls.append(("answer_confirmation", {"dispatch_id": dispatch_id, "user_id": user_id, "send": send}))
        return self.answer

    async def start_hlr(self, request: HlrRequest) -> bool:
        """False for a trigger seen before, as the bridge answers a Slack retry."""
        seen = any(name == "start_hlr" and getattr(r, "trigger_id", None) == request.trigger_id for name, r in self.calls)
        self.calls.append(("start_hlr", request))
        return not seen

    async def start_survey_command(self, request: SurveyRequest) -> dict[str, Any] | None:
        self.calls.append(("start_survey_command", request))
        return None

    async def check_numbers_in_file(self, *, trigger_id: str, user_id: str, channel_id: str, thread_ts: str, file: dict[str, Any]) -> None:
        self.calls.append(
            (
                "check_numbers_in_file",
                {"trigger_id": trigger_id, "user_id": user_id, "channel_id": channel_id, "thread_ts": thread_ts, "file": file},
            )
        )

    async def handle_slack_message(self, event: dict[str, Any], *, event_id: str = "", bot_user_id: str | None = None) -> None:
        self.calls.append(("handle_slack_message", {"event": event, "event_id": event_id, "bot_user_id": bot_user_id}))

    async def resend(self, message_id: int, user_id: str) -> None:
        self.calls.append(("resend", {"message_id": message_id, "user_id": user_id}))

    # ---- contacts: two people, "Anna Kowalska" and "Anna Nowak", in a dict

    contacts: dict[str, str] = field(default_factory=lambda: {"+48600100300": "Anna Kowalska", "+48600100301": "Anna Nowak"})

    async def find_recipient(self, names: list[tuple[str, int]]) -> Recipient | None:
        """As the bridge resolves it: the longest whole name, or the names that start alike."""
        self.calls.append(("find_recipient", names))
        for typed, end in sorted(names, key=lambda n: len(n[0]), reverse=True):
            found = [(name, phone) for phone, name in self.contacts.items() if name.lower() == " ".join(typed.lower().split())]
            if len(found) == 1:
                return Recipient(phone=PhoneE164(found[0][1]), name=found[0][0], end=end)
        for typed, _ in sorted(names, key=lambda n: len(n[0]), reverse=True):
            starting = tuple((name, phone) for phone, name in self.contacts.items() if name.lower().startswith(typed.lower()))
            if starting:
                return Recipient(phone=None, name=None, candidates=starting)
        return None

    async def contact_names(self, phones: list[str]) -> dict[str, str]:
        return {phone: self.contacts[phone] for phone in phones if phone in self.contacts}

    async def list_contacts(self, query: str) -> tuple[list[tuple[str, str, list[str]]], int]:
        self.calls.append(("list_contacts", query))
        found: list[tuple[str, str, list[str]]] = [
            (phone, name, []) for phone, name in self.contacts.items() if query.lower() in name.lower()
        ]
        return found[:20], len(found)

    async def start_contacts_export(self, *, user_id: str, channel_id: str, response_url: str | None = None) -> None:
        self.calls.append(("start_contacts_export", {"user_id": user_id, "channel_id": channel_id, "response_url": response_url}))

    async def start_contacts_import(self, *, trigger_id: str, user_id: str, channel_id: str, thread_ts: str, file: dict[str, Any]) -> None:
        self.calls.append(
            (
                "start_contacts_import",
                {"trigger_id": trigger_id, "user_id": user_id, "channel_id": channel_id, "thread_ts": thread_ts, "file": file},
            )
        )

    async def cancel_send(self, message_id: int, *, user_id: str) -> None:
        self.calls.append(("cancel_send", {"message_id": message_id, "user_id": user_id}))
