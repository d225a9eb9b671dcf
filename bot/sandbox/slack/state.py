"""What the Slack emulator remembers: one workspace, its channels, messages and files.

Tests and the demo read it to see what Slack showed (``thread(...)``,
``calls_to(...)``) and steer it (``fail(...)``, ``user_says(...)``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from urllib.parse import urlencode
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.slack.socket import SocketLinks

__all__ = ["SlackConfig", "SlackState", "SlackCall", "SlackMessage", "SlackFile", "Fault", "HANG", "HANG_AFTER"]


@dataclass
class SlackConfig:
    bot_token: str = "xoxb-sandbox-0000000000-0000000000000-sandboxsandboxsandbox"
    signing_secret: str = "sandbox-signing-secret-0000000000"
    team_id: str = "T0SANDBOX"
    bot_user_id: str = "U0BRIDGEBOT"
    bot_id: str = "B0BRIDGEBOT"
    channels: dict[str, str] = field(default_factory=lambda: {"C0SMSBRIDGE": "sms-bridge", "C0GENERAL": "general"})
    users: dict[str, str] = field(default_factory=lambda: {"U0ANNA": "Anna Nowak", "U0PIOTR": "Piotr Kowalski"})
    timezones: dict[str, str] = field(default_factory=dict)  # user → tz (default Europe/Warsaw)
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


@dataclass
class SlackCall:
    method: str
    params: dict[str, Any]
    token: str | None
    status: int = 200
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


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
    edits: int = 0
    deleted: bool = False
    metadata: dict[str, Any] | None = None

    def as_event(self) -> dict[str, Any]:
        event: dict[str, Any] = {"type": "message", "channel": self.channel, "user": self.user, "text": self.text, "ts": self.ts}
        if self.thread_ts:
            event["thread_ts"] = self.thread_ts
        if self.bot_id:
            event["bot_id"] = self.bot_id
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


@dataclass
class Fault:
    status: int  # 429, 500, HANG, HANG_AFTER, or 200 with an ``ok: false`` error
    error: str | None = None
    retry_after: int = 1


class SlackState:
    def __init__(self, config: SlackConfig | None = None) -> None:
        self.config = config or SlackConfig()
        self.calls: list[SlackCall] = []
        self.messages: dict[tuple[str, str], SlackMessage] = {}
        self.ephemeral: list[dict[str, Any]] = []
        self.files: dict[str, SlackFile] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.hooks: list[tuple[str, dict[str, Any]]] = []
        self.downloads: list[tuple[str, bool]] = []
        self.faults: dict[str, deque[Fault]] = {}
        self._post_buckets: dict[str, tuple[float, float]] = {}
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

    # ---- faults --------------------------------------------------------------------

    def fail(self, method: str, status: int = 429, *, times: int = 1, error: str | None = None, retry_after: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail (429 with Retry-After, 500, or ``ok: false``)."""
        queue = self.faults.setdefault(method, deque())
        queue.extend(Fault(status=status, error=error, retry_after=retry_after) for _ in range(times))

    def take_fault(self, method: str) -> Fault | None:
        queue = self.faults.get(method)
        return queue.popleft() if queue else None

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
        return sorted(
            (m for m in self.messages.values() if m.channel == channel and m.thread_ts in (None, m.ts) and not m.deleted),
            key=lambda m: m.ts,
        )

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method and c.error is None and c.status == 200]

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

    # ---- people in the workspace ---------------------------------------------------

    async def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def share_file(self, user: str, name: str, content: bytes, mimetype: str) -> dict[str, Any]:
        """A file a person shares; returns the ``files[]`` entry Slack puts in the event."""
        file = SlackFile(id=self.next_id("F"), name=name, title=name, content=content, mimetype=mimetype, user=user, uploaded=True)
        self.files[file.id] = file
        return self.file_json(file)

    def file_json(self, file: SlackFile) -> dict[str, Any]:
        url = f"{self.config.public_url}/files-pri/{self.config.team_id}-{file.id}/{file.name}"
        shares: dict[str, Any] = {}
        if file.channel and file.share_ts:
            kind = "private" if file.channel.startswith("G") else "public"
            entry = {"ts": file.share_ts}
            if file.thread_ts:
                entry["thread_ts"] = file.thread_ts
            shares = {kind: {file.channel: [entry]}}
        return {
            "id": file.id,
            "name": file.name,
            "title": file.title,
            "mimetype": file.mimetype,
            "filetype": file.name.rsplit(".", 1)[-1].lower() if "." in file.name else "binary",
            "size": len(file.content),
            "user": file.user,
            "url_private": url,
            "url_private_download": url + "?download=1",
            "shares": shares,
        }

    def envelope(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        return {
            "token": "legacy-verification-token",
            "team_id": self.config.team_id,
            "api_app_id": "A0SANDBOX",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self.next_id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.config.team_id, "user_id": self.config.bot_user_id, "is_bot": True}],
        }

    def signed_headers(self, body: bytes, content_type: str = "application/json", timestamp: int | None = None) -> dict[str, str]:
        """Headers exactly as Slack signs a request (v0 HMAC-SHA256 over timestamp and body)."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(self.config.signing_secret).generate_signature(timestamp=stamp, body=body)
        return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    async def deliver(
        self, payload: dict[str, Any], *, retry_num: int | None = None, timestamp: int | None = None
    ) -> httpx.Response:
        """POST one signed Events API envelope to the app, as Slack would (optionally as a retry).

        In Socket Mode the envelope goes over the app's WebSocket instead.
        """
        if self.config.socket_mode:
            return await self.sockets.send("events_api", payload, retry_attempt=retry_num or 0)
        if not self.config.events_url:
            raise RuntimeError("SlackConfig.events_url is not set")
        body = json.dumps(payload).encode()
        headers = self.signed_headers(body, timestamp=timestamp)
        if retry_num:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        client = await self.http()
        return await client.post(self.config.events_url, content=body, headers=headers)

    async def user_says(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> tuple[SlackMessage, dict[str, Any], httpx.Response]:
        """A person posts in Slack: the message is stored and its event delivered to the app."""
        message = SlackMessage(channel=channel, ts=self.next_ts(), text=text, user=user, thread_ts=thread_ts, files=files or [])
        self.messages[(channel, message.ts)] = message
        envelope = self.envelope(message.as_event())
        response = await self.deliver(envelope)
        return message, envelope, response

    async def user_mentions_bot(
        self, channel: str, user: str, text: str, *, files: list[dict[str, Any]] | None = None, thread_ts: str | None = None
    ) -> tuple[SlackMessage, httpx.Response]:
        """A person mentions the bot: Slack sends a ``message`` and an ``app_mention`` event."""
        full = f"<@{self.config.bot_user_id}> {text}"
        message, _, _ = await self.user_says(channel, user, full, thread_ts=thread_ts, files=files)
        mention = {**message.as_event(), "type": "app_mention"}
        mention.pop("subtype", None)
        response = await self.deliver(self.envelope(mention))
        return message, response

    async def user_edits(self, message: SlackMessage, new_text: str) -> httpx.Response:
        previous = message.as_event()
        message.text = new_text
        message.edits += 1
        event = {
            "type": "message",
            "subtype": "message_changed",
            "channel": message.channel,
            "hidden": True,
            "ts": self.next_ts(),
            "message": {**message.as_event(), "edited": {"user": message.user, "ts": self.next_ts()}},
            "previous_message": previous,
        }
        return await self.deliver(self.envelope(event))

    async def user_deletes(self, message: SlackMessage) -> httpx.Response:
        message.deleted = True
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "channel": message.channel,
            "hidden": True,
            "ts": self.next_ts(),
            "deleted_ts": message.ts,
            "previous_message": message.as_event(),
        }
        return await self.deliver(self.envelope(event))

    # ---- slash commands and the interactive surfaces ------------------------------

    async def _post_signed(self, body: bytes, content_type: str) -> httpx.Response:
        if not self.config.events_url:
            raise RuntimeError("SlackConfig.events_url is not set")
        client = await self.http()
        return await client.post(self.config.events_url, content=body, headers=self.signed_headers(body, content_type))

    async def run_command(
        self, command: str, text: str, *, user: str = "U0ANNA", channel: str = "C0GENERAL"
    ) -> tuple[httpx.Response, str]:
        """A person types ``/command text``; returns the app's answer and the response_url's hook id."""
        hook = self.next_id("H")
        fields = {
            "token": "legacy-verification-token",
            "team_id": self.config.team_id,
            "team_domain": "sandbox",
            "channel_id": channel,
            "channel_name": self.config.channels.get(channel, "unknown"),
            "user_id": user,
            "user_name": self.config.users.get(user, user).split()[0].lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0SANDBOX",
            "is_enterprise_install": "false",
            "response_url": f"{self.config.public_url}/hooks/{hook}",
            "trigger_id": self.next_id("trig."),
        }
        if self.config.socket_mode:
            return await self.sockets.send("slash_commands", fields), hook
        response = await self._post_signed(urlencode(fields).encode(), "application/x-www-form-urlencoded")
        return response, hook

    def hook_posts(self, hook: str) -> list[dict[str, Any]]:
        """What the app posted to one command's response_url."""
        return [payload for hook_id, payload in self.hooks if hook_id == hook]

    async def press_button(self, button: dict[str, Any], *, user: str, channel: str, message_ts: str | None = None) -> tuple[httpx.Response, str]:
        """A person presses a button (on a message or an ephemeral answer); returns the answer and the response_url hook."""
        hook = self.next_id("H")
        payload = {
            "type": "block_actions",
            "team": {"id": self.config.team_id},
            "user": {"id": user},
            "api_app_id": "A0SANDBOX",
            "container": {"type": "message", "channel_id": channel, "message_ts": message_ts or self.next_ts(), "is_ephemeral": message_ts is None},
            "channel": {"id": channel},
            "trigger_id": self.next_id("trig."),
            "response_url": f"{self.config.public_url}/hooks/{hook}",
            "actions": [{"type": "button", "action_id": button["action_id"], "value": button.get("value"), "block_id": "b", "action_ts": "1"}],
        }
        return await self._interact(payload), hook

    async def _interact(self, payload: dict[str, Any]) -> httpx.Response:
        if self.config.socket_mode:
            return await self.sockets.send("interactive", payload)
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._post_signed(body, "application/x-www-form-urlencoded")

    def _view_payload(self, kind: str, view_id: str, user: str, values: dict[str, dict[str, Any]]) -> dict[str, Any]:
        view = self.views[view_id]
        return {
            "type": kind,
            "team": {"id": self.config.team_id},
            "user": {"id": user},
            "api_app_id": "A0SANDBOX",
            "trigger_id": self.next_id("trig."),
            "view": {**view, "state": {"values": values}},
        }

    async def type_in_view(
        self, view_id: str, user: str, values: dict[str, dict[str, Any]], *, block_id: str, action_id: str
    ) -> httpx.Response:
        """A person types into an input that dispatches actions (``block_actions`` from a modal)."""
        payload = self._view_payload("block_actions", view_id, user, values)
        typed = values.get(block_id, {}).get(action_id, {})
        payload["actions"] = [{"type": "plain_text_input", "block_id": block_id, "action_id": action_id, "value": typed.get("value"), "action_ts": "1"}]
        payload["container"] = {"type": "view", "view_id": view_id}
        return await self._interact(payload)

    async def submit_view(self, view_id: str, user: str, values: dict[str, dict[str, Any]]) -> httpx.Response:
        """A person presses the modal's submit button."""
        return await self._interact(self._view_payload("view_submission", view_id, user, values))
