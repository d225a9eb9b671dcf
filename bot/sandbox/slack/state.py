"""What the Slack emulator remembers: one workspace, its channels, messages and files.

Tests and the demo read it to see what Slack showed (``thread(...)``,
``calls_to(...)``, ``pings_anywhere()``) and steer it (``fail(...)``, ``standing_fault``,
``refuse(...)``, ``user_says(...)``; the people's side lives in :mod:`bot.sandbox.slack.people`).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from pathlib import Path
from typing import Any

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.slack.home import AppHome
from bot.sandbox.slack.interactions import Interactions
from bot.sandbox.slack.manifest import home_tab_in, load_manifest
from bot.sandbox.slack.markup import Rendered
from bot.sandbox.slack.people import People
from bot.sandbox.slack.records import (
    HANG,
    HANG_AFTER,
    PERMANENT_ERRORS,
    Fault,
    Refusal,
    Seen,
    SlackCall,
    SlackConfig,
    SlackFile,
    SlackMessage,
)
from bot.sandbox.slack.socket import SocketLinks

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
    "SlackState",
]


class SlackState(People, Interactions, AppHome):
    def __init__(self, config: SlackConfig | None = None) -> None:
        self.config = config or SlackConfig()
        self.calls: list[SlackCall] = []
        self.messages: dict[tuple[str, str], SlackMessage] = {}
        self.ephemeral: list[dict[str, Any]] = []
        self.files: dict[str, SlackFile] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.view_renders: dict[str, Rendered] = {}
        self.hooks: list[tuple[str, dict[str, Any]]] = []
        self.hook_renders: list[tuple[str, Rendered]] = []
        self.hook_refusals: list[tuple[str, dict[str, Any], str]] = []  # (hook, payload, Slack's answer)
        self.hook_sources: dict[str, tuple[str, str]] = {}  # hook → (channel, ts) of the message acted on
        self.view_answers: list[tuple[str, dict[str, Any]]] = []  # (view, what the app answered its submission)
        self.view_refusals: list[tuple[str, dict[str, Any], str]] = []  # (view, answer, why Slack would not show it)
        self.downloads: list[tuple[str, bool]] = []
        self.home_views: dict[str, str] = {}  # person → their Home tab's view id (views.publish)
        self.home_publishes: list[tuple[str, str]] = []  # (person, view id) of every views.publish taken
        self.faults: dict[str, deque[Fault]] = {}
        # A fault every Web API call answers while set (a rate limit or an outage switched
        # on and off by hand), after any queued one. Not response_url posts or file
        # downloads: those are not Web API methods.
        self.standing_fault: Fault | None = None
        self.refusals: list[Refusal] = []
        self._post_buckets: dict[str, tuple[float, float]] = {}
        self._manifest: tuple[Path | None, tuple[list[str] | None, dict[str, bool]]] | None = None
        self._last_ts = 0
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._http: httpx.AsyncClient | None = None
        self.sockets = SocketLinks(app_id="A0SANDBOX")

    # ---- ids -----------------------------------------------------------------------

    def next_ts(self) -> str:
        """Slack's ts: the time of posting in microseconds, unique within the workspace."""
        self._last_ts = max(self._last_ts + 1, int(time.time() * 1_000_000))
        seconds, micros = divmod(self._last_ts, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    # ---- the installed app -----------------------------------------------------------

    def _from_manifest(self) -> tuple[list[str] | None, dict[str, bool]]:
        path = self.config.manifest
        if self._manifest is None or self._manifest[0] != path:
            self._manifest = (path, load_manifest(path))
        return self._manifest[1]

    def granted_scopes(self) -> set[str] | None:
        """The bot token's scopes (None: unknown, every method may go on)."""
        scopes = self.config.scopes if self.config.scopes is not None else self._from_manifest()[0]
        return None if scopes is None else set(scopes)

    def home_tab_enabled(self) -> bool:
        """Whether the app has a Home tab (``views.publish`` answers ``not_enabled`` else)."""
        return self.config.home_tab if self.config.home_tab is not None else home_tab_in(self.config.manifest)

    def should_escape(self, command: str) -> bool:
        """The command's "Escape channels, users, and links" setting (Slack's default: off)."""
        table = self.config.command_escape if self.config.command_escape is not None else self._from_manifest()[1]
        return bool(table.get(command, False))

    # ---- faults and refusals ---------------------------------------------------------

    def fail(self, method: str, status: int | None = None, *, times: int = 1, error: str | None = None, retry_after: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail: 429 with Retry-After, 500,
        HANG/HANG_AFTER, or (status 200, the default when ``error`` is given) ``ok: false``."""
        status = status if status is not None else (200 if error else 429)
        queue = self.faults.setdefault(method, deque())
        queue.extend(Fault(status=status, error=error, retry_after=retry_after) for _ in range(times))

    def take_fault(self, method: str) -> Fault | None:
        """The fault this call answers: a queued one first (it counts down), else the standing one."""
        queue = self.faults.get(method)
        return queue.popleft() if queue else self.standing_fault

    def refuse(
        self, error: str, *, method: str | None = None, channel: str | None = None, times: int | None = 1, needed: str | None = None
    ) -> Refusal:
        """Answer Slack's permanent ``error`` (HTTP 200, ``ok: false``) to the next ``times``
        calls of ``method`` (any method when None) about ``channel`` (any when None);
        ``times=None`` keeps refusing until :meth:`clear_refusals`."""
        refusal = Refusal(error=error, method=method, channel=channel, times=times, needed=needed)
        self.refusals.append(refusal)
        return refusal

    def clear_refusals(self) -> None:
        self.refusals.clear()

    def take_refusal(self, method: str, params: dict[str, Any]) -> Refusal | None:
        for refusal in self.refusals:
            if refusal.matches(method, params):
                if refusal.times is not None:
                    refusal.times -= 1
                    if refusal.times <= 0:
                        self.refusals.remove(refusal)
                return refusal
        return None

    def post_allowed(self, channel: str) -> float | None:
        """Slack's per-channel posting limit: None when a post may go, else seconds to wait."""
        rate = self.config.post_rate
        if rate is None:
            return None
        now = time.monotonic()
        tokens, updated = self._post_buckets.get(channel, (float(self.config.post_burst), now))
        tokens = min(float(self.config.post_burst), tokens + (now - updated) * rate)
        if tokens >= 1.0:
            self._post_buckets[channel] = (tokens - 1.0, now)
            return None
        self._post_buckets[channel] = (tokens, now)
        return (1.0 - tokens) / rate

    # ---- what Slack shows ----------------------------------------------------------

    def thread(self, channel: str, thread_ts: str) -> list[SlackMessage]:
        """The parent and its replies, oldest first, as a person would see them."""
        found = [m for m in self.messages.values() if m.channel == channel and (m.ts == thread_ts or m.thread_ts == thread_ts)]
        return sorted((m for m in found if not m.deleted), key=lambda m: m.ts)

    def top_level(self, channel: str) -> list[SlackMessage]:
        """The channel's own messages (thread parents among them), oldest first; no replies,
        broadcast or not: a broadcast reply is a thread reply first (see :meth:`in_channel`)."""
        return sorted(
            (m for m in self.messages.values() if m.channel == channel and m.thread_ts in (None, m.ts) and not m.deleted),
            key=lambda m: m.ts,
        )

    def in_channel(self, channel: str) -> list[SlackMessage]:
        """What the channel shows, oldest first: its own messages and the replies broadcast to it."""
        return sorted(
            [*self.top_level(channel), *(m for m in self.messages.values() if m.channel == channel and m.broadcast and not m.deleted)],
            key=lambda m: m.ts,
        )

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method and c.error is None and c.status == 200]

    def _app_output(self) -> list[tuple[str, Rendered]]:
        found = [(f"{m.channel}/{m.ts}", r) for m in sorted(self.messages.values(), key=lambda m: m.ts) if m.bot_id for r in m.renders]
        found += [(f"ephemeral:{e['user']}", e["rendered"]) for e in self.ephemeral if "rendered" in e]
        found += [(f"hook:{hook}", r) for hook, r in self.hook_renders]
        found += [(f"view:{view}", r) for view, r in self.view_renders.items()]
        return found

    def pings_anywhere(self) -> list[Seen]:
        """Every notification anything the app posted would send: messages (each version),
        ephemeral messages, response_url posts and views. Empty when nobody was pinged."""
        return [Seen(where, ping) for where, r in self._app_output() for ping in r.pings]

    def links_anywhere(self) -> list[Seen]:
        """Every link (``(url, label)``) and channel link (``#C…``) in what the app posted."""
        return [Seen(where, link) for where, r in self._app_output() for link in [*r.links, *("#" + c for c in r.channels)]]

    def truncated(self) -> list[SlackMessage]:
        """Messages Slack cut at 40,000 characters."""
        return [m for m in self.messages.values() if m.truncated]

    async def record(self, call: SlackCall) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def touched(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Any, timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds (checked after every call the emulator serves)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    # ---- wiring to the app ---------------------------------------------------------

    async def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def signed_headers(self, body: bytes, content_type: str = "application/json", timestamp: int | None = None) -> dict[str, str]:
        """Headers exactly as Slack signs a request (v0 HMAC-SHA256 over timestamp and body)."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(self.config.signing_secret).generate_signature(timestamp=stamp, body=body)
        assert signature is not None  # slack_sdk answers None only for a missing timestamp
        return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
