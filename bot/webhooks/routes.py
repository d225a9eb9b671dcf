"""mProfi → bridge HTTP routes: inbound messages, PUSH statuses, survey notifications, health.

Every answer is JSON. Bad input gets a 4xx that says what is wrong; a message is
acknowledged (200) only once it is stored.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.bridge import Bridge, StatusUpdate
from bot.mprofi.models import parse_timestamp
from bot.sms.text import storable
from bot.webhooks.answered import AnsweredMarks
from bot.webhooks.auth import webhook_authorized
from bot.webhooks.body import BodyTooLarge, read_body
from bot.webhooks.forms import BadForm, FormBody, read_form
from bot.webhooks.incoming import BadPayload, parse_json, parse_multipart

__all__ = ["WebhookConfig", "webhook_routes"]

logger = logging.getLogger(__name__)

MAX_STATUS_ITEMS = 100_000  # a PUSH round may carry a whole broadcast; the body limit bounds it too
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_MPROFI_ID = 2**63 - 1  # what the database keeps; mProfi's ids are far below
MAX_PARTS = 10


@dataclass(frozen=True)
class WebhookConfig:
    token: str | None
    header: str = "Authorization"
    max_body_bytes: int = 10 * 1024 * 1024


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message, **extra}, status_code=status)


def _bridge(request: Request) -> Bridge:
    bridge: Bridge = request.state.bridge
    return bridge


async def _guarded_body(request: Request, config: WebhookConfig) -> bytes | JSONResponse:
    if not webhook_authorized(request, token=config.token, header=config.header):
        return _error(401, "missing or wrong webhook token")
    try:
        return await read_body(request, config.max_body_bytes)
    except BodyTooLarge:
        return _error(413, f"the body is larger than {config.max_body_bytes} bytes")
    except ClientDisconnect:  # the caller hung up mid-body: one quiet line, nothing stored
        logger.info("a webhook caller disconnected before its body arrived (%s)", request.url.path)
        return _error(400, "the connection closed before the body arrived")


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


MAX_DEPTH = 32  # mProfi's bodies are two or three levels deep


def _load_json(body: bytes) -> Any:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadPayload("the body is not valid JSON") from None
    except RecursionError:
        raise BadPayload(f"the JSON is nested more than {MAX_DEPTH} levels deep") from None
    if _depth(data) > MAX_DEPTH:
        raise BadPayload(f"the JSON is nested more than {MAX_DEPTH} levels deep")
    return data


def _depth(data: Any) -> int:
    deepest, level = 0, [data]
    while level and deepest <= MAX_DEPTH:
        deepest += 1
        level = [v for item in level if isinstance(item, (dict, list)) for v in (item.values() if isinstance(item, dict) else item)]
    return deepest


_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _read_form(request: Request, body: bytes) -> FormBody:
    try:
        return read_form(request.headers.get("content-type", ""), body, max_files=MAX_PARTS, max_fields=50)
    except BadForm as exc:
        raise BadPayload(str(exc)) from None


Endpoint = Callable[[Request], Awaitable[Response]]


def _storage_guard(endpoint: Endpoint) -> Endpoint:
    """The database is down: 503 (mProfi tries again later), never a bare 500."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except (SQLAlchemyError, OSError) as exc:
            logger.error("could not store a webhook call: %s", type(exc).__name__)
            return _error(503, "the bridge cannot store this right now; try again later")

    return guarded


def webhook_routes(config: WebhookConfig) -> list[Route]:
    answered = AnsweredMarks()

    async def incoming(request: Request) -> Response:
        body = await _guarded_body(request, config)
        if isinstance(body, Response):
            return body
        media_type = _media_type(request)
        try:
            if media_type in _FORMS:  # MMS; one without a file may come urlencoded
                form = _read_form(request, body)
                sms = parse_multipart(form.fields, form.files, files_over_limit=form.files_over_limit)
            elif media_type == "application/json" or media_type.endswith("+json") or (not media_type and body.lstrip().startswith(b"{")):
                sms = parse_json(_load_json(body))
            else:
                return _error(415, "send application/json (standard or 3CX format) or multipart/form-data (MMS)")
            if sms.left_out:
                logger.info("inbound MMS: %s part(s) left out", len(sms.left_out))
        except BadPayload as exc:
            return _error(400, str(exc))
        bridge = _bridge(request)
        received = await bridge.receive_sms(sms)
        # Stored first, answered second; that the answer went out is recorded after it has.
        mark = BackgroundTask(answered.mark, bridge, received.message_id)
        return JSONResponse({"ok": True, "message_id": received.message_id, "repeat": received.repeat_of is not None}, background=mark)

    async def status(request: Request) -> Response:
        body = await _guarded_body(request, config)
        if isinstance(body, Response):
            return body
        if _media_type(request) not in ("application/json", "") and not _media_type(request).endswith("+json"):
            return _error(415, "send the status as application/json")
        try:
            data = _load_json(body)
            updates, refused = _status_updates(data)
        except BadPayload as exc:
            return _error(400, str(exc))
        if not updates:
            reason = str(refused[0]["error"]) if len(refused) == 1 else "no status in the body could be read"
            return _error(400, reason, refused=refused)
        bridge = _bridge(request)
        known = 0
        for update in updates:
            if await bridge.apply_status(update, source="push"):
                known += 1
        if known < len(updates):
            logger.info("%s of %s PUSH statuses are for messages this bridge did not send", len(updates) - known, len(updates))
        if refused:
            logger.warning("%s of %s PUSH statuses could not be read", len(refused), len(refused) + len(updates))
        return JSONResponse({"ok": True, "applied": known, "unknown": len(updates) - known, "refused": refused})

    async def surveys(request: Request) -> Response:
        """Survey answers and reports: no documented shape, so anything is kept."""
        body = await _guarded_body(request, config)
        if isinstance(body, Response):
            return body
        media_type = _media_type(request)
        data: Any = None
        try:
            if media_type in _FORMS:
                data = _read_form(request, body).fields
            else:
                data = _load_json(body)
        except BadPayload:
            data = None  # kept as text and shown as unreadable
        stored, kind = await _bridge(request).receive_survey_notification(content_type=media_type or "unknown", body=body, data=data)
        return JSONResponse({"ok": True, "id": stored, "kind": kind})

    return [
        Route("/mprofi/incoming", _storage_guard(incoming), methods=["POST"]),
        Route("/mprofi/status", _storage_guard(status), methods=["POST"]),
        Route("/mprofi/surveys", _storage_guard(surveys), methods=["POST"]),
    ]


def _status_updates(data: Any) -> tuple[list[StatusUpdate], list[dict[str, Any]]]:
    """PUSH bodies: one ``{id, status, ts, reference}`` object, a list of them, or
    ``{"result": [...]}``. Good entries are kept even when others are bad; the bad
    ones come back with their position and what is wrong."""
    if isinstance(data, dict) and isinstance(data.get("result"), list):
        data = data["result"]
    items = data if isinstance(data, list) else [data]
    if not items:
        raise BadPayload("the body holds no status")
    if len(items) > MAX_STATUS_ITEMS:
        raise BadPayload(f"at most {MAX_STATUS_ITEMS} statuses per call")
    updates: list[StatusUpdate] = []
    refused: list[dict[str, Any]] = []
    for position, item in enumerate(items, start=1):
        try:
            updates.append(_status_update(item))
        except BadPayload as exc:
            refused.append({"index": position, "error": str(exc)})
    return updates, refused


def _status_update(item: Any) -> StatusUpdate:
    if not isinstance(item, dict):
        raise BadPayload("expected an object with id, status, ts and reference")
    raw_id, raw_status = item.get("id"), item.get("status")
    if isinstance(raw_id, str) and raw_id.strip().isascii() and raw_id.strip().isdigit() and len(raw_id.strip()) <= 19:
        raw_id = int(raw_id.strip())
    if raw_id is not None and (not isinstance(raw_id, int) or isinstance(raw_id, bool) or not 0 < raw_id <= MAX_MPROFI_ID):
        raise BadPayload("id must be a positive whole number mProfi could have given")
    if not isinstance(raw_status, str) or not raw_status.strip():
        raise BadPayload("status is missing")
    reference = item.get("reference")
    if raw_id is None and not reference:
        raise BadPayload("id is missing")
    if (reference is not None and not isinstance(reference, (str, int))) or isinstance(reference, bool):
        raise BadPayload("reference must be text")
    return StatusUpdate(
        mprofi_id=raw_id,
        raw_status=storable(raw_status.strip()[:40]),
        reference=storable(str(reference)[:100]) if reference not in (None, "") else None,
        ts=_timestamp(item.get("ts")),
    )


def _timestamp(value: Any) -> datetime | None:
    """A status time the database can keep: unreadable is None, out of range is refused."""
    parsed = parse_timestamp(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
    if parsed is None:
        return None
    try:
        utc = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadPayload("ts is out of range") from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise BadPayload("ts is out of range")
    return utc
