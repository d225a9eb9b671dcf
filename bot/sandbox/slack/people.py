"""The people in the workspace: what they post, type and share, as Slack delivers it.

A message a person sends from a Slack client reaches the app as Slack documents the
``message`` event (docs.slack.dev/reference/events/message): ``text`` escaped (``&amp;``,
``&lt;``, ``&gt;``) with entities as ``<@U…>``, ``<#C…|name>``, ``<!subteam^S…>``,
``<https://…|label>``, ``<!date^…|fallback>``, ``<!here>``, emoji as ``:name:``; and
``blocks`` with one ``rich_text`` block whose ``rich_text_section`` holds the typed
elements (``text``, ``user``, ``usergroup``, ``channel``, ``link``, ``emoji``, ``date``,
``broadcast``; docs.slack.dev/reference/block-kit/blocks/rich-text-block). Slash
commands carry the text as the command's ``should_escape`` says
(:func:`bot.sandbox.slack.directory.command_text`). What people press, pick and submit
on messages and modals lives in :mod:`bot.sandbox.slack.interactions`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from bot.sandbox.slack.directory import command_text, names, username
from bot.sandbox.slack.markup import render_text, rich_text_block, rich_to_text
from bot.sandbox.slack.records import SlackFile, SlackMessage

if TYPE_CHECKING:
    from bot.sandbox.slack.records import SlackConfig
    from bot.sandbox.slack.socket import SocketLinks

__all__ = ["People"]

Rich = Sequence[dict[str, Any]]


class People:
    """Mixed into :class:`~bot.sandbox.slack.state.SlackState`: the workspace's people."""

    if TYPE_CHECKING:
        config: SlackConfig
        messages: dict[tuple[str, str], SlackMessage]
        files: dict[str, SlackFile]
        hooks: list[tuple[str, dict[str, Any]]]
        sockets: SocketLinks

        def next_ts(self) -> str: ...
        def next_id(self, prefix: str) -> str: ...
        async def http(self) -> httpx.AsyncClient: ...
        def signed_headers(self, body: bytes, content_type: str = ..., timestamp: int | None = ...) -> dict[str, str]: ...
        def should_escape(self, command: str) -> bool: ...

    # ---- files ---------------------------------------------------------------------

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

    # ---- events ----------------------------------------------------------------------

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

    async def deliver(self, payload: dict[str, Any], *, retry_num: int | None = None, timestamp: int | None = None) -> httpx.Response:
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

    def composed(self, text: str | None, rich: Rich | None) -> tuple[str, list[dict[str, Any]] | None]:
        """What a Slack client sends for what a person typed: (escaped ``text``, rich_text blocks).

        ``rich``: the rich_text_section elements (``{"type": "user", "user_id": …}``, …);
        else ``text`` is typed literally (one ``text`` element holding it as typed).
        """
        if rich is not None and text is not None:
            raise ValueError("say it either as text or as rich elements")
        elements = list(rich) if rich is not None else ([{"type": "text", "text": text}] if text else [])
        if not elements:
            return "", None
        return rich_to_text(elements, self.config.channels), [rich_text_block(elements)]

    def _person_message(self, channel: str, user: str, text: str, blocks: list[dict[str, Any]] | None, **extra: Any) -> SlackMessage:
        message = SlackMessage(
            channel=channel,
            ts=self.next_ts(),
            text=text,
            user=user,
            blocks=blocks,
            client_msg_id=str(uuid.uuid4()),
            team=self.config.team_id,
            **extra,
        )
        message.renders.append(render_text(text, names=names(self.config)))
        return message

    async def user_says(
        self,
        channel: str,
        user: str,
        text: str | None = None,
        *,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
        rich: Rich | None = None,
    ) -> tuple[SlackMessage, dict[str, Any], httpx.Response]:
        """A person posts in Slack: the message is stored and its event delivered to the app.

        ``text`` is what they typed, literally; ``rich`` the elements they composed instead,
        e.g. ``[{"type": "user", "user_id": "U0PIOTR"}, {"type": "text", "text": " please"}]``.
        """
        sent, blocks = self.composed(text, rich)
        message = self._person_message(channel, user, sent, blocks, thread_ts=thread_ts, files=files or [])
        self.messages[(channel, message.ts)] = message
        envelope = self.envelope(self._event(message))
        response = await self.deliver(envelope)
        return message, envelope, response

    def _event(self, message: SlackMessage) -> dict[str, Any]:
        event = message.as_event()
        event["event_ts"] = message.ts
        event["channel_type"] = "group" if message.channel.startswith("G") else "channel"
        return event

    async def user_mentions_bot(
        self, channel: str, user: str, text: str, *, files: list[dict[str, Any]] | None = None, thread_ts: str | None = None
    ) -> tuple[SlackMessage, httpx.Response]:
        """A person mentions the bot: Slack sends a ``message`` and an ``app_mention`` event."""
        rich = [{"type": "user", "user_id": self.config.bot_user_id}, {"type": "text", "text": f" {text}"}]
        message, _, _ = await self.user_says(channel, user, thread_ts=thread_ts, files=files, rich=rich)
        mention = {**self._event(message), "type": "app_mention"}
        mention.pop("subtype", None)
        mention.pop("channel_type", None)
        response = await self.deliver(self.envelope(mention))
        return message, response

    async def user_edits(self, message: SlackMessage, new_text: str | None = None, *, rich: Rich | None = None) -> httpx.Response:
        previous = message.as_event()
        message.text, message.blocks = self.composed(new_text, rich)
        message.renders.append(render_text(message.text, names=names(self.config)))
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

    def command_payload(
        self, command: str, typed: str, *, user: str, channel: str, hook: str, escape: bool | None = None
    ) -> dict[str, str]:
        """The form Slack posts for ``/command typed`` (text as the command's should_escape says)."""
        should_escape = self.should_escape(command) if escape is None else escape
        return {
            "token": "legacy-verification-token",
            "team_id": self.config.team_id,
            "team_domain": "sandbox",
            "channel_id": channel,
            "channel_name": self.config.channels.get(channel, "privategroup"),
            "user_id": user,
            "user_name": username(self.config, user),
            "command": command,
            "text": command_text(self.config, typed, should_escape=should_escape),
            "api_app_id": "A0SANDBOX",
            "is_enterprise_install": "false",
            "response_url": f"{self.config.public_url}/hooks/{hook}",
            "trigger_id": self.next_id("trig."),
        }

    async def run_command(
        self, command: str, text: str, *, user: str = "U0ANNA", channel: str = "C0GENERAL", escape: bool | None = None
    ) -> tuple[httpx.Response, str]:
        """A person types ``/command text``; returns the app's answer and the response_url's hook id.

        ``text`` is what they typed (``@anna``, ``#general``, ``@wsparcie``, URLs included);
        ``escape`` overrides the manifest's should_escape for this command.
        """
        hook = self.next_id("H")
        fields = self.command_payload(command, text, user=user, channel=channel, hook=hook, escape=escape)
        if self.config.socket_mode:
            return await self.sockets.send("slash_commands", fields), hook
        response = await self._post_signed(urlencode(fields).encode(), "application/x-www-form-urlencoded")
        return response, hook

    def hook_posts(self, hook: str) -> list[dict[str, Any]]:
        """What the app posted to one command's response_url (and Slack accepted)."""
        return [payload for hook_id, payload in self.hooks if hook_id == hook]
