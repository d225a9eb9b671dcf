"""Templates where a /sms is written: ``/sms 600100200 #name`` and the /sms form's picker.

A template's variables are filled in for each number; when they make different texts
(``{first_name}`` of several contacts), each number gets its own, sent through
sendbulk's ``messages`` form. A variable with no value is named, never sent.
"""

from __future__ import annotations

import json
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.bridge.formatting import Said, command_for_phone
from bot.bridge.templates import settle
from bot.i18n import _
from bot.slack.views import form_values, sms_form, text_hint
from bot.sms.numbers import PhoneE164, display
from bot.sms.templates import TemplateSyntaxError, render, template_reference, variables
from bot.sms.text import check_sms_text, wire_encoding

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["command_text", "form_text", "handle_form_template"]


async def command_text(
    text: str, phones: tuple[PhoneE164, ...], *, user_id: str, zone: tzinfo, bridge: Bridge
) -> str | tuple[Said, dict[PhoneE164, str] | None]:
    """``/sms 600100200 #dostawa`` or ``/sms 600100200 Hi {first_name}``: (the text, each
    number's own when they differ), or the one sentence saying why it cannot be sent.

    The command's text is read as the phone reads it (Slack's escapes undone, mentions
    named) and then filled in once per number, exactly like the /sms form's text."""
    wanted = template_reference(text)
    if wanted is not None and phones:
        filled = await bridge.templates.fill(wanted, phones, user_id=user_id)
        if isinstance(filled, str):
            return filled
        template, texts = filled
        sent, own = settle(template.text, texts)
        typed = template.text if own else sent
    else:
        said = await command_for_phone(text, bridge.directory, zone=zone)
        sent, own, lacking = await _fill(said.sent, phones, user_id=user_id, bridge=bridge)
        if lacking:
            return lacking
        typed = said.typed
    problem = _too_long(own)
    return problem if problem else (Said(typed=typed, sent=sent), own)


def _too_long(texts: dict[PhoneE164, str] | None) -> str | None:
    """The sentence for a number whose filled-in text cannot go, or None."""
    for phone, own in (texts or {}).items():
        try:
            check_sms_text(own, utf8=wire_encoding(own) == "utf-8")
        except ValueError as exc:
            return _("Filled in for {number}: {problem}").format(number=display(phone), problem=str(exc))
    return None


async def form_text(
    text: str, phones: tuple[PhoneE164, ...], *, user_id: str, bridge: Bridge
) -> tuple[str, dict[PhoneE164, str] | None, str | None]:
    """The /sms form's text with its variables filled in once: (the text, each number's own
    when they differ, the sentence for beside the numbers when one has no value). A text
    that is one ``#name`` is that template (the picker lists only the first 100)."""
    found = await bridge.templates.resolve(text) if phones and template_reference(text) else None
    if isinstance(found, str):
        return text, None, found
    if found is not None:
        filled = await bridge.templates.fill(found.name, phones, user_id=user_id)
        if isinstance(filled, str):
            return text, None, filled
        return (*settle(found.text, filled[1]), _too_long(filled[1]))
    return await _fill(text, phones, user_id=user_id, bridge=bridge)


async def _fill(
    text: str, phones: tuple[PhoneE164, ...], *, user_id: str, bridge: Bridge
) -> tuple[str, dict[PhoneE164, str] | None, str | None]:
    """``text`` filled in once per number; with no variable nobody need be asked (``{{`` still becomes ``{``)."""
    try:
        if not variables(text):
            return render(text, {}).text, None, None
    except TemplateSyntaxError:
        return text, None, None  # braces that open no variable are sent as they are
    return await bridge.templates.fill_text(text, phones, user_id=user_id)


async def handle_form_template(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, bridge: Bridge) -> None:
    """A template picked in the /sms form: its text (variables kept) replaces the message."""
    await ack()
    view = body.get("view") or {}
    values = form_values(view)
    meta = json.loads(view.get("private_metadata") or "{}")
    found = await bridge.templates.get(values["template"]) if values["template"] is not None else None
    listed = [(t.id, t.name) for t in await bridge.templates.all()]
    if found is None:  # removed meanwhile (or the pick was cleared): said where the hint is
        gone = ":warning: " + _("That template was removed meanwhile; pick another or write the message.")
        form = sms_form(
            channel_id=str(meta.get("channel") or ""),
            timezone=str(meta.get("tz") or bridge.config.default_timezone),
            hint=gone,
            templates=listed,
            text_block=values["text_block"],
        )
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)
        return
    form = sms_form(
        channel_id=str(meta.get("channel") or ""),
        timezone=str(meta.get("tz") or bridge.config.default_timezone),
        hint=text_hint(found.text, values["encoding"]),
        templates=listed,
        chosen=found.id,
        text=found.text,
        text_block=f"text-{found.id}",
    )
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)
