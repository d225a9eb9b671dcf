"""``/sms``: the private answers, the "are you sure?" and a campaign's progress message."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from bot.i18n import _, figure, ngettext
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
    zone: tzinfo,
    unreachable: bool = False,
    name: str | None = None,
) -> str:
    """The private answer to a one-number ``/sms`` once mProfi has answered (``name``: the
    number's contact; ``zone``: the clock a scheduled time is told in)."""
    where = f" <{link}|" + _("Open the conversation thread.") + ">" if link else ""
    who = named_number(phone, name)
    if unreachable:
        return (
            _(
                "mProfi could not be reached, so nothing has been sent to {recipient} yet; "
                "the bridge keeps trying and the thread shows when it goes out."
            ).format(recipient=who)
            + where
        )
    if status in ("failed", "error"):
        return _("Not sent to {recipient}: {detail}").format(recipient=who, detail=escape(detail or _("mProfi refused it."))) + where
    if status == "uncertain":
        said = _("It is not certain whether the SMS to {recipient} was sent: {detail} The thread has a Send again button.")
        return said.format(recipient=who, detail=escape(detail or "")).replace("  ", " ") + where
    if scheduled_for is not None:
        return _("Scheduled: mProfi will send it to {recipient} at {time}.").format(recipient=who, time=when(scheduled_for, zone)) + where
    return _("Sent to {recipient}: mProfi accepted it; the delivery status shows in the thread.").format(recipient=who) + where


def _listed(items: list[tuple[str, str]], limit: int = 10) -> str:
    # A refused "number" is whatever was typed: clipped, so ten of them stay within a message.
    shown = "; ".join(f"{clip(escape(raw), 80)} ({clip(escape(reason), 200)})" for raw, reason in items[:limit])
    return _("{items}; and {n} more").format(items=shown, n=figure(len(items) - limit)) if len(items) > limit else shown


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
    zone: tzinfo,
) -> dict[str, Any]:
    """The channel message of a many-number ``/sms``: progress while it runs, a summary after
    (a scheduled time told in ``zone``, the bridge's ``DEFAULT_TIMEZONE``)."""
    accepted = sum(counts.get(s, 0) for s in ("accepted", "sent", "delivered", "not_delivered", "error"))
    failed = counts.get("failed", 0)
    uncertain = counts.get("uncertain", 0)
    waiting = counts.get("queued", 0) + counts.get("sending", 0)
    user, n = f"<@{escape(user_id)}>", figure(total)
    if send_at:
        head = ngettext(
            "SMS from {user} to {n} number, scheduled for {time}", "SMS from {user} to {n} numbers, scheduled for {time}", total
        ).format(user=user, n=n, time=when(send_at, zone))
    else:
        head = ngettext("SMS from {user} to {n} number", "SMS from {user} to {n} numbers", total).format(user=user, n=n)
    head = f"{':white_check_mark:' if done and not failed and not uncertain else ':outbox_tray:'} {head}"
    figures = [_("*{n}* accepted by mProfi").format(n=figure(accepted))]
    if failed:
        figures.append(_("*{n}* refused").format(n=figure(failed)))
    if uncertain:
        figures.append(_("*{n}* uncertain (may have been sent; not retried)").format(n=figure(uncertain)))
    if waiting:
        figures.append(_("*{n}* still to send").format(n=figure(waiting)))
    lines = [head, " · ".join(figures)]
    if failures:
        reasons = {detail or status for _, status, detail in failures}
        if len(reasons) == 1 and len(failures) > 1:  # one cause (a refused key, say): said once
            shown = f"{escape(reasons.pop())} ({', '.join(escape(display(phone)) for phone, _, _ in failures)})"
        else:
            shown = "; ".join(f"{escape(display(phone))} ({escape(detail or status)})" for phone, status, detail in failures)
        more = failed + uncertain - len(failures)
        if more > 0:
            shown = _("{items}; and {n} more").format(items=shown, n=figure(more))
        lines.append(_("Not sent: {items}").format(items=shown))
    if refused:
        lines.append(_("Skipped before sending: {items}").format(items=_listed(refused)))
    # English has always said "numbers" here, even for one: the singular is kept as it was.
    summary = ngettext(
        "SMS to {n} numbers: {accepted} accepted, {failed} not sent, {waiting} waiting",
        "SMS to {n} numbers: {accepted} accepted, {failed} not sent, {waiting} waiting",
        total,
    )
    return {
        "text": summary.format(n=n, accepted=figure(accepted), failed=figure(failed + uncertain), waiting=figure(waiting)),
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
    zone: tzinfo,
    again: bool = False,
    names: dict[str, str] | None = None,
) -> str:
    """The immediate private answer to ``/sms``: what will happen, and what will not
    (``names``: contacts' names by number, shown beside the numbers; ``zone``: the clock
    a scheduled time is told in)."""
    names = names or {}
    if again:
        return _("This /sms was already received; it is not sent twice.")
    skipped: list[str] = []
    if refused:
        skipped.append(_("Not numbers that can be texted: {items}.").format(items=_listed(list(refused))))
    if opted_out:
        shown = ", ".join(named_number(n, names.get(n)) for n in opted_out[:10])
        if len(opted_out) > 10:
            said = _("Not sent to {numbers} and {n} more: they are opted out.").format(numbers=shown, n=len(opted_out) - 10)
        elif len(opted_out) > 1:
            said = _("Not sent to {numbers}: they are opted out.").format(numbers=shown)
        else:
            said = _("Not sent to {numbers}: it is opted out.").format(numbers=shown)
        skipped.append(said)
    if duplicates:
        skipped.append(
            ngettext("{n} repeated number was sent once.", "{n} repeated numbers were sent once.", duplicates).format(n=duplicates)
        )
    tail = (" " + " ".join(skipped)) if skipped else ""
    if not sending:
        return _("Nothing was sent.") + tail
    size = ngettext("{n} SMS part", "{n} SMS parts", parts).format(n=parts)
    time = when(send_at, zone) if send_at else ""
    if len(sending) == 1:
        said = (
            _(
                "Scheduling for {time}: {recipient} ({size}). It shows in the number's conversation thread in {channel} with its delivery status."
            )
            if send_at
            else _("Sending: {recipient} ({size}). It shows in the number's conversation thread in {channel} with its delivery status.")
        )
        recipient = named_number(sending[0], names.get(sending[0]))
        return said.format(time=time, recipient=recipient, size=size, channel=f"<#{escape(bridge_channel)}>") + tail
    said = (
        ngettext(
            "Scheduling for {time}: {n} number ({size} each, {total} SMS in all). Progress shows in this channel.",
            "Scheduling for {time}: {n} numbers ({size} each, {total} SMS in all). Progress shows in this channel.",
            len(sending),
        )
        if send_at
        else ngettext(
            "Sending: {n} number ({size} each, {total} SMS in all). Progress shows in this channel.",
            "Sending: {n} numbers ({size} each, {total} SMS in all). Progress shows in this channel.",
            len(sending),
        )
    )
    return said.format(time=time, n=figure(len(sending)), size=size, total=figure(parts * len(sending))) + tail


def sms_confirm(*, dispatch_id: int, numbers: int, parts: int, text: str, skipped: str) -> dict[str, Any]:
    """The "are you sure?" for a large /sms: nothing is sent until Send is pressed.

    ``skipped`` is mrkdwn already escaped (what :func:`sms_ack` says of skipped numbers).
    """
    total = numbers * parts
    question = ":warning: " + _(
        "This sends *{count} SMS* ({parts} each, {total} SMS to pay for). Nothing goes out until you press Send."
    ).format(count=figure(numbers), parts=ngettext("{n} part", "{n} parts", parts).format(n=parts), total=figure(total))
    question += (" " + skipped) if skipped else ""  # sms_ack's words, escaped there
    return {
        "text": fallback(_("Send {count} SMS? Nothing goes out until you press Send.").format(count=figure(numbers))),
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
                        "text": {"type": "plain_text", "text": _("Send {count} SMS").format(count=figure(numbers))},
                    },
                    {
                        "type": "button",
                        "action_id": CANCEL_ACTION,
                        "value": str(dispatch_id),
                        "text": {"type": "plain_text", "text": _("Cancel")},
                    },
                ],
            },
        ],
    }
