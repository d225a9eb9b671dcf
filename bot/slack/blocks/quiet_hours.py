"""The private question a send inside ``QUIET_HOURS`` gets: schedule it, send it anyway, or not."""

from __future__ import annotations

from typing import Any

from bot.i18n import _
from bot.slack.blocks.markup import fallback

__all__ = ["QUIET_ACTIONS", "QUIET_CANCEL", "QUIET_SCHEDULE", "QUIET_SEND", "quiet_question"]

QUIET_SCHEDULE = "quiet_schedule"
QUIET_SEND = "quiet_send"
QUIET_CANCEL = "quiet_cancel"
QUIET_ACTIONS = (QUIET_SCHEDULE, QUIET_SEND, QUIET_CANCEL)


def quiet_question(*, key: str, what: str, hours: str, end: str) -> dict[str, Any]:
    """``key`` says what is held (``sms:12``, ``reply:40``, ``survey:7``); ``what`` is the
    escaped sentence naming it ("This SMS to +48 600 100 200")."""
    question = _("It is quiet hours ({hours}): {what} has not been sent. Send it at {end}, when they end, or now anyway?").format(
        hours=hours, what=what, end=end
    )
    confirm = {
        "title": {"type": "plain_text", "text": _("Send in quiet hours?")[:100]},
        "text": {"type": "mrkdwn", "text": _("It goes out now, at night, and the audit log records that you chose it.")},
        "confirm": {"type": "plain_text", "text": _("Send now")[:30]},
        "deny": {"type": "plain_text", "text": _("Back")[:30]},
    }
    return {
        "text": fallback(question),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": question}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": QUIET_SCHEDULE,
                        "text": {"type": "plain_text", "text": _("Schedule for {end}").format(end=end)[:75]},
                        "style": "primary",
                        "value": key,
                    },
                    {
                        "type": "button",
                        "action_id": QUIET_SEND,
                        "text": {"type": "plain_text", "text": _("Send anyway")[:75]},
                        "value": key,
                        "confirm": confirm,
                    },
                    {"type": "button", "action_id": QUIET_CANCEL, "text": {"type": "plain_text", "text": _("Cancel")}, "value": key},
                ],
            },
        ],
    }
