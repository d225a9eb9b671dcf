"""Answers the simulator never gives but the real mProfi might: odd shapes are errors
the caller can act on, never a ``ValueError`` that stops a poller, and never taken for
"not ready yet". Each is served by a recording ``httpx.MockTransport`` (no network)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx
import pytest

from bot.mprofi import AuthenticationError, MProfiClient, MProfiKeys, ProtocolError, ValidationError

KEY = "0123456789abcdef0123456789abcdef"


def client_answering(answer: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request] | None = None) -> MProfiClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return answer(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return MProfiClient(http, MProfiKeys.single(KEY), "https://api.mprofi.test/1.0/")


@pytest.mark.parametrize("text", ["Nieprawidłowy typ tokenu", "Token jest nieaktywny"])
async def test_a_400_about_the_key_is_a_key_problem(text: str) -> None:
    """The spec's send/ and sendbulk/ tables answer these with HTTP 400 ERR000."""
    body = {"error_code": "ERR000", "error_message": text}
    mprofi = client_answering(lambda r: httpx.Response(400, json=body))
    with pytest.raises(AuthenticationError) as caught:
        await mprofi.send_sms("600100200", "hej")
    assert caught.value.status_code == 400
    with pytest.raises(AuthenticationError):
        await mprofi.send_bulk_default("hej", ["600100200", "600100201"])


async def test_a_400_about_the_message_stays_a_validation_error() -> None:
    body = {"error_code": "ERR000", "error_message": "Nieprawidłowy odbiorca"}
    mprofi = client_answering(lambda r: httpx.Response(400, json=body))
    with pytest.raises(ValidationError) as caught:
        await mprofi.send_sms("600100200", "hej")
    assert caught.value.code == "ERR000" and caught.value.text == "Nieprawidłowy odbiorca"


@pytest.mark.parametrize(
    "body",
    [
        {"id": "abc", "status": "delivered", "reference": None, "ts": None},
        {"id": 2**70, "status": "delivered", "reference": None, "ts": None},
        {"id": [1], "status": "delivered", "reference": None, "ts": None},
        {"id": True, "status": "delivered", "reference": None, "ts": None},
    ],
)
async def test_a_status_answer_with_an_unreadable_id_is_a_protocol_error(body: dict[str, object]) -> None:
    mprofi = client_answering(lambda r: httpx.Response(200, json=body))
    with pytest.raises(ProtocolError):
        await mprofi.get_status(55)


async def test_survey_fields_of_the_wrong_type_are_a_protocol_error() -> None:
    mprofi = client_answering(lambda r: httpx.Response(200, json=[{"id": "one", "name": "x"}]))
    with pytest.raises(ProtocolError):
        await mprofi.list_surveys()


async def test_hlr_download_goes_as_multipart_form_fields() -> None:
    seen: list[httpx.Request] = []
    mprofi = client_answering(lambda r: httpx.Response(202, json={"detail": "not ready"}), seen)
    report = await mprofi.hlr_download("up-7")
    assert not report.ready
    [request] = seen
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    body = request.read()
    assert b'name="upload_id"\r\n\r\nup-7' in body and b'name="apikey"' in body
    assert b"{" not in body  # no JSON anywhere


@pytest.mark.parametrize(
    ("status", "content_type", "content"),
    [
        (200, "application/json", json.dumps({"unexpected": "shape"}).encode()),
        (200, "application/json", json.dumps({"status": "done", "file": "https://x/report.csv"}).encode()),
        (200, "application/json", json.dumps([1, 2, 3]).encode()),
        (200, "text/html", b"<html><body>Report</body></html>"),
        (200, "text/csv", b"48600100200,1,abc\n"),  # no header: the columns cannot be named
    ],
)
async def test_an_hlr_report_of_an_unknown_shape_is_reported_not_awaited(
    status: int, content_type: str, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    mprofi = client_answering(lambda r: httpx.Response(status, content=content, headers={"content-type": content_type}))
    with caplog.at_level(logging.WARNING, logger="bot.mprofi.client"), pytest.raises(ProtocolError) as caught:
        await mprofi.hlr_download("up-7")
    assert "unexpected" in caught.value.message
    # The shape is logged to help whoever reads it; the content (numbers) is not.
    assert "48600100200" not in caplog.text and "report.csv" not in caplog.text
    assert "hlr/download/" in caplog.text


@pytest.mark.parametrize("body", [{"status": "processing"}, {"status": "PENDING"}])
async def test_an_hlr_report_that_says_it_is_being_made_is_not_ready(body: dict[str, str]) -> None:
    mprofi = client_answering(lambda r: httpx.Response(200, json=body))
    assert not (await mprofi.hlr_download("up-7")).ready


async def test_survey_calls_carry_the_token_header_as_well_as_apikey() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/start/"):
            return httpx.Response(200)
        if request.url.path.endswith("/report/"):
            return httpx.Response(200, json=[])
        if request.url.path.endswith("/1/"):
            return httpx.Response(200, json={"id": 1, "name": "x", "active": True, "msisdn": "48664400100", "participants": 2})
        return httpx.Response(200, json=[])

    mprofi = client_answering(answer, seen)
    await mprofi.list_surveys()
    await mprofi.get_survey(1)
    await mprofi.start_survey(1, "48600100200")
    await mprofi.get_survey_report(1)
    assert len(seen) == 4
    for request in seen:
        assert request.headers["authorization"] == f"Token {KEY}"
        where = request.url.params.get("apikey") if request.method == "GET" else json.loads(request.read())["apikey"]
        assert where == KEY


async def test_other_calls_send_the_key_as_the_spec_says_only() -> None:
    seen: list[httpx.Request] = []
    mprofi = client_answering(lambda r: httpx.Response(200, json={"id": 5}), seen)
    await mprofi.send_sms("600100200", "hej")
    assert "authorization" not in seen[0].headers


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"<html><body>Bad request: CSRF token missing</body></html>", "text/html"),  # a proxy's page
        (json.dumps({"error_code": "ERR000", "error_message": "Nieprawidłowa wiadomość: token"}).encode(), "application/json"),
        (json.dumps({"unexpected": {"token": "x"}}).encode(), "application/json"),
    ],
)
async def test_a_400_that_merely_mentions_a_token_is_not_taken_for_a_key_problem(content: bytes, content_type: str) -> None:
    mprofi = client_answering(lambda r: httpx.Response(400, content=content, headers={"content-type": content_type}))
    with pytest.raises(ValidationError):
        await mprofi.send_sms("600100200", "hej")


@pytest.mark.parametrize("raw_id", ["9" * 5000, "18446744073709551616"])
async def test_an_id_of_thousands_of_digits_is_a_protocol_error(raw_id: str) -> None:
    mprofi = client_answering(lambda r: httpx.Response(200, json={"id": raw_id, "status": "sent", "reference": None, "ts": None}))
    with pytest.raises(ProtocolError):
        await mprofi.get_status(55)
