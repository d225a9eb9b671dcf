"""The schema itself: the spec's own request examples pass, and wrong requests do not.

Without these, a schema that lets everything through would make test_requests pass for
nothing. The request examples are the ones printed in the Polish spec; changes needed
to make them usable are said beside each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.contract.spec_examples import API_KEY, BASE_URL
from tests.contract.spec_schema import check_request

K = API_KEY
TOKEN = {"Authorization": f"Token {K}"}
PNG = ("test_mms.png", b"\x89PNG\r\n\x1a\n", "image/png")
CSV = ("numbers.csv", b"48600100200\n48600100201\n", "text/csv")


def post(path: str, **kwargs: Any) -> httpx.Request:
    return httpx.Request("POST", BASE_URL + path, **kwargs)


def get(path: str, params: dict[str, str] | None = None, **kwargs: Any) -> httpx.Request:
    return httpx.Request("GET", BASE_URL + path, params=params, **kwargs)


def form(fields: dict[str, Any], files: dict[str, Any] | None = None) -> dict[str, Any]:
    """httpx arguments for multipart/form-data, even without a file (as the spec wants)."""
    parts: list[tuple[str, Any]] = [
        (name, (None, str(value).encode(), None))
        for name, values in fields.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    return {"files": parts + list((files or {}).items())}


SPEC_EXAMPLES: dict[str, Callable[[], httpx.Request]] = {
    # METODA SEND: the print breaks "Wiadomość testowa" and the key across lines; healed.
    "send": lambda: post(
        "send/",
        json={
            "recipient": "572846504",
            "message": "Wiadomość testowa",
            "reference": "20150310153200",
            "apikey": K,
            "date": "2020-05-26T13:38:47+02:00",
            "encoding": "utf-8",
        },
    ),
    # METODA SENDBULK: "W\niadomość" healed; the date prints as "2020-\n0526T…": the line
    # break ate a hyphen, put back.
    "sendbulk": lambda: post(
        "sendbulk/",
        json={
            "apikey": K,
            "messages": [
                {"recipient": "572846504", "message": "Wiadomość testowa 1", "reference": "20150310153201"},
                {
                    "recipient": "572846505",
                    "message": "Wiadomość testowa 2",
                    "reference": "20150310153202",
                    "date": "2020-05-26T13:38:47+02:00",
                    "encoding": "utf-8",
                },
            ],
        },
    ),
    # The Python examples of SENDBULK: placeholders 692XXXXXX / 606YYYYYY get digits.
    "sendbulk-default": lambda: post(
        "sendbulk/",
        json={
            "apikey": K,
            "default_message": "Treść wiadomości",
            "recipients": ["692000000", "606000000"],
        },
    ),
    "sendbulk-messages": lambda: post(
        "sendbulk/",
        json={
            "apikey": K,
            "messages": [
                {"message": "Treść wiadomości", "recipient": "692000000"},
                {"message": "Treść wiadomości", "recipient": "606000000"},
            ],
        },
    ),
    "sendmms": lambda: post(
        "sendmms/", **form({"apikey": K, "message": "Treść wiadomości", "recipient": "692000000", "encoding": "utf-8"}, {"file": PNG})
    ),
    # SENDBULKMMS: recipients print unquoted ([664YYYYY, 692XXXXXX]); given as digits,
    # as the repeated form field mprofi-api.md reads the list as.
    "sendbulkmms": lambda: post(
        "sendbulkmms/",
        **form({"apikey": K, "default_message": "Treść Wiadomości", "recipients": ["664000000", "692000000"]}, {"file": PNG}),
    ),
    "status": lambda: get("status/", {"apikey": K, "id": "123456"}),
    # GETINCOMING(_MOBILEAPP): "2015-03-01\n12:00" healed.
    "getincoming": lambda: post("getincoming/", json={"date_from": "2015-01-01", "date_to": "2015-03-01 12:00", "apikey": K}),
    "mobileapp": lambda: post("getincoming_mobileapp/", json={"date_from": "2015-01-01", "date_to": "2015-03-01 12:00", "apikey": K}),
    # Surveys: the spec shows bare URLs; the key is added as mprofi-api.md says.
    "surveys": lambda: get("surveys/", {"apikey": K}, headers=TOKEN),
    "survey": lambda: get("surveys/1/", {"apikey": K}, headers=TOKEN),
    "survey-start-json": lambda: post("surveys/1/start/", json={"apikey": K, "msisdn": "48664400100"}, headers=TOKEN),
    "survey-start-form": lambda: post("surveys/1/start/", data={"apikey": K, "msisdn": "48664400100"}, headers=TOKEN),
    "survey-report": lambda: get("surveys/1/report/", {"apikey": K}, headers=TOKEN),
    "hlr-single": lambda: post("hlr/single/", json={"apikey": K, "msisdn": "48600100200"}),
    "hlr-bulk": lambda: post("hlr/bulk/", **form({"apikey": K}, {"file": CSV})),
    "hlr-download": lambda: post("hlr/download/", **form({"apikey": K, "upload_id": "7f3e2a91"})),
}


@pytest.mark.parametrize("example", SPEC_EXAMPLES)
def test_the_specs_own_requests_conform(example: str) -> None:
    assert check_request(SPEC_EXAMPLES[example]()) == []


SEND = {"apikey": K, "recipient": "600100200", "message": "x"}
BULK_DEFAULT = {"apikey": K, "default_message": "x", "recipients": ["600100200"]}
MMS = {"apikey": K, "recipient": "600100200", "message": "x"}
RANGE = {"apikey": K, "date_from": "2015-10-27", "date_to": "2015-10-30"}

BAD: dict[str, tuple[Callable[[], httpx.Request], str]] = {
    "sendbulk-top-level-encoding": (lambda: post("sendbulk/", json={**BULK_DEFAULT, "encoding": "utf-8"}), "unknown field 'encoding'"),
    "sendbulk-both-forms": (
        lambda: post("sendbulk/", json={**BULK_DEFAULT, "messages": [{"recipient": "600100200", "message": "x"}]}),
        "not both",
    ),
    "sendbulk-no-form": (lambda: post("sendbulk/", json={"apikey": K}), "needs messages"),
    "sendbulk-half-pair": (lambda: post("sendbulk/", json={"apikey": K, "default_message": "x"}), "needs messages"),
    "sendbulk-entry-unknown-key": (
        lambda: post("sendbulk/", json={"apikey": K, "messages": [{"recipient": "600100200", "message": "x", "sender": "A"}]}),
        "unknown field 'sender'",
    ),
    "sendbulk-entry-no-recipient": (
        lambda: post("sendbulk/", json={"apikey": K, "messages": [{"message": "x"}]}),
        "'recipient' is missing",
    ),
    "recipient-json-number": (lambda: post("send/", json={**SEND, "recipient": 600100200}), "must be a string"),
    "recipient-plus": (lambda: post("send/", json={**SEND, "recipient": "+48600100200"}), "digits only"),
    "recipient-8-digits": (lambda: post("send/", json={**SEND, "recipient": "60010020"}), "9 to 22 digits"),
    "recipient-23-digits": (lambda: post("send/", json={**SEND, "recipient": "4" * 23}), "9 to 22 digits"),
    "message-613": (lambda: post("send/", json={**SEND, "message": "x" * 613}), "more than 612"),
    "no-apikey": (lambda: post("send/", json={"recipient": "600100200", "message": "x"}), "'apikey' is missing"),
    "date-words": (lambda: post("send/", json={**SEND, "date": "next tuesday"}), "neither ISO 8601 nor unixtime"),
    "date-bool": (lambda: post("send/", json={**SEND, "date": True}), "not a boolean"),
    "send-form-encoded": (lambda: post("send/", data=SEND), "application/json"),
    "send-key-in-query": (lambda: post("send/", params={"apikey": K}, json=SEND), "not the query string"),
    "send-as-get": (lambda: get("send/", SEND), "is POST, not GET"),
    "mms-date": (lambda: post("sendmms/", **form({**MMS, "date": "2020-05-26T13:38:47+02:00"})), "unknown field 'date'"),
    "mms-pdf": (lambda: post("sendmms/", **form(MMS, {"file": ("a.pdf", b"%PDF", "application/pdf")})), "format must be"),
    "mms-300001-bytes": (lambda: post("sendmms/", **form(MMS, {"file": ("a.jpg", b"\xff" * 300_001, "image/jpeg")})), "more than 300000"),
    "mms-919": (lambda: post("sendmms/", **form({**MMS, "message": "m" * 919})), "more than 918"),
    "mms-as-json": (lambda: post("sendmms/", json=MMS), "multipart/form-data"),
    "mms-text-field-as-file": (
        lambda: post("sendmms/", **form({"apikey": K, "message": "x"}, {"recipient": ("r.txt", b"600100200", "text/plain")})),
        "not a file",
    ),
    "sendbulkmmms-typo": (lambda: post("sendbulkmmms/", **form(BULK_DEFAULT)), "not a method of the spec"),
    "bulkmms-entry-date": (
        lambda: post("sendbulkmms/", **form({"apikey": K, "messages": '[{"recipient": "600100200", "message": "", "date": 1}]'})),
        "unknown field 'date'",
    ),
    "bulkmms-recipients-as-json": (
        lambda: post("sendbulkmms/", **form({"apikey": K, "default_message": "x", "recipients": '["600100200"]'})),
        "digits only",
    ),
    "status-no-id": (lambda: get("status/", {"apikey": K}), "'id' is missing"),
    "status-post": (lambda: post("status/", json={"apikey": K, "id": 1}), "is GET, not POST"),
    "incoming-polish-date": (lambda: post("getincoming/", json={**RANGE, "date_from": "27.10.2015"}), "is not 'YYYY-MM-DD"),
    "incoming-iso-t": (lambda: post("getincoming/", json={**RANGE, "date_from": "2015-10-27T12:00:00"}), "is not 'YYYY-MM-DD"),
    "incoming-backwards": (lambda: post("getincoming/", json={**RANGE, "date_to": "2015-10-26"}), "earlier than date_from"),
    "incoming-no-date-to": (lambda: post("getincoming/", json={"apikey": K, "date_from": "2015-10-27"}), "'date_to' is missing"),
    "survey-no-header": (lambda: get("surveys/", {"apikey": K}), "Authorization: Token"),
    "survey-bearer": (lambda: get("surveys/1/", {"apikey": K}, headers={"Authorization": f"Bearer {K}"}), "Authorization: Token"),
    "survey-other-key": (lambda: get("surveys/1/report/", {"apikey": K}, headers={"Authorization": "Token " + "0" * 32}), "different keys"),
    "survey-start-plus": (lambda: post("surveys/1/start/", json={"apikey": K, "msisdn": "+48664400100"}, headers=TOKEN), "digits only"),
    "survey-start-national": (
        lambda: post("surveys/1/start/", json={"apikey": K, "msisdn": "664400100"}, headers=TOKEN),
        "11 to 15 digits",
    ),
    "survey-start-multipart": (
        lambda: post("surveys/1/start/", headers=TOKEN, **form({"apikey": K, "msisdn": "48664400100"})),
        "JSON or form-encoded",
    ),
    "hlr-single-plus": (lambda: post("hlr/single/", json={"apikey": K, "msisdn": "+48600100200"}), "digits only"),
    "hlr-bulk-header": (
        lambda: post("hlr/bulk/", **form({"apikey": K}, {"file": ("n.csv", b"msisdn\n48600100200\n", "text/csv")})),
        "line 1",
    ),
    "hlr-bulk-two-columns": (
        lambda: post("hlr/bulk/", **form({"apikey": K}, {"file": ("n.csv", b"48600100200,PL\n", "text/csv")})),
        "line 1",
    ),
    "hlr-bulk-no-file": (lambda: post("hlr/bulk/", **form({"apikey": K})), "required file 'file' is missing"),
    "hlr-bulk-over-10MB": (
        lambda: post("hlr/bulk/", **form({"apikey": K}, {"file": ("n.csv", b"48600100200\n" * 833_334, "text/csv")})),
        "more than 10000000",
    ),
    "hlr-download-file": (lambda: post("hlr/download/", **form({"apikey": K}, {"file": CSV})), "'upload_id' is missing"),
    "unknown-path": (lambda: post("sendsms/", json=SEND), "not a method of the spec"),
    "no-trailing-slash": (lambda: post("send", json=SEND), "not a method of the spec"),
}


@pytest.mark.parametrize("case", BAD)
def test_the_schema_refuses(case: str) -> None:
    build, expected = BAD[case]
    problems = check_request(build())
    assert any(expected in p for p in problems), problems
