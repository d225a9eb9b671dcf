"""The response and webhook examples printed in the mProfi spec v1.15, as printed.

Copied from /work/shared/spec/mprofi-api-v1.15-pl.txt. Where a print is not valid JSON
(Python-style single quotes, "(...)", trailing commas, inline remarks) the minimal change
to valid JSON is made and each change is said next to the example. Nothing else is
touched: odd spacing, Polish text and key spellings stay as printed.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["API_KEY", "BASE_URL", "load", "RESPONSES", "WEBHOOKS"]

API_KEY = "9173f4223c162c80ab7c17cecf58277e"  # the key of the spec's examples
BASE_URL = "https://api.mprofi.pl/1.0/"

# METODA SEND — printed as is.
SEND = '{"id": 55}'

# METODA SENDBULK — printed as is.
SENDBULK = '{ "result": [ {"id": 56}, {"id": 57} ] }'

# METODA STATUS — printed as is (valid JSON despite the odd line breaks).
STATUS = """{
  "status": "processing",      "id": 123456,      "reference":
"2015-01-01",      "ts": null
}"""

# METODA GETINCOMING. Changes: the print shows "[" twice (once after the Set-Cookie
# line, once in the next box: a page-layout doubling) — one is dropped; the trailing
# comma after the only object is dropped.
GETINCOMING = """[
  {"message": "wiadomość przychodząca", "sender": "48123456789",
  "recipient": "664400100", "ts": "2015-02-16 10:24:40"}
]"""

# METODA GETINCOMING_MOBILEAPP. Change: the trailing comma after the object is dropped.
GETINCOMING_MOBILEAPP = """[
{"message": "wiadomość przychodząca", "sender": "48123456789",
"recipient": "Aplikacja Mobilna", "ts": "2015-02-16 10:24:40"}
]"""

# METODA GET SURVEYS/. Changes: single quotes -> double quotes; the trailing comma
# after 'end' is dropped; the "(...)" (more items) is dropped.
SURVEYS = """[
  {
    "id": 1,
    "name": "testowa",
    "created_at": "2016-05-07T18:02:00",
    "active": true,
    "start": "2016-05-08T18:02:00",
    "end": "2016-05-10T18:02:00"
  }
]"""

# METODA GET SURVEYS/<ID>/. Changes: single quotes -> double quotes; the remarks
# "(numer telefonu przypisany do ankiety)" and "(ilość osób które wzięły udział w
# ankiecie)" are dropped; the trailing comma after participants is dropped.
SURVEY = """{
  "id": 1,
  "name": "testowa",
  "created_at": "2016-05-07T18:02:00",
  "active": true,
  "start": "2016-05-08T18:02:00",
  "end": "2016-05-10T18:02:00",
  "msisdn": "48664400100",
  "participants": 231
}"""

# METODA GET SURVEYS/<ID>/REPORT/. Changes: single quotes -> double quotes; the
# trailing comma after 'finished' and the "(...)" are dropped.
SURVEY_REPORT = """[
  {
    "msisdn": "48231213123",
    "answers": ["tak", "nie", "5", "dziękuję"],
    "finished": "2016-05-10T18:02:00"
  }
]"""

# METODA POST SURVEYS/<ID>/START/: "status HTTP 200 bez treści" — an empty body.
SURVEY_START = ""

# METODA SINGLE HLR LOOKUP: the spec prints only the key table (msisdn,
# hlr_status_code, Hlr_message_id, Hlr_mccmnc, Hlr_check_data, spn, valid), no values.
# The keys are spelt as the table spells them; the values are invented.
HLR_SINGLE = """{
  "msisdn": "48600100200",
  "hlr_status_code": "DELIVRD",
  "Hlr_message_id": "a1b2c3d4-0001",
  "Hlr_mccmnc": "26002",
  "Hlr_check_data": "2025-09-30 14:05:00",
  "spn": "T-Mobile",
  "valid": true
}"""

# The same keys with JSON numbers where a provider may well send numbers: the spec
# gives no types, so a reader must not depend on strings.
HLR_SINGLE_NUMBERS = """{
  "msisdn": 48600100200,
  "hlr_status_code": 0,
  "Hlr_message_id": 987654321,
  "Hlr_mccmnc": 26002,
  "Hlr_check_data": "2025-09-30 14:05:00",
  "spn": "T-Mobile",
  "valid": true
}"""

# METODA BULK HLR LOOKUP: only the key "Upload_id" is given; the value is invented.
HLR_BULK = '{"Upload_id": "7f3e2a91"}'

# MMS methods: the tables give "ID" as for SEND but print no example; SEND's is used.
SENDMMS = SEND
SENDBULKMMS = SENDBULK

RESPONSES: dict[str, str] = {
    "send/": SEND,
    "sendbulk/": SENDBULK,
    "sendmms/": SENDMMS,
    "sendbulkmms/": SENDBULKMMS,
    "status/": STATUS,
    "getincoming/": GETINCOMING,
    "getincoming_mobileapp/": GETINCOMING_MOBILEAPP,
    "surveys/": SURVEYS,
    "surveys/1/": SURVEY,
    "surveys/1/start/": SURVEY_START,
    "surveys/1/report/": SURVEY_REPORT,
    "hlr/single/": HLR_SINGLE,
    "hlr/bulk/": HLR_BULK,
}

# ---- MESSAGE WEBHOOK API (mProfi -> us) ------------------------------------------------

# Format standardowy (non-3CX) — printed as is (the text's leading space too).
WEBHOOK_STANDARD = """{
    "sender": "48123456789",
    "recipient": "654321123",
    "message": " This is a test message from mysite"
}"""

# Format 3CX — printed as is, with the stray spaces of "message . Received".
WEBHOOK_3CX = """{
  "id": "1",
  "event_type": "message . Received",
  "payload": {
    "from": {
      "phone_number": "+48123456789"
    },
    "to": {
      "phone_number": "+489123456789"
    },
    "text": "Hello !",
    "received_at": "2025-07-10T12:00:00Z"
  }
}"""

# Testowanie, the panel's button, standard format — printed as is.
WEBHOOK_TEST_STANDARD = """{
  "sender": "+48123456789",
  "recipient": "office_shortcode",
  "message": "This is a test message from mysite"
}"""

# Testowanie, the panel's button, 3CX format — printed as is.
WEBHOOK_TEST_3CX = """{
  "id": "1",
  "event_type": "message . Received",
  "payload": {
    "from": {
      "phone_number": "+48123456789"
    },
    "to": {
      "phone_number": "+48987654321"
    },
    "text": "text",
    "received_at": "2026-03-03T12:00:00Z"
  }
}"""

WEBHOOKS: dict[str, str] = {
    "standard": WEBHOOK_STANDARD,
    "3cx": WEBHOOK_3CX,
    "test-standard": WEBHOOK_TEST_STANDARD,
    "test-3cx": WEBHOOK_TEST_3CX,
}

# PUSH (KONFIGURACJA API): "Json zawierające następujące parametry: id, status, ts oraz
# reference" as in METODA STATUS; no example is printed, so STATUS's values are used,
# with a delivered status and a timestamp in the form the vendor's clients show.
PUSH = """{"id": 123456, "status": "delivered", "ts": "2015-01-01T09:51:32.431000+01:00", "reference": "2015-01-01"}"""


def load(text: str) -> Any:
    """Parse an example; a failure here means the copy above is broken, not the client."""
    return json.loads(text)
