"""The emulated Slack Web API: the methods the bridge calls, with Slack's wire shapes.

Serve ``create_slack_emulator(state)`` on loopback and point ``SLACK_API_URL`` at
``http://127.0.0.1:PORT/api/``. Errors come back as Slack sends them: HTTP 200 with
``{"ok": false, "error": ...}`` (plus ``errors``/``response_metadata`` for blocks,
``needed``/``provided`` for ``missing_scope``), or HTTP 429 with ``Retry-After``.
A command's or button's ``response_url`` answers as Slack's webhooks do: ``ok`` on
success, HTTP 400 with the error as plain text (``no_text``, ``invalid_blocks``) else.
The ``response_url`` of an action on a message acts on that message when asked:
``replace_original`` replaces it (a new version), ``delete_original`` deletes it.
A fault queued with ``state.fail(...)``, else ``state.standing_fault``, answers a Web
API call in place of the method; response_url posts and file downloads are never faulted.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute

from bot.sandbox.slack.content import SlackError, prepare
from bot.sandbox.slack.manifest import SCOPES, needed_scope
from bot.sandbox.slack.methods import build_methods
from bot.sandbox.slack.state import HANG, HANG_AFTER, SlackCall, SlackMessage, SlackState

__all__ = ["create_slack_emulator"]

Params = dict[str, Any]


async def _params(request: Request) -> Params:
    """Slack takes arguments in the query, a form or a JSON body; the SDK uses all three."""
    params: Params = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if "application/json" in content_type:
        body = await request.body()
        if body:
            try:
                data = json.loads(body)
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(data, dict):
                raise SlackError("json_not_object")
            params.update(data)
    elif "form" in content_type:
        async with request.form() as form:
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def create_slack_emulator(state: SlackState) -> Starlette:
    config = state.config
    methods = build_methods(state)

    def scopes_header() -> dict[str, str]:
        granted = state.granted_scopes()
        return {"x-oauth-scopes": ",".join(sorted(granted)) if granted is not None else "chat:write,files:write,files:read"}

    def permanent(error: str, name: str, params: Params, needed: str | None = None) -> SlackError:
        """A permanent refusal as Slack words it (``missing_scope`` names the scopes)."""
        if error != "missing_scope":
            return SlackError(error)
        need = SCOPES.get(name, "")
        if isinstance(need, tuple):
            need = need[1] if str(params.get("channel") or "").startswith("G") else need[0]
        granted = state.granted_scopes() or set()
        return SlackError(error, needed=needed or need or "chat:write", provided=",".join(sorted(granted)))

    async def api(request: Request) -> Response:
        name = request.path_params["method"]
        peer = request.client
        call = SlackCall(method=name, params={}, token=None, connection=f"{peer.host}:{peer.port}" if peer else None)
        fault = state.take_fault(name)
        try:
            params = await _params(request)
            call.params = params
            auth = request.headers.get("authorization", "")
            token = auth[7:] if auth.lower().startswith("bearer ") else params.get("token")
            call.token = token
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
                raise permanent(fault.error or "fatal_error", name, params)
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
            refusal = state.take_refusal(name, params)
            if refusal is not None:
                raise permanent(refusal.error, name, params, refusal.needed)
            method = methods.get(name)
            if method is None:
                raise SlackError("unknown_method")
            granted = state.granted_scopes()
            if granted is not None and name != "apps.connections.open":
                need = needed_scope(name, params, granted)
                if need is not None:
                    raise SlackError("missing_scope", needed=need, provided=",".join(sorted(granted)))
            result = await method(params)
            if fault is not None and fault.status == HANG_AFTER:
                await state.touched()
                await asyncio.sleep(fault.retry_after)  # done, but the answer never reaches the caller
                call.status = 500
                return PlainTextResponse("Internal Server Error", status_code=500)
            return JSONResponse({"ok": True, **result}, headers=scopes_header())
        except SlackError as exc:
            call.error = exc.error
            return JSONResponse({"ok": False, "error": exc.error, **exc.extra}, headers=scopes_header())
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

    def original(hook_id: str) -> SlackMessage | None:
        """The message whose action gave ``hook_id`` (None: a command's, or gone)."""
        source = state.hook_sources.get(hook_id)
        message = state.messages.get(source) if source else None
        return message if message is not None and not message.deleted else None

    async def hook(request: Request) -> Response:
        """A response_url: Slack checks the message as chat.postMessage does, answers like a webhook."""
        hook_id = request.path_params["hook_id"]
        body = await request.body()
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            state.hook_refusals.append((hook_id, {"raw": body.decode("utf-8", "replace")}, "invalid_payload"))
            await state.touched()
            return PlainTextResponse("invalid_payload", status_code=400)
        message = original(hook_id)
        if not payload.get("delete_original"):
            try:
                post = prepare(state, payload)
            except SlackError as exc:
                state.hook_refusals.append((hook_id, payload, exc.error))
                await state.touched()
                return PlainTextResponse(exc.error, status_code=400)
            if post.truncated:
                payload = {**payload, "text": post.text}
            if message is not None and str(payload.get("replace_original")).lower() == "true":
                message.text, message.blocks = post.text, post.blocks
                message.renders.append(post.rendered)
                message.edits += 1
            else:
                state.hook_renders.append((hook_id, post.rendered))
        elif message is not None:
            message.deleted = True
        state.hooks.append((hook_id, payload))
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
