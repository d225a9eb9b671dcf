"""The console's HTTP side: the page, its assets, its state, live changes and its actions.

``create_console_app(session, timeline)`` serves on loopback only. Every action answers
JSON: ``{"ok": true}`` or a 400 with ``{"error": "<one sentence saying what to fix>"}``.
Actions need the ``X-Console`` header, which a page on another site cannot send without
asking first (and is never told yes), and the Host must be this machine's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from bot.sandbox.console.session import MAX_UPLOAD, ConsoleError, ConsoleSession, Upload
from bot.sandbox.console.snapshot import snapshot
from bot.sandbox.console.timeline import Timeline

__all__ = ["create_console_app"]

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


class _Assets(StaticFiles):
    """The page's files from the package, each with the page's security headers (a script is never sniffed)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


STATIC = _Assets(packages=[("bot.sandbox.console", "static")])
Action = Callable[[Request, ConsoleSession], Awaitable[dict[str, Any] | None]]


def _fingerprint(session: ConsoleSession) -> tuple[int, ...]:
    """Changes no request carries (a status mProfi moved with PUSH off, a reaction…)."""
    slack, sim = session.stack.slack, session.stack.sim
    return (
        session.version,
        len(slack.messages),
        sum(m.edits + len(m.reactions) + m.deleted for m in slack.messages.values()),
        len(slack.ephemeral),
        len(slack.hooks),
        len(slack.view_answers),
        sum(len(m.history) for m in sim.messages.values()),
        len(sim.incoming),
        sum(len(r.attempts) for r in sim.incoming),
        sum(len(r.get("answers", [])) for s in sim.surveys.values() for r in s.responses.values()),
    )


async def _fields(request: Request) -> dict[str, Any]:
    """The action's fields, from JSON or a multipart form (which may carry one file)."""
    if int(request.headers.get("content-length") or 0) > MAX_UPLOAD + 65536:
        raise ConsoleError(f"that file is too big for the sandbox: at most {MAX_UPLOAD // 1024 // 1024} MB")
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        fields: dict[str, Any] = {}
        try:
            async with request.form(max_files=1, max_fields=20) as form:  # closes the spooled upload
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        content = await value.read()
                        if content:
                            fields[name] = Upload(value.filename or "file", content, value.content_type or "application/octet-stream")
                    else:
                        fields[name] = value
        except HTTPException as refused:  # Starlette's multipart limits: two files, no boundary, a field over 1 MB
            hint = ": send one file at a time" if "files" in str(refused.detail).lower() else ""
            raise ConsoleError(f"the form could not be read ({refused.detail}){hint}") from None
        return fields
    try:
        data = json.loads(await request.body() or b"{}")
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise ConsoleError("the request is not JSON") from None
    if not isinstance(data, dict):
        raise ConsoleError("the request must be a JSON object")
    return data


def _text(fields: dict[str, Any], name: str, default: str | None = None) -> str:
    value = fields.get(name, default)
    if value is None:
        raise ConsoleError(f"{name} is missing")
    if not isinstance(value, str):
        raise ConsoleError(f"{name} must be text")
    return value


def _optional(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    return value if isinstance(value, str) and value else None


def _upload(fields: dict[str, Any], name: str) -> Upload | None:
    value = fields.get(name)
    return value if isinstance(value, Upload) else None


def _actions() -> dict[str, Action]:
    async def add_phone(request: Request, session: ConsoleSession) -> dict[str, Any]:
        return {"digits": session.add_phone(_text(await _fields(request), "number"))}

    async def remove_phone(request: Request, session: ConsoleSession) -> None:
        session.remove_phone(_text(await _fields(request), "digits"))

    async def phone_text(request: Request, session: ConsoleSession) -> None:
        fields = await _fields(request)
        await session.phone_texts(
            _text(fields, "digits"),
            _text(fields, "text", ""),
            webhook_format=_text(fields, "format", "standard"),
            image=_upload(fields, "image"),
        )

    async def survey(request: Request, session: ConsoleSession) -> None:
        fields = await _fields(request)
        try:
            survey_id = int(_text(fields, "survey"))
        except ValueError:
            raise ConsoleError("choose a survey first") from None
        session.answer_survey(_text(fields, "digits"), survey_id, _text(fields, "answer"))

    async def say(request: Request, session: ConsoleSession) -> None:
        fields = await _fields(request)
        text, user, channel = _text(fields, "text", ""), _text(fields, "user"), _text(fields, "channel")
        # Slack's composer runs a slash command typed in a thread too (as the channel's).
        if text.strip().startswith("/") and _upload(fields, "file") is None:
            await session.command(user, channel, text)
        else:
            await session.say(user, channel, text, thread_ts=_optional(fields, "thread"), upload=_upload(fields, "file"))

    async def act(request: Request, session: ConsoleSession) -> None:
        fields = await _fields(request)
        await session.act(
            _text(fields, "user"),
            _text(fields, "channel"),
            ts=_optional(fields, "ts"),
            private=_optional(fields, "private"),
            block_id=_text(fields, "block"),
            action_id=_text(fields, "action"),
            value=_optional(fields, "value"),
        )

    def _values(fields: dict[str, Any]) -> dict[str, Any]:
        values = fields.get("values") or {}
        if not isinstance(values, dict):
            raise ConsoleError("values must be an object")
        return values

    async def modal_submit(request: Request, session: ConsoleSession) -> dict[str, Any]:
        fields = await _fields(request)
        return {"errors": await session.submit_modal(_text(fields, "view"), _values(fields))}

    async def modal_type(request: Request, session: ConsoleSession) -> None:
        fields = await _fields(request)
        await session.type_in_modal(_text(fields, "view"), _values(fields), _text(fields, "block"), _text(fields, "action"))

    async def modal_press(request: Request, session: ConsoleSession) -> None:
        fields = await _fields(request)
        await session.press_in_modal(_text(fields, "view"), _text(fields, "block"), _text(fields, "action"))

    async def modal_close(request: Request, session: ConsoleSession) -> None:
        session.close_modal(_text(await _fields(request), "view"))

    async def switch(request: Request, session: ConsoleSession) -> None:
        fields = await _fields(request)
        on = fields.get("on", False)
        if isinstance(on, str) and on.lower() in ("true", "false"):  # as a form sends it
            on = on.lower() == "true"
        if not isinstance(on, bool):
            raise ConsoleError("on must be true or false")  # "false" is a true value to bool()
        try:
            await session.switches.set(_text(fields, "name"), on)
        except ValueError as unknown:
            raise ConsoleError(str(unknown)) from None
        session.touch()

    return {
        "phones/add": add_phone,
        "phones/remove": remove_phone,
        "phones/text": phone_text,
        "phones/survey": survey,
        "say": say,
        "act": act,
        "modal/submit": modal_submit,
        "modal/type": modal_type,
        "modal/press": modal_press,
        "modal/close": modal_close,
        "switches": switch,
    }


def create_console_app(session: ConsoleSession, timeline: Timeline) -> Starlette:
    """The console for one running sandbox (``session``) and the requests it saw (``timeline``)."""
    actions = _actions()
    closing = asyncio.Event()  # set when the console stops: open event streams end

    async def page(request: Request) -> Response:
        return await STATIC.get_response("index.html", request.scope)

    async def state(request: Request) -> Response:
        query = request.query_params
        channel = query.get("channel") or session.stack.channel
        found = snapshot(session, channel=channel, thread=query.get("thread") or None, user=query.get("user") or "U0ANNA")
        return JSONResponse(found, headers=HEADERS)

    async def action(request: Request) -> Response:
        if request.headers.get("x-console") != "1":
            return JSONResponse({"error": "actions come from the console page only"}, status_code=403)
        handler = actions.get(request.path_params["name"])
        if handler is None:
            return JSONResponse({"error": "there is no such action"}, status_code=404)
        try:
            answer = await handler(request, session)
        except ConsoleError as problem:
            return JSONResponse({"error": str(problem)}, status_code=400)
        return JSONResponse({"ok": True, **(answer or {})})

    async def events(request: Request) -> Response:
        async def changes() -> AsyncIterator[str]:
            seen: tuple[int, ...] = ()
            quiet = 0
            while not closing.is_set():
                now = (timeline.version, *_fingerprint(session))
                if now != seen:
                    seen, quiet = now, 0
                    yield f"event: change\ndata: {json.dumps({'timeline': timeline.version})}\n\n"
                elif (quiet := quiet + 1) % 30 == 0:
                    yield ": still here\n\n"  # keeps proxies and the browser from timing out
                await timeline.wait_changed(now[0], timeout=0.5)

        return StreamingResponse(changes(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    async def timeline_entries(request: Request) -> Response:
        try:
            since = int(request.query_params.get("since") or 0)
        except ValueError:
            since = 0
        version = timeline.version  # read first: what changes meanwhile comes again next time
        entries = [timeline.summary(entry) for entry in timeline.changed(since)]
        return JSONResponse({"entries": entries, "version": version})

    async def timeline_detail(request: Request) -> Response:
        entry = timeline.get(request.path_params["entry"])
        if entry is None:
            return JSONResponse({"error": "that request is no longer kept"}, status_code=404)
        return JSONResponse(timeline.detail(entry))

    async def slack_file(request: Request) -> Response:
        file = session.stack.slack.files.get(request.path_params["file_id"])
        if file is None:
            return JSONResponse({"error": "no such file"}, status_code=404)
        return _file_response(file.content, file.mimetype, file.name)

    async def phone_image(request: Request) -> Response:
        record = next((r for r in session.stack.sim.incoming if r.id == request.path_params["incoming"]), None)
        index = request.path_params["index"]
        if record is None or not 0 <= index < len(record.images):
            return JSONResponse({"error": "no such image"}, status_code=404)
        name, content, mimetype = record.images[index]
        return _file_response(content, mimetype, name)

    routes = [
        Route("/", page),
        Route("/api/state", state),
        Route("/api/events", events),
        Route("/api/timeline", timeline_entries),
        Route("/api/timeline/{entry:int}", timeline_detail),
        Route("/api/files/{file_id}", slack_file),
        Route("/api/phone-images/{incoming:int}/{index:int}", phone_image),
        Route("/api/{name:path}", action, methods=["POST"]),
        Mount("/static", STATIC),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"])]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: _refused})
    app.state.closing = closing  # set it before stopping the server: open event streams end
    return app


async def _refused(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such address, a wrong method) in the actions' JSON shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 400
    words = {404: "there is nothing at this address", 405: f"this address does not take a {request.method} request"}
    detail = words.get(status, exc.detail if isinstance(exc, HTTPException) else str(exc))
    headers = exc.headers if isinstance(exc, HTTPException) else None
    return JSONResponse({"error": detail}, status_code=status, headers=headers)


def _file_response(content: bytes, mimetype: str, name: str) -> Response:
    """A file as the page shows it: pictures inline, anything else downloaded (never run as a page)."""
    inline = mimetype in ("image/png", "image/jpeg", "image/gif", "image/webp")
    disposition = "inline" if inline else "attachment"
    safe_name = "".join(c for c in name if c.isalnum() or c in "._- ") or "file"
    headers = {**HEADERS, "Content-Disposition": f'{disposition}; filename="{safe_name}"'}
    return Response(content, media_type=mimetype if inline else "application/octet-stream", headers=headers)
