"""Reading mProfi's inbound formats into one :class:`InboundSms`.

- standard JSON: ``{"sender", "recipient", "message"}`` (the panel's test button sends
  ``sender`` with ``+`` and a short-code name as ``recipient``);
- 3CX JSON: ``{"id", "event_type": "message.Received", "payload": {"from": {...},
  "to": {...}, "text", "received_at"}}`` (the event type may carry stray spaces);
- MMS multipart: fields ``sender``, ``recipient``, ``message``; files ``image1``…
  (jpg, jpeg, png — checked by their bytes, not their names).
"""

from __future__ import annotations

from typing import Any

from bot.bridge.models import InboundImage, InboundSms
from bot.mprofi.models import parse_timestamp
from bot.sms.numbers import InvalidNumber, normalize

__all__ = ["BadPayload", "parse_json", "parse_multipart", "MAX_TEXT"]

MAX_TEXT = 5000  # far over any SMS; longer bodies are not messages
_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": ("png", "image/png"), b"\xff\xd8\xff": ("jpg", "image/jpeg")}


class BadPayload(ValueError):
    """A webhook body that is not an inbound message; the text says what is wrong."""


def _sender(value: Any) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise BadPayload("sender is missing")
    try:
        return normalize(str(value))
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
        raise BadPayload(f"unsupported 3CX event_type {body.get('event_type')!r}")
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


def parse_multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> InboundSms:
    """``files`` are (field name, filename, bytes); only ``imageN`` fields are images."""
    images: list[InboundImage] = []
    for field, filename, content in files:
        if not field.lower().startswith("image"):
            raise BadPayload(f"unexpected file field {field!r}; MMS images come as image1, image2, …")
        kind = image_kind(content)
        if kind is None:
            raise BadPayload(f"{field} ({filename or 'no name'}) is not a JPEG or PNG image")
        extension, content_type = kind
        name = filename or f"{field}.{extension}"
        images.append(InboundImage(filename=name, content_type=content_type, content=content))
    return InboundSms(
        sender=_sender(fields.get("sender")),
        recipient=fields.get("recipient", ""),
        text=_text(fields.get("message"), "message"),
        via="mms",
        images=tuple(images),
    )
