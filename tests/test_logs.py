"""Log lines: one per event, text or JSON, times in DEFAULT_TIMEZONE, no tracebacks for what is expected."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope, Send

from bot.logs import UVICORN_LOGGERS, configure_logging, is_expected, make_handler
from bot.mprofi.errors import RetryableError

NEW_YORK = ZoneInfo("America/New_York")
# 2026-11-30 22:05:01.250 UTC: 17:05:01 in New York (UTC-5), 23:05:01 in Warsaw.
MOMENT = datetime(2026, 11, 30, 22, 5, 1, 250000, tzinfo=UTC).timestamp()

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def record(message: str, *args: object, level: int = logging.ERROR, exc: BaseException | None = None, **extra: Any) -> logging.LogRecord:
    info: ExcInfo | None = None
    if exc is not None:
        try:
            raise exc
        except BaseException as raised:  # to give the record a real traceback
            info = (type(raised), raised, raised.__traceback__)
    made = logging.getLogger("bot.bridge").makeRecord("bot.bridge", level, __file__, 1, message, args, info, extra=extra or None)
    made.created = MOMENT
    return made


def emit(fmt: str, made: logging.LogRecord) -> str:
    out = io.StringIO()
    make_handler(fmt=fmt, zone=NEW_YORK, stream=out).handle(made)
    return out.getvalue()


def one_json(text: str) -> dict[str, Any]:
    assert text.endswith("\n") and text.count("\n") == 1 and len(text.splitlines()) == 1, text
    loaded = json.loads(text)
    assert isinstance(loaded, dict)
    return loaded


def one_text(text: str) -> str:
    assert text.endswith("\n") and len(text.splitlines()) == 1, text
    return text.rstrip("\n")


def slack_refusal(error: str, status: int = 200) -> SlackApiError:
    response = AsyncSlackResponse(
        client=None,  # the response is only read, never paged
        http_verb="POST",
        api_url="http://127.0.0.1:1/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers={"Retry-After": "30"} if status == 429 else {},
        status_code=status,
    )
    return SlackApiError(  # type: ignore[no-untyped-call]  # slack_sdk leaves its __init__ unannotated
        f"The request to the Slack API failed. (url: {response.api_url})", response
    )


# ---- the two formats ----------------------------------------------------------------


def test_a_text_line_shows_the_time_in_the_zone_with_its_offset() -> None:
    line = one_text(emit("text", record("job %s posted", 7, level=logging.INFO)))
    assert line == "2026-11-30 17:05:01-05:00 INFO bot.bridge: job 7 posted"


def test_a_json_line_carries_time_level_logger_and_message() -> None:
    data = one_json(emit("json", record("job %s posted", 7, level=logging.INFO)))
    assert data == {"time": "2026-11-30T17:05:01.250-05:00", "level": "INFO", "logger": "bot.bridge", "message": "job 7 posted"}
    assert datetime.fromisoformat(data["time"]).utcoffset() == NEW_YORK.utcoffset(datetime(2026, 11, 30))


def test_summer_time_shows_its_own_offset() -> None:
    made = record("hello", level=logging.INFO)
    made.created = datetime(2026, 7, 1, 12, 0, tzinfo=UTC).timestamp()
    assert one_text(emit("text", made)).startswith("2026-07-01 08:00:00-04:00 INFO")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_message_with_line_breaks_stays_one_line(fmt: str) -> None:
    message = "first\nsecond\r\nthird\u2028fourth\x85fifth\x1b[31m"
    out = emit(fmt, record(message, level=logging.WARNING))
    if fmt == "json":
        assert one_json(out)["message"] == message  # escaped on the line, whole once read
    else:
        assert one_text(out).endswith("bot.bridge: first ⏎ second ⏎ third ⏎ fourth ⏎ fifth\\x1b[31m")


def test_a_bug_keeps_its_traceback_folded_into_the_line() -> None:
    line = one_text(emit("text", record("job %s failed", 7, exc=ValueError("no such kind"))))
    assert line.startswith("2026-11-30 17:05:01-05:00 ERROR bot.bridge: job 7 failed | Traceback (most recent call last): ⏎ ")
    assert line.endswith("ValueError: no such kind")

    data = one_json(emit("json", record("job %s failed", 7, exc=ValueError("no such kind"))))
    assert data["level"] == "ERROR" and data["exc_type"] == "ValueError"
    assert data["exc"].startswith("Traceback (most recent call last):\n") and data["exc"].endswith("ValueError: no such kind")


def test_json_keeps_the_extra_fields_it_can_write() -> None:
    data = one_json(emit("json", record("job done", level=logging.INFO, job_id=7, kind="post_inbound", handle=object())))
    assert data["job_id"] == 7 and data["kind"] == "post_inbound"
    assert "handle" not in data  # not JSON: left out rather than breaking the line


# ---- expected conditions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "suffix"),
    [
        (ConnectionResetError("Connection reset by peer"), "(ConnectionResetError: Connection reset by peer)"),
        (ClientDisconnect(), "(ClientDisconnect)"),
        (TimeoutError(), "(TimeoutError)"),
        (slack_refusal("ratelimited", 429), "(SlackApiError: ratelimited)"),
        (slack_refusal("not_in_channel"), "(SlackApiError: not_in_channel)"),
        (RetryableError("mProfi answered 503"), "(RetryableError: mProfi answered 503)"),
        (BaseExceptionGroup("in a task group", [ClientDisconnect()]), "(ExceptionGroup: in a task group (1 sub-exception))"),
    ],
)
def test_an_expected_condition_is_a_warning_without_a_traceback(exc: BaseException, suffix: str) -> None:
    line = one_text(emit("text", record("Exception in ASGI application\n", exc=exc)))
    assert line == f"2026-11-30 17:05:01-05:00 WARNING bot.bridge: Exception in ASGI application {suffix}"
    assert "Traceback" not in line

    data = one_json(emit("json", record("Exception in ASGI application\n", exc=exc)))
    assert data["level"] == "WARNING" and "exc" not in data
    assert data["exc_type"].rpartition(".")[2] == type(exc).__name__


def test_the_exception_is_named_once_when_the_message_already_says_it() -> None:
    exc = ConnectionRefusedError("Connect call failed")
    line = one_text(emit("text", record("Failed to connect (error: %s); Retrying...", exc, exc=exc)))
    assert line.endswith("Failed to connect (error: Connect call failed); Retrying... (ConnectionRefusedError)")


def test_an_info_record_with_an_expected_exception_keeps_its_level() -> None:
    line = one_text(emit("text", record("lease renewal skipped", level=logging.INFO, exc=TimeoutError("late"))))
    assert " INFO bot.bridge: lease renewal skipped (TimeoutError: late)" in line


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bug"),
        KeyError("kind"),
        slack_refusal("invalid_blocks"),
        BaseExceptionGroup("mixed", [ClientDisconnect(), ValueError("bug")]),
    ],
)
def test_a_bug_is_not_taken_for_an_expected_condition(exc: BaseException) -> None:
    assert not is_expected(exc)
    line = one_text(emit("text", record("listener failed", exc=exc)))
    assert " ERROR bot.bridge: listener failed | " in line and "Traceback (most recent call last): ⏎ " in line


# ---- configure_logging and uvicorn ------------------------------------------------------


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back for the next test."""
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    saved = {name: (list(lg.handlers), lg.propagate, lg.level) for name in UVICORN_LOGGERS for lg in [logging.getLogger(name)]}
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in saved_root[0]:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(saved_root[1])
        for name, (handlers, propagate, level) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers[:] = handlers
            lg.propagate, lg.level = propagate, level
        logging.captureWarnings(False)


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the body without guarding against a caller that hangs up, as a careless route would."""
    assert scope["type"] == "http"
    body = await Request(scope, receive).body()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok " + str(len(body)).encode()})


async def _serve_and_call(stream: io.StringIO) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_app, log_config=None, log_level="info", lifespan="off", timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not task.done(), "the server stopped during start-up"
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /mprofi/status?token=s3cret&id=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert (await reader.read()).startswith(b"HTTP/1.1 200")
        writer.close()
        # A body promised and never sent: the caller hangs up half-way.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /mprofi/incoming HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()
        await writer.wait_closed()
        for _ in range(200):
            if "Exception in ASGI application" in stream.getvalue():
                break
            await asyncio.sleep(0.01)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 5)


@pytest.mark.usefixtures("restored_logging")
@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_uvicorn_goes_through_the_same_handler_one_line_each(fmt: str) -> None:
    stream = io.StringIO()
    configure_logging(level="info", fmt=fmt, timezone="America/New_York", stream=stream)
    await _serve_and_call(stream)
    lines = stream.getvalue().splitlines()
    assert stream.getvalue().count("\n") == len(lines) and lines  # every record one line, nothing between
    assert "Traceback" not in stream.getvalue() and "s3cret" not in stream.getvalue()
    offset = datetime.now(NEW_YORK).isoformat()[-6:]
    if fmt == "json":
        records = [json.loads(line) for line in lines]
        assert all(r["time"].endswith(offset) for r in records)
        access = [r for r in records if r["logger"] == "uvicorn.access"]
        assert access[0]["method"] == "GET" and access[0]["status"] == 200 and access[0]["path"] == "/mprofi/status?token=***&id=1"
        assert access[0]["message"].endswith('"GET /mprofi/status?token=***&id=1 HTTP/1.1" 200')
        [dropped] = [r for r in records if r["message"].startswith("Exception in ASGI application")]
        assert dropped["level"] == "WARNING" and dropped["exc_type"] == "starlette.requests.ClientDisconnect" and "exc" not in dropped
    else:
        assert all(line[19:25] == offset for line in lines), lines
        assert any(
            " INFO uvicorn.access: 127.0.0.1:" in line and '"GET /mprofi/status?token=***&id=1 HTTP/1.1" 200' in line for line in lines
        )
        assert any(line.endswith("WARNING uvicorn.error: Exception in ASGI application (ClientDisconnect)") for line in lines), lines


@pytest.mark.usefixtures("restored_logging")
def test_configuring_again_replaces_the_handler_instead_of_doubling_lines() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(level="info", fmt="text", timezone="Europe/Warsaw", stream=first)
    configure_logging(level="warning", fmt="json", timezone="America/New_York", stream=second)
    logging.getLogger("bot.test").warning("once")
    logging.getLogger("bot.test").info("not at all")
    assert first.getvalue() == ""
    assert [json.loads(line)["message"] for line in second.getvalue().splitlines()] == ["once"]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text"):
        make_handler(fmt="xml", zone=NEW_YORK, stream=sys.stderr)
