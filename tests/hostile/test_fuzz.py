"""Hostile input: whatever arrives, the answer is a clear 2xx/4xx, never a 5xx or a half-stored message.

The app runs once per module on loopback (in its own event loop, driven between
examples) and hypothesis throws bodies at every webhook route; command parsing is
fuzzed directly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack
from bot.sms.clock import WARSAW
from bot.sms.command import CommandError, SurveyUsage, parse_sms_command, parse_survey_command, split_numbers
from storage import make_engine, make_sessionmaker
from storage.models import Attachment, Message

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class Running:
    def __init__(self, loop: asyncio.AbstractEventLoop, stack: SandboxStack) -> None:
        self.loop, self.stack = loop, stack

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            return await self.stack.http.post(self.stack.app_url + path, timeout=10.0, **kwargs)

        return self.loop.run_until_complete(send())

    def stored(self) -> tuple[int, int]:
        async def count() -> tuple[int, int]:
            engine = make_engine(self.stack.settings().database_url)
            try:
                async with make_sessionmaker(engine)() as session:
                    messages = await session.scalar(select(func.count()).select_from(Message))
                    attachments = await session.scalar(select(func.count()).select_from(Attachment))
            finally:
                await engine.dispose()
            return int(messages or 0), int(attachments or 0)

        return self.loop.run_until_complete(count())


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    loop = asyncio.new_event_loop()
    database = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db"
    stack = SandboxStack(f"sqlite:///{database}", settings={"max_webhook_bytes": 256 * 1024})
    loop.run_until_complete(stack.start())
    try:
        yield Running(loop, stack)
    finally:
        loop.run_until_complete(stack.stop())
        loop.close()


AUTH = {"Authorization": WEBHOOK_TOKEN}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
message_like = st.fixed_dictionaries(
    {},
    optional={
        "sender": json_values | st.sampled_from(["48600100200", "+48600100200", "600100200", "abc", "", "0" * 30]),
        "recipient": json_values,
        "message": json_values | st.text(max_size=6000),
        "event_type": st.sampled_from(["message.Received", "message . Received", "x"]) | json_values,
        "payload": json_values
        | st.fixed_dictionaries(
            {},
            optional={
                "from": json_values | st.fixed_dictionaries({"phone_number": json_values}),
                "text": json_values,
                "received_at": json_values,
            },
        ),
        "id": json_values,
    },
)
content_types = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "",
        "application/json; charset=latin-1",
    ]
)


def assert_clear(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    if response.status_code >= 400:
        assert body["ok"] is False and body["error"]


@FUZZ
@given(body=st.binary(max_size=2048), content_type=content_types)
def test_incoming_takes_any_bytes_without_a_5xx(running: Running, body: bytes, content_type: str) -> None:
    before = running.stored()
    response = running.post("/mprofi/incoming", content=body, headers={**AUTH, "Content-Type": content_type})
    assert_clear(response)
    if response.status_code != 200:
        assert running.stored() == before  # refused means nothing was stored


@FUZZ
@given(data=message_like)
def test_incoming_json_of_any_shape_is_stored_whole_or_refused(running: Running, data: dict[str, Any]) -> None:
    before = running.stored()
    response = running.post("/mprofi/incoming", content=json.dumps(data).encode(), headers={**AUTH, "Content-Type": "application/json"})
    assert_clear(response)
    after = running.stored()
    assert after[0] == before[0] + (1 if response.status_code == 200 else 0)


@FUZZ
@given(
    fields=st.dictionaries(st.sampled_from(["sender", "recipient", "message", "other"]), st.text(max_size=50), max_size=4),
    files=st.lists(
        st.tuples(
            st.sampled_from(["image1", "image2", "file", "image"]),
            st.text(max_size=20),
            st.sampled_from([b"\x89PNG\r\n\x1a\n....", b"\xff\xd8\xff\xe0....", b"GIF89a", b"<html>", b""]) | st.binary(max_size=64),
        ),
        max_size=3,
    ),
)
def test_multipart_of_any_shape_is_stored_with_its_images_or_refused(
    running: Running, fields: dict[str, str], files: list[tuple[str, str, bytes]]
) -> None:
    """A stored MMS keeps every JPEG/PNG image part; other parts are left out (and named
    in the thread), never a reason to lose the text."""
    before = running.stored()
    parts = [(name, (filename or "f", content, "application/octet-stream")) for name, filename, content in files]
    response = running.post("/mprofi/incoming", data=fields, files=parts or None, headers=AUTH)
    assert_clear(response)
    after = running.stored()
    images = [c for name, _, c in files if name.startswith("image") and c.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"))]
    if response.status_code == 200:
        assert after[0] == before[0] + 1 and after[1] == before[1] + len(images)
    else:
        assert after == before


@FUZZ
@given(
    data=json_values
    | st.lists(
        st.fixed_dictionaries({}, optional={"id": json_values, "status": json_values, "ts": json_values, "reference": json_values}),
        max_size=3,
    )
)
def test_status_of_any_shape_gets_a_clear_answer(running: Running, data: Any) -> None:
    response = running.post(
        f"/mprofi/status?token={WEBHOOK_TOKEN}", content=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )
    assert_clear(response)


@FUZZ
@given(body=st.binary(max_size=1024), content_type=content_types)
def test_survey_notifications_of_any_shape_are_kept(running: Running, body: bytes, content_type: str) -> None:
    response = running.post(f"/mprofi/surveys?token={WEBHOOK_TOKEN}", content=body, headers={"Content-Type": content_type})
    assert_clear(response)
    assert response.status_code == 200


def test_a_huge_body_is_refused_before_it_is_read(running: Running) -> None:
    response = running.post("/mprofi/incoming", content=b"x" * (300 * 1024), headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 413


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=200)
    | st.from_regex(r"(at \d{1,4}[-.]\d{1,2}[-.]\d{1,4} \d{1,2}:\d{2} )?[+\d ,().-]{0,60} .{0,30}", fullmatch=True)
)
def test_sms_command_parsing_answers_in_one_sentence_or_parses(text: str) -> None:
    try:
        command = parse_sms_command(text, now=datetime(2026, 11, 25, 10, 0, tzinfo=UTC), tz=WARSAW)
    except CommandError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)
        return
    if command is not None:
        assert command.recipients.valid and command.text.strip()
    numbers, _ = split_numbers(text)
    assert isinstance(numbers, list)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=100) | st.from_regex(r"(list|show|start|report|delete)( \d{0,25})?( [+\d ,]{0,40})?", fullmatch=True))
def test_survey_command_parsing_answers_in_one_sentence_or_parses(text: str) -> None:
    try:
        action, _survey_id, numbers, _ = parse_survey_command(text)
    except SurveyUsage as exc:
        assert str(exc)
        return
    assert action in ("list", "show", "start", "report")
    if action == "start":
        assert numbers
