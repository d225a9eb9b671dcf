"""A conversation thread: its parent, inbound messages, status lines and notices."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from bot.slack.blocks.markup import clip, clock, escape, fallback, sections, when
from bot.sms.numbers import PhoneE164, display

__all__ = [
    "inbound_message",
    "inbound_repeat",
    "status_line",
    "note_marker",
    "notice",
    "STATUS_LABELS",
    "RESEND_ACTION",
    "CANCEL_SEND_ACTION",
    "status_reaction",
]

RESEND_ACTION = "resend_sms"
CANCEL_SEND_ACTION = "cancel_send_sms"  # Cancel on a reply still in its undo window

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
    "cancelled": (":no_entry_sign:", "cancelled, nothing was sent"),
}


def status_reaction(status: str) -> str:
    """The reaction a reply wears for its status (STATUS_STYLE=reactions): its label's emoji."""
    return STATUS_LABELS.get(status, (":grey_question:", ""))[0].strip(":")


def inbound_message(phone: PhoneE164, text: str, received_at: datetime | None, *, images: int = 0) -> dict[str, Any]:
    """One SMS/MMS from the phone: its text in as many sections as it needs."""
    who = escape(display(phone))
    extra = f" · {images} image{'s' if images != 1 else ''}" if images else ""
    body = sections(escape(text)) if text else sections("_(no text)_")
    return {
        "text": fallback(f"{'MMS' if images else 'SMS'} from {who}" + (f": {escape(text)}" if text else "")),
        "blocks": [
            *body,
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"📩 from {who} · {clock(received_at)}{extra}"}]},
        ],
    }


def inbound_repeat(
    phone: PhoneE164, text: str, first_seen: datetime | None, *, resent: bool = True, received_at: datetime | None = None, images: int = 0
) -> dict[str, Any]:
    """A message with the same text as an earlier one. ``resent``: mProfi may have delivered it
    again (the earlier copy never got our 2xx), so it is marked as a probable repeat; else it is
    the customer's own (a second "Tak") and shown as any message, with a quiet note."""
    if not resent:
        shown = inbound_message(phone, text, received_at, images=images)
        shown["blocks"][-1]["elements"].append({"type": "mrkdwn", "text": f"↻ same text as {clock(first_seen)}"})
        return shown
    who = escape(display(phone))
    note = (
        f"↻ The same text came again from {who} (first at {clock(first_seen)}). "
        "mProfi re-sends a message when an earlier delivery was not confirmed, so this is probably a repeat."
    )
    return {
        "text": fallback(f"Repeated SMS from {who}: {escape(text)}"),
        "blocks": [
            *(sections(escape(text)) if text else sections("_(no text)_")),
            {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]},
        ],
    }


def _resend_button(message_id: int) -> dict[str, Any]:
    return {
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


def _cancel_button(message_id: int) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": CANCEL_SEND_ACTION,
                "text": {"type": "plain_text", "text": "Cancel"},
                "value": str(message_id),
                "style": "danger",
            }
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
    text: str | None = None,
    scheduled_for: datetime | None = None,
    received: str | None = None,
    contact: str | None = None,
    characters: int | None = None,
    send_in: float | None = None,
    cancellable: bool = False,
    cancelled_by: str | None = None,
) -> dict[str, Any]:
    """The live status of one outgoing SMS/MMS, re-rendered whole on every change.

    ``text`` is shown for messages sent with ``/sms`` (a reply typed in the thread is
    already there to read); ``received`` is what the phone gets when that differs from
    what was typed (Slack's markup turned into plain words, a signature added).
    ``contact`` is the number's name; ``send_in`` the seconds left of the undo window
    and ``cancellable`` whether Cancel still can stop it; ``cancelled_by`` who did.
    """
    emoji, label = STATUS_LABELS.get(status, (":grey_question:", status))
    what = "MMS" if kind == "mms" else "SMS"
    number = escape(display(phone))
    who = f"{escape(contact)} ({number})" if contact else number
    plain_label = label
    if scheduled_for is not None and status in ("queued", "sending", "accepted"):
        emoji, label = ":alarm_clock:", f"scheduled for {when(scheduled_for)}" + (", accepted by mProfi" if status == "accepted" else "")
        plain_label = label
    elif status == "queued" and send_in is not None and send_in > 0:
        label = plain_label = f"sending in {math.ceil(send_in)} s"
    elif status == "cancelled" and cancelled_by:
        label = f"cancelled by <@{escape(cancelled_by)}>, nothing was sent"
    pieces = [f"{emoji} {what} to {who}: *{label}*"]
    if at:
        pieces.append(clock(at))
    if kind == "sms":
        count = f"{characters} character{'s' if characters != 1 else ''}, " if characters is not None else ""
        pieces.append(f"{count}{parts} part{'s' if parts != 1 else ''}{', Unicode' if encoding == 'utf-8' else ''}")
    if author:
        pieces.append(f"by <@{escape(author)}>" + (" with /sms" if text is not None else ""))
    line = " · ".join(pieces)
    if detail:
        line += f"\n{escape(detail)}"
    blocks: list[dict[str, Any]] = []
    if text is not None:
        blocks.extend(sections(escape(text), max_sections=10))
    if received is not None:
        blocks.extend(sections("The phone receives: “" + escape(received) + "”", max_sections=10))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(line, 3000)}]})
    if status == "uncertain":
        blocks.append(_resend_button(message_id))
    if status == "queued" and cancellable:
        blocks.append(_cancel_button(message_id))
    plain = f"{what} to {who}: {plain_label}" + (f" — {escape(detail)}" if detail else "")
    if text is not None:
        plain += f" — “{escape(text)}”"
    return {"text": fallback(plain), "blocks": blocks}


def note_marker() -> str:
    """Reaction name put on internal notes."""
    return "memo"


def notice(text: str, *, ping: list[str] | None = None) -> dict[str, Any]:
    """One plain sentence from the bridge in a thread; it may quote what a customer sent
    (a file name, a word), so it is escaped: nothing in it can ping or link — except the
    people in ``ping`` (Slack user ids), mentioned after it on purpose."""
    shown = clip(escape(text), 2900)
    mentions = " ".join(f"<@{escape(user)}>" for user in ping or [])
    line = f"{shown} {mentions}" if mentions else shown
    return {"text": fallback(line), "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": f"ℹ️ {line}"}]}]}
