"""The Web API methods the emulator serves, with Slack's arguments, answers and errors.

Written from Slack's method reference (docs.slack.dev/reference/methods/…) and its
OpenAPI spec (slackapi/slack-api-specs). Posting methods check what they are given
as Slack does (:func:`bot.sandbox.slack.content.prepare`). A reply posted with
``reply_broadcast`` is also shown in the channel (``conversations.history`` lists it
with the ``thread_broadcast`` subtype). Reactions: ``reactions.add`` answers
``already_reacted`` and ``invalid_name`` (a name is written without colons, in lower
case: ``thumbsup``, ``+1``, ``white_check_mark``), ``reactions.remove``
``no_reaction``, and ``reactions.get`` lists a message's reactions with who added them.
A deleted message is gone: ``chat.update``, ``reactions.*`` and
``conversations.replies`` on it answer ``message_not_found``.
"""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.slack import directory
from bot.sandbox.slack.content import (
    Prepared,
    SlackError,
    checked_metadata,
    parse_json,
    prepare,
    refused_blocks,
    truthy,
)
from bot.sandbox.slack.home_tab import views_publish
from bot.sandbox.slack.limits import view_problems
from bot.sandbox.slack.members import channel_members
from bot.sandbox.slack.records import SlackFile, SlackMessage
from bot.sandbox.slack.state import SlackState

__all__ = ["Prepared", "SlackError", "build_methods", "prepare", "refused_blocks"]

Params = dict[str, Any]
Method = Callable[[Params], Awaitable[dict[str, Any]]]

# A reaction's name as Slack takes it: lower case, no colons, maybe with a skin tone.
EMOJI_NAME = re.compile(r"[a-z0-9_+'\-]+(::skin-tone-[2-6])?")


def _page(messages: list[SlackMessage], params: Params) -> dict[str, Any]:
    """One page of ``messages`` after ``oldest``/before ``latest``, with Slack's cursor paging."""
    oldest = float(params.get("oldest") or 0)
    latest = float(params.get("latest") or "inf")
    inclusive = truthy(params.get("inclusive"))
    chosen = [
        m
        for m in messages
        if (oldest <= float(m.ts) if inclusive else oldest < float(m.ts)) and (float(m.ts) <= latest if inclusive else float(m.ts) < latest)
    ]
    limit = max(1, min(int(params.get("limit") or 100), 1000))
    start = int(params.get("cursor") or 0)
    page = chosen[start : start + limit]
    more = start + limit < len(chosen)
    with_metadata = truthy(params.get("include_all_metadata"))
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
        metadata = checked_metadata(params.get("metadata"))
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
            broadcast=thread_ts is not None and truthy(params.get("reply_broadcast")),
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
            message.metadata = checked_metadata(params.get("metadata"))
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
        if not EMOJI_NAME.fullmatch(name):
            raise SlackError("invalid_name")
        if name in message.reactions:
            raise SlackError("already_reacted")
        message.reactions.add(name)
        message.reacted.setdefault(name, []).append(config.bot_user_id)
        return {}

    async def reactions_remove(params: Params) -> dict[str, Any]:
        message = message_of(channel_of(params), str(params.get("timestamp") or ""))
        name = str(params.get("name") or "")
        if name not in message.reactions:
            raise SlackError("no_reaction")
        message.reactions.discard(name)
        message.reacted.pop(name, None)
        return {}

    async def reactions_get(params: Params) -> dict[str, Any]:
        """A message's reactions: each name, who added it and how many, in the order added."""
        channel = channel_of(params)
        message = message_of(channel, str(params.get("timestamp") or ""))
        names = [n for n in message.reacted if n in message.reactions] + sorted(message.reactions - message.reacted.keys())
        reactions = []
        for name in names:
            users = message.reacted.get(name) or [config.bot_user_id]
            reactions.append({"name": name, "users": users, "count": len(users)})
        found = {**message.as_event(), "blocks": message.blocks}
        found.pop("channel")
        if reactions:
            found["reactions"] = reactions
        return {"type": "message", "channel": channel, "message": found}

    async def replies(params: Params) -> dict[str, Any]:
        """A thread, oldest first (Slack also pages it by ``oldest``, ``limit`` and cursor)."""
        channel = channel_of(params)
        thread_ts = str(params.get("ts") or "")
        message_of(channel, thread_ts)
        return _page(state.thread(channel, thread_ts), params)

    async def history(params: Params) -> dict[str, Any]:
        """A channel's top-level messages, newest first, as Slack's ``conversations.history``."""
        channel = channel_of(params)
        return _page(list(reversed(state.in_channel(channel))), params)

    async def permalink(params: Params) -> dict[str, Any]:
        channel = channel_of(params)
        message = message_of(channel, str(params.get("message_ts") or ""))
        link = f"https://sandbox.slack.test/archives/{channel}/p{message.ts.replace('.', '')}"
        if message.thread_ts and message.thread_ts != message.ts:
            link += f"?thread_ts={message.thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": link}

    async def conversations_info(params: Params) -> dict[str, Any]:
        channel = channel_of(params)
        if channel.startswith("G") and channel in config.not_joined:
            raise SlackError("channel_not_found")  # a private channel is invisible to an app outside it
        return {"channel": directory.conversation_json(config, channel, num_members=truthy(params.get("include_num_members")))}

    async def users_info(params: Params) -> dict[str, Any]:
        found = directory.user_json(config, str(params.get("user") or ""), include_locale=truthy(params.get("include_locale")))
        if found is None:
            raise SlackError("user_not_found")
        return {"user": found}

    async def conversations_open(params: Params) -> dict[str, Any]:
        """A direct-message channel between the app and one person (the same one each time)."""
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if len(users) != 1:
            raise SlackError("not_enough_users" if not users else "too_many_users")
        if users[0] not in config.users:
            raise SlackError("user_not_found")
        channel = "D" + users[0].removeprefix("U")
        config.channels.setdefault(channel, f"dm-{users[0]}")
        return {"channel": {"id": channel}}

    async def users_list(params: Params) -> dict[str, Any]:
        """Every member, a page at a time (``limit``, ``cursor``), the bot among them, as Slack lists them."""
        everyone = [config.bot_user_id, *config.users]
        limit = max(1, min(int(params.get("limit") or 200), 1000))
        start = int(params.get("cursor") or 0)
        locale = truthy(params.get("include_locale"))
        members = [directory.user_json(config, user, include_locale=locale) for user in everyone[start : start + limit]]
        more = start + limit < len(everyone)
        return {"members": members, "cache_ts": int(time.time()), "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    async def usergroups_list(params: Params) -> dict[str, Any]:
        users, count = truthy(params.get("include_users")), truthy(params.get("include_count"))
        groups = [directory.usergroup_json(config, g, include_users=users, include_count=count) for g in config.usergroups]
        return {"usergroups": groups}

    async def get_upload_url(params: Params) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        length = int(params.get("length") or 0)
        if not filename or length <= 0:
            raise SlackError("invalid_arguments")
        # Slack tells the type from the file's name (and contents); the uploader does not say it.
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        file = SlackFile(id=state.next_id("F"), name=filename, title=filename, content=b"", mimetype=mimetype, user=config.bot_user_id)
        state.files[file.id] = file
        return {"file_id": file.id, "upload_url": f"{config.public_url}/upload/v1/{file.id}"}

    async def complete_upload(params: Params) -> dict[str, Any]:
        entries = parse_json(params.get("files"), "invalid_arguments")
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

    async def files_delete(params: Params) -> dict[str, Any]:
        """A file gone for good; an app may delete only the files it uploaded itself."""
        file = state.files.get(str(params.get("file") or ""))
        if file is None:
            raise SlackError("file_not_found")
        if file.user != config.bot_user_id:
            raise SlackError("cant_delete_file")
        del state.files[file.id]
        return {}

    def checked_view(params: Params) -> dict[str, Any]:
        view = parse_json(params.get("view"), "invalid_arguments")
        problems = view_problems(view)
        if problems:
            raise SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
        assert isinstance(view, dict)  # view_problems() complains about anything but an object
        return view

    async def views_open(params: Params) -> dict[str, Any]:
        if not params.get("trigger_id"):
            raise SlackError("invalid_trigger_id")
        view = checked_view(params)
        return {"view": state.keep_view(state.next_id("V"), view)}

    async def views_update(params: Params) -> dict[str, Any]:
        view_id = str(params.get("view_id") or "")
        if view_id not in state.views:
            raise SlackError("not_found")
        if params.get("hash") and params["hash"] != state.views[view_id].get("hash"):
            raise SlackError("hash_conflict")
        return {"view": state.keep_view(view_id, checked_view(params))}

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
        "reactions.get": reactions_get,
        "conversations.replies": replies,
        "conversations.history": history,
        "conversations.info": conversations_info,
        "conversations.members": channel_members(config),
        "users.info": users_info,
        "users.list": users_list,
        "conversations.open": conversations_open,
        "usergroups.list": usergroups_list,
        "files.getUploadURLExternal": get_upload_url,
        "files.completeUploadExternal": complete_upload,
        "files.info": files_info,
        "files.delete": files_delete,
        "views.open": views_open,
        "views.update": views_update,
        "views.publish": views_publish(state),
    }
