"""Every HTTP request between the app, mProfi and Slack, recorded for the console's timeline.

``Timeline.tap(name, app)`` wraps each of the three ASGI servers; what passes is
recorded and never changed. Bodies are kept as masked, readable text (JSON
pretty-printed, forms one field a line, multipart as its parts) so a person sees
*why* something happened without the page ever showing a key: the exact secrets
the sandbox knows are masked, and so is whatever *looks* like one by its name or
shape, so a secret nobody passed in still does not leak.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BODY_LIMIT", "MASK", "Exchange", "Timeline", "mask", "mask_path", "render_body"]

MASK = "•••"
BODY_LIMIT = 16 * 1024  # bytes of text shown per body
_CAPTURE_LIMIT = 1024 * 1024  # raw bytes kept per body to render from (an MMS image needs no more)
_TARGETS = {"app": "app", "mprofi": "mProfi", "slack": "Slack"}
_CALLERS = {"/slack/": "Slack", "/mprofi/": "mProfi"}  # who calls the app, by its route
_SUMMARY = ("id", "source", "target", "method", "path", "status", "done")
_DETAIL = ("request_type", "response_type", "request_body", "response_body", "error")
_SECRET_NAMES = frozenset({"apikey", "api_key", "token", "key", "secret", "password", "signature", "authorization", "client_secret"})
# Compound names count too (bot_token, x-slack-signature), but not "…_key": file_key, sort_key.
_SECRET_SUFFIXES = tuple(sep + name for sep in "_-" for name in _SECRET_NAMES - {"key"})
_SLACK_TOKEN = re.compile(r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]+")
_BEARER = re.compile(r"\b(Bearer\s+)(?!•••)[^\s\"'&,;]+")
_AUTH_LINE = re.compile(r"(?im)^([ \t]*authorization[ \t]*:)(?![ \t]*•••[ \t]*$)[ \t]*\S.*$")
_JSON_PAIR = re.compile(r"\"([^\"\\]{1,64})\"(\s*:\s*)(\"(?:[^\"\\]|\\.)*\"|-?\d[\d.eE+-]*)")
_PARAM = re.compile(r"(?P<lead>^|[?&;\s\"'(,])(?P<name>[A-Za-z0-9_.%+-]+)=(?P<value>[^&\s\"']*)", re.MULTILINE)
_PARAM_OF_HEADER = re.compile(r";\s*([\w*.-]+)\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^;]*)")
_TEXT_TYPES = frozenset({"application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded"})


def _decoded(text: str) -> str:
    """Percent-escapes undone, a few times over, so ``?%74oken=`` names a token as a server reads it."""
    for _ in range(3):
        plain = unquote_plus(text)
        if plain == text:
            break
        text = plain
    return text


def _secret_name(name: str) -> bool:
    plain = _decoded(name).strip().lower()
    return plain in _SECRET_NAMES or plain.endswith(_SECRET_SUFFIXES)


def _known(secrets: Iterable[str]) -> list[str]:
    """The secrets and the forms they take in a URL or a form body, longest first (a key inside a longer one)."""
    forms = {form for s in secrets if len(s.strip()) >= 4 for form in (s, quote(s, safe=""), quote_plus(s))}
    return sorted(forms, key=len, reverse=True)


def _mask_param(match: re.Match[str]) -> str:
    if match.group("value") and match.group("value") != MASK and _secret_name(match.group("name")):
        return f"{match.group('lead')}{match.group('name')}={MASK}"
    return match.group(0)


def _mask_pair(match: re.Match[str]) -> str:
    if match.group(3) not in ('""', f'"{MASK}"') and _secret_name(match.group(1)):
        return f'"{match.group(1)}"{match.group(2)}"{MASK}"'
    return match.group(0)


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret replaced by ``•••``.

    The exact ``secrets`` go wherever they appear (plain or percent-encoded); by shape,
    so do Slack tokens (``xoxb-…``, ``xoxp-…``, ``xapp-…``), ``Bearer …`` values, an
    ``Authorization:`` line, and the value of any ``name=value`` parameter or JSON
    ``"name": value`` whose name is a secret's (apikey, token, key, signature, …).
    """
    for secret in _known(secrets):
        text = text.replace(secret, MASK)
    text = _SLACK_TOKEN.sub(MASK, text)
    text = _BEARER.sub(rf"\g<1>{MASK}", text)
    text = _AUTH_LINE.sub(rf"\g<1> {MASK}", text)
    text = _JSON_PAIR.sub(_mask_pair, text)
    return _PARAM.sub(_mask_param, text)


def mask_path(path: str, secrets: Iterable[str] = ()) -> str:
    """A request path with its query string: secret-named parameters' values and known secrets masked."""
    route, sep, query = path.partition("?")
    fields = []
    for field in query.split("&") if sep else []:
        name, eq, value = field.partition("=")
        secret = eq and value and _secret_name(name)
        # "=" itself may hide in the name as %3D: ?token%3Dsecret
        hidden, _, rest = _decoded(name).partition("=")
        fields.append(f"{name}={MASK}" if secret else f"{hidden}={MASK}" if rest and _secret_name(hidden) else field)
    return mask(route + sep + "&".join(fields), secrets)


def _type_and_params(content_type: str) -> tuple[str, dict[str, str]]:
    main, _, rest = content_type.partition(";")
    params = {k.lower(): v.strip().strip('"') for k, v in _PARAM_OF_HEADER.findall(";" + rest)}
    return main.strip().lower(), params


def _is_text(main: str) -> bool:
    return main.startswith("text/") or main in _TEXT_TYPES or main.endswith(("+json", "+xml"))


def _as_text(body: bytes, main: str, charset: str = "utf-8") -> str | None:
    """The body as text if it is text: by its type, or, untyped, by decoding cleanly as UTF-8."""
    if not _is_text(main) and (main or b"\x00" in body):
        return None
    try:
        return body.decode(charset or "utf-8", errors="replace" if main else "strict")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")
    except UnicodeDecodeError:  # untyped, and not UTF-8: binary
        return None


def _masked_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: MASK if _secret_name(str(k)) and value[k] not in (None, "", [], {}) else _masked_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_json(v) for v in value]
    return value


def _pretty_json(text: str) -> str | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return json.dumps(_masked_json(value), indent=2, ensure_ascii=False)


def _field(name: str, value: str) -> str:
    """One form field as ``name=value``; a JSON value (Slack's ``payload=``) pretty-printed below it."""
    if value and _secret_name(name):
        return f"{name}={MASK}"
    if value.lstrip().startswith(("{", "[")) and (pretty := _pretty_json(value)) is not None:
        return f"{name}=\n{pretty}"
    return f"{name}={value}"


def _multipart(body: bytes, boundary: str, complete: bool) -> str:
    """Each part: a plain field as ``name=value``; a file as ``name: filename (type)`` and its text or size."""
    chunks = body.split(b"--" + boundary.encode("latin-1"))[1:]
    if not complete and chunks and not chunks[-1].startswith(b"--"):
        chunks.pop()  # cut off where capture stopped: show no half of it
    lines: list[str] = []
    for chunk in chunks:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head.decode("latin-1").split("\r\n"))}
        _, disposition = _type_and_params(headers.get("content-disposition", ""))
        name, filename = disposition.get("name", "?"), disposition.get("filename")
        part_type = headers.get("content-type", "")
        main, params = _type_and_params(part_type)
        if filename is None and not part_type:
            lines.append(_field(name, content.decode("utf-8", errors="replace")))
            continue
        text = _as_text(content, main, params.get("charset", "utf-8"))
        lines.append(f"{name}: {filename or '(no file name)'} ({main or 'no content type'})")
        lines.append(text if text is not None else f"[{len(content)} bytes {main or 'application/octet-stream'}]")
    return "\n".join(lines)


def _cut(text: str, more: int = 0) -> str:
    data = text.encode("utf-8")
    if len(data) <= BODY_LIMIT and not more:
        return text
    head = data[:BODY_LIMIT].decode("utf-8", errors="ignore")
    return f"{head}… ({len(data) - len(head.encode('utf-8')) + more} bytes more)"


def render_body(body: bytes, content_type: str, secrets: Iterable[str] = (), *, authorization: bool = False, more: int = 0) -> str:
    """A body as readable, masked text of at most :data:`BODY_LIMIT` bytes (plus the cut notice).

    ``more``: bytes of the body that were not captured. ``authorization``: the request
    carried an Authorization header, noted (masked) on the first line.
    """
    main, params = _type_and_params(content_type)
    text: str | None
    if not body:
        text = ""
    elif main == "application/x-www-form-urlencoded":
        fields = parse_qsl(_as_text(body, main, params.get("charset", "utf-8")) or "", keep_blank_values=True)
        text = "\n".join(_field(name, value) for name, value in fields)
    elif main.startswith("multipart/") and params.get("boundary"):
        text = _multipart(body, params["boundary"], complete=not more)
    elif (text := _as_text(body, main, params.get("charset", "utf-8"))) is None:
        text = f"[{len(body) + more} bytes {main or 'application/octet-stream'}]"
        more = 0
    elif main == "application/json" or main.endswith("+json"):
        text = _pretty_json(text) or text
    if authorization:
        text = f"Authorization: {MASK}\n{text}" if text else f"Authorization: {MASK}"
    return _cut(mask(text, secrets), more)


@dataclass
class Exchange:
    """One request and its answer. ``status`` stays None until the answer starts, and when none ever did."""

    id: int
    at: datetime
    source: str
    target: str
    method: str
    path: str
    status: int | None = None
    duration_ms: float = 0.0
    request_type: str = ""
    response_type: str = ""
    request_body: str = ""
    response_body: str = ""
    error: str | None = None
    done: bool = False
    updated: int = 0  # the timeline's version when this entry last changed


def _source(target: str, path: str) -> str:
    """Who calls whom: the app calls mProfi and Slack; the app is called by Slack, mProfi or the console."""
    if target != "app":
        return "app"
    return next((caller for prefix, caller in _CALLERS.items() if path.startswith(prefix)), "console")


class _Body:
    """One body's bytes as they pass, kept up to the capture limit; ``more`` counts the rest."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.more = 0

    def add(self, chunk: bytes) -> None:
        room = max(0, _CAPTURE_LIMIT - len(self.data))
        self.data += chunk[:room]
        self.more += max(0, len(chunk) - room)


class Timeline:
    """The last ``limit`` exchanges, newest last, each with a number that only grows.

    Usage: ``SandboxStack(url, wrap=timeline.tap)``; the console reads :meth:`entries`,
    :meth:`summary` and :meth:`detail`, and waits for news with :meth:`wait_changed`.
    """

    def __init__(self, *, secrets: Iterable[str] = (), limit: int = 1000) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add_secret(secret)
        self._limit = limit
        self._entries: dict[int, Exchange] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self.version = 0

    def add_secret(self, value: str) -> None:
        """Mask ``value`` from now on. Values under four characters are ignored: they are in ordinary text."""
        if len(value.strip()) >= 4:
            self._secrets.add(value)

    def tap(self, target: str, app: ASGIApp) -> ASGIApp:
        """``app`` (the server ``target``: "app", "mprofi" or "slack") with its HTTP requests recorded."""
        if target.lower() not in _TARGETS:
            raise ValueError(f"unknown timeline target {target!r}: expected one of {', '.join(_TARGETS)}")
        return _Tap(self, _TARGETS[target.lower()], app)

    def entries(self, after: int = 0, limit: int = 200) -> list[Exchange]:
        """The newest ``limit`` exchanges numbered above ``after``, oldest first."""
        found = [e for e in self._entries.values() if e.id > after]
        return found[-limit:] if limit > 0 else []

    def changed(self, since_version: int, limit: int = 200) -> list[Exchange]:
        """Exchanges new or finished after the timeline's ``since_version``: a running entry, once it ends."""
        found = [e for e in self._entries.values() if e.updated > since_version]
        return found[-limit:] if limit > 0 else []

    def get(self, id: int) -> Exchange | None:
        return self._entries.get(id)

    def summary(self, e: Exchange) -> dict[str, Any]:
        """The line of the timeline, JSON-able; a running exchange shows its time so far."""
        duration = e.duration_ms if e.done else (datetime.now(UTC) - e.at).total_seconds() * 1000
        moment = {"at": e.at.isoformat(), "duration_ms": round(duration, 1), "failed": e.error is not None}
        return {name: getattr(e, name) for name in _SUMMARY} | moment

    def detail(self, e: Exchange) -> dict[str, Any]:
        """The summary with the bodies, their content types and the error."""
        return self.summary(e) | {name: getattr(e, name) for name in _DETAIL}

    async def wait_changed(self, version: int, timeout: float) -> int:
        """The current version as soon as it differs from ``version``, or at ``timeout`` seconds."""
        if self.version == version:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
        return self.version

    def _bump(self, e: Exchange) -> None:
        self.version += 1
        e.updated = self.version
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _open(self, target: str, scope: Scope) -> Exchange:
        path = scope.get("path", "/")
        if query := scope.get("query_string", b""):
            path += "?" + query.decode("latin-1")
        e = Exchange(
            next(self._ids), datetime.now(UTC), _source(target, path), target, scope.get("method", "GET"), mask_path(path, self._secrets)
        )
        self._entries[e.id] = e
        while len(self._entries) > self._limit:
            del self._entries[next(iter(self._entries))]
        self._bump(e)
        return e

    def _render(self, body: _Body, content_type: str, *, authorization: bool = False) -> str:
        return render_body(bytes(body.data), content_type, self._secrets, authorization=authorization, more=body.more)

    def _finish(self, e: Exchange, started: float, error: str | None = None) -> None:
        """The exchange is over; an error may still come after the answer (Starlette's 500, then the raise)."""
        if e.done and (error is None or e.error is not None):
            return
        if not e.done:
            e.duration_ms, e.done = (time.perf_counter() - started) * 1000, True
        e.error = mask(error, self._secrets) if error is not None else None
        self._bump(e)


@dataclass
class _Tap:
    """The recording middleware: the same messages pass both ways, in the same order, unchanged."""

    timeline: Timeline
    target: str
    app: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        timeline = self.timeline
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        e = timeline._open(self.target, scope)
        e.request_type = headers.get("content-type", "")
        started = time.perf_counter()
        request, response = _Body(), _Body()
        disconnected = False

        async def tapped_receive() -> Message:
            nonlocal disconnected
            message = await receive()
            if message["type"] == "http.request":
                request.add(message.get("body", b""))
            disconnected = disconnected or message["type"] == "http.disconnect"
            return message

        async def tapped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                e.status = message["status"]
                e.response_type = next((v.decode("latin-1") for k, v in message.get("headers", []) if k.lower() == b"content-type"), "")
            elif message["type"] == "http.response.body":
                response.add(message.get("body", b""))
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                finish(None)

        def finish(error: str | None) -> None:
            if not e.done:
                e.request_body = timeline._render(request, e.request_type, authorization="authorization" in headers)
                e.response_body = timeline._render(response, e.response_type)
            timeline._finish(e, started, error)

        try:
            await self.app(scope, tapped_receive, tapped_send)
        except BaseException as exc:
            finish(f"{type(exc).__name__}: {exc}".removesuffix(": "))
            raise
        if not e.done:
            gone = "the client disconnected" if disconnected else "the app returned"
            finish(f"{gone} before the response was complete")
