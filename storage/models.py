"""The bridge's tables.

- ``conversations``: one row per (bridge channel, phone number) — the thread map.
- ``messages``: every SMS/MMS in or out and every internal note, with its Slack
  origin, mProfi id, our reference and current status.
- ``attachments``: MMS images received, kept until they are in Slack.
- ``status_events``: the history of each outgoing message's status.
- ``jobs``: the durable queue of work still to do (post to Slack, send to mProfi…).
- ``slack_events``: Slack event ids already seen, so Slack's retries do nothing twice.
- ``dispatches``: one ``/sms`` (or its form) and what became of each recipient.
- ``opt_outs``: numbers that texted STOP; nothing is sent to them.
- ``hlr_checks``: one ``/hlr`` (single or bulk) and how far it got.
- ``survey_threads``, ``survey_notifications``: each survey's thread; every call to ``/mprofi/surveys``.
- ``contacts``: a name (and tags) for a number, one per E.164 number.

Idempotency lives in unique keys: a phone has one conversation per channel, a Slack message
(channel + ts) produces at most one outgoing message, an mProfi id maps to one message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "Conversation",
    "SlackPace",
    "Message",
    "Attachment",
    "StatusEvent",
    "Job",
    "SlackEvent",
    "Dispatch",
    "OptOut",
    "HlrCheck",
    "SurveyThread",
    "SurveyNotification",
    "Cursor",
    "Contact",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 - SQLAlchemy reads this class attribute


WAITING_WHERE = "waiting_since IS NOT NULL AND reminded_at IS NULL AND snoozed_until IS NULL"
# The Home tab's lists (who waits, reminded or not; each person's own): a year of closed
# conversations is in neither index. A claim looks only at jobs still open.
HOME_WAITING_WHERE = "waiting_since IS NOT NULL"
OWNED_WHERE = "owner IS NOT NULL"
OPEN_JOB_WHERE = "done_at IS NULL"


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, for both databases."""
    return {"sqlite_where": sql_text(condition), "postgresql_where": sql_text(condition)}


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    last_inbound_at: Mapped[datetime | None]
    # When the catch-up last stored a message here: a webhook then checks it did not bring it too.
    caught_up_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How the team runs it (see bot/bridge/conversations.py): a ConversationState, who
    # owns it, until when it sleeps, since when the customer waits for us.
    state: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    owner: Mapped[str | None] = mapped_column(String(32))
    state_by: Mapped[str | None] = mapped_column(String(32))  # who last closed, reopened or snoozed it
    snoozed_until: Mapped[datetime | None] = mapped_column(index=True)
    waiting_since: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]  # the one "still waiting" reminder of this wait
    last_outbound_at: Mapped[datetime | None]
    # The last number check of this phone: {"network": …, "active": …, "at": iso}.
    last_hlr: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A digest of the card as last drawn: a redraw that would show the same is not sent.
    card_hash: Mapped[str | None] = mapped_column(String(64))
    opt_out_hint_at: Mapped[datetime | None]  # an SMS seemed to ask to opt out: the card offers it

    __table_args__ = (
        UniqueConstraint("channel_id", "phone"),
        UniqueConstraint("channel_id", "thread_ts"),
        Index("ix_conversations_phone", "phone"),  # a number's conversations in every channel (routing)
        # The reminders' look every few seconds: only waits not yet reminded or snoozed.
        Index("ix_conversations_waiting", "waiting_since", sqlite_where=sql_text(WAITING_WHERE), postgresql_where=sql_text(WAITING_WHERE)),
        Index("ix_conversations_home_waiting", "channel_id", "waiting_since", **_where(HOME_WAITING_WHERE)),
        Index("ix_conversations_owner", "owner", **_where(OWNED_WHERE)),
    )


CAUGHT_UP_WHERE = "received_via IN ('getincoming', 'mobileapp')"


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    kind: Mapped[str] = mapped_column(String(8))  # "sms" | "mms" | "note"
    phone: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")  # outgoing: what the phone receives
    # Outgoing: what the person typed, as Slack showed it, when the phone reads it
    # differently (a mention sent as a name, a link's address added); else NULL.
    typed_text: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(String(16))
    parts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20))  # a MessageStatus (storage/kinds.py)
    status_detail: Mapped[str | None] = mapped_column(Text)
    status_at: Mapped[datetime | None]
    mprofi_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    origin_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    received_via: Mapped[str | None] = mapped_column(String(20))
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    status_message_ts: Mapped[str | None] = mapped_column(String(32))
    # Outgoing, STATUS_STYLE=reactions: the reaction now on the reply (to take it off later).
    reaction: Mapped[str | None] = mapped_column(String(40))
    # Outgoing thread reply: not handed to mProfi before this (the undo window).
    send_after: Mapped[datetime | None]
    # Inbound by webhook: when we answered it with a 2xx (mProfi re-sends only unanswered ones).
    answered_at: Mapped[datetime | None]
    author: Mapped[str | None] = mapped_column(String(32))
    scheduled_for: Mapped[datetime | None]
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("dispatches.id"), index=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(index=True)
    polls: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_messages_slack_origin", "slack_channel", "slack_ts"),
        # A number's messages by time: what a new thread answers (REPLY_CONTEXT_DAYS).
        Index("ix_messages_phone_created", "phone", "created_at"),
        # Messages of the last day by status: what every /metrics scrape counts.
        Index("ix_messages_created_at", "created_at"),
        # Caught-up messages no webhook has claimed yet: every webhook batch looks here,
        # so the index holds only those rows and the look stays cheap.
        Index(
            "ix_messages_caught_up",
            "conversation_id",
            "created_at",
            sqlite_where=sql_text(CAUGHT_UP_WHERE),
            postgresql_where=sql_text(CAUGHT_UP_WHERE),
        ),
    )

    @property
    def reference(self) -> str:
        """The ``reference`` sent to mProfi: our id, so statuses find their way back."""
        return f"mps-{self.id}"


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    slack_file_id: Mapped[str | None] = mapped_column(String(32))


class StatusEvent(Base):
    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # a MessageStatus
    raw_status: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(10))  # "bridge" | "push" | "pull"
    at: Mapped[datetime | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    """Work still to do. Jobs of one (conversation, lane) run one at a time, in order."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A JobKind and a Lane (storage/kinds.py), stored as their strings so that a row of
    # a kind this version does not know still loads (and is logged, not crashed on).
    kind: Mapped[str] = mapped_column(String(40))
    lane: Mapped[str] = mapped_column(String(10))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("dispatches.id"))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    # Given up (a permanent refusal, or too many tries): done, so it holds nothing back,
    # and counted where an operator looks.
    failed_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_jobs_pending", "done_at", "run_after"),
        Index("ix_jobs_lane_order", "conversation_id", "lane", "id"),
        Index("ix_jobs_lane_open", "conversation_id", "lane", "id", **_where(OPEN_JOB_WHERE)),  # a claim's "first in its line?"
    )


class SlackEvent(Base):
    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dispatch(Base):
    """One ``/sms`` command (or form): who sent what to whom, and how it went.

    ``trigger_id`` is unique per invocation, so a repeated delivery of the same
    command stores nothing twice.
    """

    __tablename__ = "dispatches"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger_id: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(String(16))
    send_at: Mapped[datetime | None]
    response_url: Mapped[str | None] = mapped_column(Text)
    total: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # Numbers refused before sending: [[as typed, reason], …]
    refused: Mapped[list[Any] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), default="queued")  # queued | sending | done
    progress_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OptOut(Base):
    """A number that asked not to be texted (STOP); removed when it texts START."""

    __tablename__ = "opt_outs"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    word: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str | None] = mapped_column(String(32))  # the Slack user who set it; NULL: the phone texted it
    message_id: Mapped[int | None] = mapped_column(Integer)  # the SMS that said it (no foreign key: erasure)


class HlrCheck(Base):
    """One ``/hlr``: the numbers, mProfi's upload id once it has one, and the outcome.

    ``state`` moves queued → uploading → waiting → done (or failed). A check found in
    ``uploading`` after a restart is not uploaded again: HLR look-ups are paid.
    """

    __tablename__ = "hlr_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger_id: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    response_url: Mapped[str | None] = mapped_column(Text)
    numbers: Mapped[list[Any]] = mapped_column(JSON)  # 48XXXXXXXXX
    skipped: Mapped[list[Any] | None] = mapped_column(JSON)  # [[line or text, why], …]
    upload_id: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(12), default="queued")
    detail: Mapped[str | None] = mapped_column(Text)
    progress_ts: Mapped[str | None] = mapped_column(String(32))
    polls: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyThread(Base):
    __tablename__ = "survey_threads"

    survey_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))


class SurveyNotification(Base):
    """A call to ``/mprofi/surveys`` exactly as it came, and what could be read from it."""

    __tablename__ = "survey_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_type: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))  # answer | report | unreadable
    survey_id: Mapped[int | None] = mapped_column(BigInteger)
    msisdn: Mapped[str | None] = mapped_column(String(32))
    answer: Mapped[str | None] = mapped_column(Text)
    report: Mapped[list[Any] | None] = mapped_column(JSON)
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cursor(Base):
    """How far a background poller has read (e.g. ``getincoming``), and who reads now.

    ``locked_until`` is a lease: with several replicas only one polls at a time.
    """

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]


class SlackPace(Base):
    """When the next message may go into a channel, shared by every replica.

    Slack limits posts per channel, not per process; replicas take turns through this
    row. ``next_at`` is seconds since the epoch (plain arithmetic on every database).
    """

    __tablename__ = "slack_pace"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)


class Contact(Base):
    """A name for a number: one per E.164 number, shown on cards, status lines and /sms answers."""

    __tablename__ = "contacts"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased, accents kept: what /sms <name> and /sms contacts <search> compare with.
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    tags: Mapped[list[Any] | None] = mapped_column(JSON)
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
