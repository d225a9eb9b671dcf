"""Calls the simulator makes to the customer: inbound messages, PUSH statuses, surveys.

The Message Webhook API says mProfi tries three times, ten minutes apart, when the
receiver does not answer 2xx; the simulator does the same with a configurable
interval so tests can watch the retries in milliseconds. PUSH statuses are sent
once: the spec documents no retry for them, so a lost push stays lost.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC
from typing import Any, Protocol

import httpx

from bot.sandbox.mprofi.records import DeliveryAttempt, SimIncoming, SimSurvey, SimulatorConfig
from bot.sandbox.mprofi.rules import now


class SimulatorState(Protocol):
    """What the outgoing calls need of the simulator's state (which calls them)."""

    config: SimulatorConfig
    push_attempts: list[tuple[dict[str, Any], DeliveryAttempt]]
    survey_notifications: list[tuple[dict[str, Any], DeliveryAttempt]]

    async def http(self) -> Any: ...


__all__ = ["PUSH_KEYS", "deliver_inbound", "inbound_request", "notify_survey_answer", "phone_3cx", "push_status"]

PUSH_KEYS = ("id", "status", "ts", "reference")
_INTERNATIONAL = re.compile(r"\+?[0-9]{11,15}")
_POLISH = re.compile(r"[0-9]{9}")


def phone_3cx(party: str) -> str:
    """3CX wants ``+48…`` for phone numbers; short codes and names go as given."""
    if _INTERNATIONAL.fullmatch(party):
        return "+" + party.removeprefix("+")
    if _POLISH.fullmatch(party):
        return "+48" + party
    return party


def inbound_request(state: SimulatorState, record: SimIncoming) -> dict[str, Any]:
    """The keyword arguments of the webhook request for ``record``, as mProfi builds it."""
    headers: dict[str, str] = {}
    if state.config.webhook_token:
        headers[state.config.webhook_header] = state.config.webhook_token
    if record.webhook_format == "mms":
        files = [(f"image{i}", (name, content, content_type)) for i, (name, content, content_type) in enumerate(record.images, start=1)]
        data = {"sender": record.sender, "recipient": record.recipient, "message": record.message}
        return {"headers": headers, "data": data, "files": files or None}
    if record.webhook_format == "3cx":
        body: dict[str, Any] = {
            "id": str(record.id),
            "event_type": "message . Received",
            "payload": {
                "from": {"phone_number": phone_3cx(record.sender)},
                "to": {"phone_number": phone_3cx(record.recipient)},
                "text": record.message,
                "received_at": record.ts.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            },
        }
        return {"headers": headers, "json": body}
    body = {"sender": record.sender, "recipient": record.recipient, "message": record.message}
    return {"headers": headers, "json": body}


async def _attempts(state: SimulatorState, url: str, request: dict[str, Any], log: list[DeliveryAttempt], tries: int | None = None) -> bool:
    client = await state.http()
    for attempt in range(state.config.webhook_attempts if tries is None else tries):
        if attempt:
            await asyncio.sleep(state.config.webhook_retry_seconds)
        try:
            response = await client.post(url, **request)
        except httpx.HTTPError as exc:
            log.append(DeliveryAttempt(at=now(), status_code=None, error=type(exc).__name__))
            continue
        log.append(DeliveryAttempt(at=now(), status_code=response.status_code))
        if 200 <= response.status_code < 300:
            return True
    return False


async def deliver_inbound(state: SimulatorState, record: SimIncoming) -> None:
    url = state.config.webhook_url
    if not url:
        return
    if await _attempts(state, url, inbound_request(state, record), record.attempts):
        record.delivered.set()


async def push_status(state: SimulatorState, body: dict[str, Any]) -> None:
    """PUSH one status change as the spec describes it: POST, ``application/json``,
    ``User-Agent: Mozilla/5.0``, body exactly ``id``, ``status``, ``ts``, ``reference``;
    one attempt, whatever the answer."""
    url = state.config.push_url
    if not url:
        return
    payload = {key: body.get(key) for key in PUSH_KEYS}
    headers = {"User-Agent": "Mozilla/5.0", "Content-Type": "application/json"}
    request = {"content": json.dumps(payload).encode(), "headers": headers}
    log: list[DeliveryAttempt] = []
    await _attempts(state, url, request, log, tries=1)
    for attempt in log:
        state.push_attempts.append((payload, attempt))


async def notify_survey_answer(state: SimulatorState, survey: SimSurvey, msisdn: str, answer: str) -> None:
    url = state.config.survey_webhook_url
    if not url:
        return
    body = {"survey_id": survey.id, "msisdn": msisdn, "answer": answer}
    log: list[DeliveryAttempt] = []
    await _attempts(state, url, {"json": body}, log)
    for attempt in log:
        state.survey_notifications.append((body, attempt))
