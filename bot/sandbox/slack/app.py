"""The emulated Slack Web API: the methods the bridge calls, with Slack's wire shapes.

Serve ``create_slack_emulator(state)`` on loopback and point ``SLACK_API_URL`` at
``http://127.0.0.1:PORT/api/``. Errors come back as Slack sends them: HTTP 200 with
``{"ok": false, "error": ...}``, or HTTP 429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute

from bot.sandbox.slack.state import HANG, HANG_AFTER, SlackCall, SlackFile, SlackMessage, SlackState

__all__ = ["create_slack_emulator"]

Params = dict[str, Any]
Method = Callable[[Params], Awaitable[dict[str, Any]]]


class SlackError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


async def _params(request: Request) -> Params:
    """Slack takes arguments in the query, a form or a JSON body; the SDK uses all three."""
    params: Params = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if "application/json" in content_type:
        body = await request.body()
        if body:
            data = json.loads(body)
            if isinstance(data, dict):
                params.update(data)
    elif "form" in content_type:
        async with request.form() as form:
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _blocks(value: Any) -> list[dict[str, Any]] | None:
    if isinstance(value, str):
        value = json.loads(value) if value else None
    return value


def _metadata(value: Any) -> dict[str, Any] | None:
    """``metadata`` as Slack checks it: an ``event_type`` and an ``event_payload`` object."""
    if isinstance(value, str):
        value = json.loads(value) if value else None
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("event_type"), str) or not isinstance(value.get("event_payload"), dict):
        raise SlackError("invalid_metadata_format")
    return {"event_type": value["event_type"], "event_payload": value["event_payload"]}


def _page(messages: list[SlackMessage], params: Params) -> dict[str, Any]:
    """One page of ``messages`` after ``oldest``/before ``latest``, with Slack's cursor paging."""
    oldest = float(params.get("oldest") or 0)
    latest = float(params.get("latest") or "inf")
    inclusive = str(params.get("inclusive") or "").lower() in ("1", "true")
    chosen = [
        m for m in messages
        if (oldest <= float(m.ts) if inclusive else oldest < float(m.ts)) and (float(m.ts) <= latest if inclusive else float(m.ts) < latest)
    ]
    limit = max(1, min(int(params.get("limit") or 100), 1000))
    start = int(params.get("cursor") or 0)
    page = chosen[start : start + limit]
    more = start + limit < len(chosen)
    with_metadata = str(params.get("include_all_metadata") or "").lower() in ("1", "true")
    found = []
    for m in page:
        event = {**m.as_event(), "blocks": m.blocks}
        if with_metadata and m.metadata is not None:
            event["metadata"] = m.metadata
        found.append(event)
    return {"messages": found, "has_more": more, "response_metadata": {"next_cursor": str(start + limit) if more else ""}}


def create_slack_emulator(state: SlackState) -> Starlette:
    config = state.config

    def channel_of(params: Params, key: str = "channel") -> str:
        channel = str(params.get(key) or "")
        if not channel:
            raise SlackError("channel_not_found")
        if channel not in config.channels:
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
        text = str(params.get("text") or "")
        blocks = _blocks(params.get("blocks"))
        if not text and not blocks:
            raise SlackError("no_text")
        thread_ts = params.get("thread_ts") or None
        if thread_ts is not None:
            message_of(channel, str(thread_ts))
        metadata = _metadata(params.get("metadata"))
        message = SlackMessage(
            channel=channel,
            ts=state.next_ts(),
            text=text,
            user=config.bot_user_id,
            bot_id=config.bot_id,
            thread_ts=str(thread_ts) if thread_ts else None,
            blocks=blocks,
            metadata=metadata,
        )
        state.messages[(channel, message.ts)] = message
        return {"channel": channel, "ts": message.ts, "message": {**message.as_event(), "blocks": blocks}}

    async def update(params: Params) -> dict[str, Any]:
        channel = channel_of(params)
        message = message_of(channel, str(params.get("ts") or ""))
        if message.user != config.bot_user_id:
            raise SlackError("cant_update_message")
        message.text = str(params.get("text") or message.text)
        if "blocks" in params:
            message.blocks = _blocks(params.get("blocks"))
        if params.get("metadata"):
            message.metadata = _metadata(params.get("metadata"))
        message.edits += 1
        return {"channel": channel, "ts": message.ts, "text": message.text, "message": message.as_event()}

    async def post_ephemeral(params: Params) -> dict[str, Any]:
        channel = channel_of(params)
        user = str(params.get("user") or "")
        if user not in config.users:
            raise SlackError("user_not_in_channel")
        state.ephemeral.append(
            {"channel": channel, "user": user, "text": params.get("text"), "thread_ts": params.get("thread_ts"), "blocks": _blocks(params.get("blocks"))}
        )
        return {"message_ts": state.next_ts()}

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
        return {"channel": {"id": channel, "name": config.channels[channel], "is_channel": not channel.startswith("G"), "is_member": True}}

    async def users_info(params: Params) -> dict[str, Any]:
        user = str(params.get("user") or "")
        if user == config.bot_user_id:
            name, is_bot = "mprofi-bridge", True
        elif user in config.users:
            name, is_bot = config.users[user], False
        else:
            raise SlackError("user_not_found")
        return {
            "user": {
                "id": user,
                "name": name.split()[0].lower(),
                "real_name": name,
                "is_bot": is_bot,
                "tz": config.timezones.get(user, "Europe/Warsaw"),
                "profile": {"display_name": name.split()[0], "real_name": name},
            }
        }

    async def get_upload_url(params: Params) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        length = int(params.get("length") or 0)
        if not filename or length <= 0:
            raise SlackError("invalid_arguments")
        file = SlackFile(id=state.next_id("F"), name=filename, title=filename, content=b"", mimetype="application/octet-stream", user=config.bot_user_id)
        state.files[file.id] = file
        return {"file_id": file.id, "upload_url": f"{config.public_url}/upload/v1/{file.id}"}

    async def complete_upload(params: Params) -> dict[str, Any]:
        raw = params.get("files")
        entries = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        channel = params.get("channel_id") or params.get("channels")
        if channel:
            channel = channel_of({"channel": channel})
        thread_ts = params.get("thread_ts") or None
        if channel and thread_ts:
            message_of(str(channel), str(thread_ts))
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
                    text=str(params.get("initial_comment") or ""),
                    user=config.bot_user_id,
                    bot_id=config.bot_id,
                    thread_ts=str(thread_ts) if thread_ts else None,
                )
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

    async def views_open(params: Params) -> dict[str, Any]:
        if not params.get("trigger_id"):
            raise SlackError("invalid_trigger_id")
        view = params.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        view_id = state.next_id("V")
        state.views[view_id] = {**view, "id": view_id, "hash": state.next_id("h")}
        return {"view": state.views[view_id]}

    async def views_update(params: Params) -> dict[str, Any]:
        view_id = str(params.get("view_id") or "")
        if view_id not in state.views:
            raise SlackError("not_found")
        if params.get("hash") and params["hash"] != state.views[view_id].get("hash"):
            raise SlackError("hash_conflict")
        view = params.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        state.views[view_id] = {**view, "id": view_id, "hash": state.next_id("h")}
        return {"view": state.views[view_id]}

    methods: dict[str, Method] = {
        "auth.test": auth_test,
        "apps.connections.open": connections_open,
        "chat.postMessage": post_message,
        "chat.update": update,
        "chat.postEphemeral": post_ephemeral,
        "chat.getPermalink": permalink,
        "reactions.add": reactions_add,
        "reactions.remove": reactions_remove,
        "conversations.replies": replies,
        "conversations.history": history,
        "conversations.info": conversations_info,
        "users.info": users_info,
        "files.getUploadURLExternal": get_upload_url,
        "files.completeUploadExternal": complete_upload,
        "files.info": files_info,
        "views.open": views_open,
        "views.update": views_update,
    }

    async def api(request: Request) -> Response:
        name = request.path_params["method"]
        params = await _params(request)
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else params.get("token")
        call = SlackCall(method=name, params=params, token=token)
        fault = state.take_fault(name)
        try:
            if fault is not None and fault.status == 429:
                call.status = 429
                return JSONResponse({"ok": False, "error": "ratelimited"}, status_code=429, headers={"Retry-After": str(fault.retry_after)})
            if fault is not None and fault.status == HANG:
                await asyncio.sleep(fault.retry_after)  # the caller may be gone by now
                call.status = 500
                return PlainTextResponse("Internal Server Error", status_code=500)
            if fault is not None and fault.status >= 500:
                call.status = fault.status
                return PlainTextResponse("Internal Server Error", status_code=fault.status)
            if fault is not None and fault.status != HANG_AFTER:
                raise SlackError(fault.error or "fatal_error")
            if name in ("chat.postMessage", "files.completeUploadExternal") and params.get("channel", params.get("channel_id")):
                wait = state.post_allowed(str(params.get("channel") or params.get("channel_id")))
                if wait is not None:
                    call.status = 429
                    retry = str(max(1, math.ceil(wait)))
                    return JSONResponse({"ok": False, "error": "ratelimited"}, status_code=429, headers={"Retry-After": retry})
            if name == "apps.connections.open":
                # Only the app-level token opens a Socket Mode connection.
                if token == config.bot_token:
                    raise SlackError("not_allowed_token_type")
                if token != config.app_token:
                    raise SlackError("not_authed" if not token else "invalid_auth")
            elif token == config.app_token:
                raise SlackError("not_allowed_token_type")
            elif token != config.bot_token:
                raise SlackError("not_authed" if not token else "invalid_auth")
            method = methods.get(name)
            if method is None:
                raise SlackError("unknown_method")
            result = await method(params)
            if fault is not None and fault.status == HANG_AFTER:
                await state.touched()
                await asyncio.sleep(fault.retry_after)  # done, but the answer never reaches the caller
                call.status = 500
                return PlainTextResponse("Internal Server Error", status_code=500)
            return JSONResponse({"ok": True, **result}, headers={"x-oauth-scopes": "chat:write,files:write,files:read"})
        except SlackError as exc:
            call.error = exc.error
            return JSONResponse({"ok": False, "error": exc.error})
        finally:
            await state.record(call)

    async def upload(request: Request) -> Response:
        file = state.files.get(request.path_params["file_id"])
        if file is None:
            return PlainTextResponse("not found", status_code=404)
        file.content = await request.body()
        file.uploaded = True
        await state.touched()
        return PlainTextResponse("OK - " + str(len(file.content)))

    async def download(request: Request) -> Response:
        """Private file URLs: the bytes with the bot token, a login page (200!) without."""
        file_id = request.path_params["file_key"].split("-", 1)[-1]
        file = state.files.get(file_id)
        auth = request.headers.get("authorization", "")
        allowed = auth == f"Bearer {config.bot_token}"
        state.downloads.append((file_id, allowed))
        if not allowed:
            return HTMLResponse("<!DOCTYPE html><html><body>Sign in to Slack</body></html>")
        if file is None:
            return PlainTextResponse("not found", status_code=404)
        return Response(file.content, media_type=file.mimetype)

    async def hook(request: Request) -> Response:
        body = await request.body()
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {"raw": body.decode("utf-8", "replace")}
        state.hooks.append((request.path_params["hook_id"], payload))
        await state.touched()
        return PlainTextResponse("ok")

    routes = [
        Route("/api/{method}", api, methods=["GET", "POST"]),
        Route("/upload/v1/{file_id}", upload, methods=["POST"]),
        Route("/files-pri/{file_key}/{name}", download, methods=["GET"]),
        Route("/hooks/{hook_id}", hook, methods=["POST"]),
        WebSocketRoute("/socket-mode/link", state.sockets.serve),
    ]
    return Starlette(routes=routes)
