"""What every part of the bridge works with: its settings and its connections.

A leaf: the feature modules (``sms``, ``hlr``, ``inbound`` …) take a :class:`Context`
and import nothing above them, so the façade (:mod:`bot.bridge.facade`) can import
them all without a loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import httpx
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.bridge.work_signal import WorkSignal
from bot.mprofi import MProfiClient
from bot.slack.directory import SlackDirectory
from bot.slack.timezones import UserTimezones
from bot.sms.routes import Routes

__all__ = ["BridgeConfig", "Context"]


@dataclass(frozen=True)
class BridgeConfig:
    channel_id: str
    bot_token: str
    language: str = "en"  # BOT_LANGUAGE (Settings: pl): channel posts, cards, jobs' words
    admin_users: frozenset[str] = frozenset()
    retention_days: int = 0  # 0 = keep texts
    quiet_hours: str | None = None  # "21:00-08:00" in default_timezone; None = off
    note_prefixes: tuple[str, ...] = ("note:", "notatka:")  # lower case
    send_delay_seconds: float = 0.0  # the undo window of thread replies (Settings: 5)
    sms_signature: str | None = None
    status_style: str = "lines"  # "reactions" | "lines" (Settings: reactions)
    followup_mention_owner: bool = True
    waiting_reminder_minutes: float = 0.0  # 0 = off (Settings: 30)
    working_hours: str = "Mon-Fri 08:00-17:00"
    reply_context_days: float = 7.0
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
    routes: Routes = field(default_factory=Routes)  # ROUTES: where new conversations open
    key_channels: frozenset[str] = frozenset()  # the channels ROUTE_KEYS gives a key

    @property
    def conversation_channels(self) -> frozenset[str]:
        """Where conversations live: ``SLACK_CHANNEL``, every channel a route leads to, and
        every channel with its own key (its conversations stay when its route is removed)."""
        return self.routes.channels | self.key_channels | {self.channel_id}

    @property
    def zone(self) -> ZoneInfo:
        """``default_timezone``: the clock of every time the bridge shows in Slack."""
        return ZoneInfo(self.default_timezone)  # zoneinfo keeps one instance per name

    @property
    def first_status_check_seconds(self) -> float:
        """When to first ask status/ about a message mProfi accepted: soon when polling
        is the only way (PULL), later when PUSH should have told us already."""
        return self.poll_first_seconds if self.status_mode == "pull" else self.status_recheck_seconds


@dataclass
class Context:
    """The bridge's dependencies, passed explicitly to every feature function."""

    config: BridgeConfig
    sessions: async_sessionmaker[AsyncSession]
    mprofi: MProfiClient
    slack: AsyncWebClient
    http: httpx.AsyncClient  # for files shared in Slack and response_url answers
    # ROUTE_KEYS: the client a channel's conversations send with (the key differs); others use ``mprofi``.
    route_clients: Mapping[str, MProfiClient] = field(default_factory=dict)
    directory: SlackDirectory = field(init=False)  # names for mentions in what goes to a phone, cached
    timezones: UserTimezones = field(init=False)
    work: WorkSignal = field(init=False, default_factory=WorkSignal)

    def __post_init__(self) -> None:
        self.directory = SlackDirectory(self.slack)
        self.timezones = UserTimezones(self.slack, default=self.config.default_timezone)

    def mprofi_for(self, channel_id: str | None) -> MProfiClient:
        """The mProfi client that sends for a channel: its ``ROUTE_KEYS`` key, else ``MPROFI_API_KEY``."""
        return self.route_clients.get(channel_id or "", self.mprofi)

    def wake_workers(self) -> None:
        """New work was committed: an idle worker takes it now, not at its next look."""
        self.work.notify()
