"""The simulated mProfi API: every endpoint of the spec under ``/1.0/``.

``create_simulator_app(state)`` returns a Starlette app; serve it on loopback and point
``MPROFI_API_URL`` at ``http://127.0.0.1:PORT/1.0/``. Control routes under ``/_sim/``
let a demo or another process inject inbound messages, steer statuses and queue faults.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.mprofi.models import WARSAW
from bot.sandbox.mprofi.hlr import REPORT_COLUMNS, hlr_record
from bot.sandbox.mprofi.state import KeyPurpose, SimMessage, SimulatorState, now
from bot.sandbox.mprofi.validation import (
    MSISDN,
    Fields,
    Refused,
    authenticate,
    check_date,
    check_range_date,
    check_recipient,
    error,
    read_fields,
)
from bot.sms.text import MMS_FILE_EXTENSIONS, MMS_MAX_CHARS, MMS_MAX_FILE_BYTES, SMS_MAX_CHARS

__all__ = ["create_simulator_app"]

Handler = Callable[[Request, Fields], Awaitable[Response]]
HLR_MAX_FILE_BYTES = 10 * 1024 * 1024


def create_simulator_app(state: SimulatorState) -> Starlette:
    """Build the simulator around ``state`` (one app per state, as many as a test wants)."""

    def endpoint(name: str, purpose: KeyPurpose, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            fault = state.take_fault(name)
            if fault == "429":
                return JSONResponse({"detail": "Request was throttled."}, status_code=429, headers={"Retry-After": "1"})
            if fault == "503":
                return JSONResponse({"detail": "Service unavailable."}, status_code=503)
            if fault == "500":
                return JSONResponse({"detail": "Server error."}, status_code=500)
            if fault == "400":
                return error(400, "Recipient is on the account's blocked list.")
            if fault == "hang":
                await asyncio.sleep(state.config.hang_seconds)
            try:
                fields = await read_fields(request)
                authenticate(state, request, fields, purpose)
                response = await handler(request, fields)
            except Refused as refused:
                return refused.response
            if fault == "500_after_accept":
                return JSONResponse({"detail": "Server error."}, status_code=500)
            if fault == "hang_after_accept":
                await asyncio.sleep(state.config.hang_seconds)
            return response

        return run

    # ---- sending -------------------------------------------------------------------

    def new_message(item: dict[str, Any], kind: str, *, limit: int, allow_empty: bool) -> SimMessage | JSONResponse:
        recipient = check_recipient(item.get("recipient"))
        if recipient is None:
            return error(400, "Invalid recipient.")
        text = item.get("message", "" if allow_empty else None)
        if not isinstance(text, str) or (not allow_empty and not text) or len(text) > limit:
            return error(400, "Message is too long." if isinstance(text, str) and len(text) > limit else "Invalid message.")
        ok, when = check_date(item.get("date"))
        if not ok:
            return error(400, "Invalid date.")
        reference = item.get("reference")
        encoding = item.get("encoding")
        return SimMessage(
            id=0,
            kind=kind,  # type: ignore[arg-type]
            recipient=recipient,
            text=text,
            reference=str(reference) if reference not in (None, "") else None,
            encoding=str(encoding) if encoding else None,
            scheduled_for=when,
            created_at=now(),
        )

    def store(message: SimMessage) -> int:
        message.id = state.next_ids(1)[0]
        state.add_message(message)
        return message.id

    async def send(request: Request, fields: Fields) -> Response:
        result = new_message(fields.values, "sms", limit=SMS_MAX_CHARS, allow_empty=False)
        if isinstance(result, JSONResponse):
            return result
        return JSONResponse({"id": store(result)})

    def bulk_items(fields: Fields) -> list[dict[str, Any]] | JSONResponse:
        messages = fields.get("messages")
        if messages is not None:
            if isinstance(messages, str):
                try:
                    messages = json.loads(messages)
                except ValueError:
                    return error(400, "Could not read the messages parameter.", code="ERR002")
            if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
                return error(400, "Could not read the messages parameter.", code="ERR002")
            return messages
        default = fields.get("default_message")
        recipients = fields.lists.get("recipients") or fields.get("recipients")
        if default is None or not recipients:
            return error(400, "Required parameters not found: messages or default_message and recipients.", code="ERR001")
        if not isinstance(recipients, list):
            recipients = [recipients]
        extra = {k: fields.get(k) for k in ("encoding", "date", "reference") if fields.get(k) is not None}
        return [{"recipient": r, "message": default, **extra} for r in recipients]

    def bulk(kind: str, limit: int, allow_empty: bool, file_name: str | None = None, file_size: int = 0) -> Handler:
        async def handler(request: Request, fields: Fields) -> Response:
            items = bulk_items(fields)
            if isinstance(items, JSONResponse):
                return items
            result: list[dict[str, Any]] = []
            for item in items:
                if item.get("recipient") in (None, ""):
                    result.append({"error_code": "ERR000", "error_message": "Missing 'recipient' parameter."})
                    continue
                if item.get("message") is None and not allow_empty:
                    result.append({"error_code": "ERR000", "error_message": "Missing 'message' parameter."})
                    continue
                made = new_message(item, kind, limit=limit, allow_empty=allow_empty)
                if isinstance(made, JSONResponse):
                    result.append({"error_code": "ERR000", "error_message": json.loads(made.body)["detail"]})
                    continue
                made.file_name, made.file_size = file_name, file_size
                result.append({"id": store(made)})
            return JSONResponse({"result": result})

        return handler

    async def check_mms_file(fields: Fields) -> tuple[str | None, int] | JSONResponse:
        upload = fields.files.get("file")
        if upload is None:
            return None, 0
        name, content = upload
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in MMS_FILE_EXTENSIONS:
            return error(400, "Invalid file format; allowed: txt, png, jpg, jpeg, gif.")
        if len(content) > MMS_MAX_FILE_BYTES:
            return error(400, "File is too large; the maximum size is 300kB.")
        return name, len(content)

    async def sendmms(request: Request, fields: Fields) -> Response:
        checked = await check_mms_file(fields)
        if isinstance(checked, JSONResponse):
            return checked
        result = new_message(fields.values, "mms", limit=MMS_MAX_CHARS, allow_empty=True)
        if isinstance(result, JSONResponse):
            return result
        result.file_name, result.file_size = checked
        return JSONResponse({"id": store(result)})

    async def sendbulkmms(request: Request, fields: Fields) -> Response:
        checked = await check_mms_file(fields)
        if isinstance(checked, JSONResponse):
            return checked
        return await bulk("mms", MMS_MAX_CHARS, True, *checked)(request, fields)

    # ---- statuses and inbound ------------------------------------------------------

    async def status(request: Request, fields: Fields) -> Response:
        raw = fields.get("id")
        if not isinstance(raw, str) or not raw.isdigit():
            return error(400, "Invalid id.")
        message = state.messages.get(int(raw))
        if message is None:
            return JSONResponse({"detail": "Not found."}, status_code=404)
        return JSONResponse(
            {
                "id": message.id,
                "status": message.status,
                "reference": message.reference,
                "ts": message.ts.isoformat() if message.ts else None,
            }
        )

    def incoming(mobileapp: bool) -> Handler:
        async def handler(request: Request, fields: Fields) -> Response:
            start = check_range_date(fields.get("date_from"))
            end = check_range_date(fields.get("date_to"))
            if start is None or end is None:
                return error(400, "Invalid date_from or date_to; use YYYY-MM-DD[ HH:MM[:SS]].")
            if end < start:
                return error(400, "date_to must not be earlier than date_from.")
            found = sorted(
                (m for m in state.incoming if m.mobileapp == mobileapp and start <= m.ts <= end),
                key=lambda m: m.ts,
            )
            return JSONResponse(
                [
                    {
                        "id": m.id,
                        "message": m.message,
                        "sender": m.sender,
                        "recipient": m.recipient,
                        "ts": m.ts.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M:%S"),
                    }
                    for m in found
                ]
            )

        return handler

    # ---- surveys -------------------------------------------------------------------

    def survey_json(survey_id: int, detail: bool) -> dict[str, Any]:
        s = state.surveys[survey_id]
        body: dict[str, Any] = {
            "id": s.id,
            "name": s.name,
            "created_at": s.created_at.strftime("%Y-%m-%dT%H:%M:%S"),
            "active": s.active,
            "start": s.start.strftime("%Y-%m-%dT%H:%M:%S"),
            "end": s.end.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        if detail:
            body["msisdn"] = s.msisdn
            body["participants"] = len(s.responses)
        return body

    def survey_id(request: Request) -> int:
        value = int(request.path_params["survey_id"])
        if value not in state.surveys:
            raise Refused(JSONResponse({"detail": "Not found."}, status_code=404))
        return value

    async def surveys(request: Request, fields: Fields) -> Response:
        return JSONResponse([survey_json(i, False) for i in sorted(state.surveys)])

    async def survey_detail(request: Request, fields: Fields) -> Response:
        return JSONResponse(survey_json(survey_id(request), True))

    async def survey_start(request: Request, fields: Fields) -> Response:
        sid = survey_id(request)
        value = fields.get("msisdn")
        value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(value, str) or not MSISDN.match(value):
            return error(400, "Invalid or missing msisdn; use the international form 48XXXXXXXXX.")
        if not state.surveys[sid].active:
            return error(400, "Survey is not active.")
        state.surveys[sid].responses.setdefault(value, {"answers": [], "finished": None})
        return Response(status_code=200)

    async def survey_report(request: Request, fields: Fields) -> Response:
        s = state.surveys[survey_id(request)]
        return JSONResponse(
            [
                {
                    "msisdn": number,
                    "answers": list(r["answers"]),
                    "finished": r["finished"].strftime("%Y-%m-%dT%H:%M:%S") if r["finished"] else None,
                }
                for number, r in s.responses.items()
            ]
        )

    # ---- HLR -----------------------------------------------------------------------

    async def hlr_single(request: Request, fields: Fields) -> Response:
        value = fields.get("msisdn")
        if not isinstance(value, str) or not MSISDN.match(value):
            return error(400, "Invalid msisdn; use the international form 48XXXXXXXXX.")
        return JSONResponse(hlr_record(state, value))

    async def hlr_bulk(request: Request, fields: Fields) -> Response:
        upload = fields.files.get("file")
        if upload is None:
            return error(400, "The file parameter is required.")
        content = upload[1]
        if len(content) > HLR_MAX_FILE_BYTES:
            return error(400, "File is too large; the maximum size is 10MB.")
        numbers: list[str] = []
        lines = content.decode("utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip() and number == len(lines):
                continue
            if not MSISDN.match(line.strip()):
                return error(400, f"Invalid file: line {number} is not a number in the form 48XXXXXXXXX.")
            numbers.append(line.strip())
        if not numbers:
            return error(400, "Invalid file: it holds no numbers.")
        return JSONResponse({"upload_id": state.add_hlr_upload(numbers).upload_id})

    async def hlr_download(request: Request, fields: Fields) -> Response:
        upload_id = fields.get("upload_id")
        if not isinstance(upload_id, str) or not upload_id:
            return error(400, "The upload_id parameter is required.")
        upload = state.hlr_uploads.get(upload_id)
        if upload is None:
            return JSONResponse({"detail": "Not found."}, status_code=404)
        if upload.ready_at is None or upload.ready_at > now():
            return JSONResponse({"detail": "Report is not ready yet."}, status_code=202)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)
        for msisdn in upload.numbers:
            row = {k.lower(): v for k, v in hlr_record(state, msisdn).items()}
            row["hlr_check_date"] = row.pop("hlr_check_data", "")
            writer.writerow([row.get(column, "") for column in REPORT_COLUMNS])
        return PlainTextResponse(out.getvalue(), media_type="text/csv")

    # ---- control routes (not part of mProfi) --------------------------------------

    async def control_inbound(request: Request) -> Response:
        body = await request.json()
        images = [
            (i["name"], base64.b64decode(i["content_b64"]), i.get("content_type", "image/png"))
            for i in body.get("images", [])
        ]
        record = state.inject_inbound(
            body["sender"],
            body.get("message", ""),
            recipient=body.get("recipient"),
            images=images,
            webhook_format=body.get("format"),
            mobileapp=bool(body.get("mobileapp")),
        )
        return JSONResponse({"id": record.id})

    async def control_status(request: Request) -> Response:
        body = await request.json()
        message = state.set_status(int(request.path_params["message_id"]), body["status"])
        return JSONResponse({"id": message.id, "status": message.status})

    async def control_messages(request: Request) -> Response:
        return JSONResponse(
            [
                {
                    "id": m.id,
                    "kind": m.kind,
                    "recipient": m.recipient,
                    "message": m.text,
                    "reference": m.reference,
                    "encoding": m.encoding,
                    "status": m.status,
                    "file_name": m.file_name,
                }
                for m in state.messages.values()
            ]
        )

    async def control_fault(request: Request) -> Response:
        body = await request.json()
        state.queue_fault(body["endpoint"], body["kind"], int(body.get("count", 1)))
        return JSONResponse({"ok": True})

    routes = [
        Route("/1.0/send/", endpoint("send", "send", send), methods=["POST"]),
        Route("/1.0/sendbulk/", endpoint("sendbulk", "send", bulk("sms", SMS_MAX_CHARS, False)), methods=["POST"]),
        Route("/1.0/sendmms/", endpoint("sendmms", "mms", sendmms), methods=["POST"]),
        Route("/1.0/sendbulkmms/", endpoint("sendbulkmms", "mms", sendbulkmms), methods=["POST"]),
        Route("/1.0/status/", endpoint("status", "send", status), methods=["GET"]),
        Route("/1.0/getincoming/", endpoint("getincoming", "receive", incoming(False)), methods=["POST"]),
        Route(
            "/1.0/getincoming_mobileapp/",
            endpoint("getincoming_mobileapp", "receive", incoming(True)),
            methods=["POST"],
        ),
        Route("/1.0/surveys/", endpoint("surveys", "send", surveys), methods=["GET"]),
        Route("/1.0/surveys/{survey_id:int}/", endpoint("surveys", "send", survey_detail), methods=["GET"]),
        Route("/1.0/surveys/{survey_id:int}/start/", endpoint("surveys/start", "send", survey_start), methods=["POST"]),
        Route("/1.0/surveys/{survey_id:int}/report/", endpoint("surveys/report", "send", survey_report), methods=["GET"]),
        Route("/1.0/hlr/single/", endpoint("hlr/single", "hlr", hlr_single), methods=["POST"]),
        Route("/1.0/hlr/bulk/", endpoint("hlr/bulk", "hlr", hlr_bulk), methods=["POST"]),
        Route("/1.0/hlr/download/", endpoint("hlr/download", "hlr", hlr_download), methods=["POST"]),
        Route("/_sim/inbound", control_inbound, methods=["POST"]),
        Route("/_sim/messages", control_messages, methods=["GET"]),
        Route("/_sim/messages/{message_id:int}/status", control_status, methods=["POST"]),
        Route("/_sim/faults", control_fault, methods=["POST"]),
    ]
    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        return JSONResponse({"detail": "Not found." if status == 404 else str(getattr(exc, "detail", ""))}, status_code=status)

    return Starlette(routes=routes, exception_handlers={404: http_error, 405: http_error})
