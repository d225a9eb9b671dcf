"""Every answer the spec prints, served to the real client, must read as the right result.

The examples come from spec_examples (copied from the Polish spec, minimal JSON fixes
noted there); the error tables of send/ and sendbulk/ are served as HTTP errors; the
Message Webhook and PUSH examples go to our receiving side.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from bot.bridge.models import InboundSms, Received, StatusUpdate
from bot.mprofi import (
    AuthenticationError,
    DeliveryStatus,
    MProfiClient,
    OutgoingSms,
    ValidationError,
)
from bot.mprofi.models import WARSAW
from bot.webhooks.incoming import parse_json
from bot.webhooks.routes import WebhookConfig, webhook_routes
from tests.contract import spec_examples as ex
from tests.contract.fake_api import RecordingApi

TWO = [OutgoingSms("572846504", "Wiadomość testowa 1"), OutgoingSms("572846505", "Wiadomość testowa 2")]


def wall(value: datetime | None) -> datetime | None:
    """The printed wall-clock time: the spec names no zone for these fields."""
    return value.replace(tzinfo=None) if value is not None else None


# ---- sending ----------------------------------------------------------------------------


async def test_send_answer(client: MProfiClient) -> None:
    """send/ → {"id": 55}."""
    assert (await client.send_sms("572846504", "Wiadomość testowa")).id == 55


@pytest.mark.parametrize("form", ["messages", "default"])
async def test_sendbulk_answer(client: MProfiClient, form: str) -> None:
    """sendbulk/ → {"result": [{"id": 56}, {"id": 57}]}, one entry per message, in order."""
    if form == "messages":
        result = await client.send_bulk(TWO)
    else:
        result = await client.send_bulk_default("Treść wiadomości", ["692000000", "606000000"])
    assert [e.id for e in result.entries] == [56, 57]
    assert result.failed == ()


async def test_mms_answers(client: MProfiClient) -> None:
    """sendmms/ → an ID as send/; sendbulkmms/ → results as sendbulk/ (no example is printed)."""
    assert (await client.send_mms("692000000", "Treść wiadomości")).id == 55
    bulk = await client.send_bulk_mms(recipients=["664000000", "692000000"], default_message="Treść Wiadomości")
    assert [e.id for e in bulk.entries] == [56, 57]


async def test_status_answer(client: MProfiClient) -> None:
    """status/ → {"status": "processing", "id": 123456, "reference": "2015-01-01", "ts": null}."""
    status = await client.get_status(123456)
    assert (status.id, status.status, status.reference, status.ts) == (123456, DeliveryStatus.PROCESSING, "2015-01-01", None)


@pytest.mark.parametrize(("endpoint", "recipient"), [("getincoming/", "664400100"), ("getincoming_mobileapp/", "Aplikacja Mobilna")])
async def test_incoming_answers(client: MProfiClient, endpoint: str, recipient: str) -> None:
    """A bare list of {message, sender, recipient, ts} with no "id": the client must do without."""
    method = client.get_incoming if endpoint == "getincoming/" else client.get_incoming_mobileapp
    [message] = await method("2015-01-01", "2015-03-01 12:00")
    assert (message.message, message.sender, message.recipient) == ("wiadomość przychodząca", "48123456789", recipient)
    assert message.ts == datetime(2015, 2, 16, 10, 24, 40, tzinfo=WARSAW)  # Polish local time (mprofi-api.md)
    assert message.id is None


# ---- surveys ----------------------------------------------------------------------------


async def test_survey_list_answer(client: MProfiClient) -> None:
    [survey] = await client.list_surveys()
    assert (survey.id, survey.name, survey.active) == (1, "testowa", True)
    assert [wall(survey.created_at), wall(survey.start), wall(survey.end)] == [
        datetime(2016, 5, 7, 18, 2),
        datetime(2016, 5, 8, 18, 2),
        datetime(2016, 5, 10, 18, 2),
    ]


async def test_survey_detail_answer(client: MProfiClient) -> None:
    survey = await client.get_survey(1)
    assert (survey.id, survey.name, survey.active) == (1, "testowa", True)
    assert (survey.msisdn, survey.participants) == ("48664400100", 231)
    assert wall(survey.end) == datetime(2016, 5, 10, 18, 2)


async def test_survey_report_answer(client: MProfiClient) -> None:
    [entry] = await client.get_survey_report(1)
    assert entry.msisdn == "48231213123"
    assert list(entry.answers) == ["tak", "nie", "5", "dziękuję"]
    assert wall(entry.finished) == datetime(2016, 5, 10, 18, 2)


async def test_survey_start_answers_200_with_an_empty_body(api: RecordingApi, client: MProfiClient) -> None:
    """ "status HTTP 200 bez treści": success, though there is nothing to read."""
    await client.start_survey(1, "48664400100")  # returns None (mypy holds it to that) and does not raise
    assert len(api.requests) == 1


# ---- HLR --------------------------------------------------------------------------------


@pytest.mark.parametrize("example", [ex.HLR_SINGLE, ex.HLR_SINGLE_NUMBERS], ids=["strings", "numbers"])
async def test_hlr_single_answer_with_the_tables_key_spellings(api: RecordingApi, client: MProfiClient, example: str) -> None:
    """Keys as the table spells them: msisdn, hlr_status_code, Hlr_message_id, Hlr_mccmnc,
    Hlr_check_data, spn, valid. The spec gives no types, so numbers must read too."""
    api.answer("hlr/single/", 200, example)
    result = await client.hlr_single("48600100200")
    strings = example is ex.HLR_SINGLE
    assert result.msisdn == "48600100200"
    assert result.valid is True
    assert result.status_code == ("DELIVRD" if strings else "0")
    assert result.message_id == ("a1b2c3d4-0001" if strings else "987654321")
    assert (result.mccmnc, result.mcc, result.mnc) == ("26002", "260", "02")
    assert result.provider == "T-Mobile"
    assert wall(result.checked_at) == datetime(2025, 9, 30, 14, 5)


async def test_hlr_bulk_answer(client: MProfiClient) -> None:
    """hlr/bulk/ → {"Upload_id": ...}, spelt as the table spells it."""
    assert (await client.hlr_bulk(["48600100200"])).upload_id == "7f3e2a91"


# ---- the error tables of send/ and sendbulk/ --------------------------------------------

Call = Callable[[MProfiClient], Awaitable[Any]]
SENDERS: dict[str, Call] = {
    "send/": lambda c: c.send_sms("572846504", "Wiadomość testowa"),
    "sendbulk/": lambda c: c.send_bulk(TWO),
}


def error_body(code: str, text: str) -> str:
    """The spec gives code + text only; error_code/error_message is how the vendor's clients read them."""
    return json.dumps({"error_code": code, "error_message": text}, ensure_ascii=False)


@pytest.mark.parametrize("endpoint", SENDERS)
@pytest.mark.parametrize(
    ("body", "content_type"),
    [('{"detail": "Invalid token."}', "application/json"), ("Authentication failed", "text/plain")],
    ids=["json", "text"],
)
async def test_401_is_a_key_problem(api: RecordingApi, client: MProfiClient, endpoint: str, body: str, content_type: str) -> None:
    """ "HTTP Status 401: Authentication failed — Invalid token"."""
    api.answer(endpoint, 401, body, content_type)
    with pytest.raises(AuthenticationError):
        await SENDERS[endpoint](client)


@pytest.mark.parametrize(
    ("endpoint", "text"),
    [
        ("send/", "Nieprawidłowy typ tokenu"),
        ("sendbulk/", "Nieprawidłowy typ tokenu"),
        ("sendbulk/", "Token jest nieaktywny"),
    ],
)
async def test_400_err000_token_errors_are_key_problems(api: RecordingApi, client: MProfiClient, endpoint: str, text: str) -> None:
    """A wrong-type or inactive token answered with 400 ERR000 is still a key problem (mprofi-api.md)."""
    api.answer(endpoint, 400, error_body("ERR000", text))
    with pytest.raises(AuthenticationError) as caught:
        await SENDERS[endpoint](client)
    assert not isinstance(caught.value, ValidationError)


@pytest.mark.parametrize(
    ("endpoint", "code", "text"),
    [
        ("send/", "ERR000", "Nieprawidłowy odbiorca"),
        ("send/", "ERR000", "Nieprawidłowa wiadomość"),
        ("send/", "ERR000", "Nieprawidłowa data"),
        ("sendbulk/", "ERR001", "Nie znaleziono wymaganych parametrów: messages lub default_message i recipients"),
        ("sendbulk/", "ERR002", "Nie udało się wczytać danych z parametru messages"),
    ],
)
async def test_400_validation_errors(api: RecordingApi, client: MProfiClient, endpoint: str, code: str, text: str) -> None:
    api.answer(endpoint, 400, error_body(code, text))
    with pytest.raises(ValidationError) as caught:
        await SENDERS[endpoint](client)
    assert (caught.value.code, caught.value.text) == (code, text)


@pytest.mark.parametrize(
    "text",
    [
        "Brak parametru 'recipient'",
        "Brak parametru 'message'",
        "Wiadomość jest zbyt długa",
        "Nieprawidłowy odbiorca",
        "Nieprawidłowa data",
    ],
)
@pytest.mark.parametrize("shape", ["code-and-text", "null-id"])
async def test_sendbulk_200_with_a_failed_message(api: RecordingApi, client: MProfiClient, text: str, shape: str) -> None:
    """HTTP 200 with a per-message error: an entry without an id is failed, code and text kept."""
    failed: dict[str, Any] = {"error_code": "ERR000", "error_message": text}
    if shape == "null-id":
        failed = {"id": None, **failed}
    api.answer("sendbulk/", 200, json.dumps({"result": [{"id": 56}, failed]}, ensure_ascii=False))
    result = await client.send_bulk(TWO)
    first, second = result.entries
    assert (first.ok, first.id) == (True, 56)
    assert (second.ok, second.id, second.error_code) == (False, None, "ERR000")
    assert second.error_text is not None and text in second.error_text


# ---- MESSAGE WEBHOOK API and PUSH (mProfi -> us) ------------------------------------------


@pytest.mark.parametrize(
    ("example", "sender", "recipient", "text", "via"),
    [
        ("standard", "+48123456789", "654321123", "This is a test message from mysite", "standard"),
        ("3cx", "+48123456789", "+489123456789", "Hello !", "3cx"),
        ("test-standard", "+48123456789", "office_shortcode", "This is a test message from mysite", "standard"),
        ("test-3cx", "+48123456789", "+48987654321", "text", "3cx"),
    ],
)
def test_webhook_examples(example: str, sender: str, recipient: str, text: str, via: str) -> None:
    sms = parse_json(ex.load(ex.WEBHOOKS[example]))
    assert isinstance(sms, InboundSms)
    assert (sms.sender, sms.recipient, sms.text.strip(), sms.via) == (sender, recipient, text, via)


@pytest.mark.parametrize(("example", "at"), [("3cx", datetime(2025, 7, 10, 12, 0)), ("test-3cx", datetime(2026, 3, 3, 12, 0))])
def test_3cx_examples_keep_id_and_time(example: str, at: datetime) -> None:
    sms = parse_json(ex.load(ex.WEBHOOKS[example]))
    assert sms.received_at == at.replace(tzinfo=UTC)
    assert sms.external_id == "1"


class FakeBridge:
    """Stands where the bridge would: records what the webhook routes hand it."""

    def __init__(self) -> None:
        self.inbound: list[InboundSms] = []
        self.statuses: list[StatusUpdate] = []
        self.answered: list[int] = []

    async def receive_sms(self, sms: InboundSms) -> Received:
        self.inbound.append(sms)
        return Received(message_id=len(self.inbound), conversation_id=1, repeat_of=None)

    async def apply_status(self, update: StatusUpdate, *, source: str) -> bool:
        self.statuses.append(update)
        return True

    async def mark_answered(self, message_ids: list[int]) -> None:
        """The route records, after its 2xx went out, which messages it answered."""
        self.answered.extend(message_ids)


def webhook_app(bridge: FakeBridge, token: str) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    app = Starlette(routes=webhook_routes(WebhookConfig(token=token)))

    async def with_bridge(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "state": {"bridge": bridge}}
        await app(scope, receive, send)

    return with_bridge


async def test_mms_webhook_example() -> None:
    """Format MMS: multipart fields sender, recipient, message; files image1 (jpg), image2 (png)."""
    bridge = FakeBridge()
    jpeg, png = b"\xff\xd8\xff\xe0" + b"\x00" * 32, b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=webhook_app(bridge, "s3cret"))) as http:
        response = await http.post(
            "http://bridge.test/mprofi/incoming",
            headers={"Authorization": "s3cret"},
            data={"sender": "48123456789", "recipient": "654321123", "message": "This is a test message from mysite"},
            files=[("image1", ("photo.jpg", jpeg, "image/jpeg")), ("image2", ("diagram.png", png, "image/png"))],
        )
    assert response.status_code == 200, response.text
    [sms] = bridge.inbound
    assert (sms.sender, sms.recipient, sms.via) == ("+48123456789", "654321123", "mms")
    assert sms.text == "This is a test message from mysite"
    assert [(i.filename, i.content_type) for i in sms.images] == [("photo.jpg", "image/jpeg"), ("diagram.png", "image/png")]


@pytest.mark.parametrize(
    ("body", "status", "ts"),
    [
        (ex.PUSH, "delivered", datetime(2015, 1, 1, 8, 51, 32, 431000, tzinfo=UTC)),
        (ex.STATUS, "processing", None),  # the same four keys, as METODA STATUS prints them
    ],
    ids=["delivered", "status-example"],
)
async def test_push_body(body: str, status: str, ts: datetime | None) -> None:
    """PUSH: POST application/json, User-Agent Mozilla/5.0, {id, status, ts, reference}, no auth
    header — the secret rides in the URL (mprofi-api.md)."""
    bridge = FakeBridge()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=webhook_app(bridge, "s3cret"))) as http:
        response = await http.post(
            "http://bridge.test/mprofi/status?token=s3cret",
            content=body.encode(),
            headers={"Content-Type": "application/json", "User-Agent": "Mozilla/5.0"},
        )
    assert response.status_code == 200, response.text
    [update] = bridge.statuses
    assert (update.mprofi_id, update.raw_status, update.reference) == (123456, status, "2015-01-01")
    assert update.ts == ts
