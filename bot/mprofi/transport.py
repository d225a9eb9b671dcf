"""One request to mProfi and what its answer means: the client's only HTTP code.

Keys travel as the spec says (``apikey`` in the JSON or form body, or in the query
string for GETs), plus ``Authorization: Token <key>`` where a caller asks for it.
Every failure becomes one of the errors in :mod:`bot.mprofi.errors`, chosen by what
the caller may safely do next: an answer by its HTTP status here, no answer by
whether the request left (:mod:`bot.mprofi.faults`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from bot.i18n import N_, _
from bot.mprofi.errors import (
    AuthenticationError,
    NotFoundError,
    ProtocolError,
    RetryableError,
    UncertainError,
    ValidationError,
)
from bot.mprofi.faults import CAUGHT, WriteWatch, failure
from bot.mprofi.models import lower_keys

__all__ = ["KeyPurpose", "MProfiKeys", "Transport", "FilePart", "shape_of"]

logger = logging.getLogger("bot.mprofi.client")

KeyPurpose = Literal["send", "receive", "hlr", "mms"]
FilePart = tuple[str, tuple[str | None, bytes, str | None]]

# The spec answers a key of the wrong type or an inactive key on send/ and sendbulk/
# with HTTP 400 ERR000 ("Nieprawidłowy typ tokenu", "Token jest nieaktywny"): a key
# problem for an admin, not a bad message a person could fix. Only mProfi's own JSON
# error text counts, so a proxy's page that happens to say "token" does not.
_KEY_PROBLEM = re.compile(
    r"typ tokenu|token jest nieaktywny|nieprawid\w* token|invalid token|token (?:is )?inactive",  # untranslated: a regex of mProfi's words
    re.IGNORECASE,
)

# A refused key, by what it is for: one whole sentence each (``reason`` is mProfi's own text).
_KEY_REFUSED: dict[KeyPurpose, str] = {
    "send": N_("mProfi refused the send key: {reason}."),
    "receive": N_("mProfi refused the receive key: {reason}."),
    "hlr": N_("mProfi refused the hlr key: {reason}."),
    "mms": N_("mProfi refused the mms key: {reason}."),
}


@dataclass(frozen=True)
class MProfiKeys:
    """The four per-purpose keys; any of them may be the same string.

    The repr never shows a key.
    """

    send: str
    receive: str
    hlr: str
    mms: str

    @classmethod
    def single(cls, key: str) -> MProfiKeys:
        return cls(send=key, receive=key, hlr=key, mms=key)

    def for_purpose(self, purpose: KeyPurpose) -> str:
        return str(getattr(self, purpose))

    def __repr__(self) -> str:
        return "MProfiKeys(send=***, receive=***, hlr=***, mms=***)"

    __str__ = __repr__


def shape_of(value: Any, depth: int = 0) -> str:
    """A value's shape without its content, for logs: ``{id: int, status: str}``."""
    if isinstance(value, dict):
        if depth > 1:
            return "{…}"
        # Keys that are not plain names (a number, say) are data too: only their kind is shown.
        names = [str(k)[:30] if str(k).replace("_", "").isalpha() else "<key>" for k in value]
        inner = ", ".join(f"{n}: {shape_of(v, depth + 1)}" for n, v in list(zip(names, value.values(), strict=False))[:12])
        return "{" + inner + "}"
    if isinstance(value, list):
        return f"[{len(value)} × {shape_of(value[0], depth + 1)}]" if value else "[]"
    return type(value).__name__


def _error_fields(response: httpx.Response) -> tuple[str | None, str, bool]:
    """mProfi's error code and text out of an error body, whatever its shape, and
    whether the text is mProfi's own (a JSON error field) rather than a dumped body."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text.strip()[:300], False
    if isinstance(body, dict):
        low = lower_keys(body)
        code = low.get("error_code") or low.get("code")
        text = low.get("error_message") or low.get("detail") or low.get("message") or low.get("error")
        if isinstance(text, list):
            text = "; ".join(str(t) for t in text)
        if text:
            return (str(code) if code else None), str(text)[:300], True
        return (str(code) if code else None), json.dumps(body)[:300], False
    return None, json.dumps(body)[:300], False


class Transport:
    """Sends one request with the right key and turns its answer into a result or an error."""

    def __init__(self, http: httpx.AsyncClient, keys: MProfiKeys, base_url: str) -> None:
        self._http = http
        self._keys = keys
        self.base_url = base_url.rstrip("/") + "/"

    async def request(
        self,
        method: str,
        endpoint: str,
        *,
        purpose: KeyPurpose,
        json_body: Mapping[str, Any] | None = None,
        form: Sequence[tuple[str, Any]] | None = None,
        files: Sequence[FilePart] | None = None,
        params: Mapping[str, Any] | None = None,
        token_header: bool = False,
        sends: bool = False,
        accept: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        key = self._keys.for_purpose(purpose)
        kwargs: dict[str, Any] = {}
        if token_header:
            kwargs["headers"] = {"Authorization": f"Token {key}"}
        if method == "GET":
            kwargs["params"] = {**(params or {}), "apikey": key}
        elif files is not None or form is not None:
            # mProfi's MMS and HLR endpoints take multipart/form-data even without a
            # file, so text fields travel as nameless parts too.
            parts: list[FilePart] = [(name, (None, str(value).encode(), None)) for name, value in [("apikey", key), *(form or [])]]
            kwargs["files"] = [*parts, *(files or [])]
        else:
            kwargs["json"] = {"apikey": key, **(json_body or {})}
        watch = WriteWatch()  # tells a request cut off while it was written from one that went out whole
        try:
            response = await self._http.request(method, self.base_url + endpoint, extensions={"trace": watch}, **kwargs)
        except CAUGHT as exc:
            raise failure(exc, written=watch.written, endpoint=endpoint, sends=sends) from None
        logger.debug("mprofi %s %s -> %s", method, endpoint, response.status_code)
        if response.status_code in accept:
            return response
        raise self._error(response, endpoint, purpose, sends)

    @staticmethod
    def _error(response: httpx.Response, endpoint: str, purpose: KeyPurpose, sends: bool) -> Exception:
        status = response.status_code
        code, text, own_words = _error_fields(response)
        if status == 401 or (status == 400 and own_words and _KEY_PROBLEM.search(text)):
            return AuthenticationError(
                _(_KEY_REFUSED[purpose]).format(reason=(text or _("authentication failed")).rstrip(".")),
                status_code=status,
                endpoint=endpoint,
            )
        if status == 400:
            shown = (f"{code} {text}" if code else text).rstrip(".")
            return ValidationError(_("mProfi refused the request: {reason}.").format(reason=shown), code=code, text=text, endpoint=endpoint)
        if status == 404:
            reason = (text or _("not found")).rstrip(".")
            return NotFoundError(_("mProfi does not know it: {reason}.").format(reason=reason), status_code=404, endpoint=endpoint)
        if status in (429, 503):
            try:
                retry_after: float | None = float(response.headers.get("retry-after", ""))
            except ValueError:
                retry_after = None
            return RetryableError(
                _("mProfi is busy (HTTP {status}); nothing was accepted, try again later.").format(status=status),
                retry_after=retry_after,
                status_code=status,
                endpoint=endpoint,
            )
        if status >= 500 or (sends and 200 <= status < 300):
            return UncertainError(
                _("mProfi answered HTTP {status} after receiving the request; it may have been carried out.").format(status=status),
                status_code=status,
                endpoint=endpoint,
            )
        return ProtocolError(
            _("mProfi answered with unexpected HTTP {status}.").format(status=status), status_code=status, endpoint=endpoint
        )

    @staticmethod
    def json(response: httpx.Response, endpoint: str, *, sends: bool = False) -> Any:
        try:
            return response.json()
        except ValueError:
            error = UncertainError if sends else ProtocolError
            message = _("mProfi's answer to {endpoint} is not JSON.").format(endpoint=endpoint)
            raise error(message, status_code=response.status_code, endpoint=endpoint) from None
