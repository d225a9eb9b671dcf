"""The mProfi HTTP API client: one async method per endpoint of the spec.

One :class:`MProfiClient` wraps one shared ``httpx.AsyncClient`` (passed in, so the
application owns its life and tests can give it any transport). Requests are built
exactly as the vendor's specification writes them; :mod:`bot.mprofi.transport` sends
them and :mod:`bot.mprofi.reading` reads the answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date as date_type
from datetime import datetime
from typing import Any

import httpx

from bot.i18n import _
from bot.mprofi.errors import ProtocolError, UncertainError
from bot.mprofi.models import (
    WARSAW,
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
from bot.mprofi.reading import bulk_result, hlr_report, hlr_result, message_id, survey_fields, whole_number
from bot.mprofi.redact import install_httpx_redaction
from bot.mprofi.transport import FilePart, MProfiKeys, Transport

__all__ = ["MProfiClient", "MProfiKeys", "MmsFile", "DEFAULT_BASE_URL", "build_http_client"]

DEFAULT_BASE_URL = "https://api.mprofi.pl/1.0/"


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


def _entry(m: OutgoingSms, *, with_date: bool = True) -> dict[str, Any]:
    """One ``messages`` entry: only the keys the spec lists, only when they carry something."""
    item: dict[str, Any] = {"recipient": _wire_number(m.recipient), "message": m.message}
    if m.reference is not None:
        item["reference"] = m.reference
    if with_date and m.date is not None:
        item["date"] = _wire_date(m.date)
    if m.encoding:
        item["encoding"] = m.encoding
    return item


class MProfiClient:
    """Async client for every endpoint of the mProfi HTTP API 1.0.

    Parameters:
        http: the shared ``httpx.AsyncClient`` (its timeouts apply).
        keys: the per-purpose API keys.
        base_url: the API root, ``https://api.mprofi.pl/1.0/`` in production.
    """

    def __init__(self, http: httpx.AsyncClient, keys: MProfiKeys, base_url: str = DEFAULT_BASE_URL) -> None:
        self._transport = Transport(http, keys, base_url)
        self._request = self._transport.request
        self._json = Transport.json
        install_httpx_redaction()

    def __repr__(self) -> str:
        return f"MProfiClient(base_url={self._transport.base_url!r})"

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
        body = _entry(OutgoingSms(recipient, message, reference=reference, date=date, encoding=encoding))
        response = await self._request("POST", "send/", purpose="send", json_body=body, sends=True)
        data = self._json(response, "send/", sends=True)
        if not isinstance(data, dict) or "id" not in data:
            raise UncertainError(_("mProfi accepted the message but sent no id."), endpoint="send/")
        return SendResult(id=message_id(data["id"], "send/"))

    async def send_bulk(self, messages: Sequence[OutgoingSms]) -> BulkResult:
        """``sendbulk/`` with the ``messages`` form: per-message reference, date, encoding."""
        items = [_entry(m) for m in messages]
        response = await self._request("POST", "sendbulk/", purpose="send", json_body={"messages": items}, sends=True)
        return bulk_result(response, [m.recipient for m in messages], "sendbulk/")

    async def send_bulk_default(
        self,
        message: str,
        recipients: Sequence[str],
        *,
        encoding: str | None = None,
        date: datetime | int | str | None = None,
    ) -> BulkResult:
        """One text to many numbers in one ``sendbulk/`` call.

        The spec's broadcast form (``default_message`` + ``recipients``) carries no
        ``date`` or ``encoding``: a scheduled or Unicode text goes as ``messages``
        entries instead, or mProfi would send it at once and without Polish letters.
        """
        if encoding or date is not None:
            return await self.send_bulk([OutgoingSms(r, message, date=date, encoding=encoding) for r in recipients])
        body: dict[str, Any] = {"default_message": message, "recipients": [_wire_number(r) for r in recipients]}
        response = await self._request("POST", "sendbulk/", purpose="send", json_body=body, sends=True)
        return bulk_result(response, list(recipients), "sendbulk/")

    @staticmethod
    def _file_part(file: MmsFile | None) -> list[FilePart]:
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
        entry = _entry(OutgoingSms(recipient, message, reference=reference, encoding=encoding), with_date=False)
        response = await self._request("POST", "sendmms/", purpose="mms", form=list(entry.items()), files=self._file_part(file), sends=True)
        data = self._json(response, "sendmms/", sends=True)
        if not isinstance(data, dict) or "id" not in data:
            raise UncertainError(_("mProfi accepted the MMS but sent no id."), endpoint="sendmms/")
        return SendResult(id=message_id(data["id"], "sendmms/"))

    async def send_bulk_mms(
        self,
        *,
        recipients: Sequence[str] = (),
        default_message: str = "",
        messages: Sequence[OutgoingSms] = (),
        file: MmsFile | None = None,
    ) -> BulkResult:
        """``sendbulkmms/``: ``default_message`` + repeated ``recipients`` fields, or
        ``messages`` (sent as one JSON-encoded form field; MMS entries have no date)."""
        form: list[tuple[str, Any]] = []
        if messages:
            items = [_entry(m, with_date=False) for m in messages]
            form.append(("messages", json.dumps(items, ensure_ascii=False)))
            order = [m.recipient for m in messages]
        else:
            form.append(("default_message", default_message))
            form.extend(("recipients", _wire_number(r)) for r in recipients)
            order = list(recipients)
        response = await self._request("POST", "sendbulkmms/", purpose="mms", form=form, files=self._file_part(file), sends=True)
        return bulk_result(response, order, "sendbulkmms/")

    # ---- statuses and inbound ----------------------------------------------------

    async def get_status(self, message_id: int) -> MessageStatus:
        """``status/``: the delivery state of one message (404 → :class:`NotFoundError`)."""
        response = await self._request("GET", "status/", purpose="send", params={"id": message_id})
        data = self._json(response, "status/")
        if isinstance(data, dict) and isinstance(data.get("result"), list) and data["result"]:
            data = data["result"][0]
        if not isinstance(data, dict):
            raise ProtocolError(_("mProfi's status answer is not an object."), endpoint="status/")
        raw_status = data.get("status")
        reference = data.get("reference")
        raw_id = data.get("id")
        return MessageStatus(
            id=MProfiMessageId(whole_number(raw_id, what="a message id", endpoint="status/") if raw_id not in (None, "") else message_id),
            status=DeliveryStatus.parse(raw_status),
            reference=str(reference) if reference not in (None, "") else None,
            ts=parse_timestamp(data.get("ts")),
            raw_status=str(raw_status or "")[:40],
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
            raise ProtocolError(_("mProfi's answer to {endpoint} is not a list.").format(endpoint=endpoint), endpoint=endpoint)
        out = []
        for item in data:
            if not isinstance(item, dict):
                continue
            raw_id = item.get("id")  # not in the spec; a vendor client reads one when present
            out.append(
                IncomingMessage(
                    message=str(item.get("message") or ""),
                    sender=str(item.get("sender") or ""),
                    recipient=str(item.get("recipient") or ""),
                    ts=parse_timestamp(item.get("ts")),
                    id=int(raw_id) if isinstance(raw_id, (int, str)) and str(raw_id).isdigit() and len(str(raw_id)) < 19 else None,
                )
            )
        return out

    # ---- surveys -----------------------------------------------------------------
    # The spec shows no key for survey calls; the vendor's own client sends the header
    # ``Authorization: Token <key>``. Both it and ``apikey`` go with every survey call.

    async def _survey_call(self, method: str, endpoint: str, **kwargs: Any) -> httpx.Response:
        return await self._request(method, endpoint, purpose="send", token_header=True, **kwargs)

    async def list_surveys(self) -> list[Survey]:
        """``GET surveys/``."""
        data = self._json(await self._survey_call("GET", "surveys/"), "surveys/")
        if not isinstance(data, list):
            raise ProtocolError(_("mProfi's survey list is not a list."), endpoint="surveys/")
        return [Survey(**survey_fields(item, "surveys/")) for item in data if isinstance(item, dict)]

    async def get_survey(self, survey_id: int) -> SurveyDetail:
        """``GET surveys/<id>/`` (404 → :class:`NotFoundError`)."""
        endpoint = f"surveys/{int(survey_id)}/"
        data = self._json(await self._survey_call("GET", endpoint), endpoint)
        if not isinstance(data, dict):
            raise ProtocolError(_("mProfi's survey answer is not an object."), endpoint=endpoint)
        participants = data.get("participants")
        return SurveyDetail(
            **survey_fields(data, endpoint),
            msisdn=str(data.get("msisdn") or ""),
            participants=whole_number(participants, what="a participant count", endpoint=endpoint) if participants not in (None, "") else 0,
        )

    async def start_survey(self, survey_id: int, msisdn: str) -> None:
        """``POST surveys/<id>/start/`` for one number (``48XXXXXXXXX``)."""
        endpoint = f"surveys/{int(survey_id)}/start/"
        await self._survey_call("POST", endpoint, json_body={"msisdn": _wire_number(msisdn)}, sends=True)

    async def get_survey_report(self, survey_id: int) -> list[SurveyReportEntry]:
        """``GET surveys/<id>/report/``: one entry per respondent."""
        endpoint = f"surveys/{int(survey_id)}/report/"
        data = self._json(await self._survey_call("GET", endpoint), endpoint)
        if not isinstance(data, list):
            raise ProtocolError(_("mProfi's survey report is not a list."), endpoint=endpoint)
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

    async def hlr_single(self, msisdn: str) -> HlrResult:
        """``hlr/single/``: check one number (``48XXXXXXXXX``)."""
        response = await self._request("POST", "hlr/single/", purpose="hlr", json_body={"msisdn": _wire_number(msisdn)})
        data = self._json(response, "hlr/single/")
        if not isinstance(data, dict):
            raise ProtocolError(_("mProfi's HLR answer is not an object."), endpoint="hlr/single/")
        return hlr_result(data)

    async def hlr_bulk(self, numbers: Iterable[str] | bytes) -> HlrUpload:
        """``hlr/bulk/``: upload a CSV of ``48XXXXXXXXX`` numbers, one per line."""
        content = numbers if isinstance(numbers, bytes) else "".join(f"{_wire_number(n)}\n" for n in numbers).encode()
        response = await self._request("POST", "hlr/bulk/", purpose="hlr", form=[], files=[("file", ("numbers.csv", content, "text/csv"))])
        data = self._json(response, "hlr/bulk/")
        upload_id = lower_keys(data).get("upload_id") if isinstance(data, dict) else None
        if upload_id in (None, "") or not isinstance(upload_id, (str, int)):
            raise ProtocolError(_("mProfi's HLR upload answer has no upload_id."), endpoint="hlr/bulk/")
        return HlrUpload(upload_id=str(upload_id))

    async def hlr_download(self, upload_id: str) -> HlrReport:
        """``hlr/download/`` (multipart, as the spec says): the bulk report, or
        ``ready=False`` while mProfi still makes it (see :func:`bot.mprofi.reading.hlr_report`)."""
        response = await self._request("POST", "hlr/download/", purpose="hlr", form=[("upload_id", upload_id)], accept=(200, 202))
        return hlr_report(response, upload_id)
