"""The bridge: what connects mProfi, Slack and storage. It knows nothing of HTTP routes.

``Bridge`` holds the dependencies (session factory, mProfi client, Slack Web API
client) and offers one method per thing that can happen; the work itself lives in
``inbound.py`` (phone → Slack), ``outbound.py`` (Slack → phone) and ``statuses.py``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.bridge import catchup, commands, inbound, lookups, outbound, statuses, surveys
from bot.bridge.models import HlrRequest, InboundSms, Received, SmsAccepted, SmsRequest, StatusUpdate, SurveyRequest
from bot.mprofi import MProfiClient
from bot.slack.directory import SlackDirectory
from storage.models import Job, utcnow
from storage.queue import failed_since

__all__ = ["Bridge", "BridgeConfig"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BridgeConfig:
    channel_id: str
    bot_token: str
    note_prefix: str = "note:"
    status_mode: str = "push"
    poll_first_seconds: float = 60.0
    status_recheck_seconds: float = 1800.0  # PUSH mode: the safety net's first status/ check
    poll_max_seconds: float = 3600.0
    poll_give_up_hours: float = 74.0
    repeat_window_seconds: float = 35 * 60
    allowed_channels: frozenset[str] = frozenset()
    allowed_users: frozenset[str] = frozenset()
    opt_out_words: frozenset[str] = frozenset({"STOP"})
    opt_in_words: frozenset[str] = frozenset({"START"})
    bulk_batch_size: int = 1000
    default_timezone: str = "Europe/Warsaw"
    user_limit_per_hour: int = 0
    channel_limit_per_hour: int = 0
    confirm_above: int = 100
    catchup_interval_seconds: float = 0.0
    catchup_lookback_minutes: float = 60.0
    hlr_poll_first_seconds: float = 2.0
    hlr_poll_max_seconds: float = 60.0
    hlr_report_timeout_seconds: float = 900.0
    survey_channel: str = ""

    @property
    def first_status_check_seconds(self) -> float:
        """When to first ask status/ about a message mProfi accepted: soon when polling
        is the only way (PULL), later when PUSH should have told us already."""
        return self.poll_first_seconds if self.status_mode == "pull" else self.status_recheck_seconds


class Bridge:
    """Everything the bridge does, as methods the listeners, routes and workers call."""

    def __init__(
        self,
        *,
        config: BridgeConfig,
        sessions: async_sessionmaker[AsyncSession],
        mprofi: MProfiClient,
        slack: AsyncWebClient,
        http: httpx.AsyncClient,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.mprofi = mprofi
        self.slack = slack
        self.http = http  # for downloading files shared in Slack
        self.directory = SlackDirectory(slack)  # names for mentions in what goes to a phone, cached
        self.work_ready = asyncio.Event()
        self.timezones: dict[str, ZoneInfo] = {}
        self._ingest = inbound.IngestBatcher(self)

    async def close(self) -> None:
        """Let webhooks already being stored finish."""
        await self._ingest.close()

    def wake_workers(self) -> None:
        self.work_ready.set()

    # ---- phone → Slack -------------------------------------------------------------

    async def receive_sms(self, sms: InboundSms) -> Received:
        """Persist an inbound SMS/MMS and queue its post to Slack (answer the webhook after)."""
        return await self._ingest.submit(sms)

    # ---- Slack → phone -------------------------------------------------------------

    async def handle_slack_message(self, event: dict[str, Any], *, event_id: str = "", bot_user_id: str | None = None) -> None:
        """Store what a Slack ``message`` event asks for (an SMS, an MMS, a note, a warning)."""
        await outbound.handle_slack_message(self, event, event_id=event_id, bot_user_id=bot_user_id)

    async def resend(self, message_id: int, user_id: str) -> None:
        await outbound.resend(self, message_id, user_id)

    def may_send(self, *, user_id: str, channel_id: str) -> str | None:
        """Why this person may not send SMS from this channel, or None when they may."""
        config = self.config
        if config.allowed_users and user_id not in config.allowed_users:
            return "Sorry, you are not on the list of people who may send SMS from Slack; ask an admin to add you."
        if config.allowed_channels and channel_id not in config.allowed_channels and channel_id != config.channel_id:
            return "Sorry, SMS cannot be sent from this channel; use one of the channels your admin allowed."
        return None

    async def start_sms(self, request: SmsRequest) -> SmsAccepted:
        """Store a ``/sms`` (one number or many) and queue its sending; answer Slack after."""
        return await commands.start_sms(self, request)

    async def start_hlr(self, request: HlrRequest) -> bool:
        """Store an HLR check and queue it; False when the same trigger came before."""
        return await lookups.start_hlr(self, request)

    async def run_survey_command(self, request: SurveyRequest) -> None:
        await surveys.queue_survey_command(self, request)

    async def receive_survey_notification(self, *, content_type: str, body: bytes, data: Any) -> tuple[int, str]:
        """Keep a call to /mprofi/surveys as it came and queue its post; (id, kind)."""
        return await surveys.receive_notification(self, content_type=content_type, body=body, data=data)

    async def check_numbers_in_file(self, *, trigger_id: str, user_id: str, channel_id: str, thread_ts: str, file: dict[str, Any]) -> None:
        """A CSV shared with a mention of the bot: check its numbers (read in a job)."""
        await lookups.queue_file_check(self, trigger_id=trigger_id, user_id=user_id, channel_id=channel_id, thread_ts=thread_ts, file=file)

    async def download_slack_file(self, url: str) -> bytes | None:
        """A file shared in Slack (with the bot token); None when Slack does not hand it over."""
        return await outbound.download_text_file(self, url)

    async def tell_privately(self, *, channel_id: str, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Queue a private (ephemeral) message to one person."""
        await outbound.queue_tell(self, channel_id=channel_id, user_id=user_id, text=text, blocks=blocks)

    async def answer_confirmation(self, dispatch_id: int, *, user_id: str, send: bool) -> str:
        """The person pressed Send or Cancel on a large /sms; the sentence to show them."""
        return await commands.answer_confirmation(self, dispatch_id, user_id=user_id, send=send)

    async def over_limit(self, *, user_id: str, channel_id: str, adding: int) -> str | None:
        """Why sending ``adding`` more SMS now would break a per-hour limit, or None."""
        return await commands.over_limit(self, user_id=user_id, channel_id=channel_id, adding=adding)

    async def user_timezone(self, user_id: str) -> ZoneInfo:
        return await commands.user_timezone(self, user_id)

    # ---- statuses ------------------------------------------------------------------

    async def apply_status(self, update: StatusUpdate, *, source: str) -> bool:
        """Record a delivery status; False when no message of ours has that id."""
        return await statuses.apply_status(self, update, source=source)

    async def catch_up(self) -> int:
        """Store what ``getincoming/`` lists and the webhook never brought."""
        return await catchup.catch_up(self)

    async def poll_statuses(self) -> int:
        return await statuses.poll_due(self)

    # ---- health --------------------------------------------------------------------

    async def database_reachable(self) -> bool:
        try:
            async with self.sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"
            logger.warning("database check failed: %s", type(exc).__name__)
            return False
        return True

    async def jobs_given_up(self, *, hours: float) -> int:
        """Jobs ended as failed in the last ``hours``: each is in the log at error level."""
        return await failed_since(self.sessions, utcnow() - timedelta(hours=hours))

    # ---- jobs ----------------------------------------------------------------------

    async def run_job(self, job: Job) -> None:
        handler = _JOBS.get(job.kind)
        if handler is None:
            logger.error("job %s has unknown kind %r; dropping it", job.id, job.kind)
            return
        await handler(self, job)


_JOBS = {
    "post_inbound": inbound.post_inbound,
    "send_outbound": outbound.send_outbound,
    "render_status": statuses.render_status,
    "react_note": outbound.react_note,
    "notice": outbound.post_notice,
    "tell": outbound.tell,
    "send_bulk": commands.send_bulk,
    "render_dispatch": commands.render_dispatch,
    "respond": commands.respond,
    "hlr_run": lookups.run_hlr,
    "hlr_from_file": lookups.check_file,
    "survey_command": surveys.run_survey_command,
    "post_survey_notification": surveys.post_notification,
}
