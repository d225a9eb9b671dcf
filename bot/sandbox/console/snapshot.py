"""What the console page shows now, read from the stand-ins' records.

The page asks for it after every change: the phones with what they sent and received,
the channel (or one thread) as Slack draws it, what only the chosen teammate sees, the
open modal and the switches. All markup is built here with everything escaped; the
page's script only places it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.console.private import private_posts
from bot.sandbox.console.render_blocks import files_html, message_html, reactions_html
from bot.sandbox.console.render_text import mrkdwn_html
from bot.sandbox.console.render_view import view_html
from bot.sandbox.console.session import ConsoleSession
from bot.sandbox.console.switches import SWITCHES
from bot.sandbox.slack.elements import with_block_ids
from bot.sandbox.slack.records import SlackMessage
from bot.sms.numbers import display

__all__ = ["snapshot"]

BOT_NAME = "mprofi-bridge"
ZONE = ZoneInfo("Europe/Warsaw")


def _clock(moment: float | datetime) -> str:
    """A time as the sandbox's people read it: in their zone (Europe/Warsaw), as the app writes them."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(ZONE).strftime("%H:%M:%S")


def _names(session: ConsoleSession) -> dict[str, Any]:
    config = session.stack.slack.config
    users = {**config.users, config.bot_user_id: BOT_NAME}
    groups = {gid: str(group.get("handle", gid)) for gid, group in config.usergroups.items()}
    return {"users": users, "channels": dict(config.channels), "usergroups": groups}


# ---- phones ------------------------------------------------------------------------


def _phone_log(session: ConsoleSession, digits: str) -> str:
    """The phone's conversation, oldest first: what it sent (and how the webhook went) and
    what it received (with mProfi's delivery state)."""
    sim = session.stack.sim
    entries: list[tuple[float, str]] = []
    for record in sim.incoming:
        if record.sender.removeprefix("+") != digits:
            continue
        attempts = record.attempts
        if not attempts:
            state = "waiting for the webhook" if sim.config.webhook_url else "waiting in getincoming/"
        elif attempts[-1].ok:
            state = f"webhook HTTP {attempts[-1].status_code}"
        else:
            last = attempts[-1]
            state = f"webhook failed ({last.status_code or last.error}), {len(attempts)} tries"
        images = "".join(
            f'<img class="file-thumb" alt="{escape(name)}" src="/api/phone-images/{record.id}/{index}">'
            for index, (name, _, _) in enumerate(record.images)
        )
        body = escape(record.message).replace("\n", "<br>")
        meta = f"{escape(record.webhook_format or 'standard')} · {escape(state)} · {_clock(record.ts)}"
        entries.append(
            (record.ts.timestamp(), f'<div class="bubble mine" data-incoming="{record.id}">{body}{images}<small>{meta}</small></div>')
        )
    for message in sim.messages.values():
        if message.recipient != digits:
            continue
        history = " → ".join(f"{status} {_clock(at)}" for status, at in message.history)
        text = escape(message.delivered_text).replace("\n", "<br>")
        if message.kind == "mms":
            text += f'<span class="file">📎 {escape(message.file_name or "MMS")}</span>'
        sender = message.sender or sim.config.own_number
        meta = f"from {escape(sender)} · {message.parts} part(s) · {escape(message.kind.upper())}"
        entries.append(
            (
                message.created_at.timestamp(),
                f'<div class="bubble theirs" data-sim-id="{message.id}" title="{escape(history)}">{text}'
                f'<small>{meta}</small><span class="status status-{escape(message.status)}">{escape(message.status)}</span></div>',
            )
        )
    entries.sort(key=lambda entry: entry[0])
    return "".join(html for _, html in entries) or '<p class="empty">Nothing yet: type a text below.</p>'


def _surveys(session: ConsoleSession, digits: str) -> list[dict[str, Any]]:
    """The active surveys this phone was invited to (``/survey start``) and has not finished,
    each with its next question."""
    found = []
    for survey in session.stack.sim.surveys.values():
        response = survey.responses.get(digits)
        if not survey.active or response is None:
            continue
        step = len(response.get("answers", []))
        if step < len(survey.questions):
            found.append({"id": survey.id, "name": survey.name, "question": survey.questions[step]})
    return found


def _phones(session: ConsoleSession) -> list[dict[str, Any]]:
    return [
        {"digits": digits, "display": display("+" + digits), "log": _phone_log(session, digits), "surveys": _surveys(session, digits)}
        for digits in session.phones
    ]


# ---- the channel -------------------------------------------------------------------


def _message(session: ConsoleSession, message: SlackMessage, names: Mapping[str, Any], *, replies: int = 0) -> str:
    config = session.stack.slack.config
    who = BOT_NAME if message.bot_id or message.user == config.bot_user_id else config.users.get(message.user, message.user)
    edited = ' <span class="edited">(edited)</span>' if message.edits else ""
    blocks = with_block_ids(message.blocks, f"{message.channel}/{message.ts}") if message.blocks else None
    body = message_html(text=message.text, blocks=blocks, **names)
    files = files_html(message.files, file_url=lambda file_id: f"/api/files/{escape(file_id)}") if message.files else ""
    reactions = reactions_html(message.reacted or message.reactions) if (message.reacted or message.reactions) else ""
    thread = ""
    if replies:
        label = "1 reply" if replies == 1 else f"{replies} replies"
        thread = f'<button type="button" class="open-thread" data-open-thread="{escape(message.ts)}">{label}</button>'
    kind = " bot" if who == BOT_NAME else ""
    return (
        f'<div class="msg{kind}" data-msg data-channel="{escape(message.channel)}" data-ts="{escape(message.ts)}">'
        f'<div class="msg-head"><span class="who">{escape(who)}</span> <span class="when">{_clock(float(message.ts))}</span>{edited}</div>'
        f'<div class="msg-body">{body}</div>{files}{reactions}{thread}</div>'
    )


def _channel(session: ConsoleSession, channel: str, names: Mapping[str, Any]) -> str:
    slack = session.stack.slack
    shown = []
    for message in slack.in_channel(channel):
        replies = len(slack.thread(channel, message.ts)) - 1 if message.thread_ts in (None, message.ts) else 0
        shown.append(_message(session, message, names, replies=replies))
    return "".join(shown) or '<p class="empty">No messages here yet: text in from a phone on the left.</p>'


def _thread(session: ConsoleSession, channel: str, thread_ts: str, names: Mapping[str, Any]) -> str | None:
    messages = session.stack.slack.thread(channel, thread_ts)
    if not messages:
        return None
    return "".join(_message(session, message, names) for message in messages)


def _private(session: ConsoleSession, user: str, channel: str, names: Mapping[str, Any]) -> str:
    shown = []
    mine = [post for post in private_posts(session.stack.slack, session.private) if post["user"] == user and post["channel"] == channel]
    for post in mine[-8:]:
        typed = f'<div class="typed">{escape(post["typed"])}</div>' if post["typed"] else ""
        note = "posted to the channel" if post["in_channel"] else "Only visible to you"
        body = message_html(text=post["text"], blocks=with_block_ids(post["blocks"], "ephemeral") or None, **names)
        shown.append(
            f'<div class="msg private" data-msg data-channel="{escape(channel)}" data-private="{escape(post["key"])}">'
            f'{typed}<div class="msg-head"><span class="who">{BOT_NAME}</span> <span class="note">{note}</span></div>'
            f'<div class="msg-body">{body}</div></div>'
        )
    return "".join(shown)


def _modal(session: ConsoleSession, user: str, names: Mapping[str, Any]) -> dict[str, Any] | None:
    """The top modal of ``user`` (a window Slack shows to the person who opened it only)."""
    session.refresh_modals()
    theirs = [modal for modal in session.modals if modal.user == user]
    if not theirs:
        return None
    modal = theirs[-1]
    slack = session.stack.slack
    view = slack.views[modal.view_id]
    errors = slack.view_errors(modal.view_id)
    key = f"{modal.view_id}:{view.get('hash')}:{sorted(errors.items())}"
    return {"key": key, "view": modal.view_id, "html": view_html(view, errors=errors, zone=session.zone, **names)}


def snapshot(session: ConsoleSession, *, channel: str, thread: str | None, user: str) -> dict[str, Any]:
    """The page's whole state for ``user`` looking at ``channel`` (and ``thread`` when open)."""
    config = session.stack.slack.config
    names = _names(session)
    if channel not in config.channels:
        channel = session.stack.channel
    thread_html = _thread(session, channel, thread, names) if thread else None
    return {
        "version": session.version,
        "phones": _phones(session),
        "teammates": [{"id": uid, "name": name} for uid, name in config.users.items()],
        "channels": [{"id": cid, "name": name} for cid, name in config.channels.items()],
        "channel": channel,
        "messages": _channel(session, channel, names),
        "thread": {"ts": thread, "html": thread_html} if thread_html else None,
        "private": _private(session, user, channel, names),
        "modal": _modal(session, user, names),
        "switches": [
            {"name": s.name, "side": s.side, "label": s.label, "what": s.what, "on": s.name in session.switches.on} for s in SWITCHES
        ],
        "banner": mrkdwn_html(f"*#{config.channels[channel]}*", **names),
    }
