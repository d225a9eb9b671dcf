"""A hand-written schema of every mProfi API 1.0 request, taken from the vendor's spec.

Source: /work/shared/spec/mprofi-api-v1.15-pl.txt (the authority); where it is
ambiguous, the reading stated in /work/shared/spec/mprofi-api.md. It is written from
the spec's parameter tables, never from our client, so that the client can be held to
it: :func:`check_request` lists every way one outgoing ``httpx.Request`` breaks it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from tests.contract.spec_values import (
    ANY_TEXT,
    HLR_FILE_MAX,
    MMS_EXTENSIONS,
    MMS_FILE_MAX,
    MMS_MAX,
    MSISDN,
    NON_EMPTY,
    RECIPIENT,
    SMS_MAX,
    Param,
    check_params,
    digits,
    entries,
    incoming_date,
    iso_or_unixtime,
    json_text,
    list_of,
    parse_incoming,
    text,
)

__all__ = ["API_ROOT", "ENDPOINTS", "Endpoint", "check_request", "endpoint_of"]

API_ROOT = "/1.0/"


# ---- the tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class FileRule:
    """A file part: its size limit, allowed extensions and what its bytes must hold."""

    max_bytes: int
    required: bool = False
    extensions: frozenset[str] | None = None  # None: any name
    content: Callable[[bytes], list[str]] | None = None


@dataclass(frozen=True)
class Endpoint:
    """One method of the spec: where it lives, how it is carried and its parameters."""

    title: str
    pattern: str  # the path below /1.0/, as a regular expression
    method: str
    carrier: str  # "json" | "multipart" | "query" | "json_or_form"
    params: Mapping[str, Param]
    files: Mapping[str, FileRule] = field(default_factory=dict)
    repeatable: frozenset[str] = frozenset()  # multipart fields that may repeat (lists)
    token_header: bool = False  # survey calls: Authorization: Token <key>
    rule: Callable[[Mapping[str, Any]], list[str]] | None = None


def _one_bulk_form(values: Mapping[str, Any]) -> list[str]:
    """SENDBULK(MMS): "albo parametru messages albo pary default_message i recipients"."""
    has_messages = "messages" in values
    has_default = "default_message" in values or "recipients" in values
    if has_messages and has_default:
        return ["give either messages or default_message + recipients, not both"]
    if not has_messages and not ("default_message" in values and "recipients" in values):
        return ["needs messages, or both default_message and recipients"]
    return []


def _incoming_range(values: Mapping[str, Any]) -> list[str]:
    """ "date_to nie może być starsze od date_from"."""
    start, end = parse_incoming(values.get("date_from")), parse_incoming(values.get("date_to"))
    if start is not None and end is not None and end < start:
        return ["date_to is earlier than date_from"]
    return []


def _hlr_csv(content: bytes) -> list[str]:
    """hlr/bulk file: one 48XXXXXXXXX per line, "żadnego nagłówka, żadnych dodatkowych kolumn"."""
    try:
        lines = content.decode("ascii").split("\n")
    except UnicodeDecodeError:
        return ["the HLR file must hold only numbers (it is not plain ASCII)"]
    if lines and lines[-1] == "":
        lines.pop()  # the final line ending
    if not lines:
        return ["the HLR file holds no number"]
    problems = []
    for number, line in enumerate(lines, 1):
        if (problem := MSISDN(line.removesuffix("\r"))) is not None:
            problems.append(f"HLR file line {number}: {problem}")
    return problems


_SEND_ENTRY = {
    "recipient": Param(RECIPIENT, required=True),
    "message": Param(text(1, SMS_MAX), required=True),
    "reference": Param(ANY_TEXT),
    "date": Param(iso_or_unixtime),
    "encoding": Param(ANY_TEXT),
}
_MMS_ENTRY = {  # sendbulkmms' messages: recipient, message, reference, encoding — no date
    "recipient": Param(RECIPIENT, required=True),
    "message": Param(text(0, MMS_MAX), required=True),
    "reference": Param(ANY_TEXT),
    "encoding": Param(ANY_TEXT),
}
_MMS_FILE = {"file": FileRule(MMS_FILE_MAX, extensions=MMS_EXTENSIONS)}
_APIKEY = {"apikey": Param(NON_EMPTY, required=True)}
_INCOMING = {
    **_APIKEY,
    "date_from": Param(incoming_date, required=True),
    "date_to": Param(incoming_date, required=True),
}

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("SEND", r"send/", "POST", "json", {**_APIKEY, **_SEND_ENTRY}),
    Endpoint(
        "SENDBULK",
        r"sendbulk/",
        "POST",
        "json",
        {
            **_APIKEY,
            "messages": Param(entries(_SEND_ENTRY)),
            "default_message": Param(text(1, SMS_MAX)),
            "recipients": Param(list_of(RECIPIENT)),
        },
        rule=_one_bulk_form,
    ),
    Endpoint(
        "SENDMMS",
        r"sendmms/",
        "POST",
        "multipart",
        {**_APIKEY, **_MMS_ENTRY},
        files=_MMS_FILE,
    ),
    Endpoint(
        # The table writes sendbulkmmms/; the example's sendbulkmms/ is right (mprofi-api.md).
        "SENDBULKMMS",
        r"sendbulkmms/",
        "POST",
        "multipart",
        {
            **_APIKEY,
            "messages": Param(json_text(entries(_MMS_ENTRY))),
            "default_message": Param(text(0, MMS_MAX)),
            "recipients": Param(RECIPIENT),  # a repeated form field, one number each
        },
        files=_MMS_FILE,
        repeatable=frozenset({"recipients"}),
        rule=_one_bulk_form,
    ),
    Endpoint(
        "STATUS",
        r"status/",
        "GET",
        "query",
        {**_APIKEY, "id": Param(digits(1, 19), required=True)},
    ),
    Endpoint("GETINCOMING", r"getincoming/", "POST", "json", _INCOMING, rule=_incoming_range),
    Endpoint("GETINCOMING_MOBILEAPP", r"getincoming_mobileapp/", "POST", "json", _INCOMING, rule=_incoming_range),
    # Surveys: the spec shows no key; mprofi-api.md sends apikey (query on GET, body on
    # POST) and Authorization: Token <key> on every call.
    Endpoint("GET SURVEYS/", r"surveys/", "GET", "query", _APIKEY, token_header=True),
    Endpoint("GET SURVEYS/<ID>/", r"surveys/\d+/", "GET", "query", _APIKEY, token_header=True),
    Endpoint(
        "POST SURVEYS/<ID>/START/",
        r"surveys/\d+/start/",
        "POST",
        "json_or_form",
        {**_APIKEY, "msisdn": Param(MSISDN, required=True)},
        token_header=True,
    ),
    Endpoint("GET SURVEYS/<ID>/REPORT/", r"surveys/\d+/report/", "GET", "query", _APIKEY, token_header=True),
    Endpoint("SINGLE HLR LOOKUP", r"hlr/single/", "POST", "json", {**_APIKEY, "msisdn": Param(MSISDN, required=True)}),
    Endpoint(
        "BULK HLR LOOKUP",
        r"hlr/bulk/",
        "POST",
        "multipart",
        _APIKEY,
        files={"file": FileRule(HLR_FILE_MAX, required=True, content=_hlr_csv)},
    ),
    Endpoint(
        # The spec repeats the bulk table here; mprofi-api.md's reading: apikey + upload_id
        # as multipart form fields, no file.
        "DOWNLOAD HLR LOOKUP REPORT",
        r"hlr/download/",
        "POST",
        "multipart",
        {**_APIKEY, "upload_id": Param(NON_EMPTY, required=True)},
    ),
)


# ---- reading a request ---------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    name: str
    filename: str | None
    data: bytes


def _media_type(request: httpx.Request) -> str:
    content_type: str = request.headers.get("content-type", "")
    return content_type.split(";", 1)[0].strip().lower()


def _multipart(request: httpx.Request, body: bytes) -> list[_Part] | str:
    """Split a multipart/form-data body by hand, so that file bytes stay exact."""
    found = re.search(r'boundary="?([^";]+)"?', request.headers.get("content-type", ""))
    if not found:
        return "multipart body without a boundary"
    chunks = body.split(b"--" + found.group(1).encode())
    if len(chunks) < 2 or not chunks[-1].startswith(b"--"):
        return "multipart body is not closed"
    parts = []
    for chunk in chunks[1:-1]:
        head, _, data = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n").partition(b"\r\n\r\n")
        disposition = next(
            (line for line in head.decode("utf-8", "replace").split("\r\n") if line.lower().startswith("content-disposition:")),
            "",
        )
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition.split(":", 1)[-1])
        filename = re.search(r'(?:^|;)\s*filename="([^"]*)"', disposition.split(":", 1)[-1])
        if not name:
            return f"multipart part without a form-data name: {disposition!r}"
        parts.append(_Part(name.group(1), filename.group(1) if filename else None, data))
    return parts


def endpoint_of(request: httpx.Request) -> Endpoint | None:
    """The spec method a request's path names (None: not a path of the spec)."""
    path = request.url.path
    if API_ROOT not in path:
        return None
    below = path.split(API_ROOT, 1)[1]
    return next((e for e in ENDPOINTS if re.fullmatch(e.pattern, below)), None)


def _body(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        return request.read()


def _values(endpoint: Endpoint, request: httpx.Request, body: bytes, problems: list[str]) -> dict[str, Any] | None:
    """The request's parameters as one mapping, recording how the carrier is broken."""
    media = _media_type(request)
    if endpoint.carrier == "query":
        if body:
            problems.append(f"a GET to {endpoint.title} must carry no body")
        return _single(parse_qsl(request.url.query.decode(), keep_blank_values=True), endpoint, problems)
    if request.url.query:
        problems.append(f"{endpoint.title} takes its parameters in the body, not the query string")
    if endpoint.carrier == "json" or (endpoint.carrier == "json_or_form" and media == "application/json"):
        if media != "application/json":
            problems.append(f"{endpoint.title} must be Content-Type application/json, not {media or 'none'}")
        try:
            data = json.loads(body)
        except ValueError:
            problems.append(f"{endpoint.title} body is not JSON")
            return None
        if not isinstance(data, dict):
            problems.append(f"{endpoint.title} body must be a JSON object")
            return None
        return data
    if endpoint.carrier == "json_or_form":
        if media != "application/x-www-form-urlencoded":
            problems.append(f"{endpoint.title} must be JSON or form-encoded, not {media or 'none'}")
            return None
        return _single(parse_qsl(body.decode(), keep_blank_values=True), endpoint, problems)
    if media != "multipart/form-data":
        problems.append(f"{endpoint.title} must be Content-Type multipart/form-data, not {media or 'none'}")
        return None
    parts = _multipart(request, body)
    if isinstance(parts, str):
        problems.append(parts)
        return None
    return _from_parts(endpoint, parts, problems)


def _single(pairs: list[tuple[str, str]], endpoint: Endpoint, problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in pairs:
        if name in values:
            problems.append(f"{endpoint.title}: field {name!r} is given more than once")
        values[name] = value
    return values


def _from_parts(endpoint: Endpoint, parts: list[_Part], problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for part in parts:
        rule = endpoint.files.get(part.name)
        if rule is not None:
            problems += [f"file {p}" for p in _check_file(part, rule)]
            values.setdefault("\0files", []).append(part.name)
            continue
        if part.filename is not None:
            problems.append(f"{part.name!r} must be a form field, not a file")
        try:
            text = part.data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{part.name!r} is not UTF-8 text")
            continue
        if part.name in endpoint.repeatable:
            values.setdefault(part.name, []).append(text)
        elif part.name in values:
            problems.append(f"{endpoint.title}: field {part.name!r} is given more than once")
        else:
            values[part.name] = text
    file_names = values.pop("\0files", [])
    for name, rule in endpoint.files.items():
        if file_names.count(name) > 1:
            problems.append(f"file {name!r} is given more than once")
        if rule.required and name not in file_names:
            problems.append(f"required file {name!r} is missing")
    return values


def _check_file(part: _Part, rule: FileRule) -> list[str]:
    problems = []
    if not part.filename:
        problems.append(f"{part.name!r} has no file name (its extension tells the format)")
    elif rule.extensions is not None:
        extension = part.filename.rsplit(".", 1)[-1].lower() if "." in part.filename else ""
        if extension not in rule.extensions:
            problems.append(f"{part.filename!r}: format must be one of {sorted(rule.extensions)}")
    if len(part.data) > rule.max_bytes:
        problems.append(f"{part.filename!r} has {len(part.data)} bytes, more than {rule.max_bytes}")
    if rule.content is not None:
        problems += rule.content(part.data)
    return problems


def _check_token_header(request: httpx.Request, values: Mapping[str, Any] | None) -> list[str]:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme != "Token" or not token.strip():
        return [f"survey calls need the header 'Authorization: Token <key>', got {header or 'none'}"]
    apikey = (values or {}).get("apikey")
    if isinstance(apikey, str) and apikey != token.strip():
        return ["the Authorization token and apikey name different keys"]
    return []


def check_request(request: httpx.Request) -> list[str]:
    """Every violation of the spec in one request; an empty list means it conforms."""
    endpoint = endpoint_of(request)
    if endpoint is None:
        return [f"{request.method} {request.url.path} is not a method of the spec (under {API_ROOT})"]
    problems: list[str] = []
    if request.method != endpoint.method:
        problems.append(f"{endpoint.title} is {endpoint.method}, not {request.method}")
    values = _values(endpoint, request, _body(request), problems)
    if values is not None:
        repeated = {n: v for n, v in values.items() if n in endpoint.repeatable and isinstance(v, list)}
        single = {n: v for n, v in values.items() if n not in repeated}
        problems += check_params(single, {n: p for n, p in endpoint.params.items() if n not in repeated})
        for name, items in repeated.items():
            problems += [f"{name}[{i}] {p}" for i, v in enumerate(items) if (p := endpoint.params[name].check(v))]
        if endpoint.rule is not None:
            problems += endpoint.rule(values)
    if endpoint.token_header:
        problems += _check_token_header(request, values)
    return problems
