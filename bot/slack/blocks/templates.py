"""The template modals: the list ``/sms templates`` opens, the add/edit form, and the
card's *Reply with template* form with its picker and live preview.

Every modal is drawn whole from its data, so a ``views.update`` after a keystroke or a
pick shows exactly what the bridge knows. The reply form's text block changes its
``block_id`` with the template picked: Slack keeps what a person typed in an input
whose block stays the same, and a new pick must replace the text.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from bot.i18n import _, figure, ngettext
from bot.slack.blocks.markup import clip, escape, plain_clip, when
from bot.slack.blocks.sms import sms_confirm
from bot.slack.views import PICKER_MOST, live_text_input, text_hint

__all__ = [
    "TEMPLATES_LIST",
    "TEMPLATE_FORM",
    "REPLY_FORM",
    "ADD_ACTION",
    "EDIT_ACTION",
    "REMOVE_ACTION",
    "TEXT_ACTION",
    "REPLY_PICK_ACTION",
    "REPLY_TEXT_ACTION",
    "REPLY_BUTTON",
    "SEARCH_ACTION",
    "TemplateRow",
    "templates_list",
    "template_form",
    "reply_form",
    "preview",
    "more_templates",
    "text_block_id",
    "reply_button",
    "reply_gone",
    "uneven_ack",
    "uneven_confirm",
]

TEMPLATES_LIST = "templates_list"
TEMPLATE_FORM = "template_form"
REPLY_FORM = "template_reply_form"
ADD_ACTION = "template_add"
EDIT_ACTION = "template_edit"
REMOVE_ACTION = "template_remove"
TEXT_ACTION = "template_text"
REPLY_PICK_ACTION = "template_reply_pick"
REPLY_TEXT_ACTION = "template_reply_text"
REPLY_BUTTON = "card_reply_template"
SEARCH_ACTION = "template_search"
_ROWS = 90  # a modal holds 100 blocks
_BEGINNING = 120  # characters of a template's text shown in the list

TemplateRow = tuple[int, str, str]  # (id, name, text)


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _context(text: str, block_id: str) -> dict[str, Any]:
    return {"type": "context", "block_id": block_id, "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def preview(text: str, missing: Sequence[str] = (), *, typed: str | None = None) -> str:
    """The live hint: characters, parts and encoding of ``text`` (what the phone gets), the
    text itself when it reads otherwise than ``typed`` (variables filled in), and the
    variables still without a value."""
    line = text_hint(text)
    if typed is not None and text != typed and text:
        line = _("The phone gets: “{text}”").format(text=escape(clip(text, 1500))) + "\n" + line
    if missing:
        names = escape(", ".join("{" + name + "}" for name in missing))
        line = (
            ngettext(
                ":warning: No value for {variables}: fill it in the text before sending.",
                ":warning: No value for {variables}: fill them in the text before sending.",
                len(missing),
            ).format(variables=names)
            + "\n"
            + line
        )
    return line


def templates_list(
    templates: Sequence[TemplateRow], *, channel_id: str, notice: str | None = None, query: str = "", total: int | None = None
) -> dict[str, Any]:
    """``/sms templates``: every template (name and the beginning of its text) with Edit, and
    Add; past :data:`_ROWS` (a modal holds 100 blocks) a search field finds the rest
    (``templates`` are then those matching ``query``, ``total`` how many there are in all)."""
    blocks: list[dict[str, Any]] = []
    if notice:
        blocks.append(_context(notice, "notice"))
    add = {"type": "button", "action_id": ADD_ACTION, "text": _plain(_("Add a template")), "style": "primary", "value": "add"}
    blocks.append({"type": "actions", "block_id": "add", "elements": [add]})
    searchable = query or (total if total is not None else len(templates)) > _ROWS
    if searchable:
        field: dict[str, Any] = {"type": "plain_text_input", "action_id": SEARCH_ACTION, "max_length": 100}
        if query:
            field["initial_value"] = query
        blocks.append(
            {
                "type": "input",
                "block_id": "search",
                "optional": True,
                "dispatch_action": True,
                "label": _plain(_("Find a template")),
                "hint": _plain(_("A part of its name or text, then Enter; empty shows all.")),
                "element": field,
            }
        )
    if not templates and query:
        blocks.append(_context(_("No template has “{query}” in its name or text.").format(query=escape(query)), "empty"))
    elif not templates:
        blocks.append(
            _context(_("No templates yet. A template is a text you send often; {first_name} and {agent} are filled in for you."), "empty")
        )
    for template_id, name, text in templates[:_ROWS]:
        flat = " ".join(text.split())
        row = f"*#{escape(name)}*\n{clip(escape(flat), _BEGINNING)}"
        edit = {"type": "button", "action_id": EDIT_ACTION, "text": _plain(_("Edit")), "value": str(template_id)}
        blocks.append({"type": "section", "block_id": f"t{template_id}", "text": {"type": "mrkdwn", "text": row}, "accessory": edit})
    if len(templates) > _ROWS:
        more = len(templates) - _ROWS
        said = ngettext(
            "and {n} more template: find it by a part of its name.", "and {n} more templates: find one by a part of its name.", more
        )
        blocks.append(_context(said.format(n=more), "more"))
    blocks.append(
        _context(
            _("Variables: {name}, {first_name} (the contact's), {agent} (yours), {date} (today). Send one with /sms 600100200 #name."),
            "help",
        )
    )
    view = {
        "type": "modal",
        "callback_id": TEMPLATES_LIST,
        "private_metadata": json.dumps({"channel": channel_id}),
        "title": _plain(_("Templates")),
        "close": _plain(_("Done")),
        "blocks": blocks,
    }
    if searchable:  # a modal with an input needs a submit button: it searches too
        view["submit"] = _plain(_("Search"))
    return view


def template_form(*, channel_id: str, template: TemplateRow | None = None, hint: str | None = None) -> dict[str, Any]:
    """Add (``template`` None) or edit one template: name, text with its live hint, and Remove."""
    name: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 40}
    text = live_text_input(TEXT_ACTION, template[2] if template is not None else None)
    if template is not None:
        name["initial_value"] = template[1]
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": "name",
            "label": _plain(_("Name")),
            "hint": _plain(_("One word, used as /sms 600100200 #name: letters, digits, - and _.")),
            "element": name,
        },
        {
            "type": "input",
            "block_id": "text",
            "label": _plain(_("Text")),
            "hint": _plain(_("Variables: {name}, {first_name}, {agent}, {date}, or any column of a campaign's CSV.")),
            "dispatch_action": True,
            "element": text,
        },
        _context(hint or preview(template[2] if template else ""), "hint"),
    ]
    if template is not None:
        remove = {
            "type": "button",
            "action_id": REMOVE_ACTION,
            "text": _plain(_("Remove this template")),
            "style": "danger",
            "value": str(template[0]),
            "confirm": {
                "title": _plain(_("Remove the template?")),
                "text": {"type": "mrkdwn", "text": _("*#{name}* will be gone for everyone.").format(name=escape(template[1]))},
                "confirm": _plain(_("Remove")),
                "deny": _plain(_("Cancel")),
            },
        }
        blocks.append({"type": "actions", "block_id": "remove", "elements": [remove]})
    meta = {"channel": channel_id, "id": template[0] if template else None}
    return {
        "type": "modal",
        "callback_id": TEMPLATE_FORM,
        "private_metadata": json.dumps(meta),
        "title": _plain(_("Edit template") if template else _("New template")),
        "submit": _plain(_("Save")),
        "close": _plain(_("Cancel")),
        "blocks": blocks,
    }


def text_block_id(template_id: int | None, text: str = "") -> str:
    """The reply form's text block: new with every pick that brings another text, so the
    new text replaces what is in the field (Slack keeps what was typed in a block it knows)."""
    return f"text-{template_id or 0}-{zlib.crc32(text.encode()):08x}"


def reply_form(
    *,
    conversation_id: int,
    who: str,
    templates: Sequence[TemplateRow],
    chosen: int | None = None,
    text: str | None = None,
    hint: str | None = None,
    text_block: str | None = None,
) -> dict[str, Any]:
    """*Reply with template*: pick one, read it filled in for this number, change it, send it."""
    meta = json.dumps({"c": conversation_id, "t": chosen})
    if not templates:
        return {
            "type": "modal",
            "callback_id": REPLY_FORM,
            "private_metadata": meta,
            "title": _plain(_("Reply with template")),
            "close": _plain(_("Close")),
            "blocks": [_context(_("No templates yet: /sms templates adds one."), "empty")],
        }
    options = [
        {"text": _plain(plain_clip(f"#{name}", 75)), "value": str(template_id)} for template_id, name, _text in templates[:PICKER_MOST]
    ]
    picker: dict[str, Any] = {
        "type": "static_select",
        "action_id": REPLY_PICK_ACTION,
        "placeholder": _plain(_("Pick a template")),
        "options": options,
    }
    initial = next((o for o in options if o["value"] == str(chosen)), None)
    if initial is not None:
        picker["initial_option"] = initial
    message = live_text_input(REPLY_TEXT_ACTION, text)
    pick: dict[str, Any] = {
        "type": "input",
        "block_id": "pick",
        "optional": True,  # a reply may be typed, or be one #name past the first 100
        "label": _plain(_("Template")),
        "dispatch_action": True,
        "element": picker,
    }
    if len(templates) > PICKER_MOST:  # a select holds 100 options; the rest by name
        pick["hint"] = _plain(more_templates(len(templates)))
    blocks = [
        pick,
        {
            "type": "input",
            "block_id": text_block or text_block_id(chosen, text or ""),
            "label": _plain(plain_clip(_("Message to {who}").format(who=who), 2000)),
            "dispatch_action": True,
            "element": message,
        },
        _context(hint or preview(text or ""), "hint"),
    ]
    return {
        "type": "modal",
        "callback_id": REPLY_FORM,
        "private_metadata": meta,
        "title": _plain(_("Reply with template")),
        "submit": _plain(_("Send")),
        "close": _plain(_("Cancel")),
        "blocks": blocks,
    }


def reply_gone(conversation_id: int, sentence: str) -> dict[str, Any]:
    """The reply form once its conversation is gone: only the sentence saying so."""
    return {
        "type": "modal",
        "callback_id": REPLY_FORM,
        "private_metadata": json.dumps({"c": conversation_id}),
        "title": _plain(_("Reply with template")),
        "close": _plain(_("Close")),
        "blocks": [_context(sentence, "gone")],
    }


def more_templates(count: int) -> str:
    """The pickers' hint past 100 templates (Slack's limit for a select)."""
    return _("Only the first {most} of {count} templates are listed; for another, type #name as the whole message.").format(
        most=PICKER_MOST, count=figure(count)
    )


def uneven_ack(numbers: int, total: int, send_at: datetime | None, zone: tzinfo, skipped: str) -> str:
    """The /sms answer when a template filled in per number makes texts of different lengths:
    the real number of parts, their sum (``skipped``: what :func:`sms_ack` says was left out)."""
    said = (
        ngettext(
            "Scheduling for {time}: {n} number ({total} SMS parts in all, each text filled in for its number). Progress shows in this channel.",
            "Scheduling for {time}: {n} numbers ({total} SMS parts in all, each text filled in for its number). Progress shows in this channel.",
            numbers,
        )
        if send_at
        else ngettext(
            "Sending: {n} number ({total} SMS parts in all, each text filled in for its number). Progress shows in this channel.",
            "Sending: {n} numbers ({total} SMS parts in all, each text filled in for its number). Progress shows in this channel.",
            numbers,
        )
    )
    time = when(send_at, zone) if send_at else ""
    return said.format(time=time, n=figure(numbers), total=figure(total)) + (" " + skipped if skipped else "")


def uneven_confirm(dispatch_id: int, numbers: int, total: int, text: str, skipped: str) -> dict[str, Any]:
    """:func:`sms_confirm` for texts filled in per number with different lengths: the sum of their parts."""
    asked = sms_confirm(dispatch_id=dispatch_id, numbers=numbers, parts=1, text=text, skipped=skipped)
    question = ":warning: " + _(
        "This sends *{count} SMS* ({total} SMS parts to pay for, each text filled in for its number). Nothing goes out until you press Send."
    ).format(count=figure(numbers), total=figure(total))
    question += (" " + skipped) if skipped else ""
    asked["blocks"][0]["text"]["text"] = clip(question, 3000)
    return asked


def reply_button(value: str) -> dict[str, Any]:
    """The card's *Reply with template…* button (its value: the card's)."""
    return {"type": "button", "action_id": REPLY_BUTTON, "text": _plain(_("Reply with template…")), "value": value}
