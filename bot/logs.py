"""Log lines an operator can ship: one line per event, text or JSON, clock times in ``DEFAULT_TIMEZONE``.

``LOG_FORMAT=text`` (the default) prints ``2026-11-30 23:05:01+01:00 INFO bot.bridge: …``;
``LOG_FORMAT=json`` prints one JSON object per line (``time``, ``level``, ``logger``,
``message``, ``exc_type``/``exc`` when an exception came with the record, and the
JSON-able fields a call passed in ``extra=``). Either way a record is exactly one line:
a newline in a message, a traceback, a control character a client put into a URL are
folded or escaped, so ``grep`` and log shippers see one event per line.

uvicorn's own loggers (``uvicorn``, ``uvicorn.error``, ``uvicorn.access``) go through the
same handler: ``serve`` passes ``log_config=None`` so uvicorn installs none of its own,
and the access log stays one line per request (in JSON with ``client``, ``method``,
``path`` and ``status`` besides).

Expected conditions carry no traceback: a client that hung up, Slack's 429 or any
refusal, mProfi or the database out of reach, a timeout. Such a record (whoever wrote
it: uvicorn, Bolt, slack_sdk or our workers) is kept as a WARNING ending in
``(ExcType: short message)``. Anything else, a genuine bug, keeps its traceback.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
from datetime import datetime, tzinfo
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import aiohttp
import anyio
import httpx
import sqlalchemy.exc
from slack_sdk.errors import SlackApiError
from starlette.requests import ClientDisconnect

from bot.mprofi.errors import MProfiError
from bot.mprofi.redact import install_httpx_redaction
from bot.slack.errors import PAYLOAD_REFUSED, SlackUnavailable, slack_error

__all__ = [
    "EXPECTED",
    "ExpectedConditions",
    "JsonFormatter",
    "TextFormatter",
    "configure_logging",
    "is_expected",
    "make_handler",
    "one_line",
]

HANDLER_NAME = "mprofi-slack"  # configure_logging replaces its own handler, never another's
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

# What the world does to a running bridge, as opposed to what the code gets wrong.
EXPECTED: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted, broken pipe
    TimeoutError,  # asyncio's too
    socket.gaierror,  # a name that did not resolve
    ClientDisconnect,  # the caller hung up mid-request
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    aiohttp.ClientError,  # slack_sdk's and Socket Mode's connections
    httpx.TransportError,  # mProfi's and response_url's connections
    sqlalchemy.exc.OperationalError,  # the database out of reach, locked or restarting
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection in time
    MProfiError,  # mProfi refused, was out of reach, or answered something unreadable
    SlackUnavailable,
    SlackApiError,  # a Slack refusal (ratelimited, not_in_channel …), except a payload it refused: see is_expected
)

_MAX_SHORT = 300  # characters of an expected exception's own words
# A record's own attributes, not fields a caller passed; uvicorn's ANSI-coloured copy of its message too.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName", "color_message"}
# Characters that end a line for someone (str.splitlines, NEL, the Unicode separators)…
_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
# …and other control characters, which a terminal would act on (ESC) rather than show.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f]")
_JSON_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def one_line(text: str) -> str:
    """``text`` on one line: line breaks become ``⏎``, other control characters ``\\xNN``."""
    text = _BREAKS.sub(" ⏎ ", text.rstrip())
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def _type_name(cls: type[BaseException]) -> str:
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def is_expected(exc: BaseException) -> bool:
    """A condition a running bridge meets and survives (see :data:`EXPECTED`), not a bug.

    A payload Slack refused as malformed (``invalid_blocks`` …) is a bug in what we
    built: it keeps its traceback. A group is expected when everything in it is.
    """
    if isinstance(exc, BaseExceptionGroup):
        return all(is_expected(inner) for inner in exc.exceptions)
    if isinstance(exc, SlackApiError):
        return slack_error(exc) not in PAYLOAD_REFUSED
    return isinstance(exc, EXPECTED)


def _short(exc: BaseException) -> str:
    said = slack_error(exc) if isinstance(exc, SlackApiError) else str(exc)
    said = one_line(said)
    return said if len(said) <= _MAX_SHORT else said[: _MAX_SHORT - 1] + "…"


_REFUSED_AT_START = "bot.preflight.StartupRefused: "


def _start_refused(record: logging.LogRecord) -> str | None:
    """A start-up the app refused after its checks passed (Socket Mode not connecting, a
    migration refused): Starlette hands uvicorn the traceback as the message's text; the
    operator gets its last line, which says what to do."""
    if record.name != "uvicorn.error" or not isinstance(record.msg, str) or not record.msg.startswith("Traceback"):
        return None
    last = record.msg.rstrip().rsplit("\n", 1)[-1]
    return "start-up refused: " + last.removeprefix(_REFUSED_AT_START) if last.startswith(_REFUSED_AT_START) else None


class ExpectedConditions(logging.Filter):
    """Drops the traceback of an expected exception: the record stays, as a WARNING
    (or lower) ending in ``(ExcType: short message)``; ``exc_type`` names the class."""

    def filter(self, record: logging.LogRecord) -> bool:
        refused = _start_refused(record)
        if refused is not None:
            record.msg, record.args = refused, None
            return True
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or not is_expected(exc):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record: let the formatter report it as logging would
            return True
        name, short = type(exc).__name__, _short(exc)
        suffix = f" ({name}: {short})" if short and short not in one_line(message) else f" ({name})"
        record.msg, record.args = message.rstrip() + suffix, None
        record.exc_info, record.exc_text = None, None
        record.exc_type = _type_name(type(exc))  # a field of its own in JSON; the text line has the suffix
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        return True


def _moment(record: logging.LogRecord, zone: tzinfo) -> datetime:
    return datetime.fromtimestamp(record.created, zone)


class TextFormatter(logging.Formatter):
    """``2026-11-30 23:05:01+01:00 INFO bot.bridge: message | Traceback …``, always one line."""

    def __init__(self, zone: tzinfo) -> None:
        super().__init__()
        self.zone = zone

    def format(self, record: logging.LogRecord) -> str:
        when = _moment(record, self.zone).isoformat(sep=" ", timespec="seconds")
        line = f"{when} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += " | " + self.formatException(record.exc_info)
        elif record.exc_text:
            line += " | " + record.exc_text
        if record.stack_info:
            line += " | " + self.formatStack(record.stack_info)
        return one_line(line)


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def _access_fields(record: logging.LogRecord) -> dict[str, Any]:
    """uvicorn's access line (``'%s - "%s %s HTTP/%s" %d'``) as fields; the path is
    already masked (bot.mprofi.redact filters that logger)."""
    args = record.args
    if record.name != "uvicorn.access" or not isinstance(args, tuple) or len(args) != 5:
        return {}
    client, method, path, version, status = args
    return {"client": str(client), "method": str(method), "path": str(path), "http_version": str(version), "status": status}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601 with the zone's offset), level, logger,
    message, ``exc_type``/``exc`` with an exception, and JSON-able ``extra=`` fields."""

    def __init__(self, zone: tzinfo) -> None:
        super().__init__()
        self.zone = zone

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": _moment(record, self.zone).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage().rstrip(),  # uvicorn ends some with a newline
        }
        if record.exc_info and record.exc_info[0] is not None:
            data["exc_type"] = _type_name(record.exc_info[0])
            data["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exc"] = record.exc_text
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        data.update({k: v for k, v in _access_fields(record).items() if k not in data})
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in data and not key.startswith("_") and _jsonable(value):
                data[key] = value
        text = json.dumps(data, ensure_ascii=False, default=str)
        # JSON leaves these unescaped; some readers take them for line ends.
        for raw, escaped in _JSON_BREAKS.items():
            text = text.replace(raw, escaped)
        return text


def make_handler(*, fmt: str, zone: tzinfo, stream: TextIO | None = None) -> logging.Handler:
    """The one handler every log line goes through: format, zone, expected conditions."""
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be 'text' or 'json', not {fmt!r}")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter(zone) if fmt == "json" else TextFormatter(zone))
    handler.addFilter(ExpectedConditions())
    return handler


def configure_logging(*, level: str, fmt: str, timezone: str, stream: TextIO | None = None) -> None:
    """Send every log line (ours, the libraries', uvicorn's) through one handler on the root logger.

    ``level`` is a level name (``info``…), ``fmt`` is ``LOG_FORMAT`` (``text`` or
    ``json``), ``timezone`` is ``DEFAULT_TIMEZONE``. Calling it again replaces the
    handler it installed before; handlers others added to the root logger stay.
    Run uvicorn with ``log_config=None`` afterwards, so it adds no handlers of its own.
    """
    handler = make_handler(fmt=fmt, zone=ZoneInfo(timezone), stream=stream)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()  # through the root's handler, in our format
        uvicorn_logger.propagate = True
    logging.captureWarnings(True)  # a library's warning is a log line too, not a bare stderr print
    install_httpx_redaction()  # URLs in httpx's and the access log lines lose their keys and tokens
