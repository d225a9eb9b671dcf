"""``/sms``: the private answers, the "are you sure?" and a campaign's progress message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack.blocks.contacts import named_number
from bot.slack.blocks.markup import clip, escape, fallback, when
from bot.sms.numbers import PhoneE164, display

__all__ = ["sms_outcome", "sms_ack", "sms_confirm", "dispatch_progress", "CONFIRM_ACTION", "CANCEL_ACTION"]

CONFIRM_ACTION = "sms_confirm"
CANCEL_ACTION = "sms_cancel"


def _quote(text: str) -> str:
    return "“" + clip(escape(text), 200) + "”"


def sms_outcome(
    *,
    phone: PhoneE164,
    status: str,
    detail: str | None,
    scheduled_for: datetime | None,
    link: str | None,
    unreachable: bool = False,
    name: str | None = None,
) -> str:
    """The private answer to a one-number ``/sms`` once mProfi has answered (``name``: the number's contact)."""
    where = f" <{link}|Open the conversation thread.>" if link else ""
    who = named_number(phone, name)
    if unreachable:
        return (
            f"mProfi could not be reached, so nothing has been sent to {who} yet; "
            f"the bridge keeps trying and the thread shows when it goes out.{where}"
        )
    if status in ("failed", "error"):
        return f"Not sent to {who}: {escape(detail or 'mProfi refused it.')}{where}"
    if status == "uncertain":
        said = f"It is not certain whether the SMS to {who} was sent: {escape(detail or '')} The thread has a Send again button."
        return said.replace("  ", " ") + where
    if scheduled_for is not None:
        return f"Scheduled: mProfi will send it to {who} at {when(scheduled_for)}.{where}"
    return f"Sent to {who}: mProfi accepted it; the delivery status shows in the thread.{where}"


def _listed(items: list[tuple[str, str]], limit: int = 10) -> str:
    # A refused "number" is whatever was typed: clipped, so ten of them stay within a message.
    shown = "; ".join(f"{clip(escape(raw), 80)} ({clip(escape(reason), 200)})" for raw, reason in items[:limit])
    return shown + (f"; and {len(items) - limit:,} more" if len(items) > limit else "")


def dispatch_progress(
    *,
    user_id: str,
    text: str,
    total: int,
    counts: dict[str, int],
    failures: list[tuple[PhoneE164, str, str]],
    refused: list[tuple[str, str]],
    send_at: datetime | None,
    done: bool,
) -> dict[str, Any]:
    """The channel message of a many-number ``/sms``: progress while it runs, a summary after."""
    accepted = sum(counts.get(s, 0) for s in ("accepted", "sent", "delivered", "not_delivered", "error"))
    failed = counts.get("failed", 0)
    uncertain = counts.get("uncertain", 0)
    waiting = counts.get("queued", 0) + counts.get("sending", 0)
    scheduled = f", scheduled for {when(send_at)}" if send_at else ""
    head = (
        f"{':white_check_mark:' if done and not failed and not uncertain else ':outbox_tray:'} "
        f"SMS from <@{escape(user_id)}> to {total:,} number{'s' if total != 1 else ''}{scheduled}"
    )
    figures = [f"*{accepted:,}* accepted by mProfi"]
    if failed:
        figures.append(f"*{failed:,}* refused")
    if uncertain:
        figures.append(f"*{uncertain:,}* uncertain (may have been sent; not retried)")
    if waiting:
        figures.append(f"*{waiting:,}* still to send")
    lines = [head, " · ".join(figures)]
    if failures:
        reasons = {detail or status for _, status, detail in failures}
        if len(reasons) == 1 and len(failures) > 1:  # one cause (a refused key, say): said once
            shown = f"{escape(reasons.pop())} ({', '.join(escape(display(phone)) for phone, _, _ in failures)})"
        else:
            shown = "; ".join(f"{escape(display(phone))} ({escape(detail or status)})" for phone, status, detail in failures)
        more = failed + uncertain - len(failures)
        lines.append("Not sent: " + shown + (f"; and {more:,} more" if more > 0 else ""))
    if refused:
        lines.append("Skipped before sending: " + _listed(refused))
    return {
        "text": f"SMS to {total:,} numbers: {accepted:,} accepted, {failed + uncertain:,} not sent, {waiting:,} waiting",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), 3000)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _quote(text)}]},
        ],
    }


def sms_ack(
    *,
    sending: tuple[PhoneE164, ...],
    opted_out: tuple[PhoneE164, ...],
    refused: tuple[tuple[str, str], ...],
    duplicates: int,
    parts: int,
    send_at: datetime | None,
    bridge_channel: str,
    again: bool = False,
    names: dict[str, str] | None = None,
) -> str:
    """The immediate private answer to ``/sms``: what will happen, and what will not
    (``names``: contacts' names by number, shown beside the numbers)."""
    names = names or {}
    if again:
        return "This /sms was already received; it is not sent twice."
    skipped: list[str] = []
    if refused:
        skipped.append(f"Not numbers that can be texted: {_listed(list(refused))}.")
    if opted_out:
        shown = ", ".join(named_number(n, names.get(n)) for n in opted_out[:10])
        more = f" and {len(opted_out) - 10} more" if len(opted_out) > 10 else ""
        skipped.append(f"Not sent to {shown}{more}: {'they are' if len(opted_out) > 1 else 'it is'} opted out.")
    if duplicates:
        skipped.append(f"{duplicates} repeated number{'s were' if duplicates > 1 else ' was'} sent once.")
    tail = (" " + " ".join(skipped)) if skipped else ""
    if not sending:
        return "Nothing was sent." + tail
    size = f"{parts} SMS part{'s' if parts != 1 else ''}"
    verb = f"Scheduling for {when(send_at)}" if send_at else "Sending"
    if len(sending) == 1:
        return (
            f"{verb}: {named_number(sending[0], names.get(sending[0]))} ({size}). It shows in the number's conversation thread in "
            f"<#{escape(bridge_channel)}> with its delivery status.{tail}"
        )
    return f"{verb}: {len(sending):,} numbers ({size} each, {parts * len(sending):,} SMS in all). Progress shows in this channel.{tail}"


def sms_confirm(*, dispatch_id: int, numbers: int, parts: int, text: str, skipped: str) -> dict[str, Any]:
    """The "are you sure?" for a large /sms: nothing is sent until Send is pressed.

    ``skipped`` is mrkdwn already escaped (what :func:`sms_ack` says of skipped numbers).
    """
    total = numbers * parts
    question = (
        f":warning: This sends *{numbers:,} SMS* ({parts} part{'s' if parts != 1 else ''} each, {total:,} SMS to pay for). "
        f"Nothing goes out until you press Send.{(' ' + skipped) if skipped else ''}"  # sms_ack's words, escaped there
    )
    return {
        "text": fallback(f"Send {numbers:,} SMS? Nothing goes out until you press Send."),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(question, 3000)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _quote(text)}]},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": CONFIRM_ACTION,
                        "style": "danger",
                        "value": str(dispatch_id),
                        "text": {"type": "plain_text", "text": f"Send {numbers:,} SMS"},
                    },
                    {
                        "type": "button",
                        "action_id": CANCEL_ACTION,
                        "value": str(dispatch_id),
                        "text": {"type": "plain_text", "text": "Cancel"},
                    },
                ],
            },
        ],
    }
