"""send/, sendbulk/, sendmms/ and sendbulkmms/ with the spec's checks and error texts.

A single send answers 400 ERR000 with the spec's texts; a bulk call answers 200 and
puts one ``{"error_code", "error_message"}`` in the result list per refused entry, in
input order.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sandbox.mprofi.rules import (
    ENTRY_FIELDS_MMS,
    ENTRY_FIELDS_SMS,
    MMS_FILE_EXTENSIONS,
    MMS_MAX_CHARS,
    MMS_MAX_FILE_BYTES,
    SMS_MAX_CHARS,
    Text,
    check_recipient,
    file_extension,
    now,
    parse_send_date,
)
from bot.sandbox.mprofi.state import SimMessage, SimulatorState
from bot.sandbox.mprofi.validation import Fields, Refused, error

__all__ = ["send", "sendbulk", "sendbulkmms", "sendmms"]

Kind = Literal["sms", "mms"]
_MISSING = (None, "")


def _scalar(value: Any) -> bool:
    """``reference`` and ``encoding`` are plain values (a string, or a number for reference)."""
    return value is None or (isinstance(value, (str, int)) and not isinstance(value, bool))


def _problem(item: dict[str, Any], kind: Kind, *, bulk: bool) -> str | None:
    """The spec's text for what is wrong with one message, or None when it is fine.

    Bulk entries use the 200 list's texts (missing recipient/message, too long);
    single sends use the 400 list's ("Nieprawidłowy odbiorca"/"...wiadomość").
    """
    recipient, message = item.get("recipient"), item.get("message")
    limit = MMS_MAX_CHARS if kind == "mms" else SMS_MAX_CHARS
    empty_is_missing = kind == "sms"
    if bulk and recipient in _MISSING:
        return Text.NO_RECIPIENT
    if bulk and (message is None or (empty_is_missing and message == "")):
        return Text.NO_MESSAGE
    if check_recipient(recipient) is None:
        return Text.BAD_RECIPIENT
    if not isinstance(message, str) or (empty_is_missing and not message):
        return Text.BAD_MESSAGE
    if len(message) > limit:
        return Text.TOO_LONG if bulk else Text.BAD_MESSAGE
    if not parse_send_date(item.get("date"))[0]:
        return Text.BAD_DATE
    for name in ("reference", "encoding"):
        if not _scalar(item.get(name)):
            return Text.bad_value(name)
    return None


def _message(state: SimulatorState, item: dict[str, Any], kind: Kind, file: tuple[str | None, int], sender: str) -> int:
    """Store an already checked message and return its new id."""
    reference, encoding = item.get("reference"), item.get("encoding")
    message = SimMessage(
        id=state.next_ids(1)[0],
        kind=kind,
        recipient=item["recipient"],
        text=item["message"],
        reference=str(reference) if reference not in _MISSING else None,
        encoding=str(encoding) if encoding not in _MISSING else None,
        scheduled_for=parse_send_date(item.get("date"))[1],
        created_at=now(),
        file_name=file[0],
        file_size=file[1],
        date=item.get("date"),
        sender=sender,
    )
    state.add_message(message)
    return message.id


def _mms_file(fields: Fields) -> tuple[str | None, int]:
    """The optional MMS file: txt/png/jpg/jpeg/gif, at most 300,000 bytes."""
    upload = fields.files.get("file")
    if upload is None:
        return None, 0
    name, content = upload
    if file_extension(name) not in MMS_FILE_EXTENSIONS:
        raise Refused(error(400, Text.BAD_FILE_TYPE))
    if len(content) > MMS_MAX_FILE_BYTES:
        raise Refused(error(400, Text.FILE_TOO_BIG))
    return name, len(content)


async def send(state: SimulatorState, request: Request, fields: Fields) -> Response:
    problem = _problem(fields.values, "sms", bulk=False)
    if problem:
        return error(400, problem)
    return JSONResponse({"id": _message(state, fields.values, "sms", (None, 0), fields.sender)})


async def sendmms(state: SimulatorState, request: Request, fields: Fields) -> Response:
    file = _mms_file(fields)
    problem = _problem(fields.values, "mms", bulk=False)
    if problem:
        return error(400, problem)
    return JSONResponse({"id": _message(state, fields.values, "mms", file, fields.sender)})


def _entries(fields: Fields, kind: Kind) -> list[Any]:
    """The bulk call's messages, from ``messages`` or ``default_message`` + ``recipients``."""
    has_messages = "messages" in fields.values
    has_default = "default_message" in fields.values or "recipients" in fields.values
    if has_messages and has_default:
        raise Refused(error(400, Text.BOTH_BULK_FORMS))
    if has_messages:
        return _read_messages(fields.get("messages"), kind)
    default = fields.get("default_message")
    recipients = fields.lists.get("recipients") if fields.style == "form" else fields.get("recipients")
    if default is None or recipients in (None, [], ""):
        raise Refused(error(400, Text.NO_BULK_INPUT, code="ERR001"))
    if not isinstance(recipients, list):
        raise Refused(error(400, Text.BAD_RECIPIENTS))
    return [{"recipient": recipient, "message": default} for recipient in recipients]


def _read_messages(raw: Any, kind: Kind) -> list[Any]:
    """``messages``: a list of objects (a JSON string of one is read too)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise Refused(error(400, Text.BAD_MESSAGES, code="ERR002")) from None
    if not isinstance(raw, list) or not all(isinstance(m, dict) for m in raw):
        raise Refused(error(400, Text.BAD_MESSAGES, code="ERR002"))
    if not raw:
        raise Refused(error(400, Text.NO_BULK_INPUT, code="ERR001"))
    allowed = ENTRY_FIELDS_MMS if kind == "mms" else ENTRY_FIELDS_SMS
    for index, item in enumerate(raw):
        for name in item:
            if name not in allowed:
                raise Refused(error(400, Text.unknown(f"messages[{index}].{name}")))
    return raw


def _bulk(state: SimulatorState, fields: Fields, kind: Kind, file: tuple[str | None, int]) -> Response:
    result: list[dict[str, Any]] = []
    for item in _entries(fields, kind):
        problem = _problem(item, kind, bulk=True)
        if problem:
            result.append({"error_code": "ERR000", "error_message": problem})
        else:
            result.append({"id": _message(state, item, kind, file, fields.sender)})
    return JSONResponse({"result": result})


async def sendbulk(state: SimulatorState, request: Request, fields: Fields) -> Response:
    return _bulk(state, fields, "sms", (None, 0))


async def sendbulkmms(state: SimulatorState, request: Request, fields: Fields) -> Response:
    return _bulk(state, fields, "mms", _mms_file(fields))
