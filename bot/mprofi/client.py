"""The mProfi HTTP API client: the only place that speaks HTTP to mProfi.

One :class:`MProfiClient` wraps one shared ``httpx.AsyncClient`` (passed in, so the
application owns its life and tests can give it any transport). Keys travel as the
spec says: ``apikey`` in the JSON or form body, or in the query string for GETs.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date as date_type
from datetime import datetime
from typing import Any, Literal

import httpx

from bot.mprofi.errors import (
    AuthenticationError,
    NotFoundError,
    ProtocolError,
    RetryableError,
    UncertainError,
    ValidationError,
)
from bot.mprofi.models import (
    WARSAW,
    BulkEntry,
    BulkResult,
    DeliveryStatus,
    HlrReport,
    HlrResult,
    HlrUpload,
    IncomingMessage,
    MessageStatus,
    MProfiMessageId,
    OutgoingSms,
    SendResult,
    Survey,
    SurveyDetail,
    SurveyReportEntry,
    lower_keys,
    parse_timestamp,
)
from bot.mprofi.redact import install_httpx_redaction

__all__ = ["MProfiClient", "MProfiKeys", "MmsFile", "DEFAULT_BASE_URL", "build_http_client"]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.mprofi.pl/1.0/"
KeyPurpose = Literal["send", "receive", "hlr", "mms"]


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


@dataclass(frozen=True)
class MmsFile:
    """A file to send as MMS: name (its extension decides the type), bytes and type."""

    name: str
    content: bytes
    content_type: str = "application/octet-stream"

    def __repr__(self) -> str:
        return f"MmsFile(name={self.name!r}, size={len(self.content)}, content_type={self.content_type!r})"


def build_http_client(*, timeout: float = 60.0, connect_timeout: float = 10.0) -> httpx.AsyncClient:
    """The shared HTTP client for mProfi: 60 s read timeout, as the vendor's clients use."""
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=connect_timeout))


def _wire_number(number: str) -> str:
    return number.strip().removeprefix("+")


def _wire_date(value: datetime | date_type | int | float | str | None) -> str | int | float | None:
    if value is None or isinstance(value, (int, float, str)):
        return value
    return value.isoformat()


def _error_fields(response: httpx.Response) -> tuple[str | None, str]:
    """Pull mProfi's error code and text out of an error body, whatever its shape."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text.strip()[:300]
    if isinstance(body, dict):
        low = lower_keys(body)
        code = low.get("error_code") or low.get("code")
        text = low.get("error_message") or low.get("detail") or low.get("message") or low.get("error")
        if isinstance(text, list):
            text = "; ".join(str(t) for t in text)
        return (str(code) if code else None), (str(text) if text else json.dumps(body)[:300])
    return None, json.dumps(body)[:300]


class MProfiClient:
    """Async client for every endpoint of the mProfi HTTP API 1.0.

    Parameters:
        http: the shared ``httpx.AsyncClient`` (its timeouts apply).
        keys: the per-purpose API keys.
        base_url: the API root, ``https://api.mprofi.pl/1.0/`` in production.
    """

    def __init__(self, http: httpx.AsyncClient, keys: MProfiKeys, base_url: str = DEFAULT_BASE_URL) -> None:
        self._http = http
        self._keys = keys
        self._base_url = base_url.rstrip("/") + "/"
        install_httpx_redaction()

    def __repr__(self) -> str:
        return f"MProfiClient(base_url={self._base_url!r})"

    # ---- transport ---------------------------------------------------------------

    async def _request(
        self,
        method: str,
        endpoint: str,
        *,
        purpose: KeyPurpose,
        json_body: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        files: Sequence[tuple[str, tuple[str | None, bytes, str | None]]] | None = None,
        params: Mapping[str, Any] | None = None,
        sends: bool = False,
        accept: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        key = self._keys.for_purpose(purpose)
        url = self._base_url + endpoint
        kwargs: dict[str, Any] = {}
        if method == "GET":
            kwargs["params"] = {**(params or {}), "apikey": key}
        elif files is not None or form is not None:
            # mProfi's MMS and HLR upload endpoints take multipart/form-data even
            # without a file, so text fields travel as nameless parts too.
            pairs = list(form.items()) if isinstance(form, Mapping) else list(form or [])
            parts: list[tuple[str, tuple[str | None, bytes, str | None]]] = [
                (name, (None, str(value).encode(), None)) for name, value in [("apikey", key), *pairs]
            ]
            kwargs["files"] = [*parts, *(files or [])]
        else:
            kwargs["json"] = {"apikey": key, **(json_body or {})}
        try:
            response = await self._http.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise RetryableError(
                f"Could not connect to mProfi ({type(exc).__name__}); nothing was sent.",
                endpoint=endpoint,
            ) from None
        except httpx.TimeoutException as exc:
            raise UncertainError(
                f"mProfi did not answer in time ({type(exc).__name__}); the request may have been carried out.",
                endpoint=endpoint,
            ) from None
        except httpx.TransportError as exc:
            raise UncertainError(
                f"The connection to mProfi broke ({type(exc).__name__}); the request may have been carried out.",
                endpoint=endpoint,
            ) from None
        logger.debug("mprofi %s %s -> %s", method, endpoint, response.status_code)
        status = response.status_code
        if status in accept:
            return response
        code, text = _error_fields(response)
        if status == 401:
            raise AuthenticationError(
                f"mProfi refused the {purpose} key: {(text or 'authentication failed').rstrip('.')}.",
                status_code=status,
                endpoint=endpoint,
            )
        if status == 400:
            shown = (f"{code} {text}" if code else text).rstrip(".")
            raise ValidationError(f"mProfi refused the request: {shown}.", code=code, text=text, endpoint=endpoint)
        if status == 404:
            raise NotFoundError(f"mProfi does not know it: {(text or 'not found').rstrip('.')}.", status_code=404, endpoint=endpoint)
        if status in (429, 503):
            retry_after: float | None = None
            try:
                retry_after = float(response.headers.get("retry-after", ""))
            except ValueError:
                retry_after = None
            raise RetryableError(
                f"mProfi is busy (HTTP {status}); nothing was accepted, try again later.",
                retry_after=retry_after,
                status_code=status,
                endpoint=endpoint,
            )
        if status >= 500 or (sends and 200 <= status < 300):
            raise UncertainError(
                f"mProfi answered HTTP {status} after receiving the request; it may have been carried out.",
                status_code=status,
                endpoint=endpoint,
            )
        raise ProtocolError(f"mProfi answered with unexpected HTTP {status}.", status_code=status, endpoint=endpoint)

    @staticmethod
    def _json(response: httpx.Response, endpoint: str, *, sends: bool = False) -> Any:
        try:
            return response.json()
        except ValueError:
            error = UncertainError if sends else ProtocolError
            raise error(f"mProfi's answer to {endpoint} is not JSON.", status_code=response.status_code, endpoint=endpoint) from None

    @staticmethod
    def _message_id(value: object, endpoint: str) -> MProfiMessageId:
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
            raise UncertainError(f"mProfi accepted the message but its id {value!r} is unreadable.", endpoint=endpoint)
        return MProfiMessageId(int(value))

    # ---- sending -----------------------------------------------------------------

    async def send_sms(
        self,
        recipient: str,
        message: str,
        *,
        reference: str | None = None,
        date: datetime | int | str | None = None,
        encoding: str | None = None,
    ) -> SendResult:
        """``send/``: one SMS. ``recipient`` may be E.164 or mProfi digits."""
        body: dict[str, Any] = {"recipient": _wire_number(recipient), "message": message}
        if reference is not None:
            body["reference"] = reference
        if date is not None:
            body["date"] = _wire_date(date)
        if encoding:
            body["encoding"] = encoding
        response = await self._request("POST", "send/", purpose="send", json_body=body, sends=True)
        data = self._json(response, "send/", sends=True)
        if not isinstance(data, dict) or "id" not in data:
            raise UncertainError("mProfi accepted the message but sent no id.", endpoint="send/")
        return SendResult(id=self._message_id(data["id"], "send/"))

    async def send_bulk(self, messages: Sequence[OutgoingSms]) -> BulkResult:
        """``sendbulk/`` with the ``messages`` form: per-message reference, date, encoding."""
        items = []
        for m in messages:
            item: dict[str, Any] = {"recipient": _wire_number(m.recipient), "message": m.message}
            if m.reference is not None:
                item["reference"] = m.reference
            if m.date is not None:
                item["date"] = _wire_date(m.date)
            if m.encoding:
                item["encoding"] = m.encoding
            items.append(item)
        response = await self._request("POST", "sendbulk/", purpose="send", json_body={"messages": items}, sends=True)
        return self._bulk_result(response, [m.recipient for m in messages], "sendbulk/")

    async def send_bulk_default(
        self,
        message: str,
        recipients: Sequence[str],
        *,
        encoding: str | None = None,
        date: datetime | int | str | None = None,
    ) -> BulkResult:
        """``sendbulk/`` with ``default_message`` + ``recipients``: one text to many.

        mProfi documents no per-message fields for this form; ``encoding`` and
        ``date`` are passed at the top level when given.
        """
        body: dict[str, Any] = {
            "default_message": message,
            "recipients": [_wire_number(r) for r in recipients],
        }
        if encoding:
            body["encoding"] = encoding
        if date is not None:
            body["date"] = _wire_date(date)
        response = await self._request("POST", "sendbulk/", purpose="send", json_body=body, sends=True)
        return self._bulk_result(response, list(recipients), "sendbulk/")

    def _bulk_result(self, response: httpx.Response, recipients: Sequence[str], endpoint: str) -> BulkResult:
        data = self._json(response, endpoint, sends=True)
        result = data.get("result") if isinstance(data, dict) else data
        if not isinstance(result, list):
            raise UncertainError(f"mProfi's answer to {endpoint} has no result list.", endpoint=endpoint)
        entries: list[BulkEntry] = []
        for index, recipient in enumerate(recipients):
            raw = result[index] if index < len(result) else None
            if isinstance(raw, dict) and raw.get("id") not in (None, ""):
                try:
                    msg_id: MProfiMessageId | None = self._message_id(raw["id"], endpoint)
                except UncertainError:
                    msg_id = None
                if msg_id is not None:
                    entries.append(BulkEntry(index=index, recipient=recipient, id=msg_id))
                    continue
            if raw is None:
                entries.append(
                    BulkEntry(index, recipient, None, None, "mProfi returned no result for this message")
                )
                continue
            low = lower_keys(raw) if isinstance(raw, dict) else {"error_message": raw}
            code = low.get("error_code") or low.get("code")
            text = low.get("error_message") or low.get("detail") or low.get("message") or low.get("error")
            entries.append(
                BulkEntry(
                    index=index,
                    recipient=recipient,
                    id=None,
                    error_code=str(code) if code else None,
                    error_text=str(text) if text else json.dumps(raw)[:200],
                )
            )
        return BulkResult(entries=tuple(entries))

    @staticmethod
    def _file_part(file: MmsFile | None) -> list[tuple[str, tuple[str | None, bytes, str | None]]]:
        return [("file", (file.name, file.content, file.content_type))] if file else []

    async def send_mms(
        self,
        recipient: str,
        message: str = "",
        *,
        file: MmsFile | None = None,
        reference: str | None = None,
        encoding: str | None = None,
    ) -> SendResult:
        """``sendmms/``: one MMS (multipart), text of 0–918 characters and an optional file."""
        form: list[tuple[str, Any]] = [("recipient", _wire_number(recipient)), ("message", message)]
        if reference is not None:
            form.append(("reference", reference))
        if encoding:
            form.append(("encoding", encoding))
        response = await self._request(
            "POST", "sendmms/", purpose="mms", form=form, files=self._file_part(file), sends=True
        )
        data = self._json(response, "sendmms/", sends=True)
        if not isinstance(data, dict) or "id" not in data:
            raise UncertainError("mProfi accepted the MMS but sent no id.", endpoint="sendmms/")
        return SendResult(id=self._message_id(data["id"], "sendmms/"))

    async def send_bulk_mms(
        self,
        *,
        recipients: Sequence[str] = (),
        default_message: str = "",
        messages: Sequence[OutgoingSms] = (),
        file: MmsFile | None = None,
    ) -> BulkResult:
        """``sendbulkmms/``: ``default_message`` + repeated ``recipients`` fields, or
        ``messages`` (sent as one JSON-encoded form field), with an optional file."""
        form: list[tuple[str, Any]] = []
        if messages:
            items = [
                {k: v for k, v in {
                    "recipient": _wire_number(m.recipient),
                    "message": m.message,
                    "reference": m.reference,
                    "encoding": m.encoding,
                }.items() if v is not None}
                for m in messages
            ]
            form.append(("messages", json.dumps(items, ensure_ascii=False)))
            order = [m.recipient for m in messages]
        else:
            form.append(("default_message", default_message))
            form.extend(("recipients", _wire_number(r)) for r in recipients)
            order = list(recipients)
        response = await self._request(
            "POST", "sendbulkmms/", purpose="mms", form=form, files=self._file_part(file), sends=True
        )
        return self._bulk_result(response, order, "sendbulkmms/")

    # ---- statuses and inbound ----------------------------------------------------

    async def get_status(self, message_id: int) -> MessageStatus:
        """``status/``: the delivery state of one message (404 → :class:`NotFoundError`)."""
        response = await self._request("GET", "status/", purpose="send", params={"id": message_id})
        data = self._json(response, "status/")
        if isinstance(data, dict) and isinstance(data.get("result"), list) and data["result"]:
            data = data["result"][0]
        if not isinstance(data, dict):
            raise ProtocolError("mProfi's status answer is not an object.", endpoint="status/")
        raw_status = data.get("status")
        reference = data.get("reference")
        return MessageStatus(
            id=MProfiMessageId(int(data.get("id") or message_id)),
            status=DeliveryStatus.parse(raw_status),
            reference=str(reference) if reference not in (None, "") else None,
            ts=parse_timestamp(data.get("ts")),
            raw_status=str(raw_status or ""),
        )

    async def get_incoming(self, date_from: datetime | str, date_to: datetime | str) -> list[IncomingMessage]:
        """``getincoming/``: messages received in a time range (Polish local time)."""
        return await self._incoming("getincoming/", date_from, date_to)

    async def get_incoming_mobileapp(self, date_from: datetime | str, date_to: datetime | str) -> list[IncomingMessage]:
        """``getincoming_mobileapp/``: messages sent from the mProfi mobile app."""
        return await self._incoming("getincoming_mobileapp/", date_from, date_to)

    async def _incoming(self, endpoint: str, date_from: datetime | str, date_to: datetime | str) -> list[IncomingMessage]:
        def fmt(value: datetime | str) -> str:
            # mProfi reads these in Polish local time.
            if isinstance(value, datetime):
                return (value.astimezone(WARSAW) if value.tzinfo else value).strftime("%Y-%m-%d %H:%M:%S")
            return value

        response = await self._request(
            "POST", endpoint, purpose="receive", json_body={"date_from": fmt(date_from), "date_to": fmt(date_to)}
        )
        data = self._json(response, endpoint)
        if isinstance(data, dict) and isinstance(data.get("result"), list):
            data = data["result"]
        if not isinstance(data, list):
            raise ProtocolError(f"mProfi's answer to {endpoint} is not a list.", endpoint=endpoint)
        out = []
        for item in data:
            if not isinstance(item, dict):
                continue
            raw_id = item.get("id")
            out.append(
                IncomingMessage(
                    message=str(item.get("message") or ""),
                    sender=str(item.get("sender") or ""),
                    recipient=str(item.get("recipient") or ""),
                    ts=parse_timestamp(item.get("ts")),
                    id=int(raw_id) if isinstance(raw_id, (int, str)) and str(raw_id).isdigit() else None,
                )
            )
        return out

    # ---- surveys -----------------------------------------------------------------

    @staticmethod
    def _survey_fields(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": int(data.get("id") or 0),
            "name": str(data.get("name") or ""),
            "active": bool(data.get("active")),
            "created_at": parse_timestamp(data.get("created_at")),
            "start": parse_timestamp(data.get("start")),
            "end": parse_timestamp(data.get("end")),
        }

    async def list_surveys(self) -> list[Survey]:
        """``GET surveys/``."""
        data = self._json(await self._request("GET", "surveys/", purpose="send"), "surveys/")
        if not isinstance(data, list):
            raise ProtocolError("mProfi's survey list is not a list.", endpoint="surveys/")
        return [Survey(**self._survey_fields(item)) for item in data if isinstance(item, dict)]

    async def get_survey(self, survey_id: int) -> SurveyDetail:
        """``GET surveys/<id>/`` (404 → :class:`NotFoundError`)."""
        endpoint = f"surveys/{int(survey_id)}/"
        data = self._json(await self._request("GET", endpoint, purpose="send"), endpoint)
        if not isinstance(data, dict):
            raise ProtocolError("mProfi's survey answer is not an object.", endpoint=endpoint)
        participants = data.get("participants")
        return SurveyDetail(
            **self._survey_fields(data),
            msisdn=str(data.get("msisdn") or ""),
            participants=int(participants) if isinstance(participants, (int, str)) and str(participants).isdigit() else 0,
        )

    async def start_survey(self, survey_id: int, msisdn: str) -> None:
        """``POST surveys/<id>/start/`` for one number (``48XXXXXXXXX``)."""
        endpoint = f"surveys/{int(survey_id)}/start/"
        await self._request("POST", endpoint, purpose="send", json_body={"msisdn": _wire_number(msisdn)}, sends=True)

    async def get_survey_report(self, survey_id: int) -> list[SurveyReportEntry]:
        """``GET surveys/<id>/report/``: one entry per respondent."""
        endpoint = f"surveys/{int(survey_id)}/report/"
        data = self._json(await self._request("GET", endpoint, purpose="send"), endpoint)
        if not isinstance(data, list):
            raise ProtocolError("mProfi's survey report is not a list.", endpoint=endpoint)
        return [
            SurveyReportEntry(
                msisdn=str(item.get("msisdn") or ""),
                answers=tuple(str(a) for a in (item.get("answers") or []) if a is not None),
                finished=parse_timestamp(item.get("finished")),
            )
            for item in data
            if isinstance(item, dict)
        ]

    # ---- HLR -----------------------------------------------------------------------

    @staticmethod
    def _hlr_result(data: Mapping[str, Any]) -> HlrResult:
        low = lower_keys(dict(data))
        valid = low.get("valid")
        if isinstance(valid, str):
            valid = valid.strip().lower() in ("true", "1", "yes", "t")
        return HlrResult(
            msisdn=str(low.get("msisdn") or ""),
            valid=bool(valid),
            status_code=str(low.get("hlr_status_code") or ""),
            message_id=str(low.get("hlr_message_id") or ""),
            mccmnc=str(low.get("hlr_mccmnc") or ""),
            provider=str(low.get("spn") or ""),
            checked_at=parse_timestamp(low.get("hlr_check_date") or low.get("hlr_check_data")),
        )

    async def hlr_single(self, msisdn: str) -> HlrResult:
        """``hlr/single/``: check one number (``48XXXXXXXXX``)."""
        response = await self._request(
            "POST", "hlr/single/", purpose="hlr", json_body={"msisdn": _wire_number(msisdn)}
        )
        data = self._json(response, "hlr/single/")
        if not isinstance(data, dict):
            raise ProtocolError("mProfi's HLR answer is not an object.", endpoint="hlr/single/")
        return self._hlr_result(data)

    async def hlr_bulk(self, numbers: Iterable[str] | bytes) -> HlrUpload:
        """``hlr/bulk/``: upload a CSV of ``48XXXXXXXXX`` numbers, one per line."""
        content = numbers if isinstance(numbers, bytes) else "".join(f"{_wire_number(n)}\n" for n in numbers).encode()
        response = await self._request(
            "POST", "hlr/bulk/", purpose="hlr", form=[], files=[("file", ("numbers.csv", content, "text/csv"))]
        )
        data = self._json(response, "hlr/bulk/")
        upload_id = lower_keys(data).get("upload_id") if isinstance(data, dict) else None
        if upload_id in (None, ""):
            raise ProtocolError("mProfi's HLR upload answer has no upload_id.", endpoint="hlr/bulk/")
        return HlrUpload(upload_id=str(upload_id))

    async def hlr_download(self, upload_id: str) -> HlrReport:
        """``hlr/download/``: the bulk report, or ``ready=False`` while it is being made.

        The spec does not say how "not ready" looks; this client reads HTTP 202, or a
        200 JSON object with a ``status`` other than done, as not ready. A ready
        report is CSV (with a header row) or a JSON list of HLR results.
        """
        response = await self._request(
            "POST", "hlr/download/", purpose="hlr", json_body={"upload_id": upload_id}, accept=(200, 202)
        )
        if response.status_code == 202:
            return HlrReport(upload_id=upload_id, ready=False)
        content_type = response.headers.get("content-type", "")
        if "json" in content_type:
            data = self._json(response, "hlr/download/")
            if isinstance(data, dict):
                low = lower_keys(data)
                if isinstance(low.get("result"), list):
                    data = low["result"]
                else:
                    return HlrReport(upload_id=upload_id, ready=False)
            if not isinstance(data, list):
                raise ProtocolError("mProfi's HLR report is not a list.", endpoint="hlr/download/")
            rows = tuple(self._hlr_result(item) for item in data if isinstance(item, dict))
            return HlrReport(upload_id=upload_id, ready=True, rows=rows, raw=response.content)
        text = response.content.decode("utf-8-sig", errors="replace")
        reader = csv.DictReader(io.StringIO(text))
        rows = tuple(self._hlr_result(row) for row in reader)
        return HlrReport(upload_id=upload_id, ready=True, rows=rows, raw=response.content)

