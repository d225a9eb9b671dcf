"""The bridge as one object: what the listeners, the webhook routes and the workers call.

Each method has the name of the feature function it calls (``start_sms`` calls
:func:`bot.bridge.sms.start_sms`), so a behaviour is found by its name. The work
itself lives in one module per feature, over a shared :class:`Context`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.bridge import (
    admins,
    audit,
    campaigns,
    catch_up,
    contacts,
    conversations,
    data_rights,
    hlr,
    home,
    inbound,
    job_pruning,
    jobs,
    notices,
    opt_out_list,
    policy,
    quiet_hours,
    reminders,
    replies,
    retention,
    sms,
    stats,
    statuses,
    surveys,
    templates,
    undo,
)
from bot.bridge.context import BridgeConfig, Context
from bot.bridge.models import HlrRequest, InboundSms, Received, Recipient, SmsAccepted, SmsRequest, StatusUpdate, SurveyRequest
from bot.bridge.work_signal import WorkSignal
from bot.mprofi import MProfiClient
from bot.slack.directory import SlackDirectory
from bot.sms.audit_query import AuditQuery
from bot.sms.numbers import PhoneE164
from storage import health, queue
from storage import inbound as inbound_store
from storage.models import Job, utcnow
from storage.opt_outs import OptOutRow

__all__ = ["Bridge"]


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
        route_clients: Mapping[str, MProfiClient] | None = None,
    ) -> None:
        self.ctx = Context(config=config, sessions=sessions, mprofi=mprofi, slack=slack, http=http, route_clients=route_clients or {})
        self._ingest = inbound.IngestBatcher(self.ctx)
        self.templates = templates.Templates(self.ctx)
        self.campaigns = campaigns.Campaigns(self.ctx)
        self.home = home.Home(self.ctx)
        self.stats = stats.Stats(self.ctx)

    # The dependencies, for the app factory, the listeners and the workers.
    @property
    def config(self) -> BridgeConfig:
        return self.ctx.config

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.ctx.sessions

    @property
    def slack(self) -> AsyncWebClient:
        return self.ctx.slack

    @property
    def mprofi(self) -> MProfiClient:
        return self.ctx.mprofi

    @property
    def directory(self) -> SlackDirectory:
        return self.ctx.directory

    @property
    def work(self) -> WorkSignal:
        return self.ctx.work

    def wake_workers(self) -> None:
        self.ctx.wake_workers()

    async def close(self) -> None:
        """Let webhooks already being stored finish."""
        await self._ingest.close()

    # ---- phone → Slack -------------------------------------------------------------

    async def receive_sms(self, sms: InboundSms) -> Received:
        """Persist an inbound SMS/MMS and queue its post to Slack (answer the webhook after)."""
        return await self._ingest.receive_sms(sms)

    async def mark_answered(self, message_ids: list[int]) -> None:
        """The webhooks that brought these messages got their 2xx: mProfi will not send them again."""
        await inbound_store.mark_answered(self.ctx.sessions, message_ids, at=utcnow())

    async def catch_up(self) -> int:
        """Store what ``getincoming/`` lists and the webhook never brought."""
        return await catch_up.catch_up(self.ctx)

    # ---- Slack → phone -------------------------------------------------------------

    async def handle_slack_message(self, event: dict[str, Any], *, event_id: str = "", bot_user_id: str | None = None) -> None:
        """Store what a Slack ``message`` event asks for (an SMS, an MMS, a note, a warning)."""
        await replies.handle_slack_message(self.ctx, event, event_id=event_id, bot_user_id=bot_user_id)

    async def resend(self, message_id: int, user_id: str) -> None:
        await replies.resend(self.ctx, message_id, user_id)

    def may_send(self, *, user_id: str, channel_id: str) -> str | None:
        """Why this person may not send SMS from this channel, or None when they may."""
        return policy.may_send(self.ctx.config, user_id=user_id, channel_id=channel_id)

    async def over_limit(self, *, user_id: str, channel_id: str, adding: int) -> str | None:
        """Why sending ``adding`` more SMS now would break a per-hour limit, or None."""
        return await policy.over_limit(self.ctx, user_id=user_id, channel_id=channel_id, adding=adding)

    async def start_sms(self, request: SmsRequest) -> SmsAccepted:
        """Store a ``/sms`` (one number or many) and queue its sending; answer Slack after."""
        return await sms.start_sms(self.ctx, request)

    async def answer_confirmation(self, dispatch_id: int, *, user_id: str, send: bool) -> str | dict[str, Any]:
        """The person pressed Send or Cancel on a large /sms; the sentence to show them (or,
        inside ``QUIET_HOURS``, the question to ask)."""
        return await sms.answer_confirmation(self.ctx, dispatch_id, user_id=user_id, send=send)

    async def user_timezone(self, user_id: str) -> ZoneInfo:
        return await self.ctx.timezones.user_timezone(user_id)

    async def tell_privately(self, *, channel_id: str, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Queue a private (ephemeral) message to one person."""
        await notices.tell_privately(self.ctx, channel_id=channel_id, user_id=user_id, text=text, blocks=blocks)

    # ---- HLR and surveys -----------------------------------------------------------

    async def start_hlr(self, request: HlrRequest) -> bool:
        """Store an HLR check and queue it; False when the same trigger came before."""
        return await hlr.start_hlr(self.ctx, request)

    async def check_numbers_in_file(self, *, trigger_id: str, user_id: str, channel_id: str, thread_ts: str, file: dict[str, Any]) -> None:
        """A CSV shared with a mention of the bot: check its numbers (read in a job)."""
        await hlr.check_numbers_in_file(
            self.ctx, trigger_id=trigger_id, user_id=user_id, channel_id=channel_id, thread_ts=thread_ts, file=file
        )

    async def start_survey_command(self, request: SurveyRequest) -> dict[str, Any] | None:
        """Queue a ``/survey`` (list, show, start, report); its answer comes from a job. A start
        inside ``QUIET_HOURS`` is held: the question to answer with instead."""
        return await surveys.start_survey_command(self.ctx, request)

    async def receive_survey_notification(self, *, content_type: str, body: bytes, data: Any) -> tuple[int, str]:
        """Keep a call to /mprofi/surveys as it came and queue its post; (id, kind)."""
        return await surveys.receive_survey_notification(self.ctx, content_type=content_type, body=body, data=data)

    # ---- undo window ---------------------------------------------------------------

    async def cancel_send(self, message_id: int, *, user_id: str) -> None:
        """Cancel on a reply still in its undo window: nothing reaches mProfi, or (too late) the person is told."""
        await undo.cancel_send(self.ctx, message_id, user_id=user_id)

    # ---- statuses ------------------------------------------------------------------

    async def apply_status(self, update: StatusUpdate, *, source: str) -> bool:
        """Record a delivery status; False when no message of ours has that id."""
        return await statuses.apply_status(self.ctx, update, source=source)

    async def poll_statuses(self) -> int:
        """Ask status/ about the messages whose check is due."""
        return await statuses.poll_statuses(self.ctx)

    # ---- conversations (the card's buttons, reminders) ----------------------------

    async def assign_conversation(self, conversation_id: int, *, user_id: str, owner: str | None, seen: str | None) -> None:
        """Make ``owner`` the owner, if the card still showed ``seen``; the loser of a race is told."""
        await conversations.assign_conversation(self.ctx, conversation_id, user_id=user_id, owner=owner, seen=seen)

    async def close_conversation(self, conversation_id: int, *, user_id: str) -> None:
        await conversations.close_conversation(self.ctx, conversation_id, user_id=user_id)

    async def reopen_conversation(self, conversation_id: int, *, user_id: str) -> None:
        await conversations.reopen_conversation(self.ctx, conversation_id, user_id=user_id)

    async def snooze_conversation(self, conversation_id: int, *, user_id: str, until: datetime | None) -> None:
        """Snooze until ``until`` (None: wake it now)."""
        await conversations.snooze_conversation(self.ctx, conversation_id, user_id=user_id, until=until)

    async def snooze_time(self, choice: str, *, user_id: str) -> datetime | None:
        """When a snooze menu choice (``tomorrow``, ``monday``) ends, in the person's own time zone."""
        return conversations.snooze_time(choice, utcnow(), await self.ctx.timezones.user_timezone(user_id))

    async def contact_of_conversation(self, conversation_id: int) -> tuple[PhoneE164, str | None] | None:
        return await conversations.contact_of_conversation(self.ctx, conversation_id)

    async def name_contact(self, conversation_id: int, *, user_id: str, name: str) -> None:
        await conversations.name_contact(self.ctx, conversation_id, user_id=user_id, name=name)

    async def check_number(self, conversation_id: int, *, user_id: str) -> None:
        """One HLR look-up of the conversation's number (a double click pays once)."""
        await conversations.check_number(self.ctx, conversation_id, user_id=user_id)

    async def set_opt_out(self, conversation_id: int, *, user_id: str, out: bool, reason: str | None = None) -> None:
        await conversations.set_opt_out(self.ctx, conversation_id, user_id=user_id, out=out, reason=reason)

    async def remind_due(self) -> int:
        """Post the reminders due now (snoozes ended, customers waiting too long)."""
        return await reminders.remind_due(self.ctx)

    # ---- contacts ------------------------------------------------------------------

    async def start_contacts_import(self, *, trigger_id: str, user_id: str, channel_id: str, thread_ts: str, file: dict[str, Any]) -> None:
        """A CSV of contacts shared with a mention of the app: read and stored in a job."""
        await contacts.start_contacts_import(
            self.ctx, trigger_id=trigger_id, user_id=user_id, channel_id=channel_id, thread_ts=thread_ts, file=file
        )

    async def list_contacts(self, query: str) -> tuple[list[tuple[str, str, list[str]]], int]:
        """Up to 20 contacts matching ``query`` (phone, name, tags) and how many match."""
        return await contacts.list_contacts(self.ctx, query)

    async def start_contacts_export(self, *, user_id: str, channel_id: str, response_url: str | None = None) -> None:
        """Every contact as a CSV file shared in the channel (in a job; ``response_url`` hears if it cannot be)."""
        await contacts.start_contacts_export(self.ctx, user_id=user_id, channel_id=channel_id, response_url=response_url)

    async def find_recipient(self, names: list[tuple[str, int]]) -> Recipient | None:
        """The contact a /sms starts with (or the candidates), from its leading words."""
        return await contacts.find_recipient(self.ctx, names)

    async def contact_names(self, phones: list[str]) -> dict[str, str]:
        return await contacts.contact_names(self.ctx, phones)

    async def language_of(self, user_id: str | None) -> str:
        """The person's Slack language when it is Polish or English, else ``BOT_LANGUAGE``."""
        found = await self.ctx.timezones.user_language(user_id) if user_id else None
        return found or self.ctx.config.language

    # ---- consent and data protection -------------------------------------------------

    def not_admin(self, user_id: str) -> str | None:
        """Why ``user_id`` may not read the audit log or export or erase a number, or None."""
        return admins.not_admin(self.ctx.config, user_id)

    async def list_opt_outs(self, search: str | None) -> tuple[list[OptOutRow], int]:
        return await opt_out_list.list_opt_outs(self.ctx, search)

    async def add_opt_out(self, phone: PhoneE164, *, user_id: str, channel_id: str, reason: str | None = None) -> str:
        return await opt_out_list.add_opt_out(self.ctx, phone, user_id=user_id, channel_id=channel_id, reason=reason)

    async def remove_opt_out(self, phone: PhoneE164, *, user_id: str, channel_id: str, reason: str) -> str:
        return await opt_out_list.remove_opt_out(self.ctx, phone, user_id=user_id, channel_id=channel_id, reason=reason)

    async def start_opt_outs_export(self, *, user_id: str, response_url: str | None) -> str:
        return await opt_out_list.start_opt_outs_export(self.ctx, user_id=user_id, response_url=response_url)

    async def start_audit_export(self, *, user_id: str, query: AuditQuery) -> str:
        return await audit.start_audit_export(self.ctx, user_id=user_id, query=query)

    async def start_number_export(self, *, user_id: str, phone: PhoneE164) -> str:
        return await data_rights.start_number_export(self.ctx, user_id=user_id, phone=phone)

    async def forget_number(self, *, user_id: str, phone: PhoneE164, response_url: str | None) -> str:
        return await data_rights.forget_number(self.ctx, user_id=user_id, phone=phone, response_url=response_url)

    async def answer_quiet_hours(self, kind: str, held_id: int, *, user_id: str, choice: str) -> str | None:
        """*Schedule for 08:00* / *Send anyway* / *Cancel* under a send held by ``QUIET_HOURS``
        (``kind``: ``sms`` a /sms dispatch, ``reply`` a thread reply, ``survey`` a /survey start)."""
        return await quiet_hours.answer(self.ctx, kind, held_id, user_id=user_id, choice=choice)

    async def remove_old_texts(self, now: datetime | None = None) -> dict[str, int] | None:
        """One ``RETENTION_DAYS`` pass if one is due (the workers call this)."""
        return await retention.remove_old_texts(self.ctx, now or utcnow())

    async def prune_finished_jobs(self, now: datetime | None = None) -> int | None:
        """One pass removing finished jobs, if one is due (the workers call this)."""
        return await job_pruning.prune_finished_jobs(self.ctx, now or utcnow())

    # ---- health and jobs -----------------------------------------------------------

    async def database_reachable(self) -> bool:
        return await health.database_reachable(self.ctx.sessions)

    async def jobs_given_up(self, *, hours: float) -> int:
        """Jobs ended as failed in the last ``hours``: each is in the log at error level."""
        return await queue.jobs_given_up(self.ctx.sessions, utcnow() - timedelta(hours=hours))

    async def queue_figures(self) -> health.QueueFigures:
        """Pending and due jobs and how late the oldest due one is (``/readyz``, ``/metrics``)."""
        return await health.queue_figures(self.ctx.sessions)

    async def message_figures(self, *, hours: float = 24.0) -> dict[tuple[str, str, str], int]:
        """Messages of the last ``hours`` by (direction, kind, status), for ``/metrics``."""
        return await health.message_figures(self.ctx.sessions, hours=hours)

    async def run_job(self, job: Job) -> None:
        await jobs.run_job(self.ctx, job)
