"""The ``/_sim/`` control routes (not part of mProfi): steer the simulator from outside.

A demo or a test in another process injects inbound messages, moves statuses, queues
faults and reads what was sent, including what each phone actually received.
"""

from __future__ import annotations

import base64

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.mprofi.state import SimMessage, SimulatorState

__all__ = ["control_routes", "message_json"]


def message_json(message: SimMessage) -> dict[str, object]:
    """A sent message as the control API lists it: as sent and as delivered."""
    return {
        "id": message.id,
        "kind": message.kind,
        "recipient": message.recipient,
        "message": message.text,
        "delivered": message.delivered_text,
        "parts": message.parts,
        "reference": message.reference,
        "encoding": message.encoding,
        "date": message.date,
        "scheduled_for": message.scheduled_for.isoformat() if message.scheduled_for else None,
        "status": message.status,
        "file_name": message.file_name,
    }


def control_routes(state: SimulatorState) -> list[Route]:
    """Routes bound to ``state``."""

    async def inbound(request: Request) -> Response:
        """Any sender id is taken as given: numbers, short codes, names like ``ORANGE``."""
        body = await request.json()
        images = [(i["name"], base64.b64decode(i["content_b64"]), i.get("content_type", "image/png")) for i in body.get("images", [])]
        record = state.inject_inbound(
            str(body["sender"]),
            body.get("message", ""),
            recipient=body.get("recipient"),
            images=images,
            webhook_format=body.get("format"),
            mobileapp=bool(body.get("mobileapp")),
        )
        return JSONResponse({"id": record.id})

    async def set_status(request: Request) -> Response:
        body = await request.json()
        message = state.set_status(int(request.path_params["message_id"]), body["status"])
        return JSONResponse({"id": message.id, "status": message.status})

    async def messages(request: Request) -> Response:
        return JSONResponse([message_json(m) for m in state.messages.values()])

    async def fault(request: Request) -> Response:
        body = await request.json()
        state.queue_fault(body["endpoint"], body["kind"], int(body.get("count", 1)))
        return JSONResponse({"ok": True})

    return [
        Route("/_sim/inbound", inbound, methods=["POST"]),
        Route("/_sim/messages", messages, methods=["GET"]),
        Route("/_sim/messages/{message_id:int}/status", set_status, methods=["POST"]),
        Route("/_sim/faults", fault, methods=["POST"]),
    ]
