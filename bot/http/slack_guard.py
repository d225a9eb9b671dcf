"""What ``/slack/events`` checks before Bolt sees a request: size, Slack's signature, readable shape.

Bolt reads the whole body before checking anything, turns a body it cannot decode
or parse into a 500 with a traceback, and logs the whole body of a badly signed
request at INFO. Here the body is read once, with a cap, checked against the
signing secret over the exact bytes, and parsed the way Bolt will parse it; only
then is it handed to Bolt (which checks the signature again, which is fine).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

from slack_bolt.adapter.starlette.async_handler import (
    AsyncSlackRequestHandler,
    to_async_bolt_request,
    to_starlette_response,
)
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from bot.webhooks.body import BodyTooLarge, read_body

logger = logging.getLogger(__name__)

__all__ = ["MAX_JSON_DEPTH", "SlackGuard", "dispatch_to_bolt", "shape_problem"]

MAX_JSON_DEPTH = 64  # Slack's deepest payloads (rich text blocks) nest about a dozen levels
MAX_CLOCK_SKEW_SECONDS = 5 * 60  # Slack's rule, and Bolt's
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _error(status: int, message: str, *, close: bool = False) -> JSONResponse:
    headers = {"connection": "close"} if close else None
    return JSONResponse({"ok": False, "error": message}, status_code=status, headers=headers)


def _too_deep(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (checked before ``json.loads`` recurses)."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif token in ("]", "}"):
            depth -= 1
    return False


def _json_object_problem(text: str, what: str) -> str | None:
    if _too_deep(text, MAX_JSON_DEPTH):
        return f"{what} nests deeper than {MAX_JSON_DEPTH} levels"
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return f"{what} is not valid JSON"
    if not isinstance(value, dict):
        return f"{what} is not a JSON object"
    return None


def shape_problem(body: bytes, content_type: str) -> str | None:
    """Why Bolt could not read this body, or None. Mirrors ``slack_bolt.request.internals.parse_body``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    if not text:
        return None  # Bolt reads an empty body as {}
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or text.startswith("{"):
        return _json_object_problem(text, "the body")
    if "payload" in text:  # interactivity: a form whose payload field is JSON
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        if payload is not None:
            return _json_object_problem(payload, "the payload field")
    return None


class SlackGuard:
    """Reads and checks one ``/slack/events`` request; answers the refusals itself."""

    def __init__(self, signing_secret: str, max_body_bytes: int, *, clock: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret.encode()
        self.max_body_bytes = max_body_bytes
        self._clock = clock

    async def read(self, request: Request) -> bytes | Response:
        """The checked body, or the answer to send instead (413, 401 or 400, JSON)."""
        too_large = f"the body is larger than {self.max_body_bytes} bytes"
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return _error(413, too_large, close=True)
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not timestamp or not signature:
            return _error(401, "the request is not signed: X-Slack-Signature and X-Slack-Request-Timestamp are required", close=True)
        if not self._fresh(timestamp):
            return _error(401, "X-Slack-Request-Timestamp is not a time within 5 minutes of now", close=True)
        try:
            body = await read_body(request, self.max_body_bytes)
        except BodyTooLarge:
            return _error(413, too_large, close=True)
        except ClientDisconnect:  # the caller hung up mid-body: one quiet line
            logger.info("a /slack/events caller disconnected before its body arrived")
            return _error(400, "the connection closed before the body arrived", close=True)
        if not self._signed(timestamp, body, signature):
            return _error(401, "the signature does not match the body (check SLACK_SIGNING_SECRET)")
        problem = shape_problem(body, request.headers.get("content-type", ""))
        if problem is not None:
            return _error(400, problem)
        return body

    def _fresh(self, timestamp: str) -> bool:
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return False
        return abs(self._clock() - int(timestamp)) <= MAX_CLOCK_SKEW_SECONDS

    def _signed(self, timestamp: str, body: bytes, signature: str) -> bool:
        """Slack's v0 scheme over the exact bytes received (no decoding that could fail first)."""
        base = b"v0:" + timestamp.encode("ascii") + b":" + body
        expected = b"v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest().encode("ascii")
        return hmac.compare_digest(expected, signature.encode("latin-1"))


async def dispatch_to_bolt(handler: AsyncSlackRequestHandler, request: Request, body: bytes) -> Response:
    """Bolt's own Starlette adapter, fed the body already read (the stream cannot be read twice)."""
    bolt_response = await handler.app.async_dispatch(to_async_bolt_request(request, body))
    return to_starlette_response(bolt_response)
