"""Settings: environment variables (or a ``.env`` file), validated once at start.

The variable names are a contract with operators (see the README); ``serve`` refuses
to start with one clear line per missing or bad setting.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.mprofi import DEFAULT_BASE_URL, MProfiKeys
from bot.sms.quiet_hours import parse_quiet_hours
from bot.sms.routes import Routes, fold, read_route_keys, read_routes
from bot.sms.working_hours import parse_working_hours
from storage.db import DEFAULT_DATABASE_URL, async_url

__all__ = ["Settings", "SettingsError", "check_settings", "is_example_value", "load_settings"]

# Values copied from documentation must not reach production.
_PLACEHOLDERS = {"xoxb-your-token", "changeme", "your-signing-secret", "YOUR-KEY", "C0123456789", "xoxb-", "xapp-", "C0", "…"}
# A public (C…) or private (G…, older ones) channel's ID, as Slack shows it.
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")


class SettingsError(Exception):
    """Configuration that cannot work; ``problems`` holds one plain line per setting."""

    def __init__(self, problems: list[str], fields: list[str] | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.fields = fields or []  # the settings (field names) that could not be read


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_channel: str | None = None

    mprofi_api_key: SecretStr | None = None
    mprofi_receive_key: SecretStr | None = None
    mprofi_hlr_key: SecretStr | None = None
    mprofi_mms_key: SecretStr | None = None
    mprofi_api_url: str = DEFAULT_BASE_URL
    mprofi_webhook_token: SecretStr | None = None
    mprofi_webhook_header: str = "Authorization"
    mprofi_timeout: float = Field(default=60.0, gt=0)
    # How the mProfi sending key returns statuses: PUSH to /mprofi/status, or PULL.
    mprofi_status_mode: Literal["push", "pull"] = "push"
    # PUSH is sent once and never again: a message still not final this long after it
    # was sent is asked about with status/ (then ever less often, up to 74 hours).
    mprofi_status_recheck_minutes: float = Field(default=30.0, gt=0)

    database_url: str = DEFAULT_DATABASE_URL
    port: int = Field(default=3000, ge=1, le=65535)

    # The language of everything the bot shows in Slack (private answers follow each
    # person's Slack locale when it is Polish or English).
    bot_language: Literal["pl", "en"] = "pl"
    # Slack user IDs who may read the audit log, export and forget a number's data.
    admin_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # No SMS in these hours (DEFAULT_TIMEZONE) without the sender choosing to: "21:00-08:00"; empty = off.
    quiet_hours: str | None = None
    # Message texts and attachments older than this many days are removed (0 = keep).
    retention_days: int = Field(default=0, ge=0)

    # A thread reply starting with one of these (any case) stays in the team as a note.
    # NOTE_PREFIX (one prefix, the older name) is still read and added to the list.
    note_prefixes: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["note:", "notatka:"])
    note_prefix: str | None = None
    # Thread replies wait this long before going to mProfi, with a Cancel button (0 = off).
    send_delay_seconds: float = Field(default=5.0, ge=0, le=300)
    # Appended to every thread reply, e.g. "— {first_name}, Sklep Kwiatek" ({name} too).
    sms_signature: str | None = None
    # How a reply's delivery shows: a reaction on the reply itself, or a line under it.
    status_style: Literal["reactions", "lines"] = "reactions"
    # A follow-up SMS (closed, snoozed or answered conversation) mentions its owner.
    followup_mention_owner: bool = True
    # A customer waiting for us this many working minutes gets one reminder (0 = off).
    waiting_reminder_minutes: float = Field(default=30.0, ge=0)
    # When the team works, for that reminder: days and hours in DEFAULT_TIMEZONE.
    working_hours: str = "Mon-Fri 08:00-17:00"
    # A new thread of a number sent a /sms this many days ago starts with that message.
    reply_context_days: float = Field(default=7.0, ge=0)
    # PULL status polling: first check, longest gap, and when to give up (hours).
    status_poll_first_seconds: float = Field(default=60.0, gt=0)
    status_poll_max_seconds: float = Field(default=3600.0, gt=0)
    status_poll_give_up_hours: float = Field(default=74.0, gt=0)
    # A repeat of the same inbound text within this window is shown as a repeat.
    inbound_repeat_window_seconds: float = Field(default=35 * 60, ge=0)
    worker_count: int = Field(default=4, ge=1, le=64)
    worker_idle_seconds: float = Field(default=0.5, gt=0)
    # How long a worker owns a job between renewals (every third of it while the job
    # runs); after a crash the job runs again once this passes.
    worker_lease_seconds: float = Field(default=15.0, ge=1)
    # A job that keeps failing ends (visibly) after this many tries or this long.
    job_max_attempts: int = Field(default=200, ge=1)
    job_give_up_hours: float = Field(default=24.0, gt=0)
    max_webhook_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # /slack/events: larger bodies get 413 before anything reads them (Slack's are a few KB).
    slack_max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    # A request's body must arrive within this many seconds of its headers (else 408);
    # under `serve`, the headers too within this many seconds of the connection opening.
    http_request_timeout_seconds: float = Field(default=30.0, gt=0)
    # Requests inside the app at once; more get 503 with Retry-After. `serve` also
    # keeps at most twice this many connections open.
    http_max_concurrent_requests: int = Field(default=200, ge=1)

    # Who may send (/sms and thread replies). Empty = everyone in any channel.
    sms_allowed_channels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    sms_allowed_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # An inbound SMS that is exactly one of these words opts its number out (or back in).
    opt_out_words: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["STOP", "STOP SMS", "STOPSMS", "WYPISZ", "REZYGNUJĘ", "REZYGNACJA", "UNSUBSCRIBE"]
    )
    opt_in_words: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["START", "START SMS"])
    # Catch-up through getincoming/: seconds between passes (0 = off), first look-back.
    catchup_interval_seconds: float = Field(default=300.0, ge=0)
    catchup_lookback_minutes: float = Field(default=60.0, gt=0)
    # Abuse limits: SMS a person / a channel may send per hour (0 = no limit), and the
    # number of recipients above which /sms asks "are you sure?" first.
    sms_user_limit_per_hour: int = Field(default=0, ge=0)
    sms_channel_limit_per_hour: int = Field(default=0, ge=0)
    sms_confirm_above: int = Field(default=100, ge=1)
    # /sms to many numbers: recipients per sendbulk call.
    sms_bulk_batch_size: int = Field(default=1000, ge=1, le=10000)
    # Slack's posting allowance per channel (about one message a second, short bursts).
    slack_posts_per_second: float = Field(default=1.0, gt=0)
    slack_post_burst: int = Field(default=1, ge=1, le=100)
    # /hlr with many numbers: how often to ask for mProfi's report, and for how long.
    hlr_poll_first_seconds: float = Field(default=2.0, gt=0)
    hlr_poll_max_seconds: float = Field(default=60.0, gt=0)
    hlr_report_timeout_seconds: float = Field(default=900.0, gt=0)
    # Where survey answers and end-of-survey reports from mProfi are posted.
    survey_channel: str | None = None
    # Several receiving numbers: the number texted or a first-word keyword → a channel,
    # "48500100200=C0SALES,SERWIS=C0SERVICE"; and the sending key each channel answers with.
    routes: str | None = None
    route_keys: SecretStr | None = None
    # Time zone for "/sms at …" when Slack does not tell a person's own, and of the
    # clock times in logs and operator messages.
    default_timezone: str = "Europe/Warsaw"

    # Logs: "text" (one readable line per event) or "json" (one JSON object per line).
    log_format: Literal["text", "json"] = "text"
    # /metrics: a bearer token it must carry, and/or an address of its own ("127.0.0.1:9464")
    # where it is served without one. Neither set: /metrics answers 404.
    metrics_token: SecretStr | None = None
    metrics_address: str | None = None
    # /readyz turns 503 when a job has been due this long without being taken, or when
    # this many Slack (or mProfi) calls in a row failed.
    ready_max_job_age_seconds: float = Field(default=300.0, gt=0)
    ready_failed_calls: int = Field(default=5, ge=1)

    @field_validator(
        "sms_allowed_channels", "sms_allowed_users", "admin_users", "opt_out_words", "opt_in_words", "note_prefixes", mode="before"
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("working_hours")
    @classmethod
    def _working_hours(cls, value: str) -> str:
        parse_working_hours(value)  # raises ValueError with a plain sentence
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str | None) -> str | None:
        return None if parse_quiet_hours(value, ZoneInfo("UTC")) is None else value  # raises ValueError with a plain sentence

    @field_validator("sms_signature")
    @classmethod
    def _signature(cls, value: str | None) -> str | None:
        """Refused at start rather than on the first reply: only {first_name} and {name} fill in."""
        if value is None or not value.strip():
            return None
        try:
            fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(value) if name is not None]
        except ValueError:
            raise ValueError("it has a { or } without its pair; write {{ or }} for the character itself") from None
        for name, spec, conversion in fields:
            if name not in ("first_name", "name") or spec or conversion:
                shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                raise ValueError(f"it may use only {{first_name}} and {{name}}, not {{{shown}}}")
        return value

    def all_note_prefixes(self) -> tuple[str, ...]:
        """NOTE_PREFIXES, plus NOTE_PREFIX when an older configuration still sets it; never empty
        (``note:`` when both are blank), so a note can always be written."""
        extra = [self.note_prefix] if self.note_prefix and self.note_prefix.strip() else []
        return tuple(dict.fromkeys(p.strip().lower() for p in [*self.note_prefixes, *extra] if p.strip())) or ("note:",)

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name such as Europe/Warsaw") from None
        return value

    @field_validator("slack_api_url", "mprofi_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        """An ``http(s)://host/…`` URL, ending in ``/`` so method names join onto it."""
        value = value.strip()
        try:
            parts = urlsplit(value)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            host = None
        shown = value.split("?", 1)[0].split("#", 1)[0]  # never echo a query: it may carry a key
        if parts.scheme not in ("http", "https") or not host or " " in value:
            raise ValueError(f"{shown!r} is not an http(s)://host/… URL")
        if parts.query or parts.fragment:
            raise ValueError(f"{shown!r} must not carry a ?query or #fragment; give the base URL only")
        return value.rstrip("/") + "/"

    @field_validator("metrics_address")
    @classmethod
    def _metrics_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        host, sep, port = value.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{value!r} is not host:port, such as 127.0.0.1:9464")
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        async_url(value)  # raises ValueError with a plain sentence
        return value

    def mprofi_keys(self) -> MProfiKeys:
        main = self.mprofi_api_key.get_secret_value() if self.mprofi_api_key else ""

        def pick(key: SecretStr | None) -> str:
            return key.get_secret_value() if key else main

        return MProfiKeys(
            send=main,
            receive=pick(self.mprofi_receive_key),
            hlr=pick(self.mprofi_hlr_key),
            mms=pick(self.mprofi_mms_key),
        )

    def routing(self) -> tuple[Routes, dict[str, str], list[str]]:
        """ROUTES and ROUTE_KEYS read, with one line for every entry that cannot be used."""
        reserved = frozenset(fold(word) for word in [*self.opt_out_words, *self.opt_in_words])
        routes, problems = read_routes(self.routes, reserved=reserved)
        keys, key_problems = read_route_keys(self.route_keys.get_secret_value() if self.route_keys else "")
        return routes, keys, problems + key_problems

    def problems_for_serve(self) -> list[str]:
        """Everything in the settings themselves that stops ``serve`` from working, one sentence each."""
        problems: list[str] = []
        required = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "MPROFI_API_KEY": self.mprofi_api_key,
        }
        if self.slack_app_token is not None and self.slack_signing_secret is None:
            del required["SLACK_SIGNING_SECRET"]  # Socket Mode: Slack sends nothing to sign
        optional = {
            "SLACK_APP_TOKEN": self.slack_app_token,
            "MPROFI_RECEIVE_KEY": self.mprofi_receive_key,
            "MPROFI_HLR_KEY": self.mprofi_hlr_key,
            "MPROFI_MMS_KEY": self.mprofi_mms_key,
            "MPROFI_WEBHOOK_TOKEN": self.mprofi_webhook_token,
            "METRICS_TOKEN": self.metrics_token,
            "ROUTE_KEYS": self.route_keys,
        }
        for name, value in {**required, **optional}.items():
            if value is None or not value.get_secret_value().strip():
                if name in required:
                    problems.append(f"{name} is missing: set it in the environment or in .env.")
            elif is_example_value(value.get_secret_value()):
                problems.append(f"{name} still holds the README's example value; put the real one in.")
        problems += _channel_problems("SLACK_CHANNEL", self.slack_channel, required=True)
        problems += _channel_problems("SURVEY_CHANNEL", self.survey_channel, required=False)
        problems += self.routing()[2]
        token = self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""
        if token and not is_example_value(token) and not token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb- (OAuth & Permissions → Bot User OAuth Token).")
        app_token = self.slack_app_token.get_secret_value() if self.slack_app_token else ""
        if app_token and not is_example_value(app_token) and not app_token.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information → App-Level Tokens).")
        for name, url in (("SLACK_API_URL", self.slack_api_url), ("MPROFI_API_URL", self.mprofi_api_url)):
            if is_example_value(url):
                problems.append(f"{name} still holds the README's example value; put the real one in.")
        return problems


def is_example_value(value: str) -> bool:
    """A value copied from the README or the manifest rather than from Slack or mProfi:
    ``xoxb-…``, ``C0…``, ``…``, ``YOUR-HOST`` and the like."""
    stripped = value.strip()
    return (
        stripped in _PLACEHOLDERS
        or "…" in stripped
        or "..." in stripped
        or any(word in stripped for word in ("YOUR-", "YOUR_", "your-", "<", ">"))
    )


def _channel_problems(name: str, value: str | None, *, required: bool) -> list[str]:
    if not value or not value.strip():
        return [f"{name} is missing: set it to the ID (C…) of the channel where conversations open."] if required else []
    value = value.strip()
    if is_example_value(value):
        return [f"{name} still holds the README's example value; put the channel's real ID in."]
    if not _CHANNEL_ID.fullmatch(value):
        return [
            f"{name} must be a channel ID such as C0ABC1234, not {value!r}: "
            "open the channel's details in Slack, the ID is at the bottom of the About tab."
        ]
    return []


def check_settings(**overrides: Any) -> tuple[Settings | None, list[str], set[str]]:
    """Read the settings and check them for ``serve`` in one pass: every problem, one line each.

    A value that cannot even be read is reported and then replaced by its default, so
    the checks that need a whole :class:`Settings` still run and report the rest; the
    third value names those settings (field names), whose default must not be used.
    """
    problems: list[str] = []
    refused: set[str] = set()
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        problems += exc.problems
        refused = set(exc.fields)
        defaults = {field: Settings.model_fields[field].get_default(call_default_factory=True) for field in exc.fields}
        try:
            settings = load_settings(**{**overrides, **defaults})
        except SettingsError:
            return None, problems, refused
    problems += settings.problems_for_serve()
    return settings, problems, refused


def load_settings(**overrides: Any) -> Settings:
    """Read settings; raise :class:`SettingsError` with one line per bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines, fields = [], []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            message = str(error["msg"]).removeprefix("Value error, ")
            name = field.upper() or "setting"
            lines.append(f"{message}." if message.startswith(name) else f"{name}: {message}.")
            if field in Settings.model_fields:
                fields.append(field)
        raise SettingsError(lines, fields) from None
