"""The ``/sms`` form (a modal) and the live hint under its text field."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.i18n import N_, _, ngettext
from bot.sms.text import SMS_MAX_CHARS, analyze, needs_utf8

__all__ = [
    "SMS_FORM",
    "live_text_input",
    "TEXT_ACTION",
    "TEMPLATE_ACTION",
    "PICKER_MOST",
    "sms_form",
    "text_hint",
    "form_values",
    "ENCODINGS",
    "wire_encoding_for",
]

SMS_FORM = "sms_form"
TEXT_ACTION = "sms_text"
TEMPLATE_ACTION = "sms_template"
PICKER_MOST = 100  # a static_select holds at most 100 options
# Marked, not translated: the form passes each label through _() when it is drawn.
ENCODINGS = {
    "auto": N_("Automatic (Unicode only when the text needs it)"),
    "utf-8": N_("Unicode (utf-8): Polish letters and emoji as typed"),
    "plain": N_("Plain letters only: cheaper, diacritics dropped"),
}


def text_hint(text: str, encoding_choice: str = "auto") -> str:
    """Characters, SMS parts and what the phone reads without ``utf-8``."""
    if not text:
        return _("Type the message to see its length and how many SMS it takes.")
    utf8 = encoding_choice == "utf-8" or (encoding_choice == "auto" and needs_utf8(text))
    info = analyze(text, utf8=utf8)
    parts = ngettext("{n} SMS part", "{n} SMS parts", info.parts).format(n=info.parts)
    line = ngettext(
        "{count} of {limit} character · {parts} ({encoding})", "{count} of {limit} characters · {parts} ({encoding})", SMS_MAX_CHARS
    ).format(count=info.chars, limit=SMS_MAX_CHARS, parts=parts, encoding=info.encoding.value)
    if info.chars > SMS_MAX_CHARS:
        line = ngettext(
            ":warning: {count} character, {over} over the limit of {limit}",
            ":warning: {count} characters, {over} over the limit of {limit}",
            info.chars,
        ).format(count=info.chars, over=info.chars - SMS_MAX_CHARS, limit=SMS_MAX_CHARS)
    plain = analyze(text, utf8=False).delivered
    if plain != text:
        if encoding_choice == "plain":
            line += "\n" + _("The phone will read: “{text}”").format(text=plain[:300])
        else:
            line += "\n" + _("Without Unicode the phone would read: “{text}”").format(text=plain[:300])
    return line


def live_text_input(action_id: str, text: str | None = None) -> dict[str, Any]:
    """A message's text field that tells the app as it is typed, so its hint (characters,
    parts, encoding) follows; ``text`` is put in when given."""
    field: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": True,
        "max_length": 1000,
        "dispatch_action_config": {"trigger_actions_on": ["on_character_entered"]},
    }
    if text:
        field["initial_value"] = text
    return field


def sms_form(
    *,
    channel_id: str,
    timezone: str,
    hint: str | None = None,
    templates: Sequence[tuple[int, str]] = (),
    chosen: int | None = None,
    text: str | None = None,
    text_block: str = "text",
) -> dict[str, Any]:
    """The modal ``/sms`` opens with no arguments; with ``templates`` (id, name), a picker
    that puts one's ``text`` in the text field (its block changes, so the new text shows)."""
    message = live_text_input(TEXT_ACTION, text)
    form: dict[str, Any] = {
        "type": "modal",
        "callback_id": SMS_FORM,
        "private_metadata": json.dumps({"channel": channel_id, "tz": timezone}),
        "title": {"type": "plain_text", "text": _("Send SMS")},
        "submit": {"type": "plain_text", "text": _("Send")},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": [
            {
                "type": "input",
                "block_id": "recipients",
                "label": {"type": "plain_text", "text": _("Numbers")},
                "hint": {"type": "plain_text", "text": _("Separate numbers with commas, spaces or new lines; 9-digit numbers are Polish.")},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "placeholder": {"type": "plain_text", "text": "600100200, +48 600 100 201"},
                },
            },
            {
                "type": "input",
                "block_id": text_block,
                "label": {"type": "plain_text", "text": _("Message")},
                "dispatch_action": True,
                "element": message,
            },
            {"type": "context", "block_id": "hint", "elements": [{"type": "mrkdwn", "text": hint or text_hint("")}]},
            {
                "type": "input",
                "block_id": "when",
                "optional": True,
                "label": {"type": "plain_text", "text": _("Send at (leave empty to send now)")},
                "element": {"type": "datetimepicker", "action_id": "value"},
            },
            {
                "type": "input",
                "block_id": "encoding",
                "label": {"type": "plain_text", "text": _("Characters")},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "initial_option": _option("auto"),
                    "options": [_option(key) for key in ENCODINGS],
                },
            },
        ],
    }
    if templates:
        form["blocks"].insert(1, _template_picker(templates, chosen))
    return form


def _template_picker(templates: Sequence[tuple[int, str]], chosen: int | None) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": f"#{name}"[:75]}, "value": str(template_id)}
        for template_id, name in templates[:PICKER_MOST]
    ]
    picker: dict[str, Any] = {"type": "static_select", "action_id": TEMPLATE_ACTION, "options": options}
    picker["placeholder"] = {"type": "plain_text", "text": _("Start from a template")}
    initial = next((o for o in options if o["value"] == str(chosen)), None)
    if initial is not None:
        picker["initial_option"] = initial
    return {
        "type": "input",
        "block_id": "template",
        "optional": True,
        "dispatch_action": True,
        "label": {"type": "plain_text", "text": _("Template")},
        "hint": {"type": "plain_text", "text": _hint(len(templates))},
        "element": picker,
    }


def _hint(count: int) -> str:
    """The picker's hint; past 100 templates, how to reach the others (by ``#name``)."""
    said = _("Variables such as {first_name} are filled in for each number when it is sent.")
    if count > PICKER_MOST:
        said += " " + _("Only the first {most} of {count} templates are listed; for another, type #name as the whole message.").format(
            most=PICKER_MOST, count=count
        )
    return said


def _option(key: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": _(ENCODINGS[key])}, "value": key}


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """What was typed in the form: recipients, text (and its block), when (unix time or None),
    encoding, the template picked (its id or None)."""
    values = (view.get("state") or {}).get("values") or {}
    text_block = next((b for b in values if b == "text" or b.startswith("text-")), "text")

    def pick(block: str, action: str) -> dict[str, Any]:
        return (values.get(block) or {}).get(action) or {}

    selected = pick("encoding", "value").get("selected_option") or {}
    when = pick("when", "value").get("selected_date_time")
    return {
        "recipients": pick("recipients", "value").get("value") or "",
        "text": pick(text_block, TEXT_ACTION).get("value") or "",
        "text_block": text_block,
        "template": _chosen(pick("template", TEMPLATE_ACTION)),
        "when": int(when) if isinstance(when, (int, str)) and str(when).isdigit() else None,
        "encoding": selected.get("value") or "auto",
    }


def _chosen(entry: dict[str, Any]) -> int | None:
    value = str((entry.get("selected_option") or {}).get("value") or "")
    return int(value) if value.isdigit() else None


def wire_encoding_for(text: str, choice: str) -> str | None:
    """mProfi's ``encoding`` for the form's choice: ``utf-8`` or nothing (plain GSM)."""
    if choice == "utf-8":
        return "utf-8"
    if choice == "plain":
        return None
    return "utf-8" if needs_utf8(text) else None
