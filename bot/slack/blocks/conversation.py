"""A conversation thread: its parent, inbound messages, status lines and notices."""

from __future__ import annotations

import math
from datetime import datetime, tzinfo
from typing import Any

from bot.i18n import N_, _, ngettext
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

# The labels are marked, not translated: pass them through _() where they are shown.
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "held": (":crescent_moon:", N_("held for the quiet hours: its sender chooses when it goes")),
    "queued": (":hourglass_flowing_sand:", N_("queued")),
    "sending": (":hourglass_flowing_sand:", N_("sending to mProfi")),
    "accepted": (":incoming_envelope:", N_("accepted by mProfi")),
    "sent": (":outbox_tray:", N_("sent to the network")),
    "delivered": (":white_check_mark:", N_("delivered")),
    "not_delivered": (":warning:", N_("not delivered (expired or unreachable)")),
    "error": (":x:", N_("mProfi reports a delivery error")),
    "failed": (":x:", N_("not sent")),
    "uncertain": (":grey_question:", N_("may or may not have been sent")),
    "unknown": (":grey_question:", N_("status unknown")),
    "cancelled": (":no_entry_sign:", N_("cancelled, nothing was sent")),
}


def status_reaction(status: str) -> str:
    """The reaction a reply wears for its status (STATUS_STYLE=reactions): its label's emoji."""
    return STATUS_LABELS.get(status, (":grey_question:", ""))[0].strip(":")


def inbound_message(phone: PhoneE164, text: str, received_at: datetime | None, *, zone: tzinfo, images: int = 0) -> dict[str, Any]:
    """One SMS/MMS from the phone: its text in as many sections as it needs, the time it came in ``zone``."""
    who = escape(display(phone))
    extra = " · " + ngettext("{n} image", "{n} images", images).format(n=images) if images else ""
    body = sections(escape(text)) if text else sections(_("_(no text)_"))
    kind = "MMS" if images else "SMS"
    plain = (
        _("{kind} from {sender}: {text}").format(kind=kind, sender=who, text=escape(text))
        if text
        else _("{kind} from {sender}").format(kind=kind, sender=who)
    )
    line = "📩 " + _("from {sender}").format(sender=who) + f" · {clock(received_at, zone)}{extra}"
    return {"text": fallback(plain), "blocks": [*body, {"type": "context", "elements": [{"type": "mrkdwn", "text": line}]}]}


def inbound_repeat(
    phone: PhoneE164,
    text: str,
    first_seen: datetime | None,
    *,
    zone: tzinfo,
    resent: bool = True,
    received_at: datetime | None = None,
    images: int = 0,
) -> dict[str, Any]:
    """A message with the same text as an earlier one. ``resent``: mProfi may have delivered it
    again (the earlier copy never got our 2xx), so it is marked as a probable repeat; else it is
    the customer's own (a second "Tak") and shown as any message, with a quiet note."""
    if not resent:
        shown = inbound_message(phone, text, received_at, zone=zone, images=images)
        same = "↻ " + _("same text as {time}").format(time=clock(first_seen, zone))
        shown["blocks"][-1]["elements"].append({"type": "mrkdwn", "text": same})
        return shown
    who = escape(display(phone))
    note = "↻ " + _(
        "The same text came again from {sender} (first at {time}). "
        "mProfi re-sends a message when an earlier delivery was not confirmed, so this is probably a repeat."
    ).format(sender=who, time=clock(first_seen, zone))
    return {
        "text": fallback(_("Repeated SMS from {sender}: {text}").format(sender=who, text=escape(text))),
        "blocks": [
            *(sections(escape(text)) if text else sections(_("_(no text)_"))),
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
                "text": {"type": "plain_text", "text": _("Send again")},
                "value": str(message_id),
                "confirm": {
                    "title": {"type": "plain_text", "text": _("Send it again?")},
                    "text": {
                        "type": "mrkdwn",
                        "text": _(
                            "The first attempt may already have reached the phone; "
                            "sending again can deliver it twice and costs another SMS."
                        ),
                    },
                    "confirm": {"type": "plain_text", "text": _("Send again")},
                    "deny": {"type": "plain_text", "text": _("Cancel")},
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
                "text": {"type": "plain_text", "text": _("Cancel")},
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
    zone: tzinfo,
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
    Times are told in ``zone`` (the bridge's ``DEFAULT_TIMEZONE``).
    """
    emoji, label = STATUS_LABELS.get(status, (":grey_question:", status))
    label = _(label) if status in STATUS_LABELS else label
    what = "MMS" if kind == "mms" else "SMS"
    number = escape(display(phone))
    who = f"{escape(contact)} ({number})" if contact else number
    plain_label = label
    if scheduled_for is not None and status in ("queued", "sending", "accepted"):
        at_time = when(scheduled_for, zone)
        scheduled = _("scheduled for {time}, accepted by mProfi") if status == "accepted" else _("scheduled for {time}")
        emoji, label = ":alarm_clock:", scheduled.format(time=at_time)
        plain_label = label
    elif status == "queued" and send_in is not None and send_in > 0:
        label = plain_label = _("sending in {seconds} s").format(seconds=math.ceil(send_in))
    elif status == "cancelled" and cancelled_by:
        label = _("cancelled by {user}, nothing was sent").format(user=f"<@{escape(cancelled_by)}>")
    pieces = [f"{emoji} " + _("{kind} to {recipient}: *{status}*").format(kind=what, recipient=who, status=label)]
    if at:
        pieces.append(clock(at, zone))
    if kind == "sms":
        size = [ngettext("{n} character", "{n} characters", characters).format(n=characters)] if characters is not None else []
        size.append(ngettext("{n} part", "{n} parts", parts).format(n=parts))
        pieces.append(", ".join(size + (["Unicode"] if encoding == "utf-8" else [])))
    if author:
        user = f"<@{escape(author)}>"
        pieces.append(_("by {user} with /sms").format(user=user) if text is not None else _("by {user}").format(user=user))
    line = " · ".join(pieces)
    if detail:
        line += f"\n{escape(detail)}"
    blocks: list[dict[str, Any]] = []
    if text is not None:
        blocks.extend(sections(escape(text), max_sections=10))
    if received is not None:
        blocks.extend(sections(_("The phone receives: “{text}”").format(text=escape(received)), max_sections=10))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(line, 3000)}]})
    if status == "uncertain":
        blocks.append(_resend_button(message_id))
    if status == "queued" and cancellable:
        blocks.append(_cancel_button(message_id))
    plain = _("{kind} to {recipient}: {status}").format(kind=what, recipient=who, status=plain_label) + (
        f" — {escape(detail)}" if detail else ""
    )
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
