"""A conversation's live card (its thread parent); the forms its buttons open are in
:mod:`bot.slack.blocks.card_forms`, the *Reply with template* form in :mod:`bot.slack.blocks.templates`.

The card is redrawn whole from the database on every change, so it never shows a
mix of old and new. Its buttons carry the conversation's id and what the card showed
(the owner), so a press against a card someone else just changed is answered with
what happened instead of undoing their change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from bot.i18n import N_, _, ngettext, pgettext
from bot.slack.blocks.card_forms import NAME_FORM, OPT_IN_FORM, SNOOZE_FORM, name_form, opt_in_form, snooze_form
from bot.slack.blocks.markup import HEADER_LIMIT, clip, escape, fallback, plain_clip, when
from bot.slack.blocks.templates import reply_button
from bot.sms.numbers import PhoneE164, display, is_phone

__all__ = [
    "CardView",
    "LastMessage",
    "conversation_card",
    "follow_up",
    "name_form",
    "snooze_form",
    "card_value",
    "read_card_value",
    "ASSIGN_ME_ACTION",
    "ASSIGN_ACTION",
    "CLOSE_ACTION",
    "REOPEN_ACTION",
    "SNOOZE_ACTION",
    "NAME_ACTION",
    "CHECK_ACTION",
    "OPT_OUT_ACTION",
    "OPT_IN_ACTION",
    "CARD_ACTIONS",
    "NAME_FORM",
    "SNOOZE_FORM",
    "OPT_IN_FORM",
    "opt_in_form",
    "SNOOZE_CHOICES",
]

ASSIGN_ME_ACTION = "card_assign_me"
ASSIGN_ACTION = "card_assign"
CLOSE_ACTION = "card_close"
REOPEN_ACTION = "card_reopen"
SNOOZE_ACTION = "card_snooze"
NAME_ACTION = "card_name"
CHECK_ACTION = "card_check_number"
OPT_OUT_ACTION = "card_opt_out"
OPT_IN_ACTION = "card_opt_in"
CARD_ACTIONS = (
    ASSIGN_ME_ACTION,
    ASSIGN_ACTION,
    CLOSE_ACTION,
    REOPEN_ACTION,
    SNOOZE_ACTION,
    NAME_ACTION,
    CHECK_ACTION,
    OPT_OUT_ACTION,
    OPT_IN_ACTION,
)
# The snooze menu: value → label (marked; shown through _()). "pick" opens a form; "wake" ends a snooze now.
SNOOZE_CHOICES = {
    "tomorrow": N_("Snooze: Until tomorrow 9:00"),
    "monday": N_("Snooze: Until Monday 9:00"),
    "pick": N_("Snooze: Pick a time…"),
    "wake": N_("Wake it now"),
}

_STATES = {
    "new": (":new:", N_("New")),
    "waiting_us": (":large_orange_circle:", N_("Waiting for us")),
    "waiting_customer": (":large_blue_circle:", N_("Waiting for the customer")),
    "closed": (":white_circle:", N_("Closed")),
}
_QUOTE = 150  # characters of the last message in and out shown on the card
# The last reply's state in a word or two. While it travels the card says only that: it is
# redrawn when the story ends (the reply's own reaction or line follows every step).
_OUT_STATES = {
    "queued": N_("on its way"),
    "sending": N_("on its way"),
    "accepted": N_("on its way"),
    "sent": N_("on its way"),
    "delivered": N_("delivered"),
    "not_delivered": N_("not delivered"),
    "error": N_("delivery error"),
    "failed": N_("not sent"),
    "uncertain": N_("may not have gone"),
    "unknown": N_("status unknown"),
    "cancelled": N_("cancelled"),
}


@dataclass(frozen=True)
class LastMessage:
    text: str
    at: datetime
    author: str | None = None  # outgoing: the Slack user who sent it
    status: str | None = None  # outgoing: its MessageStatus


@dataclass(frozen=True)
class CardView:
    """What one card shows; built by the bridge from the database."""

    conversation_id: int
    phone: PhoneE164
    name: str | None
    state: str
    zone: tzinfo  # DEFAULT_TIMEZONE: the clock of the times' fallback text
    owner: str | None = None
    state_by: str | None = None
    snoozed_until: datetime | None = None
    waiting_since: datetime | None = None
    last_in: LastMessage | None = None
    last_out: LastMessage | None = None
    opted_out_by: str | None = None  # "" when the phone texted STOP itself
    opted_out_word: str | None = None
    opted_out_at: datetime | None = None
    hlr_network: str | None = None
    hlr_active: bool | None = None
    hlr_at: datetime | None = None
    opt_out_hint_at: datetime | None = None  # an SMS seemed to ask to opt out
    count: int = 0
    note_prefix: str = "note:"

    @property
    def opted_out(self) -> bool:
        return self.opted_out_by is not None


def card_value(conversation_id: int, seen_owner: str | None = None) -> str:
    """A button's value: the conversation, and the owner the card showed."""
    return json.dumps({"c": conversation_id, "o": seen_owner or ""}, separators=(",", ":"))


def read_card_value(value: str | None) -> tuple[int, str | None] | None:
    """``(conversation id, owner the card showed)`` from a button's value; None if it is not ours."""
    try:
        data = json.loads(value or "")
        return int(data["c"]), (str(data.get("o") or "") or None)
    except (ValueError, TypeError, KeyError):
        return None


def _date(moment: datetime, zone: tzinfo, fmt: str = "{date_short_pretty} {time}") -> str:
    """A time every reader sees in their own zone (Slack's date token); where Slack
    cannot show the token (a notification, an old client) the fallback is ``zone``'s time."""
    return f"<!date^{int(moment.timestamp())}^{fmt}|{when(moment, zone)}>"


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return "“" + clip(escape(flat), _QUOTE) + "”" if flat else _("_(no text)_")


def _state_line(view: CardView) -> str:
    emoji, label = _STATES.get(view.state, (":grey_question:", view.state))
    state = _(label) if view.state in _STATES else label
    by = f"<@{escape(view.state_by)}>" if view.state_by else ""
    if view.state in ("new", "waiting_us") and view.waiting_since:
        since, ago = _date(view.waiting_since, view.zone, "{time}"), _date(view.waiting_since, view.zone, "{ago}")
        line = _("*{state}* since {time} ({ago})").format(state=state, time=since, ago=ago)
    elif view.state == "closed" and by:
        line = _("*{state}* by {user}").format(state=state, user=by)
    else:
        line = f"*{state}*"
    line = f"{emoji} {line}"
    if view.snoozed_until:
        until = _date(view.snoozed_until, view.zone)
        snoozed = (
            _("*Snoozed until {date}* by {user}").format(date=until, user=by) if by else _("*Snoozed until {date}*").format(date=until)
        )
        line = f":zzz: {snoozed} · {line}"
    owner = f"<@{escape(view.owner)}>" if view.owner else _("_nobody yet_")
    messages = ngettext("{n} message", "{n} messages", view.count).format(n=view.count)
    return line + "\n" + _("Owner: {owner} · {messages}").format(owner=owner, messages=messages)


def _last_out(out: LastMessage, zone: tzinfo) -> str:
    date, text = _date(out.at, zone), _quote(out.text)
    user = f"<@{escape(out.author)}>" if out.author else ""
    status = (_(_OUT_STATES[out.status]) if out.status in _OUT_STATES else escape(out.status)) if out.status else ""
    if user and status:
        return _("Last out {date} by {user} ({status}): {text}").format(date=date, user=user, status=status, text=text)
    if user:
        return _("Last out {date} by {user}: {text}").format(date=date, user=user, text=text)
    if status:
        return _("Last out {date} ({status}): {text}").format(date=date, status=status, text=text)
    return _("Last out {date}: {text}").format(date=date, text=text)


def _last_lines(view: CardView) -> str:
    lines = []
    if view.last_in:
        lines.append("📩 " + _("Last in {date}: {text}").format(date=_date(view.last_in.at, view.zone), text=_quote(view.last_in.text)))
    if view.last_out:
        lines.append("📤 " + _last_out(view.last_out, view.zone))
    return "\n".join(lines) or _("No messages yet.")


def _opted_out(view: CardView) -> str:
    date = _date(view.opted_out_at, view.zone) if view.opted_out_at else ""
    if view.opted_out_by:
        user = f"<@{escape(view.opted_out_by)}>"
        if date:
            return _("*Opted out* (by {user} on {date}): nothing is sent to this number").format(user=user, date=date)
        return _("*Opted out* (by {user}): nothing is sent to this number").format(user=user)
    word = escape(view.opted_out_word or "STOP")
    if date:
        return _("*Opted out* (the customer texted {word} on {date}): nothing is sent to this number").format(word=word, date=date)
    return _("*Opted out* (the customer texted {word}): nothing is sent to this number").format(word=word)


def _facts(view: CardView) -> str:
    facts = [":no_entry: " + _opted_out(view) if view.opted_out else ":white_check_mark: " + _("May be texted")]
    if view.opt_out_hint_at is not None and not view.opted_out:
        hint = _("*May want to opt out*: the SMS of {date} mentions it; if that is what they asked, press Opt out.")
        facts.append(":warning: " + hint.format(date=_date(view.opt_out_hint_at, view.zone)))
    if view.hlr_at is not None:
        active = pgettext("number", "active") if view.hlr_active else pgettext("number", "not active")
        network = escape(view.hlr_network) if view.hlr_network else _("unknown network")
        date = _date(view.hlr_at, view.zone, "{date_short}")
        facts.append(_("Number check: {network}, {active} ({date})").format(network=network, active=active, date=date))
    return " · ".join(facts)


def _button(text: str, action_id: str, value: str, *, style: str | None = None, confirm: dict[str, Any] | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}, "value": value}
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def _confirm(title: str, text: str, yes: str) -> dict[str, Any]:
    return {
        "title": {"type": "plain_text", "text": title},
        "text": {"type": "mrkdwn", "text": text},
        "confirm": {"type": "plain_text", "text": yes},
        "deny": {"type": "plain_text", "text": _("Cancel")},
    }


def _actions(view: CardView) -> list[dict[str, Any]]:
    value = card_value(view.conversation_id, view.owner)
    people: list[dict[str, Any]] = [
        _button(_("Assign to me"), ASSIGN_ME_ACTION, value),
        {
            "type": "users_select",
            "action_id": ASSIGN_ACTION,
            "placeholder": {"type": "plain_text", "text": _("Assign…")},
            **({"initial_user": view.owner} if view.owner else {}),
        },
    ]
    if view.state == "closed":
        people.append(_button(_("Reopen"), REOPEN_ACTION, value))
    else:
        people.append(_button(_("Close"), CLOSE_ACTION, value, style="primary"))
        choices = {k: v for k, v in SNOOZE_CHOICES.items() if k != "wake" or view.snoozed_until}
        people.append(
            {
                "type": "overflow",
                "action_id": SNOOZE_ACTION,
                "options": [
                    {"text": {"type": "plain_text", "text": _(label)}, "value": f"{key}:{view.conversation_id}"}
                    for key, label in choices.items()
                ],
            }
        )
    number: list[dict[str, Any]] = [_button(_("Name…"), NAME_ACTION, value)]
    if is_phone(view.phone):
        number.append(reply_button(value))  # templates: bot/slack/blocks/templates.py
        number.append(_button(_("Check number"), CHECK_ACTION, value))
        shown = escape(display(view.phone))
        if view.opted_out:  # the form asks why: the reason goes into the audit log
            number.append(_button(_("Opt back in…"), OPT_IN_ACTION, value))
        else:
            warn = _("Nothing will be sent to {number} until someone opts it back in. Your name is recorded.").format(number=shown)
            confirm = _confirm(_("Opt this number out?"), warn, _("Opt out"))
            number.append(_button(_("Opt out"), OPT_OUT_ACTION, value, style="danger", confirm=confirm))
    # block_ids change with the owner so a picker's remembered choice does not outlive the card it was made on
    tag = f"{view.conversation_id}-{view.owner or 'none'}"
    return [
        {"type": "actions", "block_id": f"card-people-{tag}", "elements": people},
        {"type": "actions", "block_id": f"card-number-{tag}", "elements": number},
    ]


def conversation_card(view: CardView) -> dict[str, Any]:
    """The thread parent: who, in what state, whose, the last messages, the buttons."""
    phone_shown = display(view.phone)
    who = f"{view.name} · {phone_shown}" if view.name else phone_shown
    textable = is_phone(view.phone)
    prefix = f"`{escape(view.note_prefix)}`"
    if textable:
        help_text = _(
            "Replies in this thread are sent to this number as SMS (a shared file as MMS). "
            "Start a reply with {prefix} (or mention a teammate) to keep it inside the team."
        ).format(prefix=prefix)
    else:
        help_text = _(
            "This is a sender name or short code: nobody can text it back, so replies here are not sent. "
            "Start a reply with {prefix} (or mention a teammate) to keep it inside the team."
        ).format(prefix=prefix)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": plain_clip(f"📱 {who}", HEADER_LIMIT), "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(_state_line(view), 3000)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(_last_lines(view), 3000)}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(_facts(view), 3000)}]},
        *_actions(view),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(help_text, 3000)}]},
    ]
    return {"text": fallback(_("SMS conversation with {who}").format(who=escape(who))), "blocks": blocks}


_FOLLOW_UPS = {
    "reopened": N_("↩ New SMS in a closed conversation: it is open again."),
    "snoozed": N_("↩ New SMS in a snoozed conversation: the snooze has ended."),
    "answered": N_("↩ The customer answered."),
}


def follow_up(message: dict[str, Any], *, reason: str, owner: str | None) -> dict[str, Any]:
    """An inbound message that must not land unseen in an old thread: shown in the channel
    too (``reply_broadcast``), saying why, and mentioning the conversation's owner."""
    line = (_(_FOLLOW_UPS[reason]) if reason in _FOLLOW_UPS else _("↩ Follow-up.")) + (f" <@{escape(owner)}>" if owner else "")
    blocks = [*message["blocks"], {"type": "context", "elements": [{"type": "mrkdwn", "text": line}]}]
    return {**message, "blocks": blocks, "reply_broadcast": True}
