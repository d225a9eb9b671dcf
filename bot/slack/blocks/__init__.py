"""Block Kit builders: pure functions from data to Slack message payloads.

Every payload carries a ``text`` fallback (notifications and screen readers use it)
and blocks for the channel. Both are escaped (:func:`markup.escape`) wherever they
hold text the bridge did not write itself, and both keep within Slack's sizes.
"""

from bot.slack.blocks.card import conversation_card, follow_up
from bot.slack.blocks.conversation import (
    RESEND_ACTION,
    STATUS_LABELS,
    inbound_message,
    inbound_repeat,
    note_marker,
    notice,
    status_line,
)
from bot.slack.blocks.hlr import hlr_failed, hlr_progress, hlr_single, hlr_summary
from bot.slack.blocks.markup import escape
from bot.slack.blocks.sms import CANCEL_ACTION, CONFIRM_ACTION, dispatch_progress, sms_ack, sms_confirm, sms_outcome
from bot.slack.blocks.survey import (
    UnnamedSurvey,
    survey_answer,
    survey_detail,
    survey_list,
    survey_report,
    survey_started,
    survey_thread_parent,
    survey_unreadable,
)

__all__ = [
    "CANCEL_ACTION",
    "CONFIRM_ACTION",
    "conversation_card",
    "follow_up",
    "RESEND_ACTION",
    "STATUS_LABELS",
    "UnnamedSurvey",
    "dispatch_progress",
    "escape",
    "hlr_failed",
    "hlr_progress",
    "hlr_single",
    "hlr_summary",
    "inbound_message",
    "inbound_repeat",
    "note_marker",
    "notice",
    "sms_ack",
    "sms_confirm",
    "sms_outcome",
    "status_line",
    "survey_answer",
    "survey_detail",
    "survey_list",
    "survey_report",
    "survey_started",
    "survey_thread_parent",
    "survey_unreadable",
]
