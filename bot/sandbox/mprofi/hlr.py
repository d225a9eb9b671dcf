"""hlr/single/, hlr/bulk/ and hlr/download/ with made-up but stable answers.

The same number always checks the same way. Keys are spelled as the spec's tables
spell them (``Hlr_mccmnc``, ``Hlr_check_data``, ``Upload_id``).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.sandbox.mprofi.rules import HLR_MAX_FILE_BYTES, MSISDN, WARSAW, Text, check_msisdn, now
from bot.sandbox.mprofi.state import SimulatorState
from bot.sandbox.mprofi.validation import Fields, error

__all__ = ["REPORT_COLUMNS", "SINGLE_KEYS", "hlr_bulk", "hlr_download", "hlr_record", "hlr_single"]

# First digit of a Polish mobile number → (network, MCC+MNC). Close enough for a demo.
_POLISH_NETWORKS = {
    "5": ("Orange Polska", "26003"),
    "6": ("Plus", "26001"),
    "7": ("Play", "26006"),
    "8": ("T-Mobile Polska", "26002"),
}

# hlr/single/'s answer, key for key as the spec's table writes it.
SINGLE_KEYS = ("msisdn", "hlr_status_code", "Hlr_message_id", "Hlr_mccmnc", "Hlr_check_data", "spn", "valid")
# The report's layout is not documented; these columns are the simulator's own choice.
REPORT_COLUMNS = ("msisdn", "hlr_status_code", "hlr_message_id", "hlr_mccmnc", "hlr_check_date", "spn", "valid")


def hlr_record(state: SimulatorState, msisdn: str) -> dict[str, Any]:
    """The check result in mProfi's documented spelling (``Hlr_mccmnc``, ``Hlr_check_data``).

    A test's override replaces values, matched to the spec's keys whatever their case;
    keys the spec does not list are left out so the answer keeps its documented shape.
    """
    checked = now().astimezone(WARSAW).strftime("%Y-%m-%d %H:%M:%S")
    record = _made_up(msisdn, checked)
    spelled = {key.lower(): key for key in SINGLE_KEYS}
    for key, value in state.hlr_overrides.get(msisdn, {}).items():
        if key.lower() in spelled:
            record[spelled[key.lower()]] = value
    return record


def _made_up(msisdn: str, checked: str) -> dict[str, Any]:
    if msisdn.startswith("48") and len(msisdn) == 11 and msisdn[2] in _POLISH_NETWORKS:
        network, mccmnc = _POLISH_NETWORKS[msisdn[2]]
        return {
            "msisdn": msisdn,
            "hlr_status_code": "DELIVRD",
            "Hlr_message_id": f"hlr-{msisdn}",
            "Hlr_mccmnc": mccmnc,
            "Hlr_check_data": checked,
            "spn": network,
            "valid": True,
        }
    if msisdn.startswith("48"):
        return {
            "msisdn": msisdn,
            "hlr_status_code": "UNDELIV",
            "Hlr_message_id": f"hlr-{msisdn}",
            "Hlr_mccmnc": "",
            "Hlr_check_data": checked,
            "spn": "",
            "valid": False,
        }
    return {
        "msisdn": msisdn,
        "hlr_status_code": "DELIVRD",
        "Hlr_message_id": f"hlr-{msisdn}",
        "Hlr_mccmnc": "",
        "Hlr_check_data": checked,
        "spn": "International",
        "valid": True,
    }


async def hlr_single(state: SimulatorState, request: Request, fields: Fields) -> Response:
    msisdn = check_msisdn(fields.get("msisdn"))
    if msisdn is None:
        return error(400, Text.BAD_MSISDN)
    return JSONResponse(hlr_record(state, msisdn))


async def hlr_bulk(state: SimulatorState, request: Request, fields: Fields) -> Response:
    """A CSV of ``48XXXXXXXXX`` numbers, one a line, no header, at most 10,000,000 bytes."""
    upload = fields.files.get("file")
    if upload is None:
        return error(400, Text.NO_FILE)
    content = upload[1]
    if len(content) > HLR_MAX_FILE_BYTES:
        return error(400, Text.HLR_FILE_TOO_BIG)
    lines = content.decode("utf-8", errors="replace").splitlines()
    numbers: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() and number == len(lines):
            continue
        if not MSISDN.fullmatch(line.strip()):
            return error(400, Text.hlr_line(number))
        numbers.append(line.strip())
    if not numbers:
        return error(400, Text.HLR_EMPTY_FILE)
    return JSONResponse({"Upload_id": state.add_hlr_upload(numbers).upload_id})


async def hlr_download(state: SimulatorState, request: Request, fields: Fields) -> Response:
    """The report as CSV once ready; 202 with a ``detail`` while it is being made."""
    upload_id = fields.get("upload_id")
    if not isinstance(upload_id, str) or not upload_id:
        return error(400, Text.NO_UPLOAD_ID)
    upload = state.hlr_uploads.get(upload_id)
    if upload is None:
        return JSONResponse({"detail": "Not found."}, status_code=404)
    if upload.ready_at is None or upload.ready_at > now():
        return JSONResponse({"detail": Text.NOT_READY}, status_code=202)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for msisdn in upload.numbers:
        row = {key.lower(): value for key, value in hlr_record(state, msisdn).items()}
        row["hlr_check_date"] = row.pop("hlr_check_data", "")
        writer.writerow([row.get(column, "") for column in REPORT_COLUMNS])
    return PlainTextResponse(out.getvalue(), media_type="text/csv")
