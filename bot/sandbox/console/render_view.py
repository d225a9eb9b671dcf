"""Modals as safe HTML forms, and what a person filled in as the emulator's values.

Each input's control is named ``<block_id>/<action_id>``, so the page's script can send
back ``{name: str | list[str]}`` and :func:`form_values` can turn it into the entries
Slack puts in ``view.state.values`` (the shapes :mod:`bot.sandbox.slack.elements`
checks). An input with ``dispatch_action`` also carries ``data-dispatch="1"``,
``data-block`` and ``data-action`` (and ``data-trigger``: when Slack would tell the app).
The browser's own validation is off (``novalidate``): required fields and lengths are
refused where Slack refuses them, in the emulator and the app.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from bot.sandbox.console.render_blocks import SELECTS, Names, blocks_html, choices_html, options_html
from bot.sandbox.console.render_text import attr
from bot.sandbox.slack.elements import STATE_KEYS, with_block_ids

__all__ = ["form_values", "input_html", "view_html"]

_TEXT_TYPES = {"plain_text_input": "text", "email_text_input": "email", "url_text_input": "url", "number_input": "number"}
_PICKERS = {"datepicker": ("date", "initial_date"), "timepicker": ("time", "initial_time")}
_SINGLE_OPTION = {"static_select", "external_select", "radio_buttons"}
_MANY_OPTIONS = {"multi_static_select", "multi_external_select", "checkboxes"}
_ID_PICKS = {"users_select", "conversations_select", "channels_select"}
_MANY_IDS = {"multi_users_select", "multi_conversations_select", "multi_channels_select"}
_LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def _input_attrs(block: Mapping[str, Any], block_id: str, element: Mapping[str, Any]) -> str:
    kind = str(element.get("type"))
    action_id = str(element.get("action_id") or "")
    out = f'name="{attr(f"{block_id}/{action_id}")}" data-kind="{attr(kind)}"'
    if block.get("dispatch_action") is not True:
        return out
    out += f' data-dispatch="1" data-block="{attr(block_id)}" data-action="{attr(action_id)}"'
    if kind in _TEXT_TYPES or kind == "rich_text_input":  # a choice tells the app when made; text, as configured
        config = element.get("dispatch_action_config")
        triggers = config.get("trigger_actions_on") if isinstance(config, Mapping) else None
        when = " ".join(str(t) for t in triggers) if isinstance(triggers, list) and triggers else "on_enter_pressed"
        out += f' data-trigger="{attr(when)}"'
    return out


def _rich_plain(value: Any) -> str:
    """The text of a rich_text value, for a textarea (mentions and styles are not editable here)."""
    if not isinstance(value, Mapping):
        return ""
    out = []
    for part in value.get("elements") or []:
        for element in part.get("elements") or [] if isinstance(part, Mapping) else []:
            if isinstance(element, Mapping):
                out.append(str(element.get("text") or element.get("url") or ""))
    return "".join(out)


def _text_input(kind: str, element: Mapping[str, Any], attrs: str, names: Names) -> str:
    extra = ""
    placeholder = names.plain(element.get("placeholder"))
    if placeholder:
        extra += f' placeholder="{attr(placeholder)}"'
    most = element.get("max_length")
    if isinstance(most, int) and not isinstance(most, bool):
        extra += f' maxlength="{most}"'
    initial = element.get("initial_value")
    if kind == "rich_text_input":
        initial = _rich_plain(initial)
    initial = "" if initial is None else str(initial)
    if kind == "rich_text_input" or (kind == "plain_text_input" and element.get("multiline")):
        return f'<textarea class="bk-text-input" {attrs}{extra}>{html.escape(initial)}</textarea>'
    if kind == "number_input":
        extra += ' step="any"' if element.get("is_decimal_allowed") else ' step="1"'
        for key, name in (("min_value", "min"), ("max_value", "max")):
            if element.get(key) is not None:
                extra += f' {name}="{attr(element[key])}"'
    return f'<input type="{_TEXT_TYPES[kind]}" class="bk-text-input" {attrs}{extra} value="{attr(initial)}">'


def _local_minute(seconds: Any, zone: tzinfo) -> str:
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return ""
    return datetime.fromtimestamp(seconds, zone).strftime(_LOCAL_MINUTE)


def input_html(block: Mapping[str, Any], block_id: str, names: Names, *, zone: tzinfo = UTC) -> str:
    """The control of one input block, named ``<block_id>/<action_id>``."""
    element = block.get("element")
    if not isinstance(element, Mapping):
        return ""
    kind = str(element.get("type"))
    attrs = _input_attrs(block, block_id, element)
    if kind in _TEXT_TYPES or kind == "rich_text_input":
        return _text_input(kind, element, attrs, names)
    if kind in SELECTS:
        multiple = kind.startswith("multi_")
        placeholder = names.plain(element.get("placeholder")) or "Choose…"
        first = "" if multiple else f'<option value="">{html.escape(placeholder)}</option>'
        flags = " multiple" if multiple else ""
        if kind.endswith("external_select"):  # its options come from the app's options URL: not served here
            flags += " disabled"
        return f'<select class="bk-select" {attrs}{flags}>{first}{options_html(element, names)}</select>'
    if kind in ("checkboxes", "radio_buttons"):
        return choices_html(element, attrs, names)
    if kind in _PICKERS:
        box, key = _PICKERS[kind]
        initial = element.get(key)
        value = f' value="{attr(initial)}"' if isinstance(initial, str) else ""
        return f'<input type="{box}" class="bk-picker" {attrs}{value}>'
    if kind == "datetimepicker":
        initial_time = _local_minute(element.get("initial_date_time"), zone)
        return f'<input type="datetime-local" class="bk-picker" {attrs} value="{attr(initial_time)}">'
    if kind == "file_input":
        return f'<input type="file" class="bk-file-input" {attrs} disabled><span class="bk-note">files cannot be attached in the console</span>'
    return f'<span class="bk-unknown" {attrs}>[{html.escape(kind)} element]</span>'


def _input_block(block: Mapping[str, Any], errors: Mapping[str, str], names: Names, zone: tzinfo) -> str:
    block_id = str(block.get("block_id") or "")
    optional = ' <span class="bk-optional">(optional)</span>' if block.get("optional") else ""
    parts = [f"<label>{names.html(block.get('label'))}{optional}</label>"]
    if block.get("hint"):
        parts.append(f'<div class="bk-hint">{names.html(block.get("hint"))}</div>')
    parts.append(input_html(block, block_id, names, zone=zone))
    if block_id in errors:
        parts.append(f'<div class="bk-error">{html.escape(str(errors[block_id]))}</div>')
    return f'<div class="bk-input" data-block="{attr(block_id)}">{"".join(parts)}</div>'


def view_html(
    view: Mapping[str, Any],
    *,
    errors: Mapping[str, str],
    users: Mapping[str, str],
    channels: Mapping[str, str],
    usergroups: Mapping[str, str] | None = None,
    zone: tzinfo = UTC,
) -> str:
    """A modal as a form: title, blocks (inputs named for :func:`form_values`), the app's
    ``errors`` (block_id → message) under their inputs, Cancel and submit buttons.
    ``zone``: the clock a datetimepicker shows and is read in."""
    names = Names(users, channels, usergroups)
    blocks = with_block_ids(list(view.get("blocks") or []), str(view.get("id")))
    body = []
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        if block.get("type") == "input":
            body.append(_input_block(block, errors, names, zone))
        else:
            body.append(blocks_html([block], users=users, channels=channels, usergroups=usergroups))
    close = names.html(view.get("close")) or "Cancel"
    buttons = f'<button type="button" data-modal="close">{close}</button>'
    if view.get("submit"):
        buttons += f'<button type="submit" data-modal="submit">{names.html(view.get("submit"))}</button>'
    return (
        f'<form class="modal" data-view="{attr(view.get("id") or "")}" novalidate>'
        f'<header class="modal-title">{names.html(view.get("title"))}</header>'
        f'<div class="modal-body">{"".join(body)}</div>'
        f'<footer class="modal-buttons">{buttons}</footer></form>'
    )


# ---- what the browser sends back → state.values entries ------------------------------


def _strings(given: Any) -> list[str]:
    items = given if isinstance(given, list) else [given]
    return [str(i) for i in items if isinstance(i, (str, int)) and not isinstance(i, bool) and str(i) != ""]


def _offered(element: Mapping[str, Any]) -> set[str]:
    found = [o for o in element.get("options") or [] if isinstance(o, Mapping)]
    for group in element.get("option_groups") or []:
        if isinstance(group, Mapping):
            found += [o for o in group.get("options") or [] if isinstance(o, Mapping)]
    for key in ("initial_option", "initial_options"):  # an external select offers what it shows
        shown = element.get(key)
        found += [o for o in (shown if isinstance(shown, list) else [shown]) if isinstance(o, Mapping)]
    return {str(o.get("value")) for o in found}


def _read_datetime(text: str, zone: tzinfo) -> int | None:
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=zone)).timestamp())


def _chosen(kind: str, element: Mapping[str, Any], given: Any, zone: tzinfo) -> Any:
    """What the element holds as Slack's state puts it, from what the browser sent."""
    chosen = _strings(given)
    first = chosen[0] if chosen else None
    if kind in _TEXT_TYPES:
        typed = given[0] if isinstance(given, list) and given else given
        return typed if isinstance(typed, str) else ""
    if kind == "rich_text_input":
        typed = given if isinstance(given, str) else first
        section = {"type": "rich_text_section", "elements": [{"type": "text", "text": typed}]}
        return {"type": "rich_text", "elements": [section]} if typed else None
    if kind in _SINGLE_OPTION:
        return {"value": first} if first in _offered(element) else None
    if kind in _MANY_OPTIONS:
        offered = _offered(element)
        return [{"value": value} for value in chosen if value in offered]
    if kind in _ID_PICKS:
        return first
    if kind in _MANY_IDS:
        return chosen
    if kind == "datepicker":
        return first[:10] if first else None
    if kind == "timepicker":
        return first[:5] if first else None
    if kind == "datetimepicker":
        return _read_datetime(first, zone) if first else None
    return None


def form_values(view: Mapping[str, Any], raw: Mapping[str, Any], *, zone: tzinfo = UTC) -> dict[str, dict[str, Any]]:
    """What a person filled in (``raw``: ``{"<block_id>/<action_id>": str | list[str]}``) as
    ``block_id → action_id → {"type": …, <state key>: …}`` for ``SlackState.submit_view``.

    Only the view's input blocks count: other names are ignored. An empty select or
    picker is sent unset (so Slack's "required" applies); a value no option offers is
    dropped; files cannot be attached from the console. ``zone``: the clock a
    datetimepicker was filled in.
    """
    values: dict[str, dict[str, Any]] = {}
    for block in with_block_ids(list(view.get("blocks") or []), str(view.get("id"))):
        if not isinstance(block, Mapping) or block.get("type") != "input":
            continue
        element = block.get("element")
        if not isinstance(element, Mapping) or not element.get("action_id"):
            continue
        kind = str(element.get("type"))
        block_id, action_id = str(block.get("block_id")), str(element["action_id"])
        name = f"{block_id}/{action_id}"
        if name not in raw or kind not in STATE_KEYS or kind == "file_input":
            continue
        values[block_id] = {action_id: {"type": kind, STATE_KEYS[kind]: _chosen(kind, element, raw[name], zone)}}
    return values
