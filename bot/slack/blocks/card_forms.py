"""The card's forms: the modals its *Name…*, *Opt back in…* and *Pick a time…* open.

Each is about one conversation, whose id rides in ``private_metadata``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.i18n import _
from bot.slack.blocks.markup import plain_clip
from bot.sms.numbers import PhoneE164, display
from bot.sms.opt_out_words import MIN_REASON

__all__ = ["NAME_FORM", "SNOOZE_FORM", "OPT_IN_FORM", "name_form", "opt_in_form", "snooze_form"]

NAME_FORM = "card_name_form"
SNOOZE_FORM = "card_snooze_form"
OPT_IN_FORM = "card_opt_in_form"


def _form(*, callback_id: str, conversation_id: int, title: str, submit: str, field: dict[str, Any]) -> dict[str, Any]:
    """A one-field modal about one conversation (its id rides in ``private_metadata``)."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps({"c": conversation_id}),
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": [{"type": "input", **field}],
    }


def name_form(*, conversation_id: int, phone: PhoneE164, name: str | None) -> dict[str, Any]:
    """The "Name…" modal: one field, the current name filled in."""
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "name", "max_length": 200}
    if name:
        element["initial_value"] = name
    field = {
        "block_id": "name",
        "label": {"type": "plain_text", "text": plain_clip(_("Name for {number}").format(number=display(phone)), 2000)},
        "hint": {"type": "plain_text", "text": _("Shown on the card, on status lines and in /sms answers; /sms <name> texts it.")},
        "element": element,
    }
    return _form(callback_id=NAME_FORM, conversation_id=conversation_id, title=_("Contact name"), submit=_("Save"), field=field)


def opt_in_form(*, conversation_id: int, phone: PhoneE164) -> dict[str, Any]:
    """The "Opt back in…" modal: texting a number that said no again needs a reason on record."""
    field = {
        "block_id": "reason",
        "label": {"type": "plain_text", "text": plain_clip(_("Why may {number} be texted again?").format(number=display(phone)), 2000)},
        "hint": {
            "type": "plain_text",
            "text": _("Only on the customer's own request: say when and how they asked. It is kept in the audit log."),
        },
        "element": {"type": "plain_text_input", "action_id": "reason", "min_length": MIN_REASON, "max_length": 500},
    }
    return _form(callback_id=OPT_IN_FORM, conversation_id=conversation_id, title=_("Opt back in"), submit=_("Opt back in"), field=field)


def snooze_form(*, conversation_id: int, initial: datetime) -> dict[str, Any]:
    """The "Pick a time…" modal of the snooze menu."""
    field = {
        "block_id": "until",
        "label": {"type": "plain_text", "text": _("Remind the owner at")},
        "hint": {"type": "plain_text", "text": _("A new SMS from the customer ends the snooze earlier.")},
        "element": {"type": "datetimepicker", "action_id": "until", "initial_date_time": int(initial.timestamp())},
    }
    return _form(callback_id=SNOOZE_FORM, conversation_id=conversation_id, title=_("Snooze until"), submit=_("Snooze"), field=field)
