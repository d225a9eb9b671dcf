"""Block Kit builders: pure functions from data to Slack message payloads.

Every payload carries a ``text`` fallback (notifications and screen readers use it)
and blocks for the channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.sms.numbers import PhoneE164, display, is_phone

__all__ = [
    "thread_parent",
    "inbound_message",
    "inbound_repeat",
    "status_line",
    "note_marker",
    "notice",
    "STATUS_LABELS",
    "RESEND_ACTION",
    "dispatch_progress",
    "sms_outcome",
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


def _when(moment: datetime) -> str:
    return moment.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")


def _mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def thread_parent(phone: PhoneE164, contact_name: str | None, *, note_prefix: str = "note:") -> dict[str, Any]:
    """The message that opens a number's thread: who it is, and how replies work."""
    who = f"{contact_name} · {display(phone)}" if contact_name else display(phone)
    how = (
        "Replies in this thread are sent to this number as SMS (a shared file as MMS). "
        if is_phone(phone)
        else "This is a sender name or short code: nobody can text it back, so replies here are not sent. "
    )
    return {
        "text": f"SMS conversation with {_mrkdwn_escape(who)}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"📱 {who}", "emoji": True}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": how + f"Start a reply with `{note_prefix}` to keep it inside the team.",
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
    text: str | None = None,
    scheduled_for: datetime | None = None,
) -> dict[str, Any]:
    """The live status of one outgoing SMS/MMS, re-rendered whole on every change.

    ``text`` is shown for messages sent with ``/sms`` (a reply typed in the thread is
    already there to read).
    """
    emoji, label = STATUS_LABELS.get(status, (":grey_question:", status))
    what = "MMS" if kind == "mms" else "SMS"
    if scheduled_for is not None and status in ("queued", "sending", "accepted"):
        emoji, label = ":alarm_clock:", f"scheduled for {_when(scheduled_for)}" + (", accepted by mProfi" if status == "accepted" else "")
    pieces = [f"{emoji} {what} to {display(phone)}: *{label}*"]
    if at:
        pieces.append(_clock(at))
    if kind == "sms":
        pieces.append(f"{parts} part{'s' if parts != 1 else ''}{', Unicode' if encoding == 'utf-8' else ''}")
    if author:
        pieces.append(f"by <@{author}>" + (" with /sms" if text is not None else ""))
    line = " · ".join(pieces)
    if detail:
        line += f"\n{_mrkdwn_escape(detail)}"
    blocks: list[dict[str, Any]] = []
    if text is not None:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn_escape(text)}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
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
    if text is not None:
        plain += f" — “{text}”"
    return {"text": plain, "blocks": blocks}


def note_marker() -> str:
    """Reaction name put on internal notes."""
    return "memo"


def notice(text: str) -> dict[str, Any]:
    """One plain sentence from the bridge in a thread; it may quote what a customer sent
    (a file name, a word), so it is escaped: nothing in it can ping or link."""
    shown = _mrkdwn_escape(text)
    return {"text": shown, "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": f"ℹ️ {shown}"}]}]}


def sms_outcome(
    *,
    phone: PhoneE164,
    status: str,
    detail: str | None,
    scheduled_for: datetime | None,
    link: str | None,
    unreachable: bool = False,
) -> str:
    """The private answer to a one-number ``/sms`` once mProfi has answered."""
    where = f" <{link}|Open the conversation thread.>" if link else ""
    who = display(phone)
    if unreachable:
        return (
            f"mProfi could not be reached, so nothing has been sent to {who} yet; "
            f"the bridge keeps trying and the thread shows when it goes out.{where}"
        )
    if status in ("failed", "error"):
        return f"Not sent to {who}: {detail or 'mProfi refused it.'}{where}"
    if status == "uncertain":
        return f"It is not certain whether the SMS to {who} was sent: {detail or ''} The thread has a Send again button.{where}".replace("  ", " ")
    if scheduled_for is not None:
        return f"Scheduled: mProfi will send it to {who} at {_when(scheduled_for)}.{where}"
    return f"Sent to {who}: mProfi accepted it; the delivery status shows in the thread.{where}"


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
    when = f", scheduled for {_when(send_at)}" if send_at else ""
    head = (
        f"{':white_check_mark:' if done and not failed and not uncertain else ':outbox_tray:'} "
        f"SMS from <@{user_id}> to {total:,} number{'s' if total != 1 else ''}{when}"
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
        shown = "; ".join(f"{display(phone)} ({detail or status})" for phone, status, detail in failures)
        more = failed + uncertain - len(failures)
        lines.append("Not sent: " + _mrkdwn_escape(shown) + (f"; and {more:,} more" if more > 0 else ""))
    if refused:
        shown = "; ".join(f"{raw} ({reason})" for raw, reason in refused[:10])
        more = len(refused) - 10
        lines.append("Skipped before sending: " + _mrkdwn_escape(shown) + (f"; and {more:,} more" if more > 0 else ""))
    body = "\n".join(lines)
    return {
        "text": f"SMS to {total:,} numbers: {accepted:,} accepted, {failed + uncertain:,} not sent, {waiting:,} waiting",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": body}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "“" + _mrkdwn_escape(text[:200]) + ("…" if len(text) > 200 else "") + "”"}]},
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
) -> str:
    """The immediate private answer to ``/sms``: what will happen, and what will not."""
    if again:
        return "This /sms was already received; it is not sent twice."
    skipped: list[str] = []
    if refused:
        shown = "; ".join(f"{raw} ({reason})" for raw, reason in refused[:10])
        more = f"; and {len(refused) - 10} more" if len(refused) > 10 else ""
        skipped.append(f"Not numbers that can be texted: {shown}{more}.")
    if opted_out:
        names = ", ".join(display(n) for n in opted_out[:10])
        more = f" and {len(opted_out) - 10} more" if len(opted_out) > 10 else ""
        skipped.append(f"Not sent to {names}{more}: {'they' if len(opted_out) > 1 else 'it'} texted STOP.")
    if duplicates:
        skipped.append(f"{duplicates} repeated number{'s were' if duplicates > 1 else ' was'} sent once.")
    tail = (" " + " ".join(skipped)) if skipped else ""
    if not sending:
        return "Nothing was sent." + tail
    size = f"{parts} SMS part{'s' if parts != 1 else ''}"
    verb = f"Scheduling for {_when(send_at)}" if send_at else "Sending"
    if len(sending) == 1:
        return (
            f"{verb}: {display(sending[0])} ({size}). It shows in the number's conversation thread in "
            f"<#{bridge_channel}> with its delivery status.{tail}"
        )
    return (
        f"{verb}: {len(sending):,} numbers ({size} each, {parts * len(sending):,} SMS in all). "
        f"Progress shows in this channel.{tail}"
    )


# ---- /hlr ------------------------------------------------------------------------


def _country(msisdn_digits: str) -> str:
    import phonenumbers
    from phonenumbers import geocoder

    try:
        return geocoder.country_name_for_number(phonenumbers.parse("+" + msisdn_digits, None), "en") or "unknown country"
    except phonenumbers.NumberParseException:
        return "unknown country"


def _digits_display(msisdn_digits: str) -> str:
    return display(PhoneE164("+" + msisdn_digits))


def hlr_single(result: Any, *, user_id: str) -> dict[str, Any]:
    """One checked number, as a person wants to read it."""
    number = _digits_display(result.msisdn)
    verdict = ":large_green_circle: valid" if result.valid else ":red_circle: not valid (switched off, unknown or disconnected)"
    facts = [f"network *{result.provider or 'unknown'}*", _country(result.msisdn)]
    if result.mccmnc:
        facts.append(f"MCC {result.mcc} / MNC {result.mnc}")
    checked = f"checked {_when(result.checked_at)}" if result.checked_at else "checked just now"
    line = f"*{number}*: {verdict}\n" + " · ".join(facts) + f"\n{checked} · asked by <@{user_id}>"
    plain = f"HLR {number}: {'valid' if result.valid else 'not valid'}, {result.provider or 'unknown network'}"
    return {"text": plain, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": line}}]}


def _skipped_line(skipped: list[Any]) -> str:
    if not skipped:
        return ""
    shown = "; ".join(f"{_mrkdwn_escape(str(what))} ({why})" for what, why in skipped[:10])
    more = f"; and {len(skipped) - 10} more" if len(skipped) > 10 else ""
    return f"\nNot checked: {shown}{more}."


def hlr_progress(total: int, skipped: list[Any], *, user_id: str, waited: str | None = None, polls: int = 0) -> dict[str, Any]:
    state = f"waiting for mProfi's report ({waited} so far)" if waited else "uploading the numbers to mProfi"
    text = f":mag: HLR check of *{total:,}* numbers for <@{user_id}>: {state}…" + _skipped_line(skipped)
    return {"text": f"HLR check of {total:,} numbers: {state}", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def hlr_summary(total: int, valid: int, networks: list[tuple[str, int]], skipped: list[Any], *, user_id: str) -> dict[str, Any]:
    invalid = total - valid
    lines = [f":white_check_mark: HLR check of *{total:,}* numbers for <@{user_id}>: *{valid:,}* valid, *{invalid:,}* not valid"]
    if networks:
        lines.append("By network: " + ", ".join(f"{name} {count:,}" for name, count in networks[:8]))
    lines.append("The full report is in the thread as a CSV file.")
    text = "\n".join(lines) + _skipped_line(skipped)
    return {
        "text": f"HLR check of {total:,} numbers: {valid:,} valid, {invalid:,} not valid",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def hlr_failed(numbers: list[Any], detail: str, *, user_id: str) -> dict[str, Any]:
    what = _digits_display(str(numbers[0])) if len(numbers) == 1 else f"{len(numbers):,} numbers"
    text = f":x: HLR check of {what} for <@{user_id}> did not finish: {_mrkdwn_escape(detail)}"
    return {"text": f"HLR check of {what} failed: {detail}", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


# ---- /survey ------------------------------------------------------------------------


@dataclass(frozen=True)
class UnnamedSurvey:
    """A survey known only by its id (mProfi did not say more)."""

    id: int
    name: str = ""
    active: bool = False
    start: datetime | None = None
    end: datetime | None = None


def _day(moment: datetime | None) -> str:
    return moment.astimezone(WARSAW).strftime("%d.%m.%Y") if moment else "?"


def survey_list(surveys: list[Any]) -> dict[str, Any]:
    if not surveys:
        return {"text": "There are no surveys on this mProfi account."}
    lines = [
        f"*{s.id}* · {_mrkdwn_escape(s.name)} · {'active' if s.active else 'inactive'} · {_day(s.start)} → {_day(s.end)}"
        for s in surveys[:40]
    ]
    more = f"\n…and {len(surveys) - 40} more" if len(surveys) > 40 else ""
    body = "\n".join(lines) + more + "\n`/survey show <id>` for details, `/survey report <id>` to post the results."
    return {"text": f"{len(surveys)} surveys", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": body}}]}


def survey_detail(survey: Any) -> dict[str, Any]:
    number = _digits_display(survey.msisdn) if getattr(survey, "msisdn", "") else "none"
    body = (
        f"*Survey {survey.id}: {_mrkdwn_escape(survey.name)}*\n"
        f"{'Active' if survey.active else 'Not active'} · runs {_day(survey.start)} → {_day(survey.end)}\n"
        f"Answers come to {number} · {survey.participants} participant{'s' if survey.participants != 1 else ''} so far"
    )
    return {"text": f"Survey {survey.id}: {survey.name}", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": body}}]}


def survey_started(survey: Any, results: dict[str, str]) -> dict[str, Any]:
    started = [n for n, r in results.items() if r == "ok"]
    failed = [(n, r) for n, r in results.items() if r != "ok"]
    lines = [f"Survey {survey.id} ({_mrkdwn_escape(survey.name)}):"]
    if started:
        lines.append(f"started for {', '.join(_digits_display(n) for n in started[:20])}" + (f" and {len(started) - 20} more" if len(started) > 20 else ""))
    for number, reason in failed[:20]:
        lines.append(f"not started for {_digits_display(number)}: {_mrkdwn_escape(reason)}")
    return {"text": "\n".join(lines)}


def _bar(count: int, total: int, width: int = 20) -> str:
    filled = round(width * count / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def survey_report(survey: Any, entries: list[Any], *, user_id: str | None) -> dict[str, Any]:
    """Participants, completion and, per question, the answers drawn as bars."""
    from collections import Counter

    participants = len(entries)
    finished = sum(1 for e in entries if e.finished)
    share = f" ({round(100 * finished / participants)}%)" if participants else ""
    title = f"Survey {survey.id}" + (f": {survey.name}" if survey.name else "")
    who = f" · asked by <@{user_id}>" if user_id else ""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"📊 {title}"[:150], "emoji": True}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"*{participants}* participants · *{finished}* completed{share}{who}"}],
        },
    ]
    questions = max((len(e.answers) for e in entries), default=0)
    for index in range(min(questions, 20)):
        answers = [e.answers[index].strip() for e in entries if len(e.answers) > index and e.answers[index].strip()]
        counts = Counter(a.lower() for a in answers)
        spelled = {a.lower(): a for a in answers}
        lines = [
            f"`{_bar(n, len(answers))}` {n} ({round(100 * n / len(answers))}%) {_mrkdwn_escape(spelled[key][:60])}"
            for key, n in counts.most_common(8)
        ]
        others = len(counts) - 8
        if others > 0:
            lines.append(f"…and {others} other answers")
        body = f"*Question {index + 1}* · {len(answers)} answered\n" + ("\n".join(lines) if lines else "_no answers yet_")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body[:2900]}})
    if not entries:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "_Nobody has answered yet._"}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "The raw report is in the thread as a CSV file."}]})
    return {"text": f"{title}: {participants} participants, {finished} completed", "blocks": blocks}


def survey_thread_parent(survey_id: int, name: str | None) -> dict[str, Any]:
    title = f"Survey {survey_id}" + (f": {name}" if name else "")
    return {
        "text": f"Answers to {title}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"📋 {title}"[:150], "emoji": True}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Answers from mProfi appear in this thread as they come."}]},
        ],
    }


def survey_answer(msisdn_digits: str, answer: str) -> dict[str, Any]:
    number = _digits_display(msisdn_digits) if msisdn_digits.isdigit() else msisdn_digits
    return {"text": f"{number} answered: {answer}", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{number}* answered: “{_mrkdwn_escape(answer[:2000])}”"}}]}


def survey_unreadable(notification_id: int, body: str) -> dict[str, Any]:
    shown = body[:300].replace("`", "'")
    text = f":warning: mProfi sent a survey notification the bridge could not read; it is kept as #{notification_id}.\n```{shown or '(empty)'}```"
    return {"text": f"Unreadable survey notification #{notification_id}", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


CONFIRM_ACTION = "sms_confirm"
CANCEL_ACTION = "sms_cancel"


def sms_confirm(*, dispatch_id: int, numbers: int, parts: int, text: str, skipped: str) -> dict[str, Any]:
    """The "are you sure?" for a large /sms: nothing is sent until Send is pressed."""
    total = numbers * parts
    question = (
        f":warning: This sends *{numbers:,} SMS* ({parts} part{'s' if parts != 1 else ''} each, {total:,} SMS to pay for). "
        f"Nothing goes out until you press Send.{(' ' + _mrkdwn_escape(skipped)) if skipped else ''}"
    )
    return {
        "text": f"Send {numbers:,} SMS? Nothing goes out until you press Send.",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": question}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "“" + _mrkdwn_escape(text[:200]) + ("…" if len(text) > 200 else "") + "”"}]},
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "action_id": CONFIRM_ACTION, "style": "danger", "value": str(dispatch_id),
                     "text": {"type": "plain_text", "text": f"Send {numbers:,} SMS"}},
                    {"type": "button", "action_id": CANCEL_ACTION, "value": str(dispatch_id), "text": {"type": "plain_text", "text": "Cancel"}},
                ],
            },
        ],
    }
