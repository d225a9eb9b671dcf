"""A campaign's one message in the file's thread: the dry run with its buttons, then the
progress of the sending, then its outcome; and the form that schedules it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from bot.i18n import _, figure, ngettext
from bot.slack.blocks.markup import clip, escape, fallback, when
from bot.sms.numbers import display

__all__ = [
    "CAMPAIGN_ACTIONS",
    "CAMPAIGN_CANCEL",
    "CAMPAIGN_HLR",
    "CAMPAIGN_PLAIN",
    "CAMPAIGN_RESULTS",
    "CAMPAIGN_SCHEDULE",
    "CAMPAIGN_SCHEDULE_FORM",
    "CAMPAIGN_SEND",
    "CampaignPicture",
    "campaign_message",
    "schedule_form",
    "version",
]

CAMPAIGN_SEND = "campaign_send"
CAMPAIGN_SCHEDULE = "campaign_schedule"
CAMPAIGN_PLAIN = "campaign_plain"
CAMPAIGN_HLR = "campaign_hlr"
CAMPAIGN_CANCEL = "campaign_cancel"
CAMPAIGN_RESULTS = "campaign_results"
CAMPAIGN_ACTIONS = (CAMPAIGN_SEND, CAMPAIGN_PLAIN, CAMPAIGN_HLR, CAMPAIGN_CANCEL, CAMPAIGN_RESULTS)
CAMPAIGN_SCHEDULE_FORM = "campaign_schedule_form"

_TAKEN = ("accepted", "sent", "delivered", "not_delivered", "error")


@dataclass(frozen=True)
class CampaignPicture:
    """Everything the message shows, read from the database by the bridge."""

    campaign_id: int
    user_id: str
    file_name: str
    state: str  # a CampaignState
    plain: bool
    counts: dict[str, int]  # lines by kind, and parts (storage.campaigns.counts)
    template_name: str | None = None
    samples: list[tuple[str, str]] = field(default_factory=list)  # (E.164, text as it goes)
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    missing: list[str] = field(default_factory=list)  # variables with no value somewhere
    quiet: str | None = None  # "21:00–08:00" when sending now would fall inside the quiet hours
    hlr: dict[str, Any] | None = None  # {"checked", "inactive", "saved"}; {"checking": True} meanwhile
    detail: str | None = None
    statuses: dict[str, int] | None = None  # the messages by status, once sending began
    send_at: datetime | None = None
    sent_by: str | None = None
    stopped: str | None = None  # why sending stopped before every line went
    held_until: datetime | None = None  # the quiet hours hold the rest until then
    waiting: bool = False  # scheduled, and its time has not come: it can still be cancelled
    expired: bool = False  # a dry run nobody acted on, over after a week
    abroad: int = 0  # valid numbers outside Poland (they cost more)


def version(plain: bool) -> str:
    """What the texts look like as a message shows them, carried in its buttons' values:
    a press from a message that no longer shows the campaign's texts is refused."""
    return "plain" if plain else "utf"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 2900)}}


def _button(action_id: str, label: str, campaign_id: int, plain: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label[:75]},
        "value": f"{campaign_id}:{version(plain)}",
        **extra,
    }


def _title(picture: CampaignPicture) -> str:
    name = escape(picture.file_name)
    if picture.template_name:
        return _("📣 Campaign from *{file}* (template #{template}) for <@{user}>").format(
            file=name, template=escape(picture.template_name), user=escape(picture.user_id)
        )
    return _("📣 Campaign from *{file}* for <@{user}>").format(file=name, user=escape(picture.user_id))


def _counts_line(counts: dict[str, int], missing: list[str]) -> str:
    pieces = [
        ngettext("*{n}* text to send", "*{n}* texts to send", counts.get("valid", 0)).format(n=figure(counts.get("valid", 0))),
        _("*{n}* invalid").format(n=figure(counts.get("invalid", 0))),
        ngettext("*{n}* duplicate", "*{n}* duplicates", counts.get("duplicate", 0)).format(n=figure(counts.get("duplicate", 0))),
        _("*{n}* opted out").format(n=figure(counts.get("opted_out", 0))),
    ]
    if counts.get("missing"):
        names = ", ".join("{" + escape(name) + "}" for name in missing)
        pieces.append(_("*{n}* with a variable that has no value ({names})").format(n=figure(counts["missing"]), names=names))
    if counts.get("inactive"):
        pieces.append(_("*{n}* inactive (HLR)").format(n=figure(counts["inactive"])))
    return " · ".join(pieces)


def _parts_lines(picture: CampaignPicture) -> list[str]:
    counts = picture.counts
    parts, plain = counts.get("parts", 0), counts.get("plain_parts", 0)
    unicode, unicode_parts = counts.get("unicode", 0), counts.get("unicode_parts", 0)
    if picture.plain:
        return [
            _("Polish letters removed: *{parts}* SMS parts in all, {saved} fewer than with them.").format(
                parts=figure(plain), saved=figure(parts - plain)
            )
        ]
    lines = [ngettext("In all: *{n}* SMS part.", "In all: *{n}* SMS parts.", parts).format(n=figure(parts))]
    if unicode:
        each = unicode_parts // unicode if unicode_parts % unicode == 0 else None
        if each is not None:
            need = ngettext(
                "{n} text needs Unicode because of Polish letters: {parts} parts each.",
                "{n} texts need Unicode because of Polish letters: {parts} parts each.",
                unicode,
            ).format(n=figure(unicode), parts=each)
        else:
            need = ngettext(
                "{n} text needs Unicode because of Polish letters: {parts} parts together.",
                "{n} texts need Unicode because of Polish letters: {parts} parts together.",
                unicode,
            ).format(n=figure(unicode), parts=figure(unicode_parts))
        lines.append(
            need + " " + _("Without them: {plain} parts in all ({saved} fewer).").format(plain=figure(plain), saved=figure(parts - plain))
        )
    return lines


def _hlr_line(hlr: dict[str, Any] | None) -> str | None:
    if not hlr:
        return None
    if hlr.get("checking"):
        return _("🔎 Checking the numbers with mProfi (HLR)…")
    if hlr.get("failed"):
        return "🔎 " + escape(str(hlr["failed"]))
    return _("🔎 HLR check: {checked} numbers checked (paid), {inactive} inactive left out, {saved} SMS parts saved.").format(
        checked=figure(int(hlr.get("checked", 0))), inactive=figure(int(hlr.get("inactive", 0))), saved=figure(int(hlr.get("saved", 0)))
    )


def _dry_run(picture: CampaignPicture) -> list[dict[str, Any]]:
    blocks = [_section(_title(picture) + " — " + _("dry run: nothing has been sent yet."))]
    if picture.samples:
        shown = "\n".join(f"> {escape(display(phone))}: {clip(escape(text), 600)}" for phone, text in picture.samples)
        blocks.append(_section(_("*Samples:*") + "\n" + shown))
    lines = [_counts_line(picture.counts, picture.missing)]
    if picture.invalid:
        listed = "\n".join("• " + _("line {number}: {why}").format(number=line, why=escape(why or "")) for line, why in picture.invalid)
        lines.append(_("Not sent (fix these lines and share the file again):") + "\n" + listed)
    blocks.append(_section("\n".join(lines)))
    facts = _parts_lines(picture)
    hlr = _hlr_line(picture.hlr)
    if hlr:
        facts.append(hlr)
    if picture.abroad:
        facts.append(
            ngettext(
                "{n} number is outside Poland: it costs more.", "{n} numbers are outside Poland: they cost more.", picture.abroad
            ).format(n=figure(picture.abroad))
        )
    if picture.quiet:
        facts.append(_("⚠️ Sending now would fall inside the quiet hours ({hours}): schedule it for later.").format(hours=picture.quiet))
    blocks.append(_section("\n".join(facts)))
    valid = picture.counts.get("valid", 0)
    if picture.state == "ready" and valid:
        confirm = {
            "title": {"type": "plain_text", "text": _("Send the campaign?")[:100]},
            "text": {"type": "mrkdwn", "text": ngettext("{n} SMS goes out now.", "{n} SMS go out now.", valid).format(n=figure(valid))},
            "confirm": {"type": "plain_text", "text": _("Send")[:30]},
            "deny": {"type": "plain_text", "text": _("Back")[:30]},
        }
        buttons = [
            _button(
                CAMPAIGN_SEND,
                ngettext("Send {n} SMS", "Send {n} SMS", valid).format(n=figure(valid)),
                picture.campaign_id,
                picture.plain,
                style="primary",
                confirm=confirm,
            ),
            _button(CAMPAIGN_SCHEDULE, _("Schedule…"), picture.campaign_id, picture.plain),
            _button(
                CAMPAIGN_PLAIN,
                _("Keep Polish letters") if picture.plain else _("Remove Polish letters"),
                picture.campaign_id,
                picture.plain,
            ),
        ]
        if not picture.hlr:
            paid = {
                "title": {"type": "plain_text", "text": _("Check the numbers?")[:100]},
                "text": {
                    "type": "mrkdwn",
                    "text": ngettext(
                        "HLR checks are paid: {n} number is checked.", "HLR checks are paid: {n} numbers are checked.", valid
                    ).format(n=figure(valid)),
                },
                "confirm": {"type": "plain_text", "text": _("Check")[:30]},
                "deny": {"type": "plain_text", "text": _("Back")[:30]},
            }
            buttons.append(_button(CAMPAIGN_HLR, _("Check numbers first (HLR)"), picture.campaign_id, confirm=paid))
        buttons.append(_button(CAMPAIGN_CANCEL, _("Cancel"), picture.campaign_id))
        blocks.append({"type": "actions", "elements": buttons})
    elif picture.state == "ready":
        blocks.append(_section(_("Nothing can be sent from this file; fix it and share it again.")))
    return blocks


def _progress(picture: CampaignPicture, zone: tzinfo) -> list[dict[str, Any]]:
    statuses = picture.statuses or {}
    total = picture.counts.get("valid", 0)
    taken = sum(statuses.get(s, 0) for s in _TAKEN)
    delivered = statuses.get("delivered", 0)
    failed = statuses.get("failed", 0) + statuses.get("not_delivered", 0) + statuses.get("error", 0)
    uncertain = statuses.get("uncertain", 0)
    waiting = max(0, total - sum(statuses.values())) + statuses.get("queued", 0) + statuses.get("sending", 0)
    if picture.state == "sent" and picture.stopped:
        state = _("sending stopped: {reason} The lines not sent are marked in the results CSV, in this thread.").format(
            reason=escape(picture.stopped.rstrip(".") + ".")
        )
        waiting = 0  # nothing more goes
    elif picture.state == "sent":
        state = _("all handed over; the results CSV is in this thread.")
    elif picture.waiting and picture.send_at is not None:
        state = _("scheduled for {time}; the bridge sends it then (opt-outs are checked then). Until then it can be cancelled.").format(
            time=when(picture.send_at, zone)
        )
    elif picture.held_until is not None:
        state = _("held for the quiet hours; the rest goes at {time}.").format(time=when(picture.held_until, zone))
    else:
        state = _("sending…")
    by = _(" (sent by <@{user}>)").format(user=escape(picture.sent_by)) if picture.sent_by else ""
    lines = [
        _(
            "*{taken}* of *{total}* accepted by mProfi · *{delivered}* delivered · *{failed}* failed · *{uncertain}* uncertain · *{waiting}* still to send"
        ).format(
            taken=figure(taken),
            total=figure(total),
            delivered=figure(delivered),
            failed=figure(failed),
            uncertain=figure(uncertain),
            waiting=figure(waiting),
        )
    ]
    if uncertain:
        lines.append(_("Uncertain: the bridge could not tell whether mProfi took them; they are not sent again. Check the results CSV."))
    blocks = [_section(_title(picture) + by + ": " + state), _section("\n".join(lines))]
    if picture.state == "sent":
        blocks.append({"type": "actions", "elements": [_button(CAMPAIGN_RESULTS, _("Results CSV"), picture.campaign_id)]})
    elif picture.waiting:
        blocks.append({"type": "actions", "elements": [_button(CAMPAIGN_CANCEL, _("Cancel"), picture.campaign_id)]})
    return blocks


def campaign_message(picture: CampaignPicture, *, zone: tzinfo) -> dict[str, Any]:
    """The campaign's message as it stands now."""
    if picture.state in ("reading",):
        blocks = [_section(_title(picture) + ": " + _("reading the file…"))]
    elif picture.state == "failed":
        blocks = [_section(_title(picture) + ": " + escape(picture.detail or _("the file cannot be used.")))]
    elif picture.state == "cancelled" and picture.expired:
        blocks = [
            _section(_title(picture) + ": " + _("this dry run expired after 7 days and nothing was sent; share the file again to send it."))
        ]
    elif picture.state == "cancelled":
        blocks = [_section(_title(picture) + ": " + _("cancelled; nothing was sent."))]
    elif picture.state in ("sending", "sent"):
        blocks = _progress(picture, zone)
    else:
        blocks = _dry_run(picture)
    text = " ".join(str(b["text"]["text"]) for b in blocks if b.get("type") == "section")
    return {"text": fallback(text), "blocks": blocks}


def schedule_form(*, campaign_id: int, channel_id: str, shown: str = "") -> dict[str, Any]:
    """The modal that asks when the campaign goes (``shown``: the pressed message's :func:`version`)."""
    return {
        "type": "modal",
        "callback_id": CAMPAIGN_SCHEDULE_FORM,
        "private_metadata": f"{campaign_id}|{channel_id}|{shown}",
        "title": {"type": "plain_text", "text": _("Schedule campaign")[:24]},
        "submit": {"type": "plain_text", "text": _("Schedule")[:24]},
        "close": {"type": "plain_text", "text": _("Cancel")[:24]},
        "blocks": [
            {
                "type": "input",
                "block_id": "when",
                "label": {"type": "plain_text", "text": _("Send at")[:2000]},
                "element": {"type": "datetimepicker", "action_id": "value"},
            }
        ],
    }
