"""Reading mProfi's inbound formats into one :class:`InboundSms`.

- standard JSON: ``{"sender", "recipient", "message"}`` (the panel's test button sends
  ``sender`` with ``+`` and a short-code name as ``recipient``);
- 3CX JSON: ``{"id", "event_type": "message.Received", "payload": {"from": {...},
  "to": {...}, "text", "received_at"}}`` (the event type may carry stray spaces);
- MMS multipart (or urlencoded when it carries no file): fields ``sender``,
  ``recipient``, ``message``; files ``image1``… (jpg, jpeg, png — checked by their
  bytes, not their names). A part that is not such an image is left out and named,
  never a reason to refuse the text and the other images.

Senders that are not phone numbers (``ORANGE``, ``mBank``, short code ``8080``) are
kept as they came: mProfi delivers them, and a refusal would lose the message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.bridge.models import InboundImage, InboundSms
from bot.mprofi.models import parse_timestamp
from bot.sms.mms import image_kind as sniff_image
from bot.sms.numbers import InvalidNumber, SenderId, sender_id
from bot.sms.text import storable as clean

__all__ = ["BadPayload", "parse_json", "parse_multipart", "MAX_TEXT", "image_kind"]

MAX_TEXT = 5000  # far over any SMS; longer bodies are not messages
MAX_FILENAME = 200  # what the attachments table keeps, with room to spare
INBOUND_IMAGES = frozenset({"png", "jpg"})  # what mProfi forwards of an MMS: JPEG and PNG


class BadPayload(ValueError):
    """A webhook body that is not an inbound message; the text says what is wrong."""


def _sender(value: Any) -> SenderId:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise BadPayload("sender is missing")
    if isinstance(value, int) and not 0 < value < 10**22:
        raise BadPayload("sender is not a phone number: it has too many digits")
    try:
        return sender_id(clean(str(value)))
    except InvalidNumber as exc:
        raise BadPayload(f"sender is not a phone number: {exc.reason}") from None


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadPayload(f"{field} must be a string")
    if len(value) > MAX_TEXT:
        raise BadPayload(f"{field} is longer than {MAX_TEXT} characters")
    # NUL cannot be shown in Slack nor stored in PostgreSQL text; nothing readable is lost.
    return clean(value)


def _recipient(value: Any) -> str:
    return clean(str(value))[:64] if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def parse_json(body: Any) -> InboundSms:
    if not isinstance(body, dict):
        raise BadPayload("the body must be a JSON object")
    if "payload" in body or "event_type" in body:
        return _parse_3cx(body)
    if "message" not in body and "sender" not in body:
        raise BadPayload("expected the fields sender, recipient and message")
    return InboundSms(
        sender=_sender(body.get("sender")),
        recipient=_recipient(body.get("recipient")),
        text=_text(body.get("message"), "message"),
        via="standard",
    )


def _parse_3cx(body: dict[str, Any]) -> InboundSms:
    event_type = "".join(str(body.get("event_type", "")).split()).lower()
    if event_type != "message.received":
        raise BadPayload(f"unsupported 3CX event_type {str(body.get('event_type'))[:40]!r}")
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise BadPayload("3CX payload must be an object")
    source, target = payload.get("from"), payload.get("to")
    sender = source.get("phone_number") if isinstance(source, dict) else None
    recipient = target.get("phone_number") if isinstance(target, dict) else ""
    external_id = body.get("id")
    if external_id is not None and (not isinstance(external_id, (str, int)) or isinstance(external_id, bool) or len(str(external_id)) > 64):
        raise BadPayload("id must be a string or number of at most 64 characters")
    return InboundSms(
        sender=_sender(sender),
        recipient=_recipient(recipient),
        text=_text(payload.get("text"), "payload.text"),
        via="3cx",
        received_at=_received_at(payload.get("received_at")),
        external_id=clean(str(external_id)) if external_id is not None else None,
    )


def _received_at(value: Any) -> datetime | None:
    """3CX's ``received_at``: a time the database can keep, or a 400 saying it is not one."""
    if value is None or value == "":
        return None
    parsed = parse_timestamp(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
    if parsed is None:
        raise BadPayload("payload.received_at is not a date and time")
    try:
        year = parsed.astimezone(UTC).year
    except (OverflowError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise BadPayload("payload.received_at is out of range")
    return parsed


def image_kind(content: bytes) -> tuple[str, str] | None:
    """(extension, media type) of a JPEG or PNG by its bytes; None for anything else."""
    kind = sniff_image(content)
    return kind if kind is not None and kind[0] in INBOUND_IMAGES else None


def _short(name: str, limit: int = 60) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def parse_multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]], *, files_over_limit: int = 0) -> InboundSms:
    """``files`` are (field name, filename, bytes); only JPEG/PNG ``imageN`` parts are kept."""
    images: list[InboundImage] = []
    left_out: list[str] = []
    for field, raw_name, content in files:
        filename = _short(clean(raw_name), MAX_FILENAME)
        label = f"{_short(filename)} ({_short(field, 20)})" if filename else _short(field, 20)
        kind = image_kind(content)
        if not field.lower().startswith("image"):
            left_out.append(f"{label}: MMS images come as image1, image2, …")
        elif not content:
            left_out.append(f"{label}: the file is empty")
        elif kind is None:
            left_out.append(f"{label}: it is not a JPEG or PNG image")
        else:
            extension, content_type = kind
            images.append(InboundImage(filename=filename or f"{field}.{extension}", content_type=content_type, content=content))
    if files_over_limit:
        left_out.append(f"{files_over_limit} more file(s): the bridge keeps at most {len(files)} per MMS")
    return InboundSms(
        sender=_sender(fields.get("sender")),
        recipient=_recipient(fields.get("recipient", "")),
        text=_text(fields.get("message"), "message"),
        via="mms",
        images=tuple(images),
        left_out=tuple(left_out),
    )
