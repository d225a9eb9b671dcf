"""``/hlr``, and CSV files shared with the bot: a bulk HLR check, or (with the word
``contacts``) an import of contacts.

The handlers are module functions (the bridge passed by keyword) so tests call them
without an app; ``register`` wires them to Bolt.
"""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.bridge.models import HlrRequest
from bot.i18n import N_, _, figure, ngettext
from bot.slack.listeners import campaigns
from bot.sms.command import HELP_WORDS, describe_refused, parse_recipients, split_numbers
from bot.sms.numbers import display

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["register", "handle_hlr", "handle_mention", "HLR_HELP"]

# Marked, not translated: shown through _() in the language of the request.
HLR_HELP = N_(
    "Give the number(s) to check: /hlr 600100200, or several: /hlr 600100200 600100201. "
    "For a long list, share a CSV file (one number per line) in a channel and mention me in the message."
)


def register(app: AsyncApp, bridge: Bridge) -> None:
    app.command("/hlr")(partial(handle_hlr, bridge=bridge))
    app.event("app_mention")(partial(handle_mention, bridge=bridge))


async def handle_hlr(ack: AsyncAck, command: dict[str, Any], *, bridge: Bridge) -> None:
    """``/hlr`` typed out: a usage sentence, or the check queued and said so."""
    text = str(command.get("text") or "")
    if text.strip().lower() in HELP_WORDS:
        await ack(_(HLR_HELP))
        return
    raw, leftover = split_numbers(text)
    if leftover:
        await ack(_("“{typed}” is not a phone number; /hlr takes only numbers. {usage}").format(typed=leftover[:40], usage=_(HLR_HELP)))
        return
    numbers = parse_recipients(raw)
    if not numbers.valid:
        first, reason = numbers.refused[0]
        await ack(_("{number} is not a number that can be checked: {reason}.").format(number=first, reason=reason))
        return
    request = HlrRequest(
        trigger_id=f"command:{command.get('trigger_id') or command.get('response_url')}",
        user_id=str(command.get("user_id") or ""),
        channel_id=str(command.get("channel_id") or ""),
        numbers=numbers.valid,
        skipped=numbers.refused,
        response_url=command.get("response_url"),
    )
    if not await bridge.start_hlr(request):
        await ack(_("This /hlr was already received; the numbers are not checked twice."))  # Slack retried the command
        return
    count = len(numbers.valid)
    if count == 1:
        checking = _("Checking {number}; the answer will be posted in this channel.").format(number=display(numbers.valid[0]))
    else:
        checking = ngettext(
            "Checking {n} number; the answer will be posted in this channel.",
            "Checking {n} numbers; the answer will be posted in this channel.",
            count,
        ).format(n=figure(count))
    skipped = " " + _("Not checked: {numbers}.").format(numbers=describe_refused(numbers.refused)) if numbers.refused else ""
    await ack(checking + skipped)


_LIST_TYPES = frozenset({"csv", "tsv", "txt", "text"})
_CONTACTS_WORD = re.compile(r"\b(contacts|kontakty)\b", re.IGNORECASE)


def _is_list(file: dict[str, Any]) -> bool:
    """A CSV or plain-text file (by Slack's ``filetype`` or the name), which may hold numbers."""
    name = str(file.get("name") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return str(file.get("filetype") or "").lower() in _LIST_TYPES or extension in _LIST_TYPES


async def handle_mention(event: dict[str, Any], *, bridge: Bridge) -> None:
    """A CSV file shared with a mention of the bot is a list of numbers to check; each
    file of the message is checked on its own."""
    # Each list of numbers is checked (each check is paid); other files beside a list are
    # not. A message with no list at all has its first file looked at, so that its
    # author hears why it cannot be checked rather than nothing.
    shared = event.get("files") or []
    files = [f for f in shared if _is_list(f)] or shared[:1]
    base = f"mention:{event.get('channel')}:{event.get('ts')}"
    if files and campaigns.is_campaign(str(event.get("text") or "")):  # "@app campaign <text>" + a CSV: a dry run, nothing paid
        await campaigns.handle_campaign_mention(event, files[0], bridge=bridge)
        return
    if not files and campaigns.asks_for_campaign(str(event.get("text") or "")):  # the CSV forgotten: say how
        await campaigns.handle_campaign_without_file(event, bridge=bridge)
        return
    if files and _CONTACTS_WORD.search(str(event.get("text") or "")):  # "@app contacts" + a CSV: names, not numbers to check
        user, channel = str(event.get("user") or ""), str(event.get("channel") or "")
        if bridge.may_send(user_id=user, channel_id=channel):  # names decide where "/sms <name>" goes
            text = _("Only people who may send SMS from this channel can import contacts: names decide where /sms <name> goes.")
            await bridge.tell_privately(channel_id=channel, user_id=user, text=text)
            return
        await bridge.start_contacts_import(
            trigger_id=base,
            user_id=str(event.get("user") or ""),
            channel_id=str(event.get("channel") or ""),
            thread_ts=str(event.get("thread_ts") or event.get("ts")),
            file=files[0],
        )
        return
    for index, file in enumerate(files):  # none: a plain mention; the same text also arrives as a message event
        await bridge.check_numbers_in_file(
            trigger_id=base if index == 0 else f"{base}:{index}",
            user_id=str(event.get("user") or ""),
            channel_id=str(event.get("channel") or ""),
            thread_ts=str(event.get("thread_ts") or event.get("ts")),
            file=file,
        )
