"""Block Kit builders: pure functions from data to Slack message payloads.

Every payload carries a ``text`` fallback (notifications and screen readers use it)
and blocks for the channel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.sms.numbers import PhoneE164, display

__all__ = [
    "thread_parent",
    "inbound_message",
    "inbound_repeat",
    "status_line",
    "note_marker",
    "notice",
    "STATUS_LABELS",
    "RESEND_ACTION",
]

RESEND_ACTION = "resend_sms"
WARSAW = ZoneInfo("Europe/Warsaw")

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "queued": (":hourglass_flowing_sand:", "queued"),
    "sending": (":hourglass_flowing_sand:", "sending to mProfi"),
    "accepted": (":incoming_envelope:", "accepted by mProfi"),
    "sent": (":outbox_tray:", "sent to the network"),
    "delivered": (":white_check_mark:", "delivered"),
    "not_delivered": (":warning:", "not delivered (expired or unreachable)"),
    "error": (":x:", "mProfi reports a delivery error"),
    "failed": (":x:", "not sent"),
    "uncertain": (":grey_question:", "may or may not have been sent"),
    "unknown": (":grey_question:", "status unknown"),
}


def _clock(when: datetime | None) -> str:
    return when.astimezone(WARSAW).strftime("%H:%M") if when else ""


def _mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def thread_parent(phone: PhoneE164, contact_name: str | None, *, note_prefix: str = "note:") -> dict[str, Any]:
    """The message that opens a number's thread: who it is, and how replies work."""
    who = f"{contact_name} · {display(phone)}" if contact_name else display(phone)
    return {
        "text": f"SMS conversation with {who}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"📱 {who}", "emoji": True}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "Replies in this thread are sent to this number as SMS (a shared file as MMS). "
                        f"Start a reply with `{note_prefix}` to keep it inside the team.",
                    }
                ],
            },
        ],
    }


def inbound_message(phone: PhoneE164, text: str, received_at: datetime | None, *, images: int = 0) -> dict[str, Any]:
    shown = _mrkdwn_escape(text) if text else "_(no text)_"
    extra = f" · {images} image{'s' if images != 1 else ''}" if images else ""
    return {
        "text": f"{'MMS' if images else 'SMS'} from {display(phone)}" + (f": {text}" if text else ""),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": shown}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"📩 from {display(phone)} · {_clock(received_at)}{extra}"}],
            },
        ],
    }


def inbound_repeat(phone: PhoneE164, text: str, first_seen: datetime | None) -> dict[str, Any]:
    """A message that repeats an earlier one: shown, but marked as a likely re-delivery."""
    note = (
        f"↻ The same text came again from {display(phone)} (first at {_clock(first_seen)}). "
        "mProfi re-sends a message when an earlier delivery was not confirmed, so this is probably a repeat."
    )
    return {
        "text": f"Repeated SMS from {display(phone)}: {text}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn_escape(text) or "_(no text)_"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]},
        ],
    }


def status_line(
    *,
    message_id: int,
    kind: str,
    phone: PhoneE164,
    status: str,
    at: datetime | None,
    detail: str | None = None,
    author: str | None = None,
    parts: int = 1,
    encoding: str | None = None,
) -> dict[str, Any]:
    """The live status of one outgoing SMS/MMS, re-rendered whole on every change."""
    emoji, label = STATUS_LABELS.get(status, (":grey_question:", status))
    what = "MMS" if kind == "mms" else "SMS"
    pieces = [f"{emoji} {what} to {display(phone)}: *{label}*"]
    if at:
        pieces.append(_clock(at))
    if kind == "sms":
        pieces.append(f"{parts} part{'s' if parts != 1 else ''}{', Unicode' if encoding == 'utf-8' else ''}")
    if author:
        pieces.append(f"by <@{author}>")
    text = " · ".join(pieces)
    if detail:
        text += f"\n{_mrkdwn_escape(detail)}"
    blocks: list[dict[str, Any]] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}]
    if status == "uncertain":
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RESEND_ACTION,
                        "text": {"type": "plain_text", "text": "Send again"},
                        "value": str(message_id),
                        "confirm": {
                            "title": {"type": "plain_text", "text": "Send it again?"},
                            "text": {
                                "type": "mrkdwn",
                                "text": "The first attempt may already have reached the phone; "
                                "sending again can deliver it twice and costs another SMS.",
                            },
                            "confirm": {"type": "plain_text", "text": "Send again"},
                            "deny": {"type": "plain_text", "text": "Cancel"},
                        },
                    }
                ],
            }
        )
    plain = f"{what} to {display(phone)}: {label}" + (f" — {detail}" if detail else "")
    return {"text": plain, "blocks": blocks}


def note_marker() -> str:
    """Reaction name put on internal notes."""
    return "memo"


def notice(text: str) -> dict[str, Any]:
    """One plain sentence from the bridge in a thread."""
    return {"text": text, "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": f"ℹ️ {text}"}]}]}
