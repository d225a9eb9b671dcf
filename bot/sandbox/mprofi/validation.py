"""Request reading and the spec's validation rules, as the simulated mProfi applies them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.mprofi.models import parse_timestamp
from bot.sandbox.mprofi.state import KeyPurpose, SimulatorState

__all__ = [
    "Fields",
    "Refused",
    "read_fields",
    "authenticate",
    "check_recipient",
    "check_date",
    "check_range_date",
    "error",
    "MSISDN",
]

RECIPIENT = re.compile(r"^\d{9,22}$")
MSISDN = re.compile(r"^\d{11,15}$")
_DATE_FORMS = (
    re.compile(r"^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2}$"),
    re.compile(r"^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}$"),
    re.compile(r"^\d{4}-\d{2}-\d{2}$"),
)


class Refused(Exception):
    """Stops a request with mProfi's answer."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def error(status: int, text: str, code: str | None = "ERR000") -> JSONResponse:
    body: dict[str, Any] = {"detail": text}
    if code and status == 400:
        body["error_code"] = code
        body["error_message"] = text
    return JSONResponse(body, status_code=status)


@dataclass
class Fields:
    """A request's parameters, from JSON, urlencoded or multipart bodies alike."""

    values: dict[str, Any]
    lists: dict[str, list[Any]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name → (filename, bytes)
    style: str = "json"

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


async def read_fields(request: Request) -> Fields:
    content_type = request.headers.get("content-type", "")
    if request.method == "GET":
        return Fields(values=dict(request.query_params), style="query")
    if content_type.startswith("multipart/form-data") or content_type.startswith("application/x-www-form-urlencoded"):
        values: dict[str, Any] = {}
        lists: dict[str, list[Any]] = {}
        files: dict[str, tuple[str, bytes]] = {}
        try:
            async with request.form(max_part_size=16 * 1024 * 1024) as form:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        files[key] = (value.filename or "", await value.read())
                    else:
                        values.setdefault(key, value)
                        lists.setdefault(key, []).append(value)
        except Exception:  # the multipart parser raises several types
            raise Refused(error(400, "Malformed form data.", code=None)) from None
        return Fields(values=values, lists=lists, files=files, style="form")
    raw = await request.body()
    if not raw.strip():
        return Fields(values={})
    try:
        data = json.loads(raw)
    except ValueError:
        raise Refused(error(400, "JSON parse error.", code=None)) from None
    if not isinstance(data, dict):
        raise Refused(error(400, "Expected a JSON object.", code=None))
    return Fields(values=data)


def authenticate(state: SimulatorState, request: Request, fields: Fields, purpose: KeyPurpose) -> None:
    """Accept ``Authorization: Token <key>`` or ``apikey`` (body, form or query)."""
    token: str | None = None
    style = fields.style
    header = request.headers.get("authorization", "")
    if header.lower().startswith("token "):
        token, style = header[6:].strip(), "token-header"
    if token is None:
        value = fields.get("apikey") or request.query_params.get("apikey")
        token = value if isinstance(value, str) else None
    if not token or token in state.config.inactive_keys or purpose not in state.key_purposes(token):
        raise Refused(JSONResponse({"detail": "Invalid token."}, status_code=401))
    state.requests.append((request.url.path, style))


def check_recipient(value: Any) -> str | None:
    """mProfi's rule: 9 to 22 digits (numbers may come as JSON numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not RECIPIENT.match(value.strip()):
        return None
    return value.strip()


def check_date(value: Any) -> tuple[bool, datetime | None]:
    """``date``: ISO 8601, ``YYYY-MM-DD HH:MM:SS`` or unix time; (ok, parsed)."""
    if value is None or value == "":
        return True, None
    if isinstance(value, bool):
        return False, None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        parsed = parse_timestamp(float(value))
        return parsed is not None, parsed
    if not isinstance(value, str):
        return False, None
    parsed = parse_timestamp(value)
    return parsed is not None, parsed


def check_range_date(value: Any) -> datetime | None:
    """getincoming's ``date_from``/``date_to``: the three documented forms only."""
    if not isinstance(value, str) or not any(form.match(value.strip()) for form in _DATE_FORMS):
        return None
    text = value.strip()
    return parse_timestamp(text if " " in text else text + " 00:00:00")
