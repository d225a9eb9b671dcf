"""Reading mProfi's answers into typed results, never trusting their shape.

A field of the wrong type or an unexpected shape becomes a :class:`ProtocolError`
(or :class:`UncertainError` where a send may have happened), never a ``ValueError``
that would stop a poller.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import httpx

from bot.i18n import N_, _, ngettext
from bot.mprofi.errors import ProtocolError, UncertainError
from bot.mprofi.models import (
    BulkEntry,
    BulkResult,
    HlrReport,
    HlrResult,
    MProfiMessageId,
    lower_keys,
    parse_timestamp,
)
from bot.mprofi.transport import Transport, shape_of

__all__ = ["whole_number", "message_id", "bulk_result", "hlr_result", "hlr_report", "survey_fields"]

logger = logging.getLogger("bot.mprofi.client")

MAX_ID = 2**63 - 1  # what a BIGINT column holds
_NOT_READY = frozenset({"processing", "pending", "in progress", "in_progress", "queued", "waiting", "not ready"})

NumberKind = Literal["a message id", "a participant count", "a survey id"]

# What mProfi sent that is not a number, then not one it could have made: whole sentences per kind.
_NOT_A_NUMBER: dict[NumberKind, tuple[str, str]] = {
    "a message id": (
        N_("mProfi sent a message id that is not a number."),
        N_("mProfi sent a message id that is not a number it could have made."),
    ),
    "a participant count": (
        N_("mProfi sent a participant count that is not a number."),
        N_("mProfi sent a participant count that is not a number it could have made."),
    ),
    "a survey id": (
        N_("mProfi sent a survey id that is not a number."),
        N_("mProfi sent a survey id that is not a number it could have made."),
    ),
}


def whole_number(value: object, *, what: NumberKind, endpoint: str) -> int:
    """A non-negative integer that fits in 64 bits (mProfi sends ids as numbers or digit strings)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ProtocolError(_(_NOT_A_NUMBER[what][0]), endpoint=endpoint)
    text = str(value).strip()
    # Length first: int() of thousands of digits raises (and costs) before any range check.
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > MAX_ID:
        raise ProtocolError(_(_NOT_A_NUMBER[what][1]), endpoint=endpoint)
    return int(text)


def message_id(value: object, endpoint: str) -> MProfiMessageId:
    """The id of a message mProfi accepted: unreadable means the SMS may have left."""
    try:
        return MProfiMessageId(whole_number(value, what="a message id", endpoint=endpoint))
    except ProtocolError:
        shown = f"{value!r:.40}"
        raise UncertainError(_("mProfi accepted the message but its id {id} is unreadable.").format(id=shown), endpoint=endpoint) from None


def bulk_result(response: httpx.Response, recipients: Sequence[str], endpoint: str) -> BulkResult:
    """sendbulk's ``{"result": [...]}``: an entry without an id failed, keeping its code and text."""
    data = Transport.json(response, endpoint, sends=True)
    result = data.get("result") if isinstance(data, dict) else data
    if not isinstance(result, list):
        raise UncertainError(_("mProfi's answer to {endpoint} has no result list.").format(endpoint=endpoint), endpoint=endpoint)
    entries: list[BulkEntry] = []
    for index, recipient in enumerate(recipients):
        raw = result[index] if index < len(result) else None
        if isinstance(raw, dict) and raw.get("id") not in (None, ""):
            try:
                entries.append(BulkEntry(index=index, recipient=recipient, id=message_id(raw["id"], endpoint)))
                continue
            except UncertainError:
                pass
        if raw is None:
            entries.append(BulkEntry(index, recipient, None, None, _("mProfi returned no result for this message")))
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


def _text(value: object) -> str:
    return "" if value is None else str(value)


def hlr_result(data: Mapping[str, Any]) -> HlrResult:
    """One number check; the spec capitalises some keys (``Hlr_mccmnc``) and writes ``Hlr_check_data``."""
    low = lower_keys(dict(data))
    valid = low.get("valid")
    if isinstance(valid, str):
        valid = valid.strip().lower() in ("true", "1", "yes", "t")
    return HlrResult(
        msisdn=_text(low.get("msisdn")),
        valid=bool(valid),
        status_code=_text(low.get("hlr_status_code")),  # 0 is a code, not a missing one
        message_id=_text(low.get("hlr_message_id")),
        mccmnc=_text(low.get("hlr_mccmnc")),
        provider=_text(low.get("spn")),
        checked_at=parse_timestamp(low.get("hlr_check_date") or low.get("hlr_check_data")),
    )


def _unexpected(response: httpx.Response, endpoint: str, shape: str, shown: str | None = None) -> ProtocolError:
    # Its shape helps whoever reads the log; its content (numbers) stays out. ``shown`` is
    # what people read when ``shape`` is itself a sentence.
    logger.warning(
        "mProfi answered %s with something unexpected: HTTP %s, %s, shape %s",
        endpoint,
        response.status_code,
        response.headers.get("content-type", "no content type"),
        shape,
    )
    if shown is None:
        shown = _("mProfi answered something unexpected to {endpoint} ({shape}).").format(endpoint=endpoint, shape=shape)
    return ProtocolError(shown, endpoint=endpoint)


def hlr_report(response: httpx.Response, upload_id: str) -> HlrReport:
    """hlr/download/: HTTP 202 or a ``status`` that says it is still being made → not ready;
    a JSON list (or ``{"result": [...]}``) or a CSV with a header naming ``msisdn`` → ready;
    anything else is reported, not taken for "not ready" until the time limit."""
    endpoint = "hlr/download/"
    if response.status_code == 202:
        return HlrReport(upload_id=upload_id, ready=False)
    content_type = response.headers.get("content-type", "")
    if "json" in content_type:
        data = Transport.json(response, endpoint)
        if isinstance(data, dict):
            low = lower_keys(data)
            if isinstance(low.get("result"), list):
                data = low["result"]
            elif str(low.get("status", "")).strip().lower() in _NOT_READY:
                return HlrReport(upload_id=upload_id, ready=False)
            else:
                raise _unexpected(response, endpoint, shape_of(data))
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise _unexpected(response, endpoint, shape_of(data))
        return HlrReport(upload_id=upload_id, ready=True, rows=tuple(hlr_result(i) for i in data), raw=response.content)
    text = response.content.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    header = [str(name).strip().lower() for name in reader.fieldnames or []]
    if "msisdn" not in header:
        lines = len(text.splitlines())
        shown = ngettext(
            "mProfi answered something unexpected to {endpoint} (text with {n} line and no msisdn column).",
            "mProfi answered something unexpected to {endpoint} (text with {n} lines and no msisdn column).",
            lines,
        ).format(endpoint=endpoint, n=lines)
        raise _unexpected(response, endpoint, f"text with {lines} lines and no msisdn column", shown)  # untranslated: the log's shape
    return HlrReport(upload_id=upload_id, ready=True, rows=tuple(hlr_result(row) for row in reader), raw=response.content)


def survey_fields(data: dict[str, Any], endpoint: str) -> dict[str, Any]:
    return {
        "id": whole_number(data.get("id"), what="a survey id", endpoint=endpoint),
        "name": str(data.get("name") or ""),
        "active": data.get("active") is True or str(data.get("active")).lower() == "true",
        "created_at": parse_timestamp(data.get("created_at")),
        "start": parse_timestamp(data.get("start")),
        "end": parse_timestamp(data.get("end")),
    }
