"""``/sms optouts``, ``/sms audit``, ``/sms export <number>``, ``/sms forget <number>``
and the Erase button: consent and data-protection acts, answered privately.

Opt-outs are for everyone who may send; the audit log, a number's export and its
erasure are for the people in ``ADMIN_USERS`` (the bridge checks, and refuses in one
sentence). Polish words work too: ``wypisani``, ``audyt``, ``eksport``, ``zapomnij``.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.i18n import _
from bot.slack.blocks.markup import escape
from bot.slack.blocks.privacy import FORGET_ACTION, FORGET_CANCEL_ACTION, forget_question, opt_outs_list, privacy_help
from bot.sms.audit_query import parse_audit_query
from bot.sms.command import HELP_WORDS, CommandError, split_numbers
from bot.sms.numbers import PhoneE164, display, try_normalize

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["WORDS", "handle_forget_button", "handle_privacy_command", "register"]

OPT_OUTS = frozenset({"optouts", "opt-outs", "optout", "wypisani", "wypisania"})
AUDIT = frozenset({"audit", "audyt"})
EXPORT = frozenset({"export", "eksport"})
FORGET = frozenset({"forget", "zapomnij"})
WORDS = OPT_OUTS | AUDIT | EXPORT | FORGET

_ADD = frozenset({"add", "dodaj"})
_REMOVE = frozenset({"remove", "usuń", "usun"})
_EXPORT_LIST = frozenset({"export", "eksport", "csv"})


def register(app: AsyncApp, bridge: Bridge) -> None:
    button = partial(handle_forget_button, bridge=bridge)
    app.action(FORGET_ACTION)(button)
    app.action(FORGET_CANCEL_ACTION)(button)


def _number(text: str) -> tuple[PhoneE164 | None, str, str]:
    """The one number ``text`` starts with (spaces allowed inside it), what was typed for
    it, and the words after it."""
    numbers, rest = split_numbers(text)
    if len(numbers) != 1:
        typed = text.split(" ", 1)[0] if text else ""
        return None, typed, rest
    return try_normalize(numbers[0]), numbers[0], rest


def _no_number(word: str, usage: str) -> str:
    if not word:
        return _("Give the number: {usage}").format(usage=usage)
    return _("“{word}” is not a phone number: {usage}").format(word=escape(word[:40]), usage=usage)


async def handle_privacy_command(ack: AsyncAck, word: str, rest: str, command: dict[str, Any], *, bridge: Bridge) -> None:
    """One of the words in :data:`WORDS` followed ``/sms``: one private answer (or the Erase question)."""
    user, channel = str(command.get("user_id") or ""), str(command.get("channel_id") or "")
    hook = command.get("response_url")
    if word in OPT_OUTS:
        refusal = bridge.may_send(user_id=user, channel_id=channel)
        await ack(refusal or await _opt_outs(rest, user_id=user, channel_id=channel, response_url=hook, bridge=bridge))
        return
    refusal = bridge.not_admin(user)
    if refusal:
        await ack(refusal)
        return
    phone, typed, _after = _number(rest)
    if word in AUDIT:
        try:
            query = parse_audit_query(rest, tz=await bridge.user_timezone(user))
        except CommandError as exc:
            await ack(str(exc))
            return
        if query.handle is not None:  # "@anna" as typed (the command's text is not escaped)
            found = await bridge.directory.user_by_handle(query.handle)
            if found is None:
                said = _("Nobody in this workspace is {handle} (or more than one person is); write their member ID (U…) instead.")
                await ack(said.format(handle=escape(query.handle[:40])))
                return
            query = replace(query, actor=found, handle=None)
        await ack(await bridge.start_audit_export(user_id=user, query=query))
    elif word in EXPORT:
        await ack(await bridge.start_number_export(user_id=user, phone=phone) if phone else _no_number(typed, _("/sms export 600100200")))
    else:
        if phone is None:
            await ack(_no_number(typed, _("/sms forget 600100200")))
            return
        await ack(**forget_question(phone))


async def _opt_outs(rest: str, *, user_id: str, channel_id: str, response_url: str | None, bridge: Bridge) -> str:
    action, _space, tail = rest.partition(" ")
    action = action.lower()
    if action in HELP_WORDS - {""}:
        return privacy_help()
    if action in _EXPORT_LIST and not tail:
        return await bridge.start_opt_outs_export(user_id=user_id, response_url=response_url)
    if action in _ADD | _REMOVE:
        phone, number_word, reason = _number(tail.strip())
        if phone is None:
            # The command's words have Polish forms too: each language shows its own.
            usage = _("/sms optouts add 600100200") if action in _ADD else _("/sms optouts remove 600100200 asked by phone on 30.11.")
            return _no_number(number_word, usage)
        if action in _ADD:
            return await bridge.add_opt_out(phone, user_id=user_id, channel_id=channel_id, reason=reason.strip())
        return await bridge.remove_opt_out(phone, user_id=user_id, channel_id=channel_id, reason=reason)
    rows, total = await bridge.list_opt_outs(rest.strip() or None)
    return opt_outs_list(rows, total=total, query=rest.strip() or None, zone=ZoneInfo(bridge.config.default_timezone))


async def handle_forget_button(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, *, bridge: Bridge
) -> None:
    """Erase (confirmed in Slack's dialog) or Cancel under the ``/sms forget`` question."""
    await ack()
    phone = try_normalize(str(action.get("value") or ""))
    if phone is None:
        return
    if action.get("action_id") == FORGET_CANCEL_ACTION:
        await respond(text=_("Nothing was erased; {number} stays as it was.").format(number=display(phone)), replace_original=True)
        return
    user = str((body.get("user") or {}).get("id") or "")
    answer = await bridge.forget_number(user_id=user, phone=phone, response_url=body.get("response_url"))
    await respond(text=answer, replace_original=True)
