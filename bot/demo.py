"""``mprofi-slack demo``: the whole bridge on loopback, with no account anywhere.

It starts the local mProfi simulator, the local Slack emulator and the real app
between them (SQLite, migrations, workers, Bolt), plays a short conversation and
prints what the phone and the Slack channel saw, in the language asked for (the bridge
speaks it too; what the customer and the team type is the same in both).
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.i18n import N_, _, current_language, ngettext, use_language
from bot.sandbox.slack import SlackMessage
from bot.sandbox.stack import SandboxStack
from bot.sms.numbers import display, normalize

__all__ = ["run_demo"]

# A 1×1 PNG, small enough to read in a transcript.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
CUSTOMER = "48600100200"
# The reaction a reply wears once its state is final (STATUS_STYLE=reactions).
FINAL_REACTIONS = {"white_check_mark", "warning", "x", "grey_question", "no_entry_sign"}
# The product's own defaults for how a reply shows (the sandbox's tests turn them off).
DEFAULTS = {name: Settings.model_fields[name].default for name in ("send_delay_seconds", "status_style")}
# How a teammate starts an internal note, in each language (both work in either).
NOTE_PREFIX = {"pl": "notatka:", "en": "note:"}


async def run_demo(out: TextIO, *, database_url: str | None = None, language: str = "pl") -> int:
    """Play the demo; ``language`` (``pl`` or ``en``) is the bridge's and the transcript's."""

    def say(line: str = "") -> None:
        print(line, file=out, flush=True)

    with use_language(language), tempfile.TemporaryDirectory(prefix="mprofi-slack-demo-") as scratch:
        url = database_url or f"sqlite:///{Path(scratch) / 'demo.db'}"
        async with SandboxStack(url, status_step_seconds=0.3, settings=DEFAULTS | {"bot_language": language}) as stack:
            await _play(stack, say, url if database_url else _("a fresh SQLite file"))
    return 0


def _slack_line(stack: SandboxStack, message: SlackMessage) -> str:
    config = stack.slack.config
    who = _("bridge") if message.user == config.bot_user_id else config.users.get(message.user, message.user)
    text = message.text.replace("\n", " ")
    if message.files:
        size = int(message.files[0]["size"])
        text = ngettext("[file {name}, {n} byte]", "[file {name}, {n} bytes]", size).format(name=message.files[0]["title"], n=size)
    return f"  Slack │ {who}: {text}"


async def _play(stack: SandboxStack, emit: Callable[..., None], where: str) -> None:
    channel = stack.slack.config.channels[stack.channel]
    shown: set[str] = set()

    def show_new(parent: SlackMessage) -> None:
        for message in stack.slack.thread(parent.channel, parent.ts):
            if message.ts not in shown:
                shown.add(message.ts)
                emit(_slack_line(stack, message))

    def card(parent: SlackMessage) -> None:
        emit("  " + _("Slack │ the thread's card: {card}").format(card=_card(stack, parent)))

    emit(
        _("mprofi-slack demo: the real bridge between a local mProfi and a local Slack (#{channel}), database: {database}").format(
            channel=channel, database=where
        )
    )
    emit()

    phone = display(normalize(CUSTOMER))
    text = "Dzień dobry! Czy zamówienie 4471 już wyszło?"
    emit(_("1. A customer texts in from {phone}: “{text}”").format(phone=phone, text=text))
    record = await stack.phone_texts(CUSTOMER, text)
    emit("  " + _("mProfi → POST /mprofi/incoming (standard JSON) → HTTP {status}").format(status=record.attempts[-1].status_code))
    parent = await stack.until(lambda: stack.thread_of(phone), what="the thread")
    await stack.until(lambda: stack.replies(parent), what="the message in the thread")  # untranslated: a timeout's text
    emit("  " + _("Slack │ a new thread opens in #{channel}").format(channel=channel))
    show_new(parent)
    emit()

    reply = "Tak, wyszło dziś rano. Kurier będzie jutro między 9 a 12."  # untranslated: what Anna types
    card(parent)
    emit()
    emit(_("2. Anna answers in the thread"))
    answer = await stack.person_replies(parent, reply, user="U0ANNA")
    shown.add(answer.ts)
    emit(_slack_line(stack, answer))
    line = await stack.until(lambda: _status_line(stack, parent), what="the undo line")  # untranslated: a timeout's text
    shown.add(line.ts)
    emit("  " + _("Slack │ bridge, while it can still be undone: {line}  [Cancel]").format(line=line.text))
    sent = await stack.until(lambda: stack.sent_to(CUSTOMER), timeout=30, what="the SMS")
    sms = sent[0]
    emit(
        "  "
        + _("mProfi ← send/ recipient {recipient}, encoding {encoding}, reference {reference}").format(
            recipient=sms.recipient, encoding=sms.encoding or _("default"), reference=sms.reference
        )
    )
    emit("  " + _("phone │ {phone} receives: “{text}”").format(phone=phone, text=sms.text))
    seen: set[str] = set()
    while True:
        now = set(stack.slack.messages[(answer.channel, answer.ts)].reactions)
        if len(now) > 1:  # caught between the new reaction going on and the old one coming off

            def swapped() -> bool:
                return len(stack.slack.messages[(answer.channel, answer.ts)].reactions) <= 1

            await stack.until(swapped, what="the reaction swap")  # untranslated: a timeout's text
            continue
        if now != seen:
            worn = ":".join(sorted(now)) or _("(nothing)")
            emit("  " + _("Slack │ Anna's reply now wears :{reactions}:").format(reactions=worn))
            seen = now
        if now & FINAL_REACTIONS:
            break

        def moved(seen: set[str] = seen) -> bool:
            return set(stack.slack.messages[(answer.channel, answer.ts)].reactions) != seen

        await stack.until(moved, timeout=10, what="a status change")
    await stack.drain()  # the undo line goes in a job of its own, after the final reaction
    if stack.slack.messages[(line.channel, line.ts)].deleted:
        emit("  " + _("Slack │ the undo line is gone: nothing is left to act on"))
    else:
        emit("  " + _("Slack │ the undo line stays"))
    await stack.drain()
    card(parent)
    emit()

    emit(_("3. Piotr leaves an internal note in the thread"))
    typed_note = f"{NOTE_PREFIX.get(current_language(), 'note:')} stały klient, zadzwonić jutro po 12"  # untranslated: what Piotr types
    note = await stack.person_replies(parent, typed_note, user="U0PIOTR")
    await stack.until(lambda: "memo" in note.reactions, what="the note marker")  # untranslated: a timeout's text
    show_new(parent)
    emit(
        "  "
        + _("Slack │ the note is marked :memo: and mProfi received nothing (SMS sent so far: {n})").format(n=len(stack.sent_to(CUSTOMER)))
    )
    emit()

    emit(_("4. The customer sends a photo by MMS"))
    before = len(stack.replies(parent))
    mms = await stack.phone_texts(CUSTOMER, "Paczka przyszła uszkodzona", images=[("paczka.png", TINY_PNG, "image/png")])
    emit("  " + _("mProfi → POST /mprofi/incoming (multipart MMS, image1) → HTTP {status}").format(status=mms.attempts[-1].status_code))
    await stack.until(lambda: len(stack.replies(parent)) >= before + 2, what="the MMS in the thread")  # untranslated: a timeout's text
    show_new(parent)
    emit()

    emit(_("5. Piotr texts two more customers from #general with /sms"))
    typed = "600100300, 600 100 400 Zapraszamy po odbiór zamówienia"  # untranslated: what Piotr types
    response, _response = await stack.slack.run_command("/sms", typed, user="U0PIOTR", channel="C0GENERAL")
    emit(f"  Slack │ Piotr Kowalski: /sms {typed}")
    emit("  " + _("Slack │ (only Piotr sees) {text}").format(text=response.text))
    accepted, waiting = _figure(N_("*{n}* accepted by mProfi")), _figure(N_("*{n}* still to send"))
    summary = await stack.until(
        lambda: [m for m in stack.slack.top_level("C0GENERAL") if accepted.search(str(m.blocks)) and not waiting.search(str(m.blocks))],
        what="the summary",
    )
    emit(f"  Slack │ #general: {summary[0].text}")
    for message in sorted(stack.sim.messages.values(), key=lambda m: m.id)[1:]:
        emit("  " + _("phone │ {phone} receives: “{text}”").format(phone=display(normalize(message.recipient)), text=message.text))
    emit()

    emit(_("6. Anna closes the conversation on its card; the customer writes again"))
    close = next(
        e
        for b in stack.slack.messages[(parent.channel, parent.ts)].blocks or []
        for e in b.get("elements") or []
        if e.get("action_id") == "card_close"
    )
    await stack.slack.press_button(close, user="U0ANNA", channel=parent.channel, message_ts=parent.ts)
    await stack.drain()
    card(parent)
    before = len(stack.replies(parent))
    await stack.phone_texts(CUSTOMER, "Jeszcze jedno: czy mogę zmienić adres?")
    await stack.until(lambda: len(stack.replies(parent)) > before, what="the follow-up")
    await stack.drain()
    follow = stack.replies(parent)[-1]
    shown.add(follow.ts)
    said = _readable(stack, " ".join(_texts(follow.blocks)))
    if follow.broadcast:
        emit("  " + _("Slack │ in the thread and in the channel: {text}").format(text=said))
    else:
        emit("  " + _("Slack │ in the thread: {text}").format(text=said))
    card(parent)
    emit()

    threads, in_thread, through = len(stack.slack.top_level(stack.channel)), len(stack.replies(parent)), len(stack.sim.messages)
    emit(
        _("Done: {threads} in #{channel}, {messages}, {sms}, {calls}.").format(
            threads=ngettext("{n} thread", "{n} threads", threads).format(n=threads),
            channel=channel,
            messages=ngettext("{n} message in it", "{n} messages in it", in_thread).format(n=in_thread),
            sms=ngettext("{n} SMS sent through mProfi", "{n} SMS sent through mProfi", through).format(n=through),
            calls=ngettext("{n} Slack Web API call", "{n} Slack Web API calls", len(stack.slack.calls)).format(n=len(stack.slack.calls)),
        )
    )


def _figure(label: str) -> re.Pattern[str]:
    """One of the dispatch summary's counts (``*2* accepted by mProfi``) as the bridge words it, any count."""
    mark = "\ue000"
    return re.compile(re.escape(_(label).format(n=mark)).replace(mark, r"[\d,.\s\u00a0]+"))


def _texts(blocks: object) -> list[str]:
    if isinstance(blocks, dict):
        return [v for k, v in blocks.items() if k == "text" and isinstance(v, str)] + [
            t for k, v in blocks.items() if k != "text" or not isinstance(v, str) for t in _texts(v)
        ]
    if isinstance(blocks, list):
        return [t for item in blocks for t in _texts(item)]
    return []


def _readable(stack: SandboxStack, mrkdwn: str) -> str:
    """Slack markup as a reader sees it: people by name, dates by their fallback."""
    names = stack.slack.config.users
    text = re.sub(r"<@(\w+)>", lambda m: "@" + names.get(m.group(1), m.group(1)), mrkdwn)
    text = re.sub(r"<!date\^(\d+)\^\{ago\}\|[^>]*>", lambda m: _ago(int(m.group(1))), text)
    text = re.sub(r"<!date\^\d+\^[^|>]*\|([^>]*)>", r"\1", text)
    return " ".join(text.replace("*", "").split())


def _ago(stamp: int) -> str:
    minutes = int((time.time() - stamp) // 60)
    return _("just now") if minutes < 1 else _("{minutes} min ago").format(minutes=minutes)


def _card(stack: SandboxStack, parent: SlackMessage) -> str:
    """The card's header and state, on one line."""
    blocks = stack.slack.messages[(parent.channel, parent.ts)].blocks or []
    header = blocks[0]["text"]["text"] if blocks else ""
    state = blocks[1]["text"]["text"] if len(blocks) > 1 else ""
    return _readable(stack, f"{header} · {state}".replace("\n", " · "))


def _status_line(stack: SandboxStack, parent: SlackMessage) -> SlackMessage | None:
    """The reply's status line: the bridge's message that starts as the bridge words it ("SMS to …")."""
    mark = "\ue000"
    starts = tuple(
        _("{kind} to {recipient}: {status}").format(kind=kind, recipient=mark, status="").split(mark)[0] for kind in ("SMS", "MMS")
    )
    for message in stack.replies(parent):
        if message.user == stack.slack.config.bot_user_id and message.text.startswith(starts):
            return message
    return None
