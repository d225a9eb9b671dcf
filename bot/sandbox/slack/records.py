"""The emulator's records: the workspace's configuration, calls, messages, files, faults.

Kept apart from :mod:`bot.sandbox.slack.state` so both the state and the people's side
(:mod:`bot.sandbox.slack.people`) can build them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from bot.sandbox.slack.manifest import MANIFEST
from bot.sandbox.slack.markup import Link, Ping, Rendered, unescape

__all__ = [
    "HANG",
    "HANG_AFTER",
    "PERMANENT_ERRORS",
    "Fault",
    "Refusal",
    "Seen",
    "SlackCall",
    "SlackConfig",
    "SlackFile",
    "SlackMessage",
]


@dataclass
class SlackConfig:
    bot_token: str = "xoxb-sandbox-0000000000-0000000000000-sandboxsandboxsandbox"
    signing_secret: str = "sandbox-signing-secret-0000000000"
    team_id: str = "T0SANDBOX"
    bot_user_id: str = "U0BRIDGEBOT"
    bot_id: str = "B0BRIDGEBOT"
    channels: dict[str, str] = field(default_factory=lambda: {"C0SMSBRIDGE": "sms-bridge", "C0GENERAL": "general"})
    # Channels the app has not been invited to: conversations.info says is_member false.
    not_joined: set[str] = field(default_factory=set)
    # Who is in each channel (conversations.members); a channel not named here has every
    # member of the workspace, and the app unless it is in ``not_joined``.
    members: dict[str, list[str]] = field(default_factory=dict)
    # Members of the workspace: id → full name (``real_name``), and the display names they
    # chose ("" when they chose none, as Piotr: clients then show the full name).
    users: dict[str, str] = field(
        default_factory=lambda: {"U0ANNA": "Anna Nowak", "U0PIOTR": "Piotr Kowalski", "U0KASIA": "Katarzyna Wiśniewska"}
    )
    display_names: dict[str, str] = field(default_factory=lambda: {"U0ANNA": "anna", "U0PIOTR": "", "U0KASIA": "kasia"})
    # User groups: id → handle (what people type after @), name, members.
    usergroups: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "S0SUPPORT": {"handle": "wsparcie", "name": "Wsparcie klienta", "users": ["U0ANNA", "U0PIOTR"]},
            "S0SALES": {"handle": "sprzedaz", "name": "Sprzedaż", "users": ["U0KASIA"]},
        }
    )
    timezones: dict[str, str] = field(default_factory=dict)  # user → tz (default Europe/Warsaw)
    locales: dict[str, str] = field(default_factory=dict)  # user → locale, given with include_locale (default en-US)
    app_token: str = "xapp-1-A0SANDBOX-0000000000-sandboxsandboxsandboxsandbox"
    # Where the emulator delivers signed events (the app's /slack/events).
    events_url: str | None = None
    # Socket Mode: events, commands and interactions go over the app's WebSocket instead.
    socket_mode: bool = False
    # Base URL the emulator is reachable at (for upload and download links).
    public_url: str = "http://127.0.0.1"
    # Slack's posting limit per channel, when set: messages a second and the burst.
    post_rate: float | None = None
    post_burst: int = 3
    # The installed app: the manifest Slack read it from (None: none), or explicit
    # bot scopes and command → should_escape that override the manifest's.
    manifest: Path | None = MANIFEST
    scopes: list[str] | None = None
    command_escape: dict[str, bool] | None = None
    # The app's Home tab (features.app_home.home_tab_enabled); None: as the manifest says.
    home_tab: bool | None = None
    # ``text`` over 40,000 characters: "truncate" (Slack's documented behaviour: cut,
    # posted, warned) or "refuse" (answer ``msg_too_long``).
    long_text: str = "truncate"


@dataclass
class SlackCall:
    method: str
    params: dict[str, Any]
    token: str | None
    status: int = 200
    error: str | None = None
    at: float = field(default_factory=time.monotonic)
    connection: str | None = None  # the caller's address and port: calls on one kept connection share it


@dataclass
class SlackMessage:
    channel: str
    ts: str
    text: str
    user: str
    thread_ts: str | None = None
    blocks: list[dict[str, Any]] | None = None
    bot_id: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    reactions: set[str] = field(default_factory=set)
    reacted: dict[str, list[str]] = field(default_factory=dict)  # name → who added it, in the order added
    edits: int = 0
    deleted: bool = False
    metadata: dict[str, Any] | None = None
    # What each version (the post, then every update) did to people, oldest first.
    renders: list[Rendered] = field(default_factory=list)
    truncated: bool = False
    client_msg_id: str | None = None  # set on what people post from a Slack client
    team: str | None = None
    broadcast: bool = False  # a thread reply also shown in the channel (``reply_broadcast``)

    @property
    def pings(self) -> list[Ping]:
        """Everyone any version of this message notified (broadcasts, people, user groups)."""
        return [p for r in self.renders for p in r.pings]

    @property
    def links(self) -> list[Link]:
        return [link for r in self.renders for link in r.links]

    @property
    def channel_links(self) -> list[str]:
        return [c for r in self.renders for c in r.channels]

    @property
    def shown(self) -> str:
        """The current ``text`` as a person reads it (entities resolved, ``&amp;`` → ``&``)."""
        return self.renders[-1].shown if self.renders else unescape(self.text)

    def as_event(self) -> dict[str, Any]:
        event: dict[str, Any] = {"type": "message", "channel": self.channel, "user": self.user, "text": self.text, "ts": self.ts}
        if self.client_msg_id:
            event["client_msg_id"] = self.client_msg_id
        if self.team:
            event["team"] = self.team
        if self.blocks:
            event["blocks"] = self.blocks
        if self.thread_ts:
            event["thread_ts"] = self.thread_ts
        if self.bot_id:
            event["bot_id"] = self.bot_id
        if self.broadcast:
            event["subtype"] = "thread_broadcast"
        if self.files:
            event["subtype"] = "file_share"
            event["files"] = self.files
        return event


@dataclass
class SlackFile:
    id: str
    name: str
    title: str
    content: bytes
    mimetype: str
    user: str
    channel: str | None = None
    thread_ts: str | None = None
    share_ts: str | None = None
    uploaded: bool = False


HANG = -1  # a fault that answers nothing for ``retry_after`` seconds, then 500 without acting
HANG_AFTER = -2  # a fault that does the work, then answers nothing for ``retry_after`` seconds, then 500

# Errors Slack gives for good and all (HTTP 200, ``ok: false``): retrying cannot help.
PERMANENT_ERRORS = (
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "restricted_action",
    "not_authed",
    "no_permission",
)


@dataclass
class Fault:
    status: int  # 429, 500, HANG, HANG_AFTER, or 200 with an ``ok: false`` error
    error: str | None = None
    retry_after: int = 1


@dataclass
class Refusal:
    """A permanent ``ok: false`` answer for matching calls (``times`` None: until cleared)."""

    error: str
    method: str | None = None  # None: every method (as a revoked token is refused everywhere)
    channel: str | None = None  # None: any channel
    times: int | None = 1
    needed: str | None = None  # for missing_scope

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.channel is not None:
            return str(params.get("channel") or params.get("channel_id") or "") == self.channel
        return True


class Seen(NamedTuple):
    """``(where, what)``: where Slack showed it ("C…/ts", "ephemeral:U…", "hook:H…", "view:V…")."""

    where: str
    what: Any
