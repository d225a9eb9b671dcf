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
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.bridge import Bridge, StatusUpdate
from bot.mprofi.models import parse_timestamp
from bot.webhooks.auth import webhook_authorized
from bot.webhooks.body import BodyTooLarge, read_body, replay
from bot.webhooks.incoming import BadPayload, parse_json, parse_multipart

__all__ = ["WebhookConfig", "webhook_routes"]

logger = logging.getLogger(__name__)

MAX_STATUS_ITEMS = 1000
MAX_IMAGES = 10


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


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadPayload("the body is not valid JSON") from None


async def _read_multipart(request: Request, body: bytes) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
    fields: dict[str, str] = {}
    files: list[tuple[str, str, bytes]] = []
    try:
        async with replay(request, body).form(max_files=MAX_IMAGES, max_fields=50) as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files.append((key, value.filename or "", await value.read()))
                else:
                    fields[key] = value
    except BadPayload:
        raise
    except Exception as exc:  # the multipart parser's errors have no common base
        raise BadPayload(f"the multipart body could not be read ({getattr(exc, 'detail', exc)})") from None
    return fields, files


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
    async def incoming(request: Request) -> Response:
        body = await _guarded_body(request, config)
        if isinstance(body, Response):
            return body
        media_type = _media_type(request)
        try:
            if media_type == "multipart/form-data":
                sms = parse_multipart(*await _read_multipart(request, body))
            elif media_type == "application/json" or media_type.endswith("+json") or (
                not media_type and body.lstrip().startswith(b"{")
            ):
                sms = parse_json(_load_json(body))
            else:
                return _error(415, "send application/json (standard or 3CX format) or multipart/form-data (MMS)")
        except BadPayload as exc:
            return _error(400, str(exc))
        received = await _bridge(request).receive_sms(sms)
        return JSONResponse({"ok": True, "message_id": received.message_id, "repeat": received.repeat_of is not None})

    async def status(request: Request) -> Response:
        body = await _guarded_body(request, config)
        if isinstance(body, Response):
            return body
        if _media_type(request) not in ("application/json", "") and not _media_type(request).endswith("+json"):
            return _error(415, "send the status as application/json")
        try:
            data = _load_json(body)
            updates = _status_updates(data)
        except BadPayload as exc:
            return _error(400, str(exc))
        bridge = _bridge(request)
        known = 0
        for update in updates:
            if await bridge.apply_status(update, source="push"):
                known += 1
        if known < len(updates):
            logger.info("%s of %s PUSH statuses are for messages this bridge did not send", len(updates) - known, len(updates))
        return JSONResponse({"ok": True, "applied": known, "unknown": len(updates) - known})

    async def surveys(request: Request) -> Response:
        """Survey answers and reports: no documented shape, so anything is kept."""
        body = await _guarded_body(request, config)
        if isinstance(body, Response):
            return body
        media_type = _media_type(request)
        data: Any = None
        try:
            if media_type == "multipart/form-data":
                data = (await _read_multipart(request, body))[0]
            elif media_type == "application/x-www-form-urlencoded":
                data = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
            else:
                data = _load_json(body)
        except BadPayload:
            data = None  # kept as text and shown as unreadable
        stored, kind = await _bridge(request).receive_survey_notification(content_type=media_type or "unknown", body=body, data=data)
        return JSONResponse({"ok": True, "id": stored, "kind": kind})

    async def healthz(request: Request) -> Response:
        healthy = await _bridge(request).database_reachable()
        if not healthy:
            return _error(503, "the database cannot be reached")
        return JSONResponse({"ok": True, "database": "ok"})

    return [
        Route("/mprofi/incoming", _storage_guard(incoming), methods=["POST"]),
        Route("/mprofi/status", _storage_guard(status), methods=["POST"]),
        Route("/mprofi/surveys", _storage_guard(surveys), methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]


def _status_updates(data: Any) -> list[StatusUpdate]:
    """PUSH bodies: one ``{id, status, ts, reference}`` object, or a list of them."""
    items = data if isinstance(data, list) else [data]
    if not items:
        raise BadPayload("the body holds no status")
    if len(items) > MAX_STATUS_ITEMS:
        raise BadPayload(f"at most {MAX_STATUS_ITEMS} statuses per call")
    updates = []
    for position, item in enumerate(items):
        where = f"status {position + 1}: " if len(items) > 1 else ""
        if not isinstance(item, dict):
            raise BadPayload(f"{where}expected an object with id, status, ts and reference")
        raw_id, raw_status = item.get("id"), item.get("status")
        if isinstance(raw_id, str) and raw_id.strip().isdigit():
            raw_id = int(raw_id)
        if raw_id is not None and (not isinstance(raw_id, int) or isinstance(raw_id, bool) or raw_id <= 0):
            raise BadPayload(f"{where}id must be a positive whole number")
        if not isinstance(raw_status, str) or not raw_status.strip():
            raise BadPayload(f"{where}status is missing")
        reference = item.get("reference")
        if raw_id is None and not reference:
            raise BadPayload(f"{where}id is missing")
        updates.append(
            StatusUpdate(
                mprofi_id=raw_id,
                raw_status=raw_status.strip(),
                reference=str(reference) if reference not in (None, "") else None,
                ts=_timestamp(item.get("ts")),
            )
        )
    return updates


def _timestamp(value: Any) -> datetime | None:
    return parse_timestamp(value) if isinstance(value, (str, int, float)) else None
