"""The App Home tab: one person's conversations, what waits for the team, today's volume, their settings.

A pure function of what the bridge read (:class:`HomeView`). Contact names and numbers
are escaped (a name is anyone's words); each conversation links to its thread. The
lists are bounded (the oldest or latest 20, then "and N more"), so the tab stays far
inside Slack's 100 blocks and 3,000 characters a section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from bot.i18n import N_, _, figure, ngettext
from bot.slack.blocks.markup import escape, plain_clip, sections, when
from bot.sms.numbers import PhoneE164, display

__all__ = ["HOME_MENTION_ACTION", "MENTION_VALUE", "HomeLine", "HomeView", "home_view", "waited"]

HOME_MENTION_ACTION = "home_mention_follow_up"
MENTION_VALUE = "mention"

_STATES = {  # the card's words for the states (bot/slack/blocks/card.py), the same catalog entries
    "new": (":new:", N_("New")),
    "waiting_us": (":large_orange_circle:", N_("Waiting for us")),
    "waiting_customer": (":large_blue_circle:", N_("Waiting for the customer")),
    "closed": (":white_circle:", N_("Closed")),
}


@dataclass(frozen=True)
class HomeLine:
    """One conversation in a list: who, how it stands, where its thread is."""

    phone: str
    name: str | None
    state: str
    link: str | None  # the thread's address; None while it has no thread
    last_at: datetime | None = None
    waiting_since: datetime | None = None
    owner: str | None = None


@dataclass(frozen=True)
class HomeView:
    user_id: str
    zone: tzinfo  # DEFAULT_TIMEZONE: the fallback clock of the times shown
    now: datetime
    mine: list[HomeLine] = field(default_factory=list)
    mine_total: int = 0
    waiting: list[HomeLine] = field(default_factory=list)
    waiting_total: int = 0
    today_in: int = 0
    today_out: int = 0
    today_parts: int = 0
    mention: bool = True  # the setting in force
    mention_chosen: bool = False  # the person chose it (else the installation's default)
    refused: str | None = None  # why the person sees no conversations (not on SMS_ALLOWED_USERS): all the tab says


def waited(since: datetime, now: datetime) -> str:
    """How long a customer has waited, in plain words: "waiting 2 h 5 min"."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 1:
        return _("waiting less than a minute")
    if minutes < 60:
        return ngettext("waiting {n} minute", "waiting {n} minutes", minutes).format(n=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return _("waiting {hours} h {minutes} min").format(hours=hours, minutes=rest)
    days = hours // 24
    return ngettext("waiting {n} day", "waiting {n} days", days).format(n=figure(days))


def _who(line: HomeLine) -> str:
    shown = display(PhoneE164(line.phone)) if line.phone.startswith("+") else line.phone
    label = escape(plain_clip(f"{line.name} · {shown}" if line.name else shown, 120))
    return f"<{line.link}|{label}>" if line.link else label


def _state(state: str) -> str:
    emoji, label = _STATES.get(state, (":grey_question:", state))
    return f"{emoji} {_(label) if state in _STATES else escape(label)}"


def _date(moment: datetime, zone: tzinfo) -> str:
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{when(moment, zone)}>"


def _more(shown: int, total: int) -> list[dict[str, Any]]:
    if total <= shown:
        return []
    more = total - shown
    text = ngettext("…and {n} more", "…and {n} more", more).format(n=figure(more))
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}]


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": plain_clip(text, 150)}}


def _mine(view: HomeView) -> list[dict[str, Any]]:
    out = [_header(_("My conversations ({n})").format(n=figure(view.mine_total)))]
    if not view.mine:
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": _("_None: conversations you take show up here._")}})
        return out
    lines = []
    for line in view.mine:
        last = _("last message {date}").format(date=_date(line.last_at, view.zone)) if line.last_at else _("no messages yet")
        lines.append(f"• {_who(line)} — {_state(line.state)} · {last}")
    return out + sections("\n".join(lines)) + _more(len(view.mine), view.mine_total)


def _waiting(view: HomeView) -> list[dict[str, Any]]:
    out = [_header(_("Waiting for us ({n})").format(n=figure(view.waiting_total)))]
    if not view.waiting:
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": _("_Nobody is waiting for an answer._")}})
        return out
    lines = []
    for line in view.waiting:
        age = waited(line.waiting_since, view.now) if line.waiting_since else ""
        owner = f"<@{escape(line.owner)}>" if line.owner else _("nobody yet")
        lines.append(f"• {_who(line)} — {age} · " + _("owner: {owner}").format(owner=owner))
    return out + sections("\n".join(lines)) + _more(len(view.waiting), view.waiting_total)


def _today(view: HomeView) -> list[dict[str, Any]]:
    fields = [
        _("*In:* {n}").format(n=figure(view.today_in)),
        _("*Out:* {n}").format(n=figure(view.today_out)),
        _("*SMS parts sent:* {n}").format(n=figure(view.today_parts)),
    ]
    return [_header(_("Today")), {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]}]


def _settings(view: HomeView) -> list[dict[str, Any]]:
    option = {"text": {"type": "mrkdwn", "text": _("Mention me on follow-ups in my conversations")}, "value": MENTION_VALUE}
    box: dict[str, Any] = {"type": "checkboxes", "action_id": HOME_MENTION_ACTION, "options": [option]}
    if view.mention:
        box["initial_options"] = [option]
    said = (
        _("You chose this yourself.")
        if view.mention_chosen
        else _("Until you choose, the bridge's setting applies (FOLLOWUP_MENTION_OWNER).")
    )
    return [
        _header(_("My notifications")),
        {"type": "actions", "block_id": "home_settings", "elements": [box]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": said}]},
    ]


def home_view(view: HomeView) -> dict[str, Any]:
    """The Home tab of ``view.user_id`` (a ``views.publish`` view)."""
    if view.refused is not None:
        return {"type": "home", "callback_id": "mprofi_home", "blocks": sections(escape(view.refused))}
    divider = {"type": "divider"}
    blocks = [*_mine(view), divider, *_waiting(view), divider, *_today(view), divider, *_settings(view)]
    return {"type": "home", "callback_id": "mprofi_home", "blocks": blocks}
