"""What ``/sms optouts``, ``audit``, ``export`` and ``forget`` answer with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any, Protocol

from bot.i18n import _, figure, ngettext
from bot.slack.blocks.markup import escape, fallback, when
from bot.sms.numbers import PhoneE164, display

__all__ = ["FORGET_ACTION", "FORGET_CANCEL_ACTION", "forget_question", "opt_outs_list", "privacy_help"]

FORGET_ACTION = "privacy_forget"
FORGET_CANCEL_ACTION = "privacy_forget_cancel"


class OptOutShown(Protocol):
    @property
    def phone(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def word(self) -> str: ...
    @property
    def by(self) -> str | None: ...
    @property
    def at(self) -> datetime: ...


def privacy_help() -> str:
    return _(
        "/sms optouts lists the opted-out numbers (/sms optouts Kowalska searches, /sms optouts export shares a CSV, "
        "/sms optouts add 600100200 [reason], /sms optouts remove 600100200 reason). "
        "For the people in ADMIN_USERS: /sms audit [number or @person] [from..to], /sms export 600100200, /sms forget 600100200."
    )


def opt_outs_list(rows: Sequence[OptOutShown], *, total: int, query: str | None, zone: tzinfo) -> str:
    """The opted-out numbers, newest first, each with who opted it out and when (in ``zone``)."""
    if not rows:
        if query:
            return _("No opted-out number matches “{query}”.").format(query=escape(query[:40]))
        return _("No number is opted out.")
    lines = []
    for row in rows:
        who = f"{escape(row.name)} ({escape(display(PhoneE164(row.phone)))})" if row.name else escape(display(PhoneE164(row.phone)))
        how = _("by <@{user}>").format(user=escape(row.by)) if row.by else _("texted {word}").format(word=escape(row.word))
        lines.append(f"• {who} — {how}, {when(row.at, zone)}")
    head = ngettext("{n} opted-out number", "{n} opted-out numbers", total).format(n=figure(total))
    if total > len(rows):
        head += " " + _("(the newest {shown}; add part of a name or number to search)").format(shown=len(rows))
    return head + ":\n" + "\n".join(lines)


def forget_question(phone: PhoneE164) -> dict[str, Any]:
    """Ask before erasing: it cannot be undone."""
    shown = escape(display(phone))
    question = _(
        "Erase everything held about {number}? Its messages, attachments, contact and conversation go, and the bot's posts "
        "about it are deleted from Slack. This cannot be undone. If it opted out, only a salted hash of it is kept, so it is still never texted."
    ).format(number=shown)
    confirm = {
        "title": {"type": "plain_text", "text": _("Erase this number?")[:100]},
        "text": {"type": "mrkdwn", "text": _("Everything about {number} will be erased for good.").format(number=shown)},
        "confirm": {"type": "plain_text", "text": _("Erase")[:30]},
        "deny": {"type": "plain_text", "text": _("Keep it")[:30]},
        "style": "danger",
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
                        "action_id": FORGET_ACTION,
                        "text": {"type": "plain_text", "text": _("Erase {number}").format(number=display(phone))[:75]},
                        "style": "danger",
                        "value": phone,
                        "confirm": confirm,
                    },
                    {
                        "type": "button",
                        "action_id": FORGET_CANCEL_ACTION,
                        "text": {"type": "plain_text", "text": _("Cancel")},
                        "value": phone,
                    },
                ],
            },
        ],
    }
