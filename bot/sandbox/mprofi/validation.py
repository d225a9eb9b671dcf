"""Reading a request the way the strict simulator does: body kind, key, documented fields.

Order, as a REST service applies it: the body must be of a kind the endpoint takes
(400), the key must be known and fit (401, or 400 ERR000 on the sending endpoints),
and every parameter must be one the spec documents (400 ERR000 "Nieznany parametr").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.sandbox.mprofi.rules import BodyKind, EndpointRules, Text
from bot.sandbox.mprofi.state import SimulatorState

__all__ = ["Fields", "Refused", "authenticate", "error", "read_fields", "refuse_unknown", "unauthorized"]

_CONTENT_TYPES: dict[BodyKind, str] = {
    "json": "application/json",
    "urlencoded": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data",
}


class Refused(Exception):
    """Stops a request with mProfi's answer."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def error(status: int, text: str, code: str | None = "ERR000") -> JSONResponse:
    """mProfi's error body: ``detail``, plus ``error_code``/``error_message`` on 400s."""
    body: dict[str, Any] = {"detail": text}
    if code and status == 400:
        body["error_code"] = code
        body["error_message"] = text
    return JSONResponse(body, status_code=status)


def unauthorized() -> Refused:
    return Refused(JSONResponse({"detail": Text.INVALID_TOKEN}, status_code=401))


@dataclass
class Fields:
    """A request's parameters from JSON, a form or the query string.

    ``names`` keeps every parameter name in arrival order (repeats included) so the
    unknown-parameter check reports the first offender.
    """

    values: dict[str, Any]
    lists: dict[str, list[Any]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name → (filename, bytes)
    names: list[str] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)
    style: str = "json"
    sender: str = ""  # the sender of the key that authenticated the call

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


def _body_kind(content_type: str) -> BodyKind | None:
    media = content_type.split(";", 1)[0].strip().lower()
    for kind, name in _CONTENT_TYPES.items():
        if media == name:
            return kind
    return None


async def read_fields(request: Request, rules: EndpointRules) -> Fields:
    """Parse the body as the endpoint allows, refusing any other content type."""
    query = dict(request.query_params)
    if "query" in rules.bodies:
        return Fields(values=query, names=list(request.query_params.keys()), query=query, style="query")
    content_type = request.headers.get("content-type", "")
    kind = _body_kind(content_type)
    if kind is None or kind not in rules.bodies:
        if not content_type and not (await request.body()).strip():
            return Fields(values={}, query=query)
        wanted = " lub ".join(_CONTENT_TYPES[k] for k in sorted(rules.bodies))
        raise Refused(error(400, Text.bad_content_type(content_type, wanted)))
    if kind == "json":
        return await _read_json(request, query)
    return await _read_form(request, query)


async def _read_json(request: Request, query: dict[str, str]) -> Fields:
    raw = await request.body()
    if not raw.strip():
        return Fields(values={}, query=query)
    try:
        data = json.loads(raw)
    except ValueError:
        raise Refused(error(400, Text.BAD_JSON)) from None
    if not isinstance(data, dict):
        raise Refused(error(400, Text.BAD_JSON))
    return Fields(values=data, names=list(data), query=query)


async def _read_form(request: Request, query: dict[str, str]) -> Fields:
    fields = Fields(values={}, query=query, style="form")
    try:
        async with request.form(max_part_size=16 * 1024 * 1024) as form:
            for key, value in form.multi_items():
                fields.names.append(key)
                if isinstance(value, UploadFile):
                    fields.files.setdefault(key, (value.filename or "", await value.read()))
                else:
                    fields.values.setdefault(key, value)
                    fields.lists.setdefault(key, []).append(value)
    except Exception:  # noqa: BLE001 - the multipart parser raises several types
        raise Refused(error(400, "Nieprawidłowe dane formularza")) from None
    return fields


def authenticate(state: SimulatorState, request: Request, fields: Fields, rules: EndpointRules) -> None:
    """Accept ``Authorization: Token <key>`` or ``apikey`` (body, form or query).

    Surveys take the header only: the spec shows no key there and the vendor's client
    sends the header; an ``apikey`` field is ignored on them.
    """
    token: str | None = None
    style = fields.style
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "token" and value.strip():
        token, style = value.strip(), "token-header"
    elif rules.token_header_only:
        raise unauthorized()
    if token is None:
        candidate = fields.get("apikey", fields.query.get("apikey"))
        token = candidate if isinstance(candidate, str) and candidate else None
        if token is not None and "apikey" not in fields.values:
            style = "query"
    if token is None:
        raise unauthorized()
    purposes = state.key_purposes(token)
    inactive = token in state.config.inactive_keys
    if not purposes and not inactive:
        raise unauthorized()
    if rules.sends:
        if inactive:
            raise Refused(error(400, Text.INACTIVE_TOKEN))
        if rules.purpose not in purposes:
            raise Refused(error(400, Text.WRONG_TOKEN_TYPE))
    elif inactive or rules.purpose not in purposes:
        raise unauthorized()
    fields.sender = state.config.sending_keys.get(token, state.config.own_number)
    state.requests.append((request.url.path, style))


def refuse_unknown(request: Request, fields: Fields, rules: EndpointRules) -> None:
    """400 ERR000 for any parameter the spec does not document for this endpoint."""
    if "query" not in rules.bodies:
        for name in request.query_params:
            if name != "apikey":
                raise Refused(error(400, Text.unknown(name)))
    seen: set[str] = set()
    for name in fields.names:
        if name not in rules.fields:
            raise Refused(error(400, Text.unknown(name)))
        if name in seen and name not in rules.repeatable:
            raise Refused(error(400, Text.repeated(name)))
        seen.add(name)
    for name in rules.files:
        if name in fields.values:
            raise Refused(error(400, Text.bad_value(name)))
    for name in fields.files:
        if name not in rules.files:
            raise Refused(error(400, Text.bad_value(name)))
