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

from typing import Any

from bot.bridge.models import InboundImage, InboundSms
from bot.mprofi.models import parse_timestamp
from bot.sms.numbers import InvalidNumber, sender_id

__all__ = ["BadPayload", "parse_json", "parse_multipart", "MAX_TEXT", "image_kind"]

MAX_TEXT = 5000  # far over any SMS; longer bodies are not messages
MAX_FILENAME = 200  # what the attachments table keeps, with room to spare
_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": ("png", "image/png"), b"\xff\xd8\xff": ("jpg", "image/jpeg")}


class BadPayload(ValueError):
    """A webhook body that is not an inbound message; the text says what is wrong."""


def _sender(value: Any) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise BadPayload("sender is missing")
    try:
        return sender_id(str(value))
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
    return value.replace("\x00", "")


def parse_json(body: Any) -> InboundSms:
    if not isinstance(body, dict):
        raise BadPayload("the body must be a JSON object")
    if "payload" in body or "event_type" in body:
        return _parse_3cx(body)
    if "message" not in body and "sender" not in body:
        raise BadPayload("expected the fields sender, recipient and message")
    recipient = body.get("recipient")
    return InboundSms(
        sender=_sender(body.get("sender")),
        recipient=str(recipient) if isinstance(recipient, (str, int)) else "",
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
    return InboundSms(
        sender=_sender(sender),
        recipient=str(recipient or ""),
        text=_text(payload.get("text"), "payload.text"),
        via="3cx",
        received_at=parse_timestamp(payload.get("received_at")),
        external_id=str(external_id) if external_id is not None else None,
    )


def image_kind(content: bytes) -> tuple[str, str] | None:
    return next((kind for magic, kind in _IMAGE_MAGIC.items() if content.startswith(magic)), None)


def _short(name: str, limit: int = 60) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def parse_multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]], *, files_over_limit: int = 0) -> InboundSms:
    """``files`` are (field name, filename, bytes); only JPEG/PNG ``imageN`` parts are kept."""
    images: list[InboundImage] = []
    left_out: list[str] = []
    for field, raw_name, content in files:
        filename = _short(raw_name.replace("\x00", ""), MAX_FILENAME)
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
        recipient=fields.get("recipient", ""),
        text=_text(fields.get("message"), "message"),
        via="mms",
        images=tuple(images),
        left_out=tuple(left_out),
    )
