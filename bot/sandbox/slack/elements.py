"""Block Kit elements as a person uses them: where one is shown, what using it sends.

From Slack's interaction payload reference (docs.slack.dev/reference/interaction-payloads/
block_actions-payload and view-interactions-payload) and its block element reference:
each action in ``actions[]`` names its ``type``, ``action_id``, ``block_id`` and
``action_ts`` and carries what was chosen (a button its ``text`` and ``value``; a
``users_select`` ``selected_user``; an ``overflow`` or ``static_select``
``selected_option`` with ``text`` and ``value``). A view's ``state.values[block_id]
[action_id]`` holds every input as it stands: ``value`` for text inputs (``null``
when empty), ``selected_date_time`` (unix seconds) for a datetimepicker,
``selected_user``, ``selected_option``, ``selected_options``… An input a person did
not touch keeps its ``initial_*`` value. A block posted without a ``block_id`` gets
one Slack makes up (a short random string; here derived from the message).

Slack sends only what a person could do: an option the element offers, a member of
the workspace, an input block the view has. Asked for anything else these helpers
raise ``ValueError``, so a test with a typo fails instead of sending what Slack never would.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Collection, Mapping
from typing import Any

__all__ = [
    "action_json",
    "located",
    "message_state",
    "option_for",
    "view_state",
    "with_block_ids",
]

# element type → its key in ``state.values`` (and in a block action)
STATE_KEYS = {
    "plain_text_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "number_input": "value",
    "rich_text_input": "rich_text_value",
    "datetimepicker": "selected_date_time",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "file_input": "files",
}
# element type → the field that sets what it shows before anyone touches it
INITIAL_KEYS = {
    **{kind: "initial_value" for kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input")},
    "datetimepicker": "initial_date_time",
    "datepicker": "initial_date",
    "timepicker": "initial_time",
    "users_select": "initial_user",
    "multi_users_select": "initial_users",
    "conversations_select": "initial_conversation",
    "multi_conversations_select": "initial_conversations",
    "channels_select": "initial_channel",
    "multi_channels_select": "initial_channels",
    **{kind: "initial_option" for kind in ("static_select", "external_select", "radio_buttons")},
    **{kind: "initial_options" for kind in ("multi_static_select", "multi_external_select", "checkboxes")},
}
# element type holding a list → the kind of one item in it
_ITEMS = {
    "multi_users_select": "users_select",
    "multi_conversations_select": "conversations_select",
    "multi_channels_select": "channels_select",
    "multi_static_select": "static_select",
    "multi_external_select": "external_select",
    "checkboxes": "radio_buttons",
    "file_input": "file",
}
_TEXT = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
_FORMATS = {"datepicker": re.compile(r"\d{4}-\d{2}-\d{2}"), "timepicker": re.compile(r"\d{2}:\d{2}")}
_ALPHABET = string.ascii_letters + string.digits


def _made_up_id(seed: str, index: int) -> str:
    digest = hashlib.sha256(f"{seed}/{index}".encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:5])


def with_block_ids(blocks: list[Any] | None, seed: str) -> list[Any]:
    """``blocks`` as Slack gives them back: each with a ``block_id``, made up where none was set."""
    return [
        {**b, "block_id": _made_up_id(seed, i)} if isinstance(b, dict) and not b.get("block_id") else b for i, b in enumerate(blocks or [])
    ]


def _elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block.get("type") == "actions":
        found = block.get("elements") or []
    elif block.get("type") == "section":
        found = [block.get("accessory")]
    elif block.get("type") == "input":
        found = [block.get("element")]
    else:
        found = []
    return [e for e in found if isinstance(e, dict)]


def _same(shown: dict[str, Any], element: Mapping[str, Any]) -> bool:
    if shown.get("type") != element.get("type") or shown.get("action_id") != element.get("action_id"):
        return False
    return shown.get("type") != "button" or shown.get("value") == element.get("value")


def located(blocks: list[Any], element: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(block_id, the element as shown) of the block showing ``element``; None when none does.

    An element matches when equal, or when of the same type and ``action_id`` (a button:
    and ``value``), so a test may name it by those alone.
    """
    similar: tuple[str, dict[str, Any]] | None = None
    for block in blocks:
        if not isinstance(block, dict):
            continue
        for shown in _elements(block):
            if shown == element:
                return str(block.get("block_id")), shown
            if similar is None and _same(shown, element):
                similar = (str(block.get("block_id")), shown)
    return similar


def _options(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            found += group.get("options") or []
    return [o for o in found if isinstance(o, dict)]


def _option_json(option: Mapping[str, Any]) -> dict[str, Any]:
    chosen = {"text": option.get("text"), "value": option.get("value")}
    if option.get("description"):
        chosen["description"] = option["description"]
    return chosen


def option_for(element: Mapping[str, Any], value: Any) -> dict[str, Any]:
    """The option with ``value`` as Slack sends it chosen; ``ValueError`` when the element offers none."""
    for option in _options(element):
        if option.get("value") == value:
            return _option_json(option)
    offered = [o.get("value") for o in _options(element)]
    raise ValueError(f"{element.get('action_id')!r} offers no option {value!r} (it offers {offered}); Slack never sends one")


def action_json(element: Mapping[str, Any], block_id: str, action_ts: str, **chosen: Any) -> dict[str, Any]:
    """One entry of ``actions[]``: the element as used, with what was chosen."""
    kind = str(element.get("type"))
    action: dict[str, Any] = {"type": kind, "action_id": element.get("action_id"), "block_id": block_id}
    keep = ("text", "value", "style", "url") if kind == "button" else ("placeholder", INITIAL_KEYS.get(kind, ""))
    action.update({key: element[key] for key in (*keep, "confirm") if key in element})
    action.update(chosen)
    action["action_ts"] = action_ts
    return action


def _initial(element: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(element.get("type"))
    value = element.get(INITIAL_KEYS.get(kind, ""))
    if value is not None and INITIAL_KEYS.get(kind, "").startswith("initial_option"):
        value = [_option_json(o) for o in value] if kind in _ITEMS else _option_json(value)
    if kind in _TEXT and value == "":
        value = None
    return {"type": kind, STATE_KEYS[kind]: [] if value is None and kind in _ITEMS else value}


def message_state(blocks: list[Any], block_id: str, used: Mapping[str, Any], chosen: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's ``state.values``: each picker as shown, the one just ``used`` as ``chosen``."""
    state: dict[str, dict[str, Any]] = {}
    for block in blocks:
        if not isinstance(block, dict):
            continue
        for element in _elements(block):
            if element.get("type") in STATE_KEYS and element.get("action_id"):
                state.setdefault(str(block.get("block_id")), {})[str(element["action_id"])] = _initial(element)
    key = STATE_KEYS.get(str(used.get("type")), "")
    if key in chosen:
        state.setdefault(block_id, {})[str(used.get("action_id"))] = {"type": used.get("type"), key: chosen[key]}
    return state


def _checked(element: Mapping[str, Any], value: Any, users: Collection[str], where: str) -> Any:
    """``value`` as Slack would send it for ``element`` (options completed with their text)."""
    kind = str(element.get("type"))
    if kind in _ITEMS:
        if not isinstance(value, list):
            raise ValueError(f"{where}: a {kind} sends a list")
        return [_checked({**element, "type": _ITEMS[kind]}, v, users, where) for v in value]
    if value is None:
        return None
    if kind in _TEXT:
        if not isinstance(value, str):
            raise ValueError(f"{where}: a {kind} sends text")
        return value or None  # an empty field arrives as null
    if kind == "datetimepicker" and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"{where}: a datetimepicker sends unix seconds as a number")
    if kind in _FORMATS and not (isinstance(value, str) and _FORMATS[kind].fullmatch(value)):
        raise ValueError(f"{where}: a {kind} sends {_FORMATS[kind].pattern}")
    if kind == "users_select" and value not in users:
        raise ValueError(f"{where}: {value!r} is not a member of the workspace")
    if kind in ("static_select", "radio_buttons"):
        if not isinstance(value, dict):
            raise ValueError(f"{where}: an option is an object with its value")
        return option_for(element, value.get("value"))
    return value


def _entry(element: Mapping[str, Any], given: Any, users: Collection[str], where: str) -> dict[str, Any]:
    kind = str(element.get("type"))
    key = STATE_KEYS[kind]
    if not isinstance(given, dict):
        raise ValueError(f"{where}: give {{'type': {kind!r}, {key!r}: …}}")
    if given.get("type", kind) != kind:
        raise ValueError(f"{where} is a {kind}, not a {given['type']}")
    if set(given) - {"type", key}:
        raise ValueError(f"{where}: a {kind} sends {key!r}, not {sorted(set(given) - {'type', key})}")
    value = given.get(key, [] if kind in _ITEMS else None)
    return {"type": kind, key: _checked(element, value, users, where)}


def _refused_on_submit(block: Mapping[str, Any], entry: dict[str, Any], where: str) -> str | None:
    """Why Slack's client would not let the view be submitted with ``entry`` (None: it would)."""
    element = block.get("element") or {}
    value = entry.get(STATE_KEYS.get(str(element.get("type")), ""))
    if value in (None, []):
        return None if block.get("optional") else f"{where} is required and empty: Slack does not let anyone submit the view"
    if isinstance(value, str) and element.get("type") == "plain_text_input":
        most, least = element.get("max_length"), element.get("min_length")
        if isinstance(most, int) and len(value) > most:
            return f"{where} takes at most {most} characters: Slack does not let anyone submit {len(value)}"
        if isinstance(least, int) and len(value) < least:
            return f"{where} needs at least {least} characters: Slack does not let anyone submit {len(value)}"
    return None


def view_state(
    view: Mapping[str, Any], values: Mapping[str, Mapping[str, Any]], *, users: Collection[str], submitting: bool
) -> dict[str, dict[str, Any]]:
    """``view.state.values`` after a person set ``values`` (block_id → action_id → entry).

    Every input block is there: as given, else as it was shown (its ``initial_*`` or empty).
    ``ValueError`` for an entry naming no input of the view, a shape its element never
    sends, or (``submitting``) a required input left empty or text Slack's client refuses.
    """
    blocks = with_block_ids(view.get("blocks"), str(view.get("id")))
    inputs = {str(b["block_id"]): b for b in blocks if isinstance(b, dict) and b.get("type") == "input"}
    for block_id, entries in values.items():
        if block_id not in inputs:
            raise ValueError(f"the view has no input block {block_id!r}; its inputs are {sorted(inputs)}")
        action_id = (inputs[block_id].get("element") or {}).get("action_id")
        unknown = [a for a in entries if a != action_id]
        if unknown:
            raise ValueError(f"the input block {block_id!r} holds {action_id!r}, not {unknown}")
    state: dict[str, dict[str, Any]] = {}
    for block_id, block in inputs.items():
        element = block.get("element") or {}
        if element.get("type") not in STATE_KEYS:
            raise ValueError(f"the input block {block_id!r} holds a {element.get('type')}, which holds no value")
        action_id = str(element.get("action_id") or _made_up_id(block_id, 0))
        where = f"{block_id}/{action_id}"
        given = values.get(block_id, {}).get(action_id)
        entry = _initial(element) if given is None else _entry(element, given, users, where)
        problem = _refused_on_submit(block, entry, where) if submitting else None
        if problem:
            raise ValueError(problem)
        state[block_id] = {action_id: entry}
    return state
