"""The names the database stores for a job's kind and a message's status.

Both columns are plain strings in the schema (an old row with a name this code no
longer knows must still load); these enums are what the code writes and compares.
``StrEnum`` members equal their strings, so a row read back compares equal too.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AuditKind", "JobKind", "Lane", "MessageStatus", "ConversationState", "FINAL_STATUSES"]


class Lane(StrEnum):
    """Which service a job talks to: jobs of one conversation and lane run in order."""

    SLACK = "slack"
    MPROFI = "mprofi"


class JobKind(StrEnum):
    """Every kind of queued work; :mod:`bot.bridge.jobs` maps each to its handler."""

    POST_INBOUND = "post_inbound"  # an SMS/MMS from a phone, into its thread
    SEND_REPLY = "send_outbound"  # a thread reply, to the phone
    RENDER_STATUS = "render_status"  # an outgoing message's status line, drawn again
    REACT_NOTE = "react_note"  # the 📝 on a thread note
    NOTICE = "notice"  # a line in a thread (an opt-out, a refusal)
    TELL = "tell"  # a private (ephemeral) message to one person
    SEND_BULK = "send_bulk"  # one batch of a /sms to many numbers
    RENDER_DISPATCH = "render_dispatch"  # a /sms's progress message
    RESPOND = "respond"  # how a /sms to one number ended, told to its sender
    HLR_RUN = "hlr_run"  # an /hlr check
    HLR_FROM_FILE = "hlr_from_file"  # the numbers of a CSV shared with a mention of the bot
    SURVEY_COMMAND = "survey_command"  # a /survey
    POST_SURVEY_NOTIFICATION = "post_survey_notification"  # what mProfi said of a survey
    RENDER_CARD = "render_card"  # a conversation's live card (its thread's parent), drawn again
    IMPORT_CONTACTS = "import_contacts"  # a CSV of names shared with the bot
    EXPORT_CONTACTS = "export_contacts"  # every contact as a CSV file, for /sms contacts export
    EXPORT_OPT_OUTS = "export_opt_outs"  # every opt-out as a CSV file, for /sms optouts export
    EXPORT_AUDIT = "export_audit"  # the audit log as a CSV file, for /sms audit
    EXPORT_NUMBER = "export_number"  # everything held about one number, for /sms export
    ERASE_SLACK_POSTS = "erase_slack_posts"  # the bot's posts about an erased number, deleted from Slack
    PUBLISH_HOME = "publish_home"  # one person's App Home tab, drawn again (views.publish)
    STATS_REPORT = "stats_report"  # /sms stats: the figures, their CSV and chart, posted
    CAMPAIGN_READ = "campaign_read"  # a CSV shared for a campaign: read, stored, its dry run posted
    CAMPAIGN_HLR = "campaign_hlr"  # a campaign's optional HLR pre-check (upload, then the report)
    CAMPAIGN_SEND = "campaign_send"  # one batch (≤ 1,000) of a campaign through sendbulk/
    CAMPAIGN_RENDER = "campaign_render"  # the campaign's one message, drawn again
    CAMPAIGN_RESULTS = "campaign_results"  # the results CSV, uploaded in the campaign's thread


class AuditKind(StrEnum):
    """What an ``audit_log`` row records."""

    SMS_SENT = "sms_sent"  # handed to mProfi (detail: how the call ended)
    MMS_SENT = "mms_sent"
    OPT_OUT = "opt_out"  # detail: the keyword, or the reason given in Slack
    OPT_IN = "opt_in"
    OPT_OUT_HINT = "opt_out_hint"  # an SMS that may ask to opt out; nothing changed yet
    QUIET_HOURS_OVERRIDE = "quiet_hours_override"  # sent inside QUIET_HOURS on purpose
    CONTACT_CHANGED = "contact_changed"
    CONTACTS_IMPORTED = "contacts_imported"
    CONTACTS_EXPORTED = "contacts_exported"
    OPT_OUTS_EXPORTED = "opt_outs_exported"
    AUDIT_EXPORTED = "audit_exported"
    NUMBER_EXPORTED = "number_exported"
    NUMBER_FORGOTTEN = "number_forgotten"
    RETENTION = "retention"  # old texts removed (detail: how many, before when)


class MessageStatus(StrEnum):
    """Where a stored message stands; outgoing ones only ever move forward."""

    RECEIVED = "received"  # inbound, stored, not yet in Slack
    POSTED = "posted"  # inbound, in its thread
    NOTE = "note"  # a thread note: never sent
    HELD = "held"  # a large /sms waiting for its Send button
    QUEUED = "queued"
    SENDING = "sending"  # the call to mProfi is under way
    UNCERTAIN = "uncertain"  # the call went out and no answer came back: a person decides
    ACCEPTED = "accepted"  # mProfi took it (``processing``)
    SENT = "sent"
    DELIVERED = "delivered"
    NOT_DELIVERED = "not_delivered"
    ERROR = "error"
    FAILED = "failed"  # we did not send it (refused, opted out, key refused)
    CANCELLED = "cancelled"  # cancelled before it went: a large /sms, or a reply in its undo window
    UNKNOWN = "unknown"  # mProfi gave no final status in time


FINAL_STATUSES = frozenset({MessageStatus.DELIVERED, MessageStatus.NOT_DELIVERED, MessageStatus.ERROR, MessageStatus.FAILED})


class ConversationState(StrEnum):
    """Who a conversation waits for; a snooze is ``snoozed_until`` on top of any of these."""

    NEW = "new"  # opened, nobody has answered yet
    WAITING_US = "waiting_us"  # the customer wrote last
    WAITING_CUSTOMER = "waiting_customer"  # we wrote last
    CLOSED = "closed"  # done; a new SMS opens it again
