"""The mProfi webhook routes: authentication, bad bodies, size limits, health.

Every refusal is a 4xx with a JSON ``error``, and nothing is stored or posted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text

from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack
from storage import make_engine, make_sessionmaker
from storage.models import Conversation, Message
from tests.support import PNG, StackFactory

GOOD = {"sender": "48600100200", "recipient": "48664400100", "message": "hello"}


@pytest.fixture
async def stack(make_stack: StackFactory) -> AsyncIterator[SandboxStack]:
    async with make_stack(settings={"max_webhook_bytes": 64 * 1024}) as running:
        yield running


async def stored_counts(stack: SandboxStack) -> tuple[int, int]:
    engine = make_engine(stack.settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            conversations = await session.scalar(select(func.count()).select_from(Conversation))
            messages = await session.scalar(select(func.count()).select_from(Message))
    finally:
        await engine.dispose()
    return int(conversations or 0), int(messages or 0)


def incoming(stack: SandboxStack) -> str:
    return stack.app_url + "/mprofi/incoming"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "wrong"}, {"Authorization": ""}, {"X-Other": WEBHOOK_TOKEN}],
)
async def test_an_unauthenticated_webhook_gets_401_and_changes_nothing(stack: SandboxStack, headers: dict[str, str]) -> None:
    response = await stack.http.post(incoming(stack), json=GOOD, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error": "missing or wrong webhook token"}
    status = await stack.http.post(stack.app_url + "/mprofi/status", json={"id": 1, "status": "delivered"}, headers=headers)
    assert status.status_code == 401
    await stack.drain()
    assert await stored_counts(stack) == (0, 0)
    assert stack.slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"Authorization": WEBHOOK_TOKEN}, ""),
        ({"Authorization": f"Bearer {WEBHOOK_TOKEN}"}, ""),
        ({}, f"?token={WEBHOOK_TOKEN}"),
    ],
)
async def test_the_token_is_taken_from_the_header_or_the_query(stack: SandboxStack, headers: dict[str, str], query: str) -> None:
    response = await stack.http.post(incoming(stack) + query, json=GOOD, headers=headers)
    assert response.status_code == 200 and response.json()["ok"] is True


async def test_a_custom_header_name_is_honoured(make_stack: StackFactory) -> None:
    async with make_stack(settings={"mprofi_webhook_header": "X-Custom-Header"}) as stack:
        refused = await stack.http.post(incoming(stack), json=GOOD, headers={"Authorization": WEBHOOK_TOKEN})
        taken = await stack.http.post(incoming(stack), json=GOOD, headers={"X-Custom-Header": WEBHOOK_TOKEN})
        assert (refused.status_code, taken.status_code) == (401, 200)


@pytest.mark.parametrize(
    ("content", "content_type", "status", "error"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b"[1, 2]", "application/json", 400, "must be a JSON object"),
        (b'{"recipient": "1"}', "application/json", 400, "sender, recipient and message"),
        (b'{"sender": "12", "message": "x"}', "application/json", 400, "sender is not a phone number"),
        (b'{"sender": "<!channel>", "message": "x"}', "application/json", 400, "sender is not a phone number"),
        (b'{"sender": "-48600100200", "message": "x"}', "application/json", 400, "minus sign"),
        (b'{"sender": "48600100200", "message": 5}', "application/json", 400, "message must be a string"),
        (b'{"sender": true, "message": "x"}', "application/json", 400, "sender is missing"),
        (b'{"id": "1", "event_type": "message.Sent", "payload": {}}', "application/json", 400, "unsupported 3CX"),
        (b'{"id": "1", "event_type": "message.Received", "payload": []}', "application/json", 400, "payload must be an object"),
        (b"\xff\xfe\x00", "application/json", 400, "not valid JSON"),
        (b"message=x", "application/x-www-form-urlencoded", 400, "sender is missing"),
        (b"hello", "text/plain", 415, "application/json"),
    ],
)
async def test_bad_bodies_get_a_4xx_json_error_and_store_nothing(
    stack: SandboxStack, content: bytes, content_type: str, status: int, error: str
) -> None:
    response = await stack.http.post(
        incoming(stack), content=content, headers={"Authorization": WEBHOOK_TOKEN, "Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json()["ok"] is False and error in response.json()["error"]
    assert await stored_counts(stack) == (0, 0)


async def test_an_mms_whose_files_are_not_images_is_kept_without_them(stack: SandboxStack) -> None:
    """The text is the message: a bad part is left out (and named in the thread), never a reason to lose it."""
    files = [("image1", ("photo.png", b"MZ\x90\x00 not an image", "image/png")), ("document", ("a.png", PNG, "image/png"))]
    response = await stack.http.post(
        incoming(stack), data={"sender": "48600100200", "message": "x"}, files=files, headers={"Authorization": WEBHOOK_TOKEN}
    )
    assert response.status_code == 200
    assert await stored_counts(stack) == (1, 1)


async def test_a_broken_multipart_body_is_refused(stack: SandboxStack) -> None:
    broken = await stack.http.post(
        incoming(stack),
        content=b'--xyz\r\nContent-Disposition: form-data; name="sender"\r\n\r\n4860',
        headers={"Authorization": WEBHOOK_TOKEN, "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert broken.status_code == 400 and broken.json()["ok"] is False
    assert await stored_counts(stack) == (0, 0)


async def test_a_body_over_the_limit_gets_413_before_it_is_read(stack: SandboxStack) -> None:
    big = b'{"sender": "48600100200", "message": "' + b"x" * (70 * 1024) + b'"}'
    response = await stack.http.post(
        incoming(stack), content=big, headers={"Authorization": WEBHOOK_TOKEN, "Content-Type": "application/json"}
    )
    assert response.status_code == 413 and "larger than" in response.json()["error"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: cut off while streaming
        for _ in range(100):
            yield b"x" * 1024

    streamed = await stack.http.post(
        incoming(stack), content=chunks(), headers={"Authorization": WEBHOOK_TOKEN, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert await stored_counts(stack) == (0, 0)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"nonsense", "not valid JSON"),
        (b"[]", "holds no status"),
        (b'{"status": "delivered"}', "id is missing"),
        (b'{"id": -4, "status": "delivered"}', "positive whole number"),
        (b'{"id": 12}', "status is missing"),
        (b'[{"id": "x", "status": "sent"}, 5]', "no status in the body could be read"),
        (b'{"id": 18446744073709551616, "status": "sent"}', "positive whole number"),
    ],
)
async def test_bad_status_bodies_get_400(stack: SandboxStack, body: bytes, error: str) -> None:
    response = await stack.http.post(
        stack.app_url + f"/mprofi/status?token={WEBHOOK_TOKEN}", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and error in response.json()["error"]


async def test_health_and_unknown_routes_answer_json(stack: SandboxStack) -> None:
    health = await stack.http.get(stack.app_url + "/healthz")
    assert health.status_code == 200 and health.json() == {"ok": True, "database": "ok", "jobs_given_up_24h": 0}
    missing = await stack.http.get(stack.app_url + "/nothing-here")
    assert missing.status_code == 404 and missing.json()["ok"] is False
    wrong_method = await stack.http.get(incoming(stack))
    assert wrong_method.status_code == 405 and wrong_method.json()["ok"] is False


async def test_an_open_webhook_is_allowed_when_no_token_is_configured(make_stack: StackFactory) -> None:
    async with make_stack(settings={"mprofi_webhook_token": None}) as stack:
        response = await stack.http.post(incoming(stack), json=GOOD)
        assert response.status_code == 200


async def test_a_nul_character_in_a_message_is_dropped_not_a_reason_to_lose_it(stack: SandboxStack) -> None:
    body = {"sender": "48600100200", "recipient": "1", "message": "abc\u0000def"}
    response = await stack.http.post(incoming(stack), json=body, headers={"Authorization": WEBHOOK_TOKEN})
    assert response.status_code == 200
    parent = await stack.until(lambda: stack.thread_of("600 100 200"))
    replies = await stack.until(lambda: stack.replies(parent))
    assert replies[0].text.endswith("abcdef")


async def test_one_unstorable_message_never_fails_the_others_stored_with_it(stack: SandboxStack) -> None:
    """A lone surrogate or a year-1 timestamp used to fail a whole group commit."""
    good = [
        stack.http.post(
            incoming(stack), json={"sender": f"486001{n:05d}", "message": f"dobra {n}"}, headers={"Authorization": WEBHOOK_TOKEN}
        )
        for n in range(40)
    ]
    surrogate = stack.http.post(
        incoming(stack),
        content=b'{"sender": "48600100999", "message": "zepsute \\ud800 znaki"}',
        headers={"Authorization": WEBHOOK_TOKEN, "Content-Type": "application/json"},
    )
    year_one = stack.http.post(
        incoming(stack),
        json={
            "id": "7",
            "event_type": "message.Received",
            "payload": {"from": {"phone_number": "+48600100998"}, "text": "x", "received_at": "0001-01-01T00:00:00Z"},
        },
        headers={"Authorization": WEBHOOK_TOKEN},
    )
    answers = await asyncio.gather(*good, surrogate, year_one)
    assert [a.status_code for a in answers[:41]] == [200] * 41
    assert answers[41].status_code == 400 and "received_at is out of range" in answers[41].json()["error"]
    assert await stored_counts(stack) == (41, 41)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"[" * 50 + b"]" * 50, "nested more than"),
        (b"[" * 20_000, "nested more than"),
        (b'{"id": "' + b"9" * 100 + b'", "event_type": "message.Received", "payload": {}}', "id must be"),
        (b'{"sender": 1000000000000000000000000000, "message": "x"}', "too many digits"),
    ],
    ids=["50-deep", "20000-deep", "long-3cx-id", "huge-sender"],
)
async def test_hostile_json_gets_a_400(stack: SandboxStack, content: bytes, error: str) -> None:
    response = await stack.http.post(
        incoming(stack), content=content, headers={"Authorization": WEBHOOK_TOKEN, "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and error in response.json()["error"]


async def test_a_caller_that_hangs_up_mid_body_is_one_quiet_line(stack: SandboxStack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.webhooks")
    host, port = stack.app_url.removeprefix("http://").split(":")
    for _ in range(3):
        _reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            f"POST /mprofi/incoming HTTP/1.1\r\nHost: x\r\nAuthorization: {WEBHOOK_TOKEN}\r\n"
            'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"sender": '.encode()
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    await stack.until(lambda: caplog.text.count("disconnected before its body arrived") == 3, what="the three quiet lines")
    await stack.drain()
    assert "Traceback" not in caplog.text and "Exception in ASGI application" not in caplog.text
    assert await stored_counts(stack) == (0, 0)


# ---- recording that the answer went out (honest repeats) ----------------------------------


async def answered_ids(stack: SandboxStack) -> set[int]:
    """Messages whose webhook the app recorded as answered with a 2xx."""
    engine = make_engine(stack.settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return set((await session.scalars(select(Message.id).where(Message.answered_at.is_not(None)))).all())
    finally:
        await engine.dispose()


async def test_every_message_answered_200_is_recorded_as_answered(stack: SandboxStack) -> None:
    calls = [
        stack.http.post(incoming(stack), json={"sender": f"486001{n:05d}", "message": "Tak"}, headers={"Authorization": WEBHOOK_TOKEN})
        for n in range(30)
    ]
    answers = await asyncio.gather(*calls)
    refused = await stack.http.post(incoming(stack), json={"recipient": "1"}, headers={"Authorization": WEBHOOK_TOKEN})
    await stack.drain()

    assert [a.status_code for a in answers] == [200] * 30 and refused.status_code == 400
    assert await answered_ids(stack) == {a.json()["message_id"] for a in answers}


async def refuse_answer_marks(stack: SandboxStack) -> None:
    """The database refuses to record an answer (a trigger), as a database failing just then would."""
    engine = make_engine(stack.settings().database_url)
    try:
        async with engine.begin() as connection:
            trigger = "CREATE TRIGGER refuse_marks BEFORE UPDATE OF answered_at ON messages"
            if connection.dialect.name == "sqlite":
                await connection.execute(text(f"{trigger} BEGIN SELECT RAISE(ABORT, 'refused'); END"))
            else:
                refuse = "CREATE FUNCTION refuse_marks() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
                await connection.execute(text(refuse))
                await connection.execute(text(f"{trigger} FOR EACH ROW EXECUTE FUNCTION refuse_marks()"))
    finally:
        await engine.dispose()


async def test_the_answer_does_not_depend_on_recording_it(stack: SandboxStack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.webhooks")
    await refuse_answer_marks(stack)
    response = await stack.http.post(incoming(stack), json=GOOD, headers={"Authorization": WEBHOOK_TOKEN})
    await stack.drain()

    assert response.status_code == 200 and response.json()["ok"] is True
    assert "could not record that 1 webhook(s) were answered" in caplog.text
    assert "Traceback" not in caplog.text
    assert await answered_ids(stack) == set()
    parent = await stack.until(lambda: stack.thread_of("600 100 200"), what="the thread")
    replies = await stack.until(lambda: stack.replies(parent), what="the message")
    assert replies[0].text == "SMS from +48 600 100 200: hello"
