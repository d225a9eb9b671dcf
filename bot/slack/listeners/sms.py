"""``/sms``, its form and its Send/Cancel buttons: refuse plainly, or hand a checked request to the bridge.

Everything here answers inside Slack's 3 seconds: parsing is pure, storing is one
database transaction, and the sending happens in the bridge's workers. The handlers are
module functions (the bridge passed by keyword) so tests call them without an app.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, tzinfo
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.bridge.formatting import look_up, pieces_from_text, unescape
from bot.bridge.models import Recipient, SmsAccepted, SmsRequest
from bot.i18n import _
from bot.slack import blocks, views
from bot.slack.blocks import templates as template_blocks
from bot.slack.blocks.contacts import CONTACTS_HELP, contacts_list, named_number
from bot.slack.blocks.markup import escape
from bot.slack.listeners import privacy, sms_templates, stats, templates
from bot.sms.command import (
    HELP_WORDS,
    CommandError,
    SmsCommand,
    name_lead,
    parse_named_command,
    parse_recipients,
    parse_sms_command,
    split_numbers,
)
from bot.sms.text import TextTooLong, analyze, check_sms_text, wire_encoding

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["register", "handle_sms", "handle_confirmation", "handle_text_typed", "handle_form"]


def register(app: AsyncApp, bridge: Bridge) -> None:
    app.command("/sms")(partial(handle_sms, bridge=bridge))
    confirmation = partial(handle_confirmation, bridge=bridge)
    app.action(blocks.CONFIRM_ACTION)(confirmation)
    app.action(blocks.CANCEL_ACTION)(confirmation)
    app.action(views.TEXT_ACTION)(partial(handle_text_typed, bridge=bridge))
    app.view(views.SMS_FORM)(partial(handle_form, bridge=bridge))


async def handle_sms(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    """``/sms`` typed out: one answer, either why not or what will happen; no arguments opens the form."""
    user, channel = str(command.get("user_id") or ""), str(command.get("channel_id") or "")
    typed = str(command.get("text") or "")
    first, _sep, rest = typed.strip().partition(" ")
    if first.lower() in privacy.WORDS:  # opt-outs, audit, export, forget: each checks who may
        await privacy.handle_privacy_command(ack, first.lower(), rest.strip(), command, bridge=bridge)
        return
    if first.lower() in stats.WORDS:  # figures only: nothing is sent, so anyone may ask
        await stats.handle_stats_command(ack, rest, command, bridge=bridge)
        return
    refusal = bridge.may_send(user_id=user, channel_id=channel)
    if refusal:
        await ack(refusal)
        return
    if first.lower() in templates.WORDS:  # the templates modal (bot/slack/listeners/templates.py)
        await templates.handle_templates_command(ack, command, client, bridge=bridge)
        return
    if first.lower() in CONTACTS_WORDS:
        hook = command.get("response_url")
        await ack(await _contacts_command(rest.strip(), user_id=user, channel_id=channel, response_url=hook, bridge=bridge))
        return
    named: Recipient | None = None
    _lead, names = name_lead(typed)
    if names:  # "/sms Anna Kowalska …": a contact's whole name instead of a number
        # Slack escapes the command's text: names are looked up as they were typed.
        named = await bridge.find_recipient([(unescape(name), end) for name, end in names])
        refusal = _not_one_contact(named, names[0][0])
        if refusal:
            await ack(refusal)
            return
    # Names for any mentions are asked while the time zone is (both cached), so a
    # slow Slack costs one wait, not two, inside the 3 seconds.
    zone, _looked_up = await asyncio.gather(bridge.user_timezone(user), look_up(pieces_from_text(typed), bridge.directory))
    try:
        if named is not None and named.phone is not None:
            parsed: SmsCommand | None = parse_named_command(typed, end=named.end, phone=named.phone, now=datetime.now(UTC), tz=zone)
        else:
            parsed = parse_sms_command(typed, now=datetime.now(UTC), tz=zone)
    except CommandError as exc:
        await ack(str(exc))
        return
    if parsed is None:
        await ack()
        listed = [(t.id, t.name) for t in await bridge.templates.all()]
        form = views.sms_form(channel_id=channel, timezone=zone.key, templates=listed)
        await client.views_open(trigger_id=command["trigger_id"], view=form)
        return
    # Slack escapes the command's text (and with should_escape wraps mentions and
    # links): the phone gets what the person meant, counted as it goes out.
    filled = await sms_templates.command_text(parsed.text, parsed.recipients.valid, user_id=user, zone=zone, bridge=bridge)
    if isinstance(filled, str):  # "/sms 600100200 #dostawa": an unknown template, or a variable with no value
        await ack(filled)
        return
    said, texts = filled  # variables filled in once per number, as in the form
    encoding = wire_encoding(" ".join(texts.values()) if texts else said.sent)
    try:
        check_sms_text(said.sent, utf8=encoding == "utf-8")
    except ValueError as exc:  # too long, or nothing left once Slack's markup is read
        await ack(str(exc))
        return
    request = SmsRequest(
        trigger_id=f"command:{command.get('trigger_id') or command.get('response_url')}",
        user_id=user,
        channel_id=channel,
        text=said.sent,
        typed=said.typed if said.differs else None,
        recipients=parsed.recipients.valid,
        refused=parsed.recipients.refused,
        duplicates=parsed.recipients.duplicates,
        send_at=parsed.send_at,
        encoding=encoding,
        response_url=command.get("response_url"),
        texts=texts,
    )
    accepted = await bridge.start_sms(request)
    if accepted.refusal:
        await ack(accepted.refusal)
    elif accepted.quiet_question is not None:
        await ack(**accepted.quiet_question)
    elif accepted.needs_confirmation:
        await ack(**_confirmation(request, accepted, zone=ZoneInfo(bridge.config.default_timezone)))
    else:
        known = await bridge.contact_names([*accepted.sending[:1], *accepted.opted_out[:10]])
        await ack(_ack_text(bridge, request, accepted, names=known))


async def handle_confirmation(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, *, bridge: Bridge
) -> None:
    """Send or Cancel on a large ``/sms``: the question is replaced by what happened."""
    await ack()
    value = str(action.get("value") or "")
    if not value.isdigit():
        return
    answer = await bridge.answer_confirmation(
        int(value), user_id=str((body.get("user") or {}).get("id") or ""), send=action.get("action_id") == blocks.CONFIRM_ACTION
    )
    if isinstance(answer, dict):  # confirmed inside the quiet hours: asked when it should go
        await respond(**answer, replace_original=True)
    else:
        await respond(text=answer, replace_original=True)


async def handle_text_typed(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    """The live hint: characters, parts, and what the phone reads without Unicode."""
    await ack()
    view = body.get("view") or {}
    values = views.form_values(view)
    meta = json.loads(view.get("private_metadata") or "{}")
    await client.views_update(
        view_id=view["id"],
        hash=view.get("hash"),
        view=views.sms_form(
            channel_id=meta.get("channel", ""),
            timezone=meta.get("tz", bridge.config.default_timezone),
            hint=views.text_hint(values["text"], values["encoding"]),
            templates=[(t.id, t.name) for t in await bridge.templates.all()],
            chosen=values["template"],
            text_block=values["text_block"],
        ),
    )


async def handle_form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], *, bridge: Bridge) -> None:
    """The ``/sms`` form submitted: mistakes go back beside their fields, the answer comes privately."""
    user = str((body.get("user") or {}).get("id") or "")
    meta = json.loads(view.get("private_metadata") or "{}")
    channel = str(meta.get("channel") or bridge.config.channel_id)
    values = views.form_values(view)
    errors: dict[str, str] = {}
    numbers, leftover = split_numbers(values["recipients"])
    recipients = parse_recipients(numbers)
    if leftover:
        errors["recipients"] = _("“{typed}” is not a phone number; put only numbers here.").format(typed=leftover[:40])
    elif not numbers:
        errors["recipients"] = _("Type at least one number.")
    elif recipients.refused:
        raw, reason = recipients.refused[0]
        errors["recipients"] = _("{number} is not a number that can be texted: {reason}; correct or remove it.").format(
            number=raw, reason=reason
        )
    # A template's variables, filled in for each number (bot/slack/listeners/sms_templates.py).
    text, texts, lacking = await sms_templates.form_text(values["text"], recipients.valid, user_id=user, bridge=bridge)
    errors.update({"recipients": lacking} if lacking and not errors else {})
    every = list(texts.values()) if texts else [text]  # what the phones get
    encoding = views.wire_encoding_for(" ".join(every), values["encoding"])
    try:
        check_sms_text(max(every, key=len), utf8=encoding == "utf-8")
    except TextTooLong as exc:
        errors[values["text_block"]] = str(exc)
    except ValueError as exc:
        errors[values["text_block"]] = str(exc)
    send_at = None
    if values["when"] is not None:
        send_at = datetime.fromtimestamp(values["when"], tz=ZoneInfo(meta.get("tz") or bridge.config.default_timezone))
        if send_at <= datetime.now(UTC):
            errors["when"] = _("That time has already passed; pick a time in the future or leave it empty.")
    refusal = bridge.may_send(user_id=user, channel_id=channel)
    if refusal:
        errors["recipients"] = refusal
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    request = SmsRequest(
        trigger_id=f"view:{view.get('id')}",
        user_id=user,
        channel_id=channel,
        text=text,  # as typed: Slack does not escape modal inputs, so nothing is undone
        recipients=recipients.valid,
        refused=recipients.refused,
        duplicates=recipients.duplicates,
        send_at=send_at,
        encoding=encoding,
        texts=texts,
    )
    accepted = await bridge.start_sms(request)
    if accepted.refusal:
        await ack(response_action="errors", errors={"recipients": accepted.refusal})
        return
    await ack()
    if accepted.quiet_question is not None:
        await bridge.tell_privately(channel_id=channel, user_id=user, **accepted.quiet_question)
    elif accepted.needs_confirmation:
        await bridge.tell_privately(
            channel_id=channel, user_id=user, **_confirmation(request, accepted, zone=ZoneInfo(bridge.config.default_timezone))
        )
    else:
        known = await bridge.contact_names([*accepted.sending[:1], *accepted.opted_out[:10]])
        await bridge.tell_privately(channel_id=channel, user_id=user, text=_ack_text(bridge, request, accepted, names=known))


def _confirmation(request: SmsRequest, accepted: SmsAccepted, *, zone: tzinfo) -> dict[str, Any]:
    skipped = (
        blocks.sms_ack(
            sending=(),
            opted_out=accepted.opted_out,
            refused=accepted.refused,
            duplicates=accepted.duplicates,
            parts=1,
            send_at=None,
            bridge_channel="",
            zone=zone,
        )
        .removeprefix(_("Nothing was sent."))
        .strip()
    )
    if accepted.parts_total and not accepted.parts_each:  # texts filled in per number differ in length: their own sum
        return template_blocks.uneven_confirm(accepted.dispatch_id, len(accepted.sending), accepted.parts_total, request.text, skipped)
    return blocks.sms_confirm(
        dispatch_id=accepted.dispatch_id,
        numbers=len(accepted.sending),
        parts=_parts_each(request, accepted),
        text=request.text,
        skipped=skipped,
    )


def _parts_each(request: SmsRequest, accepted: SmsAccepted) -> int:
    """Every number's parts when alike (as start_sms counted them; the text's own when it did not say)."""
    return accepted.parts_each or analyze(request.text, utf8=request.encoding == "utf-8").parts


CONTACTS_WORDS = frozenset({"contacts", "kontakty"})


def _not_one_contact(found: Recipient | None, first: str) -> str | None:
    """Why a name typed after /sms does not say who to text (one sentence), or None."""
    if found is None:
        return _(
            "“{typed}” is neither a number nor a contact's name. Start with the number (or a contact's "
            "whole name), then the message: /sms 600100200 Your parcel is on its way."
        ).format(typed=unescape(first)[:40])
    if found.phone is not None:
        return None
    listed = ", ".join(named_number(phone, name) for name, phone in found.candidates)
    if len(found.candidates) == 1:
        return _("Did you mean {contact}? Write the whole name, then the message (or use the number).").format(contact=listed)
    return _("That name fits more than one contact: {contacts}. Write the whole name, or the number.").format(contacts=listed)


async def _contacts_command(rest: str, *, user_id: str, channel_id: str, response_url: str | None, bridge: Bridge) -> str:
    """``/sms contacts [search | export | import]``: the private answer."""
    word = rest.lower()
    if word in HELP_WORDS - {""} or word == "import":
        return _(CONTACTS_HELP)
    if word in ("export", "eksport"):
        # Names and numbers are personal data: they go where the conversations already are,
        # the bridge channel, not into whatever channel the command was typed in.
        bridge_channel = bridge.config.channel_id
        await bridge.start_contacts_export(user_id=user_id, channel_id=bridge_channel, response_url=response_url)
        return _("Exporting the contacts: a CSV file (phone, name, tags) will be shared in {channel} in a moment.").format(
            channel=f"<#{escape(bridge_channel)}>"
        )
    query = unescape(rest)  # Slack escapes the command's text
    entries, total = await bridge.list_contacts(query)
    return contacts_list(entries, total=total, query=query)


def _ack_text(bridge: Bridge, request: SmsRequest, accepted: SmsAccepted, *, names: dict[str, str] | None = None) -> str:
    uneven = len(accepted.sending) > 1 and accepted.parts_total > 0 and not accepted.parts_each  # filled-in texts of several lengths
    said = blocks.sms_ack(
        names=names or {},
        sending=() if uneven else accepted.sending,
        opted_out=accepted.opted_out,
        refused=accepted.refused,
        duplicates=accepted.duplicates,
        parts=_parts_each(request, accepted),
        send_at=request.send_at,
        bridge_channel=accepted.thread_channel or bridge.config.channel_id,  # where its thread is (ROUTES)
        zone=ZoneInfo(bridge.config.default_timezone),  # DEFAULT_TIMEZONE, whatever zone the time was typed in
        again=accepted.again,
    )
    if not uneven:
        return said
    skipped = said.removeprefix(_("Nothing was sent.")).strip()
    zone = ZoneInfo(bridge.config.default_timezone)
    return template_blocks.uneven_ack(len(accepted.sending), accepted.parts_total, request.send_at, zone, skipped)
