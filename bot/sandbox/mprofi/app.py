"""The simulated mProfi API: every endpoint of the spec under ``/1.0/``, strictly.

``create_simulator_app(state)`` returns a Starlette app; serve it on loopback and point
``MPROFI_API_URL`` at ``http://127.0.0.1:PORT/1.0/``. Each call goes through the same
gate (queued or standing fault, body kind, key, documented parameters) before its
handler, so a client that sends anything the spec does not describe is refused as the
real service would refuse it; ``config.answer_delay_seconds`` slows every call down.
Control routes under ``/_sim/`` steer the simulator from outside, never slowed or faulted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.mprofi import hlr, reading, sending
from bot.sandbox.mprofi.control import control_routes
from bot.sandbox.mprofi.rules import ENDPOINTS, Text
from bot.sandbox.mprofi.state import SimulatorState
from bot.sandbox.mprofi.validation import Fields, Refused, authenticate, error, read_fields, refuse_unknown

__all__ = ["create_simulator_app"]

Handler = Callable[[SimulatorState, Request, Fields], Awaitable[Response]]

# (path, endpoint rules, handler, HTTP method)
_API: tuple[tuple[str, str, Handler, str], ...] = (
    ("send/", "send", sending.send, "POST"),
    ("sendbulk/", "sendbulk", sending.sendbulk, "POST"),
    ("sendmms/", "sendmms", sending.sendmms, "POST"),
    ("sendbulkmms/", "sendbulkmms", sending.sendbulkmms, "POST"),
    ("status/", "status", reading.status, "GET"),
    ("getincoming/", "getincoming", reading.incoming(False), "POST"),
    ("getincoming_mobileapp/", "getincoming_mobileapp", reading.incoming(True), "POST"),
    ("surveys/", "surveys", reading.surveys, "GET"),
    ("surveys/{survey_id:int}/", "surveys", reading.survey_detail, "GET"),
    ("surveys/{survey_id:int}/start/", "surveys/start", reading.survey_start, "POST"),
    ("surveys/{survey_id:int}/report/", "surveys/report", reading.survey_report, "GET"),
    ("hlr/single/", "hlr/single", hlr.hlr_single, "POST"),
    ("hlr/bulk/", "hlr/bulk", hlr.hlr_bulk, "POST"),
    ("hlr/download/", "hlr/download", hlr.hlr_download, "POST"),
)


async def _fault_before(state: SimulatorState, fault: str | None) -> Response | None:
    """The answer a queued or standing fault gives instead of the real one (None: go on)."""
    if fault == "429":
        return JSONResponse({"detail": "Request was throttled."}, status_code=429, headers={"Retry-After": "1"})
    if fault == "503":
        return JSONResponse({"detail": "Service unavailable."}, status_code=503)
    if fault == "500":
        return JSONResponse({"detail": "Server error."}, status_code=500)
    if fault == "400":
        return error(400, Text.BAD_RECIPIENT)
    if fault == "garbled":
        return JSONResponse({"id": "x-17", "status": 7, "state": "maintenance", "items": {"a": [1]}})
    if fault == "hang":
        await asyncio.sleep(state.config.hang_seconds)
    return None


def _endpoint(state: SimulatorState, rules_name: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    rules = ENDPOINTS[rules_name]

    async def run(request: Request) -> Response:
        if state.config.answer_delay_seconds > 0:
            # The request has arrived in full (read before waiting, so a caller that
            # gives up meanwhile does not stop it), and only then is the server slow.
            await request.body()
            await asyncio.sleep(state.config.answer_delay_seconds)
        fault = state.take_fault(rules.name)
        early = await _fault_before(state, fault)
        if early is not None:
            return early
        try:
            fields = await read_fields(request, rules)
            authenticate(state, request, fields, rules)
            refuse_unknown(request, fields, rules)
            response = await handler(state, request, fields)
        except Refused as refused:
            return refused.response
        if fault == "500_after_accept":
            return JSONResponse({"detail": "Server error."}, status_code=500)
        if fault == "hang_after_accept":
            await asyncio.sleep(state.config.hang_seconds)
        return response

    return run


def create_simulator_app(state: SimulatorState) -> Starlette:
    """Build the simulator around ``state`` (one app per state, as many as a test wants)."""
    routes = [Route("/1.0/" + path, _endpoint(state, name, handler), methods=[method]) for path, name, handler, method in _API]
    routes += control_routes(state)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        detail = "Not found." if status == 404 else str(getattr(exc, "detail", ""))
        return JSONResponse({"detail": detail}, status_code=status)

    return Starlette(routes=routes, exception_handlers={404: http_error, 405: http_error})
