"""The console's timeline: what passes between the three is recorded, unchanged, with no secret showing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.sandbox.console.timeline import BODY_LIMIT, MASK, Exchange, Timeline, mask, mask_path, render_body
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack
from tests.support import PNG


async def echo(request: Request) -> Response:
    body = await request.body()
    return Response(body, status_code=201, media_type=request.headers.get("content-type"))


async def boom(request: Request) -> Response:
    raise RuntimeError("boom")


async def stream(request: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first "
        await asyncio.sleep(0)
        yield b"second"

    return StreamingResponse(chunks(), media_type="text/plain")


async def slow_stream(request: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first"
        await asyncio.sleep(30)
        yield b"never"

    return StreamingResponse(chunks(), media_type="text/plain")


def web() -> Starlette:
    routes = [
        Route("/api/{method}", echo, methods=["POST"]),
        Route("/slack/events", echo, methods=["POST"]),
        Route("/mprofi/incoming", echo, methods=["POST"]),
        Route("/healthz", lambda request: JSONResponse({"ok": True})),
        Route("/boom", boom),
        Route("/stream", stream),
        Route("/slow", slow_stream),
    ]
    return Starlette(routes=routes)


def client(app: ASGIApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def call(app: ASGIApp, scope: Scope, incoming: list[Message], *, hang_up: bool = False) -> list[Message]:
    """Drive an ASGI app directly: what it sends, message by message. After ``incoming``
    the client stays (a server's receive() waits) or, with ``hang_up``, disconnects."""
    sent: list[Message] = []

    async def receive() -> Message:
        if incoming:
            return incoming.pop(0)
        if not hang_up:
            await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def http_scope(path: str, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers or [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }


# ---- masking -------------------------------------------------------------------------


def test_exact_secrets_are_masked_wherever_they_appear_plain_or_url_encoded() -> None:
    secret = "s3cr3t/value+with=signs"
    text = f"plain {secret} and encoded {httpx.QueryParams({'x': secret})} end"
    masked = mask(text, [secret])
    assert secret not in masked and "s3cr3t" not in masked
    assert masked.startswith(f"plain {MASK} and encoded x={MASK}")


@pytest.mark.parametrize(
    "name",
    [
        "apikey",
        "API_KEY",
        "token",
        "Key",
        "secret",
        "password",
        "signature",
        "Authorization",
        "client_secret",
        "bot_token",
        "x-slack-signature",
    ],
)
def test_a_value_named_as_a_secret_is_masked_in_parameters_and_json(name: str) -> None:
    assert mask(f"a=1&{name}=hunter22&b=2") == f"a=1&{name}={MASK}&b=2"
    assert mask(f'{{"{name}": "hunter22", "text": "hi"}}') == f'{{"{name}": "{MASK}", "text": "hi"}}'
    assert mask(f'{{"{name}": 12345}}') == f'{{"{name}": "{MASK}"}}'


def test_slack_tokens_bearer_values_and_authorization_lines_are_masked_by_shape() -> None:
    text = "xoxb-1-2-abc then xoxp-9-zz, xapp-1-A0-77 and Bearer abc.def\nauthorization: Token k3y"
    assert mask(text) == f"{MASK} then {MASK}, {MASK} and Bearer {MASK}\nauthorization: {MASK}"


def test_ordinary_text_is_left_alone() -> None:
    text = 'Dzień dobry, numer 48600100200 {"file_key": "F1", "monkey": "x"} keyboard=1'
    assert mask(text, ["abc"]) == text  # a three-letter "secret" would mask words: ignored


def test_paths_keep_their_route_and_lose_secret_parameters_however_spelled() -> None:
    assert mask_path("/mprofi/status?token=tok123&id=5") == f"/mprofi/status?token={MASK}&id=5"
    assert mask_path("/1.0/status/?APIKEY=k&id=1") == f"/1.0/status/?APIKEY={MASK}&id=1"
    assert mask_path("/x?%74oken=tok123") == f"/x?%74oken={MASK}"
    assert mask_path("/x?token%3Dtok123") == f"/x?token={MASK}"
    assert mask_path("/hooks/T1/B2/tok123?a=b", ["tok123"]) == f"/hooks/T1/B2/{MASK}?a=b"
    assert mask_path("/healthz") == "/healthz"


# ---- bodies ----------------------------------------------------------------------------


def test_json_is_pretty_printed_with_letters_as_they_are_and_keys_masked() -> None:
    body = json.dumps({"apikey": "k-123", "message": "Zażółć", "nested": [{"token": "t"}]}).encode()
    text = render_body(body, "application/json; charset=utf-8")
    assert json.loads(text) == {"apikey": MASK, "message": "Zażółć", "nested": [{"token": MASK}]}
    assert text.startswith('{\n  "apikey": "•••",\n  "message": "Zażółć"')


def test_a_form_shows_one_field_a_line_and_a_json_payload_pretty_printed() -> None:
    payload = {"type": "block_actions", "token": "verif-123", "user": {"id": "U1"}}
    request = httpx.Request("POST", "http://x", data={"text": "a b&c", "token": "xyz-123", "payload": json.dumps(payload)})
    text = render_body(request.read(), request.headers["content-type"])
    lines = text.splitlines()
    assert lines[:3] == ["text=a b&c", f"token={MASK}", "payload="]
    assert json.loads("\n".join(lines[3:])) == {**payload, "token": MASK}
    assert "verif-123" not in text and "xyz-123" not in text


def test_multipart_shows_each_part_text_or_size() -> None:
    files = [("image1", ("photo.png", PNG, "image/png")), ("notes", ("notes.txt", "Zdjęcie\n".encode(), "text/plain"))]
    request = httpx.Request("POST", "http://x", data={"sender": "48600100200", "apikey": "k-123"}, files=files)
    text = render_body(request.read(), request.headers["content-type"])
    assert text.splitlines() == [
        "sender=48600100200",
        f"apikey={MASK}",
        "image1: photo.png (image/png)",
        f"[{len(PNG)} bytes image/png]",
        "notes: notes.txt (text/plain)",
        "Zdjęcie",
    ]


def test_a_binary_body_is_shown_by_its_size_and_type() -> None:
    assert render_body(PNG, "image/png") == f"[{len(PNG)} bytes image/png]"
    assert render_body(b"\x00\x01\xff", "") == "[3 bytes application/octet-stream]"
    assert render_body(b"", "application/json") == ""


def test_a_long_body_is_cut_at_the_limit_and_says_how_much_is_left() -> None:
    text = render_body(b"a" * (BODY_LIMIT + 100), "text/plain")
    assert text == "a" * BODY_LIMIT + "… (100 bytes more)"
    # Cut on a character, not inside one; bytes not captured count too.
    cut = render_body("ż".encode() * BODY_LIMIT, "text/plain", more=7)
    assert cut.endswith(f"… ({BODY_LIMIT + 7} bytes more)") and cut.count("ż") == BODY_LIMIT // 2


def test_the_authorization_header_is_noted_masked_on_the_first_line() -> None:
    assert render_body(b'{"a": 1}', "application/json", authorization=True) == f'Authorization: {MASK}\n{{\n  "a": 1\n}}'


# ---- the middleware -----------------------------------------------------------------


async def test_each_request_is_recorded_with_who_called_whom() -> None:
    timeline = Timeline(secrets=["k-123"])
    app, slack, mprofi = timeline.tap("app", web()), timeline.tap("slack", web()), timeline.tap("mprofi", web())
    async with client(app) as to_app, client(slack) as to_slack, client(mprofi) as to_mprofi:
        await to_app.post("/mprofi/incoming?token=tok", json={"message": "hej"}, headers={"Authorization": "tok"})
        await to_app.post("/slack/events", content=b"payload=%7B%7D", headers={"content-type": "application/x-www-form-urlencoded"})
        await to_app.get("/healthz")
        await to_slack.post("/api/chat.postMessage", json={"text": "hi"}, headers={"Authorization": "Bearer xoxb-1"})
        response = await to_mprofi.post("/api/send", json={"apikey": "k-123", "message": "x"})
    assert response.status_code == 201 and response.json() == {"apikey": "k-123", "message": "x"}  # unchanged

    entries = timeline.entries()
    assert [(e.id, e.source, e.target, e.method, e.path, e.status) for e in entries] == [
        (1, "mProfi", "app", "POST", f"/mprofi/incoming?token={MASK}", 201),
        (2, "Slack", "app", "POST", "/slack/events", 201),
        (3, "console", "app", "GET", "/healthz", 200),
        (4, "app", "Slack", "POST", "/api/chat.postMessage", 201),
        (5, "app", "mProfi", "POST", "/api/send", 201),
    ]
    first = entries[0]
    assert first.at.tzinfo is UTC and first.done and first.error is None and first.duration_ms > 0
    assert first.request_type == first.response_type == "application/json"
    assert first.request_body == f'Authorization: {MASK}\n{{\n  "message": "hej"\n}}'
    assert entries[3].request_body.startswith(f"Authorization: {MASK}\n")
    assert json.loads(entries[4].response_body) == {"apikey": MASK, "message": "x"}
    assert timeline.get(3) is entries[2] and timeline.get(99) is None

    summary, detail = timeline.summary(first), timeline.detail(first)
    json.dumps(detail)
    assert set(summary) == {"id", "at", "source", "target", "method", "path", "status", "duration_ms", "done", "failed"}
    assert "request_body" not in summary and detail["request_body"] == first.request_body and detail["error"] is None
    assert timeline.entries(after=3) == entries[3:] and timeline.entries(limit=2) == entries[3:]


def test_an_unknown_target_is_refused() -> None:
    with pytest.raises(ValueError, match="'console'"):
        Timeline().tap("console", web())


async def test_a_streaming_response_passes_message_by_message_unchanged() -> None:
    timeline = Timeline()
    scope = http_scope("/stream")
    plain = await call(web(), dict(scope), [{"type": "http.request", "body": b"", "more_body": False}])
    tapped = await call(timeline.tap("app", web()), dict(scope), [{"type": "http.request", "body": b"", "more_body": False}])
    assert tapped == plain
    assert [m.get("body") for m in tapped[1:]] == [b"first ", b"second", b""]
    (entry,) = timeline.entries()
    assert (entry.status, entry.response_body, entry.done) == (200, "first second", True)


async def test_lifespan_and_websockets_pass_through_untouched() -> None:
    seen: list[tuple[str, Receive, Send]] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope["type"], receive, send))

    async def receive() -> Message:
        return {}

    async def send(message: Message) -> None:
        pass

    timeline = Timeline()
    for kind in ("lifespan", "websocket"):
        await timeline.tap("slack", inner)({"type": kind}, receive, send)
    assert seen == [("lifespan", receive, send), ("websocket", receive, send)]
    assert timeline.entries() == [] and timeline.version == 0


async def test_an_app_that_raises_is_recorded_and_the_exception_goes_on() -> None:
    timeline = Timeline()
    async with client(timeline.tap("app", web())) as http:
        with pytest.raises(RuntimeError, match="boom"):
            await http.get("/boom")
    (entry,) = timeline.entries()
    # Starlette answered 500 before re-raising: the timeline shows what the client got.
    assert (entry.status, entry.error, entry.done) == (500, "RuntimeError: boom", True)

    async def raises_first(scope: Scope, receive: Receive, send: Send) -> None:
        raise KeyError("no answer at all")

    with pytest.raises(KeyError):
        await call(timeline.tap("app", raises_first), http_scope("/x"), [])
    assert timeline.entries()[-1].status is None and timeline.entries()[-1].error == "KeyError: 'no answer at all'"


async def test_a_client_that_goes_away_leaves_a_finished_entry() -> None:
    async def hangs_up(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    timeline = Timeline()
    await call(timeline.tap("app", hangs_up), http_scope("/x"), [{"type": "http.request", "body": b"abc", "more_body": True}], hang_up=True)
    (entry,) = timeline.entries()
    assert (entry.status, entry.done, entry.request_body) == (None, True, "abc")
    assert entry.error == "the client disconnected before the response was complete"


async def test_a_client_that_closes_a_real_connection_mid_stream_leaves_a_finished_entry() -> None:
    timeline = Timeline()
    async with LoopbackServer(timeline.tap("app", web()), lifespan="off") as server, httpx.AsyncClient() as http:
        async with http.stream("GET", server.url + "/slow") as response:
            async for chunk in response.aiter_raw():
                assert chunk == b"first"
                break
        for _ in range(500):
            if timeline.entries() and timeline.entries()[0].done:
                break
            await asyncio.sleep(0.01)
    (entry,) = timeline.entries()
    assert entry.done and entry.status in (None, 200) and "never" not in entry.response_body


async def test_only_the_newest_entries_are_kept() -> None:
    timeline = Timeline(limit=3)
    async with client(timeline.tap("app", web())) as http:
        for _ in range(5):
            await http.get("/healthz")
    assert [e.id for e in timeline.entries()] == [3, 4, 5]
    assert timeline.get(1) is None and timeline.get(5) is not None


async def test_wait_changed_wakes_on_a_new_entry_and_returns_at_the_timeout() -> None:
    timeline = Timeline()
    assert await timeline.wait_changed(0, timeout=0.01) == 0
    waiter = asyncio.create_task(timeline.wait_changed(0, timeout=5))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    async with client(timeline.tap("app", web())) as http:
        await http.get("/healthz")
    assert await asyncio.wait_for(waiter, 1) >= 1
    assert timeline.version == 2  # opened, finished
    assert await timeline.wait_changed(1, timeout=5) == 2  # already different: at once
    assert [e.id for e in timeline.changed(1)] == [1] and timeline.changed(2) == []


# ---- through the real stack -----------------------------------------------------------


@pytest.mark.parametrize("given", [True, False], ids=["secrets-given", "by-shape-only"])
async def test_the_stack_records_the_conversation_and_shows_no_secret(tmp_path: Path, given: bool) -> None:
    timeline = Timeline()
    async with SandboxStack(f"sqlite:///{tmp_path / 't.db'}", wrap=timeline.tap, status_step_seconds=0.05) as stack:
        settings = stack.settings()
        fields = (
            "slack_bot_token",
            "slack_signing_secret",
            "mprofi_api_key",
            "mprofi_receive_key",
            "mprofi_hlr_key",
            "mprofi_mms_key",
            "mprofi_webhook_token",
        )
        secrets = [value.get_secret_value() for name in fields if (value := getattr(settings, name)) is not None]
        assert len(secrets) == len(fields) and WEBHOOK_TOKEN in secrets
        for secret in secrets if given else []:
            timeline.add_secret(secret)
        await stack.phone_texts("48600100200", "Dzień dobry")
        await stack.drain()
        parent = await stack.until(lambda: stack.thread_of("600 100 200"))
        await stack.person_replies(parent, "Odpowiedź")
        await stack.until(lambda: stack.sent_to("48600100200"), what="the SMS")
        await stack.phone_texts("48600100200", "Zdjęcie", images=[("photo.png", PNG, "image/png")])
        await stack.drain()

    entries = timeline.entries(limit=1000)

    def find(source: str, target: str, path: str) -> list[Exchange]:
        return [e for e in entries if (e.source, e.target) == (source, target) and e.path.startswith(path)]

    incoming = find("mProfi", "app", "/mprofi/incoming")
    assert incoming and incoming[0].method == "POST" and incoming[0].status == 200
    assert incoming[0].request_body.startswith(f"Authorization: {MASK}\n") and "Dzień dobry" in incoming[0].request_body
    assert any(f"[{len(PNG)} bytes image/png]" in e.request_body for e in incoming)  # the MMS, part by part
    posts = find("app", "Slack", "/api/chat.postMessage")
    assert posts and all(e.status == 200 for e in posts)
    assert find("Slack", "app", "/slack/events"), "the teammate's reply"
    assert find("app", "mProfi", "/1.0/send"), "the SMS to the phone"

    for entry in entries:
        assert entry.done, entry
        shown = json.dumps(timeline.detail(entry), ensure_ascii=False)
        leaked = [s for s in secrets if s in shown]
        assert not leaked, f"{entry.path}: {leaked}"
