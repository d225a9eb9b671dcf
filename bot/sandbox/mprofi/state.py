"""What the mProfi simulator remembers, and the knobs tests turn.

Everything the simulated account holds lives in one :class:`SimulatorState`: sent
messages with their status history, received messages, surveys, HLR uploads, and
queued faults. Tests steer it directly (``state.set_status(...)``); the demo and
out-of-process tests steer it over the ``/_sim/`` control routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import deque
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from bot.sandbox.mprofi.records import (
    DeliveryAttempt,
    FaultKind,
    SimHlrUpload,
    SimIncoming,
    SimMessage,
    SimSurvey,
    SimulatorConfig,
    WebhookFormat,
)
from bot.sandbox.mprofi.rules import WARSAW, KeyPurpose, now
from bot.sandbox.mprofi.webhooks import deliver_inbound, notify_survey_answer, push_status

__all__ = [
    "DeliveryAttempt",
    "FaultKind",
    "KeyPurpose",
    "SimHlrUpload",
    "SimIncoming",
    "SimMessage",
    "SimSurvey",
    "SimulatorConfig",
    "SimulatorState",
    "WebhookFormat",
    "now",
]


class SimulatorState:
    """The simulated mProfi account. Create one per test; close it with :meth:`aclose`."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.messages: dict[int, SimMessage] = {}
        self.incoming: list[SimIncoming] = []
        self.surveys: dict[int, SimSurvey] = {}
        self.hlr_uploads: dict[str, SimHlrUpload] = {}
        self.hlr_overrides: dict[str, dict[str, Any]] = {}
        self.outcomes: dict[str, str] = {}
        self.push_attempts: list[tuple[dict[str, Any], DeliveryAttempt]] = []
        self.survey_notifications: list[tuple[dict[str, Any], DeliveryAttempt]] = []
        self.requests: list[tuple[str, str]] = []  # (endpoint, auth style)
        self._faults: dict[str, deque[FaultKind]] = {}
        # A fault every API call answers while set (an outage switched on and off by
        # hand), after any queued one; None: the service is well.
        self.standing_fault: FaultKind | None = None
        self._next_id = 1000
        self._next_incoming = 1
        self._tasks: set[asyncio.Task[Any]] = set()
        self._deliveries: set[asyncio.Task[Any]] = set()
        self._http: Any = None
        self._add_default_surveys()

    # ---- ids, tasks, lifecycle ---------------------------------------------------

    def next_ids(self, count: int) -> list[int]:
        first = self._next_id
        self._next_id += count
        return list(range(first, first + count))

    def spawn(self, coro: Coroutine[Any, Any, Any], *, delivery: bool = True) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; ``delivery``: it calls out (a webhook, a PUSH),
        rather than waiting for the clock (a message's next status step)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if delivery:
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        return task

    def deliveries_under_way(self) -> int:
        """Calls to the app (webhooks, PUSH, survey notices, their retries) not yet finished."""
        return len(self._deliveries)

    async def http(self) -> Any:
        """The simulator's own HTTP client for webhooks and PUSH calls."""
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
        return self._http

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def idle(self, timeout: float = 5.0) -> None:
        """Wait until no background work (progression, webhooks) is left."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("simulator still busy")
            await asyncio.sleep(0.01)

    # ---- faults ------------------------------------------------------------------

    def queue_fault(self, endpoint: str, kind: FaultKind, count: int = 1) -> None:
        """Make the next ``count`` calls to ``endpoint`` (e.g. ``send``, or ``*``) fail."""
        self._faults.setdefault(endpoint.strip("/"), deque()).extend([kind] * count)

    def take_fault(self, endpoint: str) -> FaultKind | None:
        """The fault this call answers: a queued one first (it counts down), else the standing one."""
        for name in (endpoint.strip("/"), "*"):
            queue = self._faults.get(name)
            if queue:
                return queue.popleft()
        return self.standing_fault

    # ---- messages and statuses ---------------------------------------------------

    def key_purposes(self, token: str) -> set[KeyPurpose]:
        found: set[KeyPurpose] = {purpose for purpose, key in self.config.keys.items() if secrets.compare_digest(key, token)}
        if any(secrets.compare_digest(key, token) for key in self.config.sending_keys):
            found.add("send")
        return found

    def add_message(self, message: SimMessage) -> SimMessage:
        message.history.append((message.status, message.created_at))
        self.messages[message.id] = message
        if self.config.status_step_seconds is not None:
            self.spawn(self._progress(message), delivery=False)
        return message

    def set_outcome(self, recipient: str, status: str) -> None:
        """The final status messages to ``recipient`` (mProfi digits) will reach."""
        self.outcomes[recipient.removeprefix("+")] = status

    def set_status(self, message_id: int, status: str) -> SimMessage:
        """Move a message to ``status`` (any spelling) and PUSH it when configured.

        The PUSH goes now or never: with ``config.push_url`` None (PUSH switched off)
        the change is only recorded, and setting the URL again later does not send the
        changes made meanwhile; as with mProfi, a PUSH not sent is not sent, and the
        client learns of them only by asking status/.
        """
        message = self.messages[message_id]
        message.status = status
        message.ts = now()
        message.history.append((status, message.ts))
        if self.config.push_url:
            snapshot = {
                "id": message.id,
                "status": status,
                "ts": message.ts.isoformat(timespec="microseconds"),
                "reference": message.reference,
            }
            self.spawn(push_status(self, snapshot))
        return message

    async def _progress(self, message: SimMessage) -> None:
        step = self.config.status_step_seconds or 0.0
        if message.scheduled_for is not None:
            wait = (message.scheduled_for - now()).total_seconds()
            if wait > 0:
                await asyncio.sleep(wait)
        await asyncio.sleep(step)
        self.set_status(message.id, "sent")
        await asyncio.sleep(step)
        self.set_status(message.id, self.outcomes.get(message.recipient, self.config.final_status))

    # ---- inbound -----------------------------------------------------------------

    def inject_inbound(
        self,
        sender: str,
        message: str,
        *,
        recipient: str | None = None,
        images: list[tuple[str, bytes, str]] | None = None,
        webhook_format: WebhookFormat | None = None,
        mobileapp: bool = False,
        ts: datetime | None = None,
        deliver: bool = True,
    ) -> SimIncoming:
        """A phone texts the account: store it for getincoming and call the webhook.

        ``sender`` is kept exactly as given: a number (``48…``/``+48…``), a short code
        (``8080``) or an alphanumeric sender id (``ORANGE``, ``mBank``). Images make it
        an MMS (multipart); otherwise the configured format is used.
        """
        record = SimIncoming(
            id=self._next_incoming,
            sender=sender,
            recipient="Aplikacja Mobilna" if mobileapp else (recipient or self.config.own_number),
            message=message,
            ts=ts or now(),
            images=list(images or []),
            mobileapp=mobileapp,
            webhook_format=webhook_format or ("mms" if images else self.config.webhook_format),
        )
        self._next_incoming += 1
        self.incoming.append(record)
        if deliver and self.config.webhook_url and not mobileapp:
            self.spawn(deliver_inbound(self, record))
        return record

    # ---- surveys -----------------------------------------------------------------

    def _add_default_surveys(self) -> None:
        base = datetime(2026, 11, 2, 9, 0, tzinfo=WARSAW)
        satisfaction = SimSurvey(
            id=1,
            name="Zadowolenie klienta",
            created_at=base - timedelta(days=1),
            active=True,
            start=base,
            end=base + timedelta(days=60),
            msisdn=self.config.own_number,
            questions=["Czy poleciłbyś nas znajomym? (tak/nie)", "Ocena obsługi 1-5", "Uwagi?"],
        )
        for number, answers in (
            ("48600100200", ["tak", "5", "Dziękuję"]),
            ("48600100201", ["tak", "4", ""]),
            ("48600100202", ["nie", "2", "Za długo czekałem"]),
            ("48600100203", ["tak"]),
        ):
            finished = base + timedelta(hours=2) if len(answers) == 3 else None
            satisfaction.responses[number] = {"answers": list(answers), "finished": finished}
        self.surveys[1] = satisfaction
        self.surveys[2] = SimSurvey(
            id=2,
            name="Ankieta archiwalna",
            created_at=base - timedelta(days=300),
            active=False,
            start=base - timedelta(days=299),
            end=base - timedelta(days=200),
            msisdn=self.config.own_number,
            questions=["Pytanie?"],
        )

    def answer_survey(self, survey_id: int, msisdn: str, answer: str) -> None:
        """A respondent answers the next question; notify the survey URL when set."""
        survey = self.surveys[survey_id]
        response = survey.responses.setdefault(msisdn, {"answers": [], "finished": None})
        response["answers"].append(answer)
        if len(response["answers"]) >= len(survey.questions):
            response["finished"] = now()
        if self.config.survey_webhook_url:
            self.spawn(notify_survey_answer(self, survey, msisdn, answer))

    # ---- HLR ---------------------------------------------------------------------

    def add_hlr_upload(self, numbers: list[str]) -> SimHlrUpload:
        delay = self.config.hlr_report_seconds
        upload = SimHlrUpload(
            upload_id=secrets.token_hex(8),
            numbers=numbers,
            ready_at=None if delay is None else now() + timedelta(seconds=delay),
        )
        self.hlr_uploads[upload.upload_id] = upload
        return upload

    def finish_hlr(self, upload_id: str) -> None:
        self.hlr_uploads[upload_id].ready_at = now()
