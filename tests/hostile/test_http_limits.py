"""Server limits: slow bodies and headers get 408, the surplus gets 503, secrets stay out of the access log.

Body deadline and request cap are middleware in ``create_app`` (tested on the real
app on loopback); header deadline, header size and connection cap are the uvicorn
options ``mprofi-slack serve`` passes (tested under exactly those options).
Everything is bounded: short timeouts, raw sockets on 127.0.0.1, small bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn

from bot.cli import main
from bot.config import Settings
from bot.http.server import server_options
from bot.mprofi.redact import install_httpx_redaction, redact
from bot.sandbox.slack import SlackState
from bot.sandbox.stack import WEBHOOK_TOKEN
from tests.hostile.raw_http import raw_connection, read_response
from tests.support import StackFactory

SECRET = "tok-S3CR3T-9d2e"


# ---- raw HTTP on loopback ---------------------------------------------------------


async def assert_closed(reader: asyncio.StreamReader) -> None:
    """The server closed the connection: end of stream, or a reset when it left our bytes unread."""
    async with asyncio.timeout(5):
        try:
            assert await reader.read() == b""
        except ConnectionResetError:
            pass


def json_error(body: bytes) -> str:
    data = json.loads(body)
    assert data["ok"] is False and data["error"]
    return str(data["error"])


def partial_post(path: str, headers: dict[str, str], declared: int, sent: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {declared}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + sent


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # pytest owns the signals


async def tiny_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers 200 once the whole body is in; enough to exercise the protocol around it."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@contextlib.asynccontextmanager
async def uvicorn_on_loopback(app: Any, **options: Any) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options = {"lifespan": "off", "log_level": "warning", **options}
    server = _Server(uvicorn.Config(app, **options))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, 5)
        except TimeoutError:
            server.force_exit = True
        sock.close()


# ---- 9: a body that does not arrive in time gets 408 ------------------------------


@pytest.mark.parametrize("route", ["/mprofi/incoming", "/slack/events"])
async def test_a_body_that_does_not_arrive_in_time_gets_408(make_stack: StackFactory, route: str) -> None:
    async with make_stack(settings={"http_request_timeout_seconds": 0.5}) as stack:
        url = stack.app_url + route
        if route == "/slack/events":
            headers = stack.slack.signed_headers(b"{" + b" " * 98 + b"}")
        else:
            headers = {"Authorization": WEBHOOK_TOKEN, "Content-Type": "application/json"}
        async with raw_connection(url) as (reader, writer):
            writer.write(partial_post(route, headers, declared=100, sent=b'{"sender": '))
            await writer.drain()
            status, answer_headers, body = await read_response(reader, timeout=5)
            assert status == 408, body
            assert "did not arrive within 0.5 seconds" in json_error(body)  # the limit it applied, in its own words
            assert answer_headers.get("connection") == "close"
            await assert_closed(reader)
        # The app is fine afterwards.
        assert (await stack.http.get(stack.app_url + "/healthz")).status_code == 200


# ---- 9: requests past the cap get 503 JSON with Retry-After -----------------------


async def test_requests_past_the_cap_get_503_json_with_retry_after(make_stack: StackFactory) -> None:
    settings = {"http_max_concurrent_requests": 2, "http_request_timeout_seconds": 2.0}
    async with make_stack(settings=settings) as stack:
        headers = {"Authorization": WEBHOOK_TOKEN, "Content-Type": "application/json"}
        async with contextlib.AsyncExitStack() as slow:
            readers = []
            for _ in range(2):  # two requests that hold their slots, waiting for a body
                reader, writer = await slow.enter_async_context(raw_connection(stack.app_url))
                writer.write(partial_post("/mprofi/incoming", headers, declared=100, sent=b"{"))
                await writer.drain()
                readers.append(reader)
            async with asyncio.timeout(1.5):  # both are inside the app well before their 2 s run out
                while (third := await stack.http.get(stack.app_url + "/healthz")).status_code != 503:
                    await asyncio.sleep(0.02)
            assert third.headers["retry-after"].isdigit()
            assert third.headers["content-type"] == "application/json"
            assert "busy" in json_error(third.content)
            for reader in readers:  # the slow ones end with 408 and free their slots
                status, _, _ = await read_response(reader, timeout=5)
                assert status == 408
        assert (await stack.http.get(stack.app_url + "/healthz")).status_code == 200


# ---- 9: `serve`: slow or huge headers, too many connections -----------------------


def _serve_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, slack: SlackState, **extra: str) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working copy
    values = {
        "SLACK_BOT_TOKEN": slack.config.bot_token,
        "SLACK_SIGNING_SECRET": "limits-test-secret",
        "SLACK_API_URL": slack.config.public_url + "/api/",  # serve asks Slack before it listens
        "SLACK_CHANNEL": "C0SMSBRIDGE",
        "MPROFI_API_KEY": "limits-test-key",
        "MPROFI_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'limits.db'}",
        **extra,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)


async def test_serve_cuts_off_slow_headers_with_408(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, slack: SlackState) -> None:
    """What `mprofi-slack serve` hands uvicorn, run as is: headers have 0.5 s, on a new
    connection and on a kept-alive one alike; a prompt request is served."""
    _serve_environment(monkeypatch, tmp_path, slack, HTTP_REQUEST_TIMEOUT_SECONDS="0.5")
    passed: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: passed.update(options))
    monkeypatch.setattr("bot.logs.configure_logging", lambda **settings: None)  # the test process keeps its logging
    # In a thread, as on the command line: serve runs its start-up checks in an event loop of its own.
    assert await asyncio.to_thread(main, ["serve", "--log-level", "warning"]) == 0
    options = {name: value for name, value in passed.items() if name not in ("host", "port")}
    async with uvicorn_on_loopback(tiny_app, **options) as url:
        async with raw_connection(url) as (reader, writer):
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            await writer.drain()
            status, answer_headers, body = await read_response(reader, timeout=5)
            assert status == 408 and "headers did not arrive within 0.5 seconds" in json_error(body)  # the limit it applied
            assert answer_headers["connection"] == "close"
            await assert_closed(reader)
        async with raw_connection(url) as (reader, writer):
            writer.write(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nhi")
            await writer.drain()
            assert (await read_response(reader, timeout=5))[0] == 200
            writer.write(b"GET / HTTP/1.1\r\nHost: 1")  # the next request on the same connection stalls
            await writer.drain()
            assert (await read_response(reader, timeout=5))[0] == 408
            await assert_closed(reader)


async def test_huge_headers_get_431_and_surplus_connections_503() -> None:
    settings = Settings(_env_file=None, http_request_timeout_seconds=3.0, http_max_concurrent_requests=1)
    async with uvicorn_on_loopback(tiny_app, **server_options(settings)) as url:
        async with raw_connection(url) as (reader, writer):
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            for number in range(20):  # 160 KB of headers, never finished
                writer.write(f"X-Pad-{number}: ".encode() + b"a" * 8000 + b"\r\n")
            await writer.drain()
            status, _, body = await read_response(reader, timeout=5)
            assert status == 431, body
            await assert_closed(reader)
        async with contextlib.AsyncExitStack() as held:
            for _ in range(2):  # twice HTTP_MAX_CONCURRENT_REQUESTS connections may stay open
                await held.enter_async_context(raw_connection(url))
            await asyncio.sleep(0.2)  # let the server accept them
            async with raw_connection(url) as (reader, _writer):
                status, answer_headers, body = await read_response(reader, timeout=5)
                assert status == 503 and "too many open connections" in json_error(body)
                assert answer_headers["retry-after"].isdigit()
                await assert_closed(reader)
        async with raw_connection(url) as (reader, writer):  # room again once they are gone
            await asyncio.sleep(0.2)
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            assert (await read_response(reader, timeout=5))[0] == 200


# ---- 10: the access log never shows the webhook token -----------------------------

SPELLINGS = [
    f"?token={SECRET}",
    f"?TOKEN={SECRET}",
    f"?a=1&token={SECRET}",
    f"?%74oken={SECRET}",
    f"?tok%65n={SECRET}",
    f"?%54%4f%4B%45%4E={SECRET}",
    f"?To%4Ben={SECRET}&b=2",
    f"?%2574oken={SECRET}",
    f"?token%3D{SECRET}",
    f"?token={SECRET.replace('S', '%53')}",
    f"?ap%69key={SECRET}",
    f"?APIKEY={SECRET}&id=3",
    f"?%61%70%69%6b%65%79={SECRET}",
]


def _visible(text: str) -> bool:
    return SECRET in text or SECRET.replace("S", "%53") in text or "3CR3T" in text


@pytest.mark.parametrize("query", SPELLINGS)
def test_redact_masks_the_token_however_the_query_spells_its_name(query: str) -> None:
    line = f'127.0.0.1:50000 - "POST /mprofi/status{query} HTTP/1.1" 200'
    assert not _visible(redact(line)), redact(line)
    assert "/mprofi/status?" in redact(line)  # the rest of the line stays readable


async def test_the_access_log_never_shows_the_token(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn's own access log, as `serve` writes it, for every spelling sent on the wire."""
    install_httpx_redaction()
    access = logging.getLogger("uvicorn.access")
    # uvicorn's logging config (other servers in this process load it) stops propagation here.
    monkeypatch.setattr(access, "handlers", [caplog.handler])
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    async with uvicorn_on_loopback(tiny_app, access_log=True, log_config=None, log_level="info") as url:
        for query in SPELLINGS:
            async with raw_connection(url) as (reader, writer):
                writer.write(f"POST /mprofi/status{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n".encode())
                await writer.drain()
                assert (await read_response(reader, timeout=5))[0] == 200
    lines = [record.getMessage() for record in caplog.records if record.name == "uvicorn.access"]
    assert len(lines) == len(SPELLINGS)
    assert all("/mprofi/status?" in line for line in lines)
    assert not [line for line in lines if _visible(line)]
