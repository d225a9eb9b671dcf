"""Every request the real client makes must conform to the spec's parameter tables.

The client runs against a recording MockTransport that answers with the spec's own
examples; each recorded request goes through spec_schema.check_request. The spec is
the judge here, not the client: a failure means the client breaks the spec.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from bot.mprofi import MmsFile, MProfiClient, MProfiKeys, OutgoingSms
from bot.mprofi.models import WARSAW
from tests.contract.fake_api import RecordingApi
from tests.contract.spec_examples import API_KEY, BASE_URL
from tests.contract.spec_schema import check_request

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=WARSAW)
TWO = ["600100200", "600100201"]


def conforming(api: RecordingApi, path: str, count: int = 1) -> list[httpx.Request]:
    """Assert ``count`` calls to ``path``, each without a spec violation."""
    assert [r.url.path for r in api.requests] == [f"/1.0/{path}"] * count
    for request in api.requests:
        problems = check_request(request)
        assert not problems, f"{request.method} {request.url.path} breaks the spec: {problems}"
    return api.requests


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


# ---- send/ ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipient", "message", "options"),
    [
        ("600100200", "Wiadomość testowa", {}),
        ("+48600100200", "hello", {}),
        ("48600100200", "x" * 612, {}),
        ("572846504", "Zażółć gęślą jaźń 😀", {"encoding": "utf-8"}),
        ("600100200", "hi", {"reference": "20150310153200"}),
        ("600100200", "hi", {"date": WHEN}),
        ("600100200", "hi", {"date": datetime(2026, 12, 1, 8, 0, 0, 123456, tzinfo=UTC)}),
        ("600100200", "hi", {"date": datetime(2026, 12, 1, 9, 0)}),
        ("600100200", "hi", {"date": 1796112000}),
        ("600100200", "hi", {"date": "2020-05-26T13:38:47+02:00"}),
        ("572846504", "Wiadomość testowa", {"reference": "20150310153200", "date": WHEN, "encoding": "utf-8"}),
    ],
    ids=["plain", "plus", "612", "utf8", "reference", "date-aware", "date-utc-fraction", "date-naive", "unixtime", "iso-string", "all"],
)
async def test_send_sms(api: RecordingApi, client: MProfiClient, recipient: str, message: str, options: dict[str, Any]) -> None:
    """send/: JSON with apikey, recipient, message and only the optional fields given."""
    await client.send_sms(recipient, message, **options)
    sent = body(conforming(api, "send/")[0])
    assert sent["message"] == message
    assert sent["recipient"] == recipient.removeprefix("+")
    for name in ("reference", "encoding"):
        assert sent.get(name) == options.get(name)
    assert ("date" in sent) == ("date" in options)


# ---- sendbulk/ ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "messages",
    [
        [OutgoingSms("600100200", "Wiadomość testowa 1"), OutgoingSms("+48600100201", "Wiadomość testowa 2")],
        [OutgoingSms("572846504", "a", reference="20150310153201"), OutgoingSms("572846505", "b", reference="20150310153202")],
        [OutgoingSms("600100200", "ż", date=WHEN, encoding="utf-8"), OutgoingSms("600100201", "b", date=1796112000)],
        [OutgoingSms("600100200", "a", reference="r1", date="2020-05-26T13:38:47+02:00", encoding="utf-8"), OutgoingSms("600100201", "b")],
    ],
    ids=["plain", "references", "dates-encoding", "mixed"],
)
async def test_send_bulk(api: RecordingApi, client: MProfiClient, messages: list[OutgoingSms]) -> None:
    """sendbulk/ messages form: entries with only recipient, message, reference, date, encoding."""
    await client.send_bulk(messages)
    sent = body(conforming(api, "sendbulk/")[0])
    assert [e["message"] for e in sent["messages"]] == [m.message for m in messages]
    assert [("date" in e, e.get("encoding")) for e in sent["messages"]] == [(m.date is not None, m.encoding) for m in messages]


def broadcast_entries(sent: dict[str, Any]) -> list[dict[str, Any]]:
    """What each recipient gets, whichever of the two sendbulk forms was used."""
    if "messages" in sent:
        return list(sent["messages"])
    return [{"recipient": r, "message": sent["default_message"]} for r in sent["recipients"]]


async def test_send_bulk_default_plain(api: RecordingApi, client: MProfiClient) -> None:
    """default_message + recipients: either sendbulk form will do, in one call."""
    await client.send_bulk_default("Treść wiadomości", ["600100200", "+48600100201"])
    entries = broadcast_entries(body(conforming(api, "sendbulk/")[0]))
    assert [(e["recipient"], e["message"]) for e in entries] == [("600100200", "Treść wiadomości"), ("48600100201", "Treść wiadomości")]


@pytest.mark.parametrize(
    "options",
    [{"encoding": "utf-8"}, {"date": WHEN}, {"date": 1796112000}, {"encoding": "utf-8", "date": WHEN}],
    ids=["encoding", "date", "unixtime", "both"],
)
async def test_send_bulk_default_with_per_message_fields(api: RecordingApi, client: MProfiClient, options: dict[str, Any]) -> None:
    """The broadcast form has no date or encoding: they must ride on each `messages` entry.

    The spec lists only apikey, default_message and recipients for that form, and date /
    encoding only inside `messages` entries; still one call for the batch.
    """
    await client.send_bulk_default("Zażółć gęślą jaźń", TWO, **options)
    entries = broadcast_entries(body(conforming(api, "sendbulk/")[0]))
    assert [e["recipient"] for e in entries] == TWO
    for entry in entries:
        assert entry["message"] == "Zażółć gęślą jaźń"
        assert entry.get("encoding") == options.get("encoding")
        assert ("date" in entry) == ("date" in options)


# ---- sendmms/ and sendbulkmms/ ---------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FILES = {
    "png": MmsFile("test_mms.png", PNG, "image/png"),
    "jpg": MmsFile("photo.jpg", b"\xff\xd8\xff" + b"\x00" * 32, "image/jpeg"),
    "jpeg": MmsFile("photo.JPEG", b"\xff\xd8\xff" + b"\x00" * 32, "image/jpeg"),
    "gif": MmsFile("a.gif", b"GIF89a", "image/gif"),
    "txt": MmsFile("note.txt", "Zażółć".encode(), "text/plain"),
    "300kB": MmsFile("edge.jpg", b"\xff" * 300_000, "image/jpeg"),
}


def multipart_fields(request: httpx.Request) -> dict[str, list[str]]:
    """The text fields of a multipart request (names to values, repeats kept)."""
    boundary = request.headers["content-type"].split("boundary=", 1)[1].encode()
    fields: dict[str, list[str]] = {}
    for chunk in request.content.split(b"--" + boundary)[1:-1]:
        head, _, data = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        if b"filename=" not in head:
            name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
            fields.setdefault(name, []).append(data.decode())
    return fields


@pytest.mark.parametrize("file", [None, *FILES], ids=str)
async def test_send_mms_with_and_without_file(api: RecordingApi, client: MProfiClient, file: str | None) -> None:
    """sendmms/: multipart; the file optional, txt/png/jpg/jpeg/gif up to 300,000 bytes."""
    await client.send_mms("692000000", "Treść wiadomości", file=FILES[file] if file else None)
    fields = multipart_fields(conforming(api, "sendmms/")[0])
    assert fields["message"] == ["Treść wiadomości"]


@pytest.mark.parametrize(
    ("recipient", "message", "options"),
    [
        ("600100200", "", {}),
        ("+48600100200", "m" * 918, {}),
        ("600100200", "Zażółć 😀", {"encoding": "utf-8", "reference": "mms-1"}),
    ],
    ids=["empty-text", "918", "reference-encoding"],
)
async def test_send_mms_fields(api: RecordingApi, client: MProfiClient, recipient: str, message: str, options: dict[str, Any]) -> None:
    await client.send_mms(recipient, message, file=FILES["png"], **options)
    fields = multipart_fields(conforming(api, "sendmms/")[0])
    assert fields["message"] == [message]
    assert fields.get("encoding") == ([options["encoding"]] if "encoding" in options else None)


@pytest.mark.parametrize("file", [None, "png"], ids=["no-file", "file"])
async def test_send_bulk_mms_default_form(api: RecordingApi, client: MProfiClient, file: str | None) -> None:
    """sendbulkmms/: default_message + recipients (a repeated form field)."""
    await client.send_bulk_mms(
        recipients=["664000000", "+48692000000"], default_message="Treść Wiadomości", file=FILES[file] if file else None
    )
    fields = multipart_fields(conforming(api, "sendbulkmms/")[0])
    assert fields["default_message"] == ["Treść Wiadomości"]


@pytest.mark.parametrize(
    ("messages", "file"),
    [
        ([OutgoingSms("600100200", "a"), OutgoingSms("600100201", "")], None),
        ([OutgoingSms("600100200", "ż", reference="r1", encoding="utf-8"), OutgoingSms("600100201", "b")], "gif"),
        # sendbulkmms' entries have no date: a date given must not reach the wire.
        ([OutgoingSms("600100200", "a", date=WHEN), OutgoingSms("600100201", "b", date=1796112000)], "txt"),
    ],
    ids=["plain", "reference-encoding-file", "date-dropped"],
)
async def test_send_bulk_mms_messages_form(api: RecordingApi, client: MProfiClient, messages: list[OutgoingSms], file: str | None) -> None:
    await client.send_bulk_mms(messages=messages, file=FILES[file] if file else None)
    conforming(api, "sendbulkmms/")


# ---- status/, getincoming/ ------------------------------------------------------------


async def test_get_status(api: RecordingApi, client: MProfiClient) -> None:
    """status/: GET with apikey and id in the query string."""
    await client.get_status(123456)
    request = conforming(api, "status/")[0]
    assert dict(parse_qsl(request.url.query.decode())) == {"apikey": API_KEY, "id": "123456"}


INCOMING_RANGES = [
    ("2015-01-01", "2015-03-01 12:00"),  # the spec's example
    ("2015-10-27 12:00:00", "2015-10-30 12:00:00"),
    (datetime(2015, 10, 27, 12, 0), datetime(2015, 10, 30, 12, 0)),
    (datetime(2015, 10, 27, 11, 0, tzinfo=UTC), datetime(2015, 10, 30, 11, 0, 30, 5, tzinfo=UTC)),
]


@pytest.mark.parametrize("endpoint", ["getincoming/", "getincoming_mobileapp/"])
@pytest.mark.parametrize(("date_from", "date_to"), INCOMING_RANGES, ids=["spec", "strings", "naive", "aware"])
async def test_get_incoming(
    api: RecordingApi, client: MProfiClient, endpoint: str, date_from: datetime | str, date_to: datetime | str
) -> None:
    """getincoming(_mobileapp)/: JSON apikey, date_from, date_to in the three given formats."""
    method = client.get_incoming if endpoint == "getincoming/" else client.get_incoming_mobileapp
    await method(date_from, date_to)
    conforming(api, endpoint)


# ---- surveys --------------------------------------------------------------------------

SURVEY_CALLS: dict[str, tuple[Callable[[MProfiClient], Awaitable[Any]], str]] = {
    "list": (lambda c: c.list_surveys(), "surveys/"),
    "detail": (lambda c: c.get_survey(1), "surveys/1/"),
    "start": (lambda c: c.start_survey(1, "48664400100"), "surveys/1/start/"),
    "start-plus": (lambda c: c.start_survey(1, "+48664400100"), "surveys/1/start/"),
    "report": (lambda c: c.get_survey_report(1), "surveys/1/report/"),
}


@pytest.mark.parametrize("call", SURVEY_CALLS)
async def test_surveys(api: RecordingApi, client: MProfiClient, call: str) -> None:
    """Surveys carry apikey and `Authorization: Token <key>` (the project's reading)."""
    run, path = SURVEY_CALLS[call]
    await run(client)
    request = conforming(api, path)[0]
    assert request.headers["authorization"] == f"Token {API_KEY}"


# ---- HLR ------------------------------------------------------------------------------


@pytest.mark.parametrize("msisdn", ["48600100200", "+48600100200"])
async def test_hlr_single(api: RecordingApi, client: MProfiClient, msisdn: str) -> None:
    await client.hlr_single(msisdn)
    assert body(conforming(api, "hlr/single/")[0])["msisdn"] == "48600100200"


@pytest.mark.parametrize("numbers", [["48600100200", "+48600100201"], b"48600100200\n48600100201\n"], ids=["list", "bytes"])
async def test_hlr_bulk(api: RecordingApi, client: MProfiClient, numbers: list[str] | bytes) -> None:
    """hlr/bulk/: multipart apikey + a file of bare numbers, one a line, no header."""
    await client.hlr_bulk(numbers)
    conforming(api, "hlr/bulk/")


async def test_hlr_download_is_multipart(api: RecordingApi, client: MProfiClient) -> None:
    """hlr/download/: multipart/form-data with apikey + upload_id (the project's reading)."""
    await client.hlr_download("7f3e2a91")
    assert multipart_fields(conforming(api, "hlr/download/")[0]) == {"apikey": [API_KEY], "upload_id": ["7f3e2a91"]}


# ---- which key goes where --------------------------------------------------------------

KEYS = MProfiKeys(send="s" * 32, receive="r" * 32, hlr="h" * 32, mms="m" * 32)


@pytest.mark.parametrize(
    ("run", "key"),
    [
        (lambda c: c.send_sms("600100200", "x"), KEYS.send),
        (lambda c: c.send_bulk_default("x", TWO), KEYS.send),
        (lambda c: c.get_status(1), KEYS.send),
        (lambda c: c.get_incoming("2015-01-01", "2015-01-02"), KEYS.receive),
        (lambda c: c.get_incoming_mobileapp("2015-01-01", "2015-01-02"), KEYS.receive),
        (lambda c: c.send_mms("600100200", "x"), KEYS.mms),
        (lambda c: c.send_bulk_mms(recipients=TWO, default_message="x"), KEYS.mms),
        (lambda c: c.hlr_single("48600100200"), KEYS.hlr),
        (lambda c: c.hlr_bulk(["48600100200"]), KEYS.hlr),
    ],
    ids=["send", "sendbulk", "status", "getincoming", "mobileapp", "sendmms", "sendbulkmms", "hlr-single", "hlr-bulk"],
)
async def test_each_call_uses_its_own_key(api: RecordingApi, run: Callable[[MProfiClient], Awaitable[Any]], key: str) -> None:
    """The spec names a sending, a receiving, an MMS and an HLR key ("Osobny token")."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(api.handle)) as http:
        await run(MProfiClient(http, KEYS, base_url=BASE_URL))
    request = api.only()
    assert check_request(request) == []
    assert f"apikey={key}".encode() in request.url.query or key.encode() in request.content


# ---- the schema has teeth ----------------------------------------------------------------


def test_schema_rejects_a_top_level_date_next_to_default_message() -> None:
    request = httpx.Request(
        "POST",
        BASE_URL + "sendbulk/",
        json={"apikey": API_KEY, "default_message": "x", "recipients": TWO, "date": "2020-05-26T13:38:47+02:00"},
    )
    assert check_request(request) == ["unknown field 'date'"]


def test_schema_rejects_a_json_hlr_download() -> None:
    request = httpx.Request("POST", BASE_URL + "hlr/download/", json={"apikey": API_KEY, "upload_id": "7f3e2a91"})
    assert any("multipart/form-data" in p for p in check_request(request))


def test_schema_rejects_an_unknown_field() -> None:
    sent = {"apikey": API_KEY, "recipient": "600100200", "message": "x", "sender": "ACME"}
    request = httpx.Request("POST", BASE_URL + "send/", json=sent)
    assert check_request(request) == ["unknown field 'sender'"]
