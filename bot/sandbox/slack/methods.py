"""The Web API methods the emulator serves, with Slack's arguments, answers and errors.

Written from Slack's method reference (docs.slack.dev/reference/methods/…) and its
OpenAPI spec (slackapi/slack-api-specs). Posting methods check what they are given
as Slack does (:func:`prepare`): ``no_text`` without text, blocks or attachments;
``invalid_blocks_format`` for blocks that are not a JSON array; ``invalid_blocks``
with ``errors`` and ``response_metadata.messages`` for Block Kit limits
(:mod:`bot.sandbox.slack.limits`); ``text`` over 40,000 characters cut and posted
with the ``message_truncated`` warning (Slack changelog 2018-04, "Truncating really
long messages"), or ``msg_too_long`` when ``SlackConfig.long_text == "refuse"``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.slack import directory
from bot.sandbox.slack.limits import (
    TEXT_LIMIT,
    TRUNCATED_WARNING,
    block_problems,
    view_problems,
)
from bot.sandbox.slack.markup import Rendered, render_payload
from bot.sandbox.slack.records import SlackFile, SlackMessage
from bot.sandbox.slack.state import SlackState

__all__ = ["Prepared", "SlackError", "build_methods", "prepare", "refused_blocks"]

Params = dict[str, Any]
Method = Callable[[Params], Awaitable[dict[str, Any]]]


class SlackError(Exception):
    """An ``ok: false`` answer: the error code and any fields Slack adds beside it."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true") if value is not None else False


def _json(value: Any, error: str) -> Any:
    if isinstance(value, str):
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(error) from None
    return value


def refused_blocks(problems: list[str], error: str = "invalid_blocks") -> SlackError:
    return SlackError(error, errors=problems, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})


@dataclass
class Prepared:
    text: str
    blocks: list[dict[str, Any]] | None
    rendered: Rendered
    truncated: bool

    def notes(self) -> dict[str, Any]:
        """What Slack adds to a successful answer when it cut the text."""
        if not self.truncated:
            return {}
        return {"warning": "message_truncated", "response_metadata": {"warnings": ["message_truncated"], "messages": [TRUNCATED_WARNING]}}


def prepare(state: SlackState, params: Params, *, require_content: bool = True) -> Prepared:
    """Check a message's content as Slack does and read what it would do to people."""
    text = params.get("text")
    text = "" if text is None else str(text)
    blocks = _json(params.get("blocks"), "invalid_blocks_format")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    attachments = _json(params.get("attachments"), "invalid_attachments")
    if require_content and not text and not blocks and not attachments:
        raise SlackError("no_text")
    if blocks:
        problems = block_problems(blocks)
        if problems:
            raise refused_blocks(problems)
    truncated = len(text) > TEXT_LIMIT
    if truncated:
        if state.config.long_text == "refuse":
            raise SlackError("msg_too_long")
        text = text[:TEXT_LIMIT]
    config = state.config
    rendered = render_payload(
        text,
        blocks,
        attachments,
        names=directory.names(config),
        find_names=_truthy(params.get("link_names")) or params.get("parse") == "full",
        handles=directory.handles(config),
        channel_names=directory.channel_ids(config),
    )
    return Prepared(text=text, blocks=blocks, rendered=rendered, truncated=truncated)


def _metadata(value: Any) -> dict[str, Any] | None:
    """``metadata`` as Slack checks it: an ``event_type`` and an ``event_payload`` object."""
    value = _json(value, "invalid_metadata_format")
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("event_type"), str) or not isinstance(value.get("event_payload"), dict):
        raise SlackError("invalid_metadata_format")
    return {"event_type": value["event_type"], "event_payload": value["event_payload"]}


def _page(messages: list[SlackMessage], params: Params) -> dict[str, Any]:
    """One page of ``messages`` after ``oldest``/before ``latest``, with Slack's cursor paging."""
    oldest = float(params.get("oldest") or 0)
    latest = float(params.get("latest") or "inf")
    inclusive = _truthy(params.get("inclusive"))
    chosen = [
        m
        for m in messages
        if (oldest <= float(m.ts) if inclusive else oldest < float(m.ts)) and (float(m.ts) <= latest if inclusive else float(m.ts) < latest)
    ]
    limit = max(1, min(int(params.get("limit") or 100), 1000))
    start = int(params.get("cursor") or 0)
    page = chosen[start : start + limit]
    more = start + limit < len(chosen)
    with_metadata = _truthy(params.get("include_all_metadata"))
    found = []
    for m in page:
        event = {**m.as_event(), "blocks": m.blocks}
        if with_metadata and m.metadata is not None:
            event["metadata"] = m.metadata
        found.append(event)
    return {"messages": found, "has_more": more, "response_metadata": {"next_cursor": str(start + limit) if more else ""}}


def build_methods(state: SlackState) -> dict[str, Method]:
    config = state.config

    def channel_of(params: Params, key: str = "channel") -> str:
        channel = str(params.get(key) or "")
        if not channel or channel not in config.channels:
            raise SlackError("channel_not_found")
        return channel

    def message_of(channel: str, ts: str) -> SlackMessage:
        message = state.messages.get((channel, ts))
        if message is None or message.deleted:
            raise SlackError("message_not_found")
        return message

    async def connections_open(params: Params) -> dict[str, Any]:
        ws_base = config.public_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        return {"url": f"{ws_base}/socket-mode/link?ticket={state.sockets.ticket()}"}

    async def auth_test(params: Params) -> dict[str, Any]:
        return {
            "url": "https://sandbox.slack.test/",
            "team": "Sandbox",
            "user": "mprofi-bridge",
            "team_id": config.team_id,
            "user_id": config.bot_user_id,
            "bot_id": config.bot_id,
            "is_enterprise_install": False,
        }

    async def post_message(params: Params) -> dict[str, Any]:
        channel = channel_of(params)
        thread_ts = params.get("thread_ts") or None
        if thread_ts is not None:
            message_of(channel, str(thread_ts))
        post = prepare(state, params)
        metadata = _metadata(params.get("metadata"))
        message = SlackMessage(
            channel=channel,
            ts=state.next_ts(),
            text=post.text,
            user=config.bot_user_id,
            bot_id=config.bot_id,
            thread_ts=str(thread_ts) if thread_ts else None,
            blocks=post.blocks,
            metadata=metadata,
            truncated=post.truncated,
            team=config.team_id,
        )
        message.renders.append(post.rendered)
        state.messages[(channel, message.ts)] = message
        return {"channel": channel, "ts": message.ts, "message": {**message.as_event(), "blocks": post.blocks}, **post.notes()}

    async def update(params: Params) -> dict[str, Any]:
        channel = channel_of(params)
        message = message_of(channel, str(params.get("ts") or ""))
        if message.user != config.bot_user_id:
            raise SlackError("cant_update_message")
        # chat.update keeps what it is not given: the text, and the blocks unless ``blocks`` is sent.
        text = params.get("text") or message.text
        blocks = params.get("blocks", message.blocks)
        post = prepare(state, {**params, "text": text, "blocks": blocks})
        message.text = post.text
        if "blocks" in params:
            message.blocks = post.blocks
        if params.get("metadata"):
            message.metadata = _metadata(params.get("metadata"))
        message.truncated = message.truncated or post.truncated
        message.renders.append(post.rendered)
        message.edits += 1
        return {"channel": channel, "ts": message.ts, "text": message.text, "message": message.as_event(), **post.notes()}

    async def delete(params: Params) -> dict[str, Any]:
        channel = channel_of(params)
        message = message_of(channel, str(params.get("ts") or ""))
        if message.user != config.bot_user_id:
            raise SlackError("cant_delete_message")
        message.deleted = True
        return {"channel": channel, "ts": message.ts}

    async def post_ephemeral(params: Params) -> dict[str, Any]:
        channel = channel_of(params)
        user = str(params.get("user") or "")
        if user not in config.users:
            raise SlackError("user_not_in_channel")
        post = prepare(state, params)
        state.ephemeral.append(
            {
                "channel": channel,
                "user": user,
                "text": post.text,
                "thread_ts": params.get("thread_ts"),
                "blocks": post.blocks,
                "rendered": post.rendered,
                "truncated": post.truncated,
            }
        )
        return {"message_ts": state.next_ts(), **post.notes()}

    async def reactions_add(params: Params) -> dict[str, Any]:
        message = message_of(channel_of(params), str(params.get("timestamp") or ""))
        name = str(params.get("name") or "")
        if name in message.reactions:
            raise SlackError("already_reacted")
        message.reactions.add(name)
        return {}

    async def reactions_remove(params: Params) -> dict[str, Any]:
        message = message_of(channel_of(params), str(params.get("timestamp") or ""))
        name = str(params.get("name") or "")
        if name not in message.reactions:
            raise SlackError("no_reaction")
        message.reactions.discard(name)
        return {}

    async def replies(params: Params) -> dict[str, Any]:
        """A thread, oldest first (Slack also pages it by ``oldest``, ``limit`` and cursor)."""
        channel = channel_of(params)
        thread_ts = str(params.get("ts") or "")
        message_of(channel, thread_ts)
        return _page(state.thread(channel, thread_ts), params)

    async def history(params: Params) -> dict[str, Any]:
        """A channel's top-level messages, newest first, as Slack's ``conversations.history``."""
        channel = channel_of(params)
        return _page(list(reversed(state.top_level(channel))), params)

    async def permalink(params: Params) -> dict[str, Any]:
        channel = channel_of(params)
        message = message_of(channel, str(params.get("message_ts") or ""))
        link = f"https://sandbox.slack.test/archives/{channel}/p{message.ts.replace('.', '')}"
        if message.thread_ts and message.thread_ts != message.ts:
            link += f"?thread_ts={message.thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": link}

    async def conversations_info(params: Params) -> dict[str, Any]:
        channel = channel_of(params)
        return {"channel": directory.conversation_json(config, channel, num_members=_truthy(params.get("include_num_members")))}

    async def users_info(params: Params) -> dict[str, Any]:
        found = directory.user_json(config, str(params.get("user") or ""))
        if found is None:
            raise SlackError("user_not_found")
        return {"user": found}

    async def usergroups_list(params: Params) -> dict[str, Any]:
        users, count = _truthy(params.get("include_users")), _truthy(params.get("include_count"))
        groups = [directory.usergroup_json(config, g, include_users=users, include_count=count) for g in config.usergroups]
        return {"usergroups": groups}

    async def get_upload_url(params: Params) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        length = int(params.get("length") or 0)
        if not filename or length <= 0:
            raise SlackError("invalid_arguments")
        file = SlackFile(
            id=state.next_id("F"), name=filename, title=filename, content=b"", mimetype="application/octet-stream", user=config.bot_user_id
        )
        state.files[file.id] = file
        return {"file_id": file.id, "upload_url": f"{config.public_url}/upload/v1/{file.id}"}

    async def complete_upload(params: Params) -> dict[str, Any]:
        entries = _json(params.get("files"), "invalid_arguments")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        channel = params.get("channel_id") or params.get("channels")
        if channel:
            channel = channel_of({"channel": channel})
        thread_ts = params.get("thread_ts") or None
        if channel and thread_ts:
            message_of(str(channel), str(thread_ts))
        comment = prepare(state, {"text": params.get("initial_comment") or ""}, require_content=False)
        done = []
        for entry in entries:
            file = state.files.get(str(entry.get("id")))
            if file is None or not file.uploaded:
                raise SlackError("file_not_found")
            file.title = str(entry.get("title") or file.name)
            if channel:
                share = SlackMessage(
                    channel=str(channel),
                    ts=state.next_ts(),
                    text=comment.text,
                    user=config.bot_user_id,
                    bot_id=config.bot_id,
                    thread_ts=str(thread_ts) if thread_ts else None,
                    team=config.team_id,
                )
                share.renders.append(comment.rendered)
                file.channel, file.thread_ts, file.share_ts = share.channel, share.thread_ts, share.ts
                share.files = [state.file_json(file)]
                state.messages[(share.channel, share.ts)] = share
            done.append(state.file_json(file))
        return {"files": done}

    async def files_info(params: Params) -> dict[str, Any]:
        file = state.files.get(str(params.get("file") or ""))
        if file is None:
            raise SlackError("file_not_found")
        return {"file": state.file_json(file)}

    def checked_view(params: Params) -> dict[str, Any]:
        view = _json(params.get("view"), "invalid_arguments")
        problems = view_problems(view)
        if problems:
            raise SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
        assert isinstance(view, dict)  # view_problems() complains about anything but an object
        return view

    def keep_view(view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        state.views[view_id] = {**view, "id": view_id, "hash": state.next_id("h")}
        state.view_renders[view_id] = render_payload(None, view.get("blocks"), names=directory.names(config))
        return {"view": state.views[view_id]}

    async def views_open(params: Params) -> dict[str, Any]:
        if not params.get("trigger_id"):
            raise SlackError("invalid_trigger_id")
        view = checked_view(params)
        return keep_view(state.next_id("V"), view)

    async def views_update(params: Params) -> dict[str, Any]:
        view_id = str(params.get("view_id") or "")
        if view_id not in state.views:
            raise SlackError("not_found")
        if params.get("hash") and params["hash"] != state.views[view_id].get("hash"):
            raise SlackError("hash_conflict")
        return keep_view(view_id, checked_view(params))

    return {
        "auth.test": auth_test,
        "apps.connections.open": connections_open,
        "chat.postMessage": post_message,
        "chat.update": update,
        "chat.delete": delete,
        "chat.postEphemeral": post_ephemeral,
        "chat.getPermalink": permalink,
        "reactions.add": reactions_add,
        "reactions.remove": reactions_remove,
        "conversations.replies": replies,
        "conversations.history": history,
        "conversations.info": conversations_info,
        "users.info": users_info,
        "usergroups.list": usergroups_list,
        "files.getUploadURLExternal": get_upload_url,
        "files.completeUploadExternal": complete_upload,
        "files.info": files_info,
        "views.open": views_open,
        "views.update": views_update,
    }
