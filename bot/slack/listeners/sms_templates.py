"""Templates where a /sms is written: ``/sms 600100200 #name`` and the /sms form's picker.

A template's variables are filled in for each number; when they make different texts
(``{first_name}`` of several contacts), each number gets its own, sent through
sendbulk's ``messages`` form. A variable with no value is named, never sent.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.bridge.formatting import Said
from bot.i18n import _
from bot.slack.views import form_values, sms_form, text_hint
from bot.sms.numbers import PhoneE164, display
from bot.sms.templates import TemplateSyntaxError, template_reference, variables
from bot.sms.text import check_sms_text, wire_encoding

if TYPE_CHECKING:
    from bot.bridge import Bridge

__all__ = ["command_text", "form_text", "handle_form_template"]


async def command_text(
    text: str, phones: tuple[PhoneE164, ...], *, user_id: str, bridge: Bridge
) -> str | tuple[Said, dict[PhoneE164, str] | None] | None:
    """``/sms 600100200 #dostawa``: (the text, each number's own when they differ), or the one
    sentence saying why it cannot be sent; None when the message is not one ``#name``."""
    wanted = template_reference(text)
    if wanted is None or not phones:
        return None
    filled = await bridge.templates.fill(wanted, phones, user_id=user_id)
    if isinstance(filled, str):
        return filled
    template, texts = filled
    for phone, own in texts.items():
        try:
            check_sms_text(own, utf8=wire_encoding(own) == "utf-8")
        except ValueError as exc:
            return _("Filled in for {number}: {problem}").format(number=display(phone), problem=str(exc))
    distinct = set(texts.values())
    if len(distinct) == 1:
        sent = distinct.pop()
        return Said(typed=sent, sent=sent), None
    return Said(typed=template.text, sent=template.text), texts


async def form_text(
    text: str, phones: tuple[PhoneE164, ...], *, user_id: str, bridge: Bridge
) -> tuple[str, dict[PhoneE164, str] | None, str | None]:
    """The /sms form's text with its variables filled in: (the text, each number's own when
    they differ, the sentence for beside the numbers when one has no value)."""
    try:
        if not phones or not variables(text):
            return text, None, None  # nothing to fill in: no need to ask anyone
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
    if found is None:
        return
    form = sms_form(
        channel_id=str(meta.get("channel") or ""),
        timezone=str(meta.get("tz") or bridge.config.default_timezone),
        hint=text_hint(found.text, values["encoding"]),
        templates=[(t.id, t.name) for t in await bridge.templates.all()],
        chosen=found.id,
        text=found.text,
        text_block=f"text-{found.id}",
    )
    await client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)
