"""/slack/events before Bolt: size cap, Slack's signature, readable bodies, and no body in Bolt's logs.

The app runs for real on loopback (``make_stack``); oversized and slow requests are
written on raw sockets so the test controls exactly how much of a body exists.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.stack import SandboxStack
from bot.slack.app import build_bolt_app, build_web_client
from tests.hostile.raw_http import raw_connection, read_response
from tests.support import StackFactory

MARKER = "BODY-MARKER-6b1f0c"
SMALL_CAP = 64 * 1024


# ---- raw HTTP on loopback ---------------------------------------------------------


def request_head(url: str, headers: dict[str, str]) -> bytes:
    path = urlsplit(url).path
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def assert_json_error(status: int, body: bytes, expected: int) -> None:
    assert status == expected, body
    data = json.loads(body)
    assert data["ok"] is False and isinstance(data["error"], str) and data["error"]


@pytest.fixture
def bolt_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record from Bolt's loggers, DEBUG included."""
    for name in ("slack_bolt", "bot.slack.bolt"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def envelope(**extra: Any) -> bytes:
    event = {"type": "app_mention", "text": MARKER}
    return json.dumps({"type": "event_callback", "team_id": "T0SANDBOX", "event": event, **extra}).encode()


# ---- 7a: the size cap, before anything is read ----------------------------------


async def test_a_declared_body_over_the_cap_gets_413_before_it_is_read(stack: SandboxStack) -> None:
    """5 MB declared, 64 KB sent: the answer comes at once, so the app never waited for the rest."""
    url = stack.slack.config.events_url or ""
    headers = {**stack.slack.signed_headers(b"x"), "Content-Length": str(5 * 1024 * 1024)}
    async with raw_connection(url) as (reader, writer):
        writer.write(request_head(url, headers) + b"x" * SMALL_CAP)
        await writer.drain()
        status, answer_headers, body = await read_response(reader, timeout=5)
        assert_json_error(status, body, 413)
        assert answer_headers.get("connection") == "close"
        async with asyncio.timeout(5):
            assert await reader.read() == b""  # the rest is never read: the socket closes


async def test_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_cap(make_stack: StackFactory) -> None:
    async with make_stack(settings={"slack_max_body_bytes": SMALL_CAP}) as stack:
        url = stack.slack.config.events_url or ""
        headers = {**stack.slack.signed_headers(b"x"), "Transfer-Encoding": "chunked"}
        chunk = b"y" * (16 * 1024)
        async with raw_connection(url) as (reader, writer):
            writer.write(request_head(url, headers))
            for _ in range(5):  # 80 KB, and the body never ends
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()
            status, _, body = await read_response(reader, timeout=5)
        assert_json_error(status, body, 413)
        # A signed body just under the cap still reaches Bolt whole (replayed, not read twice).
        challenge = {"type": "url_verification", "challenge": "c-" + "z" * (SMALL_CAP - 200), "token": "t"}
        raw = json.dumps(challenge).encode()
        assert len(raw) < SMALL_CAP
        response = await stack.http.post(url, content=raw, headers=stack.slack.signed_headers(raw))
        assert response.status_code == 200
        assert response.json()["challenge"] == challenge["challenge"]


# ---- 7b: the signature, before anything is parsed ---------------------------------


async def test_unsigned_badly_signed_and_stale_requests_get_401_json_without_bolt(
    stack: SandboxStack, bolt_logs: pytest.LogCaptureFixture
) -> None:
    url = stack.slack.config.events_url or ""
    body = envelope()
    now = int(time.time())
    wrong_secret = SignatureVerifier("not-the-signing-secret").generate_signature(timestamp=str(now), body=body)
    cases: dict[str, dict[str, Any]] = {
        "unsigned": {"Content-Type": "application/json"},
        "wrong secret": {"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": wrong_secret},
        "stale": stack.slack.signed_headers(body, timestamp=now - 6 * 60),
        "from the future": stack.slack.signed_headers(body, timestamp=now + 6 * 60),
        "timestamp not a number": {**stack.slack.signed_headers(body), "X-Slack-Request-Timestamp": "soon"},
        "signature not ASCII": {**stack.slack.signed_headers(body), "X-Slack-Signature": "v0=\xe9".encode("latin-1")},
    }
    for name, headers in cases.items():
        response = await stack.http.post(url, content=body, headers=headers)
        assert response.status_code == 401, (name, response.text)
        assert response.json()["ok"] is False, name
    bolt_saw = [r for r in bolt_logs.records if "Invalid request signature" in r.getMessage()]
    assert not bolt_saw, "Bolt was handed a request whose signature is wrong"
    assert not [r for r in bolt_logs.records if MARKER in r.getMessage()]


# ---- 7c: bodies Bolt cannot read are 400, never a 500 -----------------------------


def signed_bytes(stack: SandboxStack, body: bytes, content_type: str) -> dict[str, str]:
    """Slack's v0 signature over any bytes (slack_sdk's signer decodes them as UTF-8 first)."""
    stamp = str(int(time.time()))
    digest = hmac.new(stack.slack.config.signing_secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest}


def _nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


async def test_bodies_bolt_cannot_read_get_400_json_not_500(stack: SandboxStack) -> None:
    url = stack.slack.config.events_url or ""
    form = "application/x-www-form-urlencoded"
    deep_object = ('{"a":' * 65 + "1" + "}" * 65).encode()
    cases: dict[str, tuple[bytes, str]] = {
        "form that is not UTF-8": (b"command=%2Fsms&text=\xff\xfe\xfd", form),
        "JSON that is not UTF-8": (b'{"type": "event_callback", "x": "\xc3\x28"}', "application/json"),
        "payload that is not JSON": (b"payload=not-json-at-all", form),
        "payload that is a JSON list": (b"payload=" + quote("[1, 2]").encode(), form),
        "JSON that is not JSON": (b"{not json", "application/json"),
        "JSON that is a list": (b"[1, 2, 3]", "application/json"),
        "JSON 65 levels deep": (deep_object, "application/json"),
        "payload 65 levels deep": (b"payload=" + quote(deep_object.decode()).encode(), form),
        "JSON 100000 levels deep": (b'{"a":' + _nested(100_000) + b"}", "application/json"),
    }
    for name, (body, content_type) in cases.items():
        response = await stack.http.post(url, content=body, headers=signed_bytes(stack, body, content_type))
        assert response.status_code == 400, (name, response.status_code, response.text[:200])
        assert response.json()["ok"] is False, name
    # Nesting Slack really uses is fine.
    shallow = json.dumps({"type": "url_verification", "challenge": "ok", "deep": json.loads(_nested(20))}).encode()
    response = await stack.http.post(url, content=shallow, headers=stack.slack.signed_headers(shallow))
    assert response.status_code == 200 and response.json()["challenge"] == "ok"


# ---- 7d: no body in Bolt's log lines ----------------------------------------------


class _OnlyLanguage:
    async def language_of(self, user_id: str | None) -> str:
        return "en"


async def test_bolt_writes_no_request_body_above_debug(stack: SandboxStack, bolt_logs: pytest.LogCaptureFixture) -> None:
    """Straight into the Bolt app the bridge builds (its Web API client on the emulator):
    a bad signature and a middleware that answers nothing both make Bolt log the body;
    neither line may carry it."""
    secret = "guard-test-secret"
    client = build_web_client(stack.slack.config.bot_token, stack.slack.config.public_url + "/api/")
    app = build_bolt_app(bridge=_OnlyLanguage(), client=client, signing_secret=secret)  # type: ignore[arg-type]  # Bolt reaches no listener here: only the language middleware asks the bridge
    big = json.dumps({"type": "event_callback", "team_id": "T1", "pad": MARKER * 20_000}).encode()  # about 400 KB
    stamp = str(int(time.time()))
    bad_headers: dict[str, str | Sequence[str]] = {
        "content-type": "application/json",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": "v0=00",
    }
    bad = AsyncBoltRequest(body=big.decode(), headers=bad_headers)
    assert (await app.async_dispatch(bad)).status == 401

    @app.middleware
    async def answers_nothing(next: Any) -> None:  # neither calls next() nor returns a response
        return None

    good_headers: dict[str, str | Sequence[str]] = {
        "content-type": "application/json",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=stamp, body=big) or "",
    }
    await app.async_dispatch(AsyncBoltRequest(body=big.decode(), headers=good_headers))

    loud = [r for r in bolt_logs.records if r.levelno > logging.DEBUG]
    said = [r.getMessage() for r in loud]
    # The lines are masked, not dropped.
    assert any(m.startswith("Invalid request signature detected") for m in said), said
    assert any("answers_nothing" in m and "without providing a response" in m for m in said), said
    for record in loud:
        message = record.getMessage()
        assert MARKER not in message, f"{record.name} {record.levelname} logged the body"
        assert len(message) < 4000, f"{record.name} logged {len(message)} characters"
