"""Block Kit messages as safe HTML: what the channel shows, with controls the page can use.

The page's script finds every control by its attributes: ``data-kind`` (the element
type), ``data-block`` (block_id) and ``data-action`` (action_id); a button adds
``data-value``, ``data-url`` (http/https only) and ``data-confirm`` ("title: text").
A select's options carry what Slack would send as chosen: the option's ``value``, a
user's id, a channel's id. All text and attribute values are escaped (see
:mod:`bot.sandbox.console.render_text`). Pure functions, no I/O.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from bot.sandbox.console.render_text import (
    attr,
    emoji_char,
    mrkdwn_html,
    rich_text_html,
    safe_href,
    text_object_html,
    text_object_plain,
)

__all__ = [
    "IMAGE_TYPES",
    "SELECTS",
    "Names",
    "blocks_html",
    "element_html",
    "files_html",
    "image_src",
    "message_html",
    "options_html",
    "reactions_html",
]

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# select type → where its options come from
SELECTS = {
    "static_select": "options",
    "overflow": "options",
    "external_select": "options",  # the app loads them; only the initial option is known here
    "users_select": "users",
    "conversations_select": "channels",
    "channels_select": "channels",
    "multi_static_select": "options",
    "multi_external_select": "options",
    "multi_users_select": "users",
    "multi_conversations_select": "channels",
    "multi_channels_select": "channels",
}
# what each select type shows chosen before anyone touches it
_INITIAL = {
    "users_select": "initial_user",
    "multi_users_select": "initial_users",
    "conversations_select": "initial_conversation",
    "multi_conversations_select": "initial_conversations",
    "channels_select": "initial_channel",
    "multi_channels_select": "initial_channels",
}
# the elements a message can hold that the console lets a person use
_USABLE_IN_MESSAGES = frozenset({"button", "checkboxes", "radio_buttons", *SELECTS}) - {"external_select", "multi_external_select"}


class Names:
    """Who and what the ids in a message are: user id → name, channel id → name, user group id → handle."""

    def __init__(self, users: Mapping[str, str], channels: Mapping[str, str], usergroups: Mapping[str, str] | None = None) -> None:
        self.users = users
        self.channels = channels
        self.usergroups: Mapping[str, str] = usergroups or {}

    def html(self, obj: Any) -> str:
        return text_object_html(obj, users=self.users, channels=self.channels, usergroups=self.usergroups)

    def plain(self, obj: Any) -> str:
        return text_object_plain(obj, users=self.users, channels=self.channels, usergroups=self.usergroups)


def image_src(url: Any) -> str | None:
    """An image address the page may load: http(s) or an inline ``data:image/``; None otherwise."""
    if not isinstance(url, str):
        return None
    if url[:11].lower() == "data:image/":
        return url
    href = safe_href(url)
    return href if href and not href.lower().startswith("mailto:") else None


def _img(element: Mapping[str, Any], css: str) -> str:
    """An image element (or block's picture); its alt text when the address is not one to load."""
    slack_file = element.get("slack_file")
    url = element.get("image_url") or (slack_file.get("url") if isinstance(slack_file, Mapping) else None)
    alt = str(element.get("alt_text") or "")
    src = image_src(url)
    if src is None:
        return f'<span class="{css} bk-alt">{html.escape(alt or "[image]")}</span>'
    return f'<img class="{css}" src="{attr(src)}" alt="{attr(alt)}">'


def _control_attrs(kind: str, block_id: str, element: Mapping[str, Any]) -> str:
    return f'data-kind="{attr(kind)}" data-block="{attr(block_id)}" data-action="{attr(element.get("action_id") or "")}"'


def _button(element: Mapping[str, Any], block_id: str, names: Names, disabled: bool) -> str:
    style = element.get("style")
    css = "bk-button" + (f" bk-{style}" if style in ("primary", "danger") else "")
    extra = ""
    if element.get("value") is not None:
        extra += f' data-value="{attr(element["value"])}"'
    url = element.get("url")
    if isinstance(url, str) and (href := safe_href(url)):
        extra += f' data-url="{attr(href)}"'
    confirm = element.get("confirm")
    if isinstance(confirm, Mapping):
        said = f"{names.plain(confirm.get('title'))}: {names.plain(confirm.get('text'))}"
        extra += f' data-confirm="{attr(said)}"'
    off = " disabled" if disabled else ""
    label = names.html(element.get("text"))
    return f'<button type="button" class="{css}" {_control_attrs("button", block_id, element)}{extra}{off}>{label}</button>'


def _option_tag(option: Mapping[str, Any], chosen: Collection[str], names: Names) -> str:
    value = str(option.get("value") or "")
    label = names.plain(option.get("text"))
    description = names.plain(option.get("description"))
    if description:
        label += f" — {description}"
    selected = " selected" if value in chosen else ""
    return f'<option value="{attr(value)}"{selected}>{html.escape(label)}</option>'


def _chosen(element: Mapping[str, Any]) -> set[str]:
    """The values a select shows chosen at first."""
    kind = str(element.get("type"))
    many = kind.startswith("multi_") or kind == "checkboxes"
    found = element.get(_INITIAL.get(kind, "initial_options" if many else "initial_option"))
    items = found if isinstance(found, list) else [found]
    return {str(i.get("value")) if isinstance(i, Mapping) else str(i) for i in items if i is not None}


def options_html(element: Mapping[str, Any], names: Names) -> str:
    """The ``<option>``s (and ``<optgroup>``s) of a select, those shown chosen selected."""
    kind = str(element.get("type"))
    source = SELECTS.get(kind, "options")
    chosen = _chosen(element)
    if source == "users":
        pairs: Iterable[tuple[str, str]] = sorted(names.users.items(), key=lambda pair: (pair[1].lower(), pair[0]))
        return "".join(f'<option value="{attr(i)}"{" selected" if i in chosen else ""}>{html.escape(n)}</option>' for i, n in pairs)
    if source == "channels":
        pairs = sorted(names.channels.items(), key=lambda pair: (pair[1].lower(), pair[0]))
        return "".join(f'<option value="{attr(i)}"{" selected" if i in chosen else ""}>#{html.escape(n)}</option>' for i, n in pairs)
    options = [o for o in element.get("options") or [] if isinstance(o, Mapping)]
    if kind.endswith("external_select"):  # the app would load them: show only what it chose
        initial = element.get("initial_options") if kind.startswith("multi_") else [element.get("initial_option")]
        options = [o for o in initial or [] if isinstance(o, Mapping)]
    out = "".join(_option_tag(o, chosen, names) for o in options)
    for group in element.get("option_groups") or []:
        if isinstance(group, Mapping):
            inner = "".join(_option_tag(o, chosen, names) for o in group.get("options") or [] if isinstance(o, Mapping))
            out += f'<optgroup label="{attr(names.plain(group.get("label")))}">{inner}</optgroup>'
    return out


def _select(element: Mapping[str, Any], block_id: str, names: Names, disabled: bool, extra: str = "") -> str:
    kind = str(element.get("type"))
    multiple = kind.startswith("multi_")
    placeholder = names.plain(element.get("placeholder")) or "Choose…"
    first = "" if multiple else f'<option value="">{html.escape(placeholder)}</option>'
    flags = (" multiple" if multiple else "") + (" disabled" if disabled else "")
    return (
        f'<select class="bk-select" {_control_attrs(kind, block_id, element)}{extra}{flags}>{first}{options_html(element, names)}</select>'
    )


def _choices(element: Mapping[str, Any], block_id: str, names: Names, disabled: bool) -> str:
    return choices_html(element, _control_attrs(str(element.get("type")), block_id, element), names, disabled=disabled)


def choices_html(element: Mapping[str, Any], attrs: str, names: Names, *, disabled: bool = False) -> str:
    """Checkboxes or radio buttons: one input per option, each carrying ``attrs`` (the
    control's data attributes, and in a modal its ``name``), those shown chosen checked."""
    box = "checkbox" if element.get("type") == "checkboxes" else "radio"
    chosen = _chosen(element)
    off = " disabled" if disabled else ""
    items = []
    for option in element.get("options") or []:
        if not isinstance(option, Mapping):
            continue
        value = str(option.get("value") or "")
        checked = " checked" if value in chosen else ""
        note = names.html(option.get("description"))
        note_html = f' <small class="bk-option-note">{note}</small>' if note else ""
        items.append(
            f'<label class="bk-choice"><input type="{box}" {attrs} value="{attr(value)}"{checked}{off}> '
            f"{names.html(option.get('text'))}{note_html}</label>"
        )
    return f'<div class="bk-choices">{"".join(items)}</div>'


def element_html(element: Mapping[str, Any], block_id: str, names: Names, *, interactive: bool = True) -> str:
    """One element of a message (an accessory, in actions or context) as HTML.

    Controls the console cannot use in a message (date pickers, text inputs, options the
    app would load) render disabled; with ``interactive`` False, every control does.
    """
    kind = str(element.get("type"))
    disabled = not interactive or kind not in _USABLE_IN_MESSAGES
    if kind == "button":
        return _button(element, block_id, names, disabled)
    if kind in SELECTS:
        return _select(element, block_id, names, disabled)
    if kind in ("checkboxes", "radio_buttons"):
        return _choices(element, block_id, names, disabled)
    if kind == "image":
        return _img(element, "bk-thumb")
    if kind in ("plain_text", "mrkdwn"):
        return f'<span class="bk-text">{names.html(element)}</span>'
    picker = {"datepicker": ("date", "initial_date"), "timepicker": ("time", "initial_time")}.get(kind)
    if picker:
        value = element.get(picker[1])
        shown = f' value="{attr(value)}"' if isinstance(value, str) else ""
        return f'<input type="{picker[0]}" class="bk-picker" {_control_attrs(kind, block_id, element)}{shown} disabled>'
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"):
        placeholder = names.plain(element.get("placeholder"))
        return f'<input type="text" class="bk-text-input" {_control_attrs(kind, block_id, element)} placeholder="{attr(placeholder)}" disabled>'
    label = names.html(element.get("text")) or html.escape(f"[{kind}]")
    return f'<button type="button" class="bk-button" {_control_attrs(kind, block_id, element)} disabled>{label}</button>'


# ---- blocks --------------------------------------------------------------------------


def _section(block: Mapping[str, Any], block_id: str, names: Names, interactive: bool) -> str:
    parts = []
    if block.get("text"):
        parts.append(f'<div class="bk-text">{names.html(block.get("text"))}</div>')
    fields = [f'<div class="bk-field">{names.html(f)}</div>' for f in block.get("fields") or []]
    if fields:
        parts.append(f'<div class="bk-fields">{"".join(fields)}</div>')
    body = f'<div class="bk-section-body">{"".join(parts)}</div>'
    accessory = block.get("accessory")
    if isinstance(accessory, Mapping):
        body += f'<div class="bk-accessory">{element_html(accessory, block_id, names, interactive=interactive)}</div>'
    return f'<div class="bk-section">{body}</div>'


def _context(block: Mapping[str, Any], names: Names) -> str:
    items = []
    for element in block.get("elements") or []:
        if not isinstance(element, Mapping):
            continue
        if element.get("type") == "image":
            items.append(_img(element, "bk-context-image"))
        else:
            items.append(f"<span>{names.html(element)}</span>")
    return f'<div class="bk-context">{"".join(items)}</div>'


def _image_block(block: Mapping[str, Any], names: Names) -> str:
    title = names.html(block.get("title"))
    caption = f"<figcaption>{title}</figcaption>" if title else ""
    return f'<figure class="bk-image">{_img(block, "bk-image-img")}{caption}</figure>'


def _input_block(block: Mapping[str, Any], block_id: str, names: Names) -> str:
    element = block.get("element")
    shown = element_html(element, block_id, names, interactive=False) if isinstance(element, Mapping) else ""
    return f'<div class="bk-input"><label>{names.html(block.get("label"))}</label>{shown}</div>'


def _file_block(block: Mapping[str, Any]) -> str:
    name = block.get("external_id") or block.get("file_id") or "file"
    return f'<div class="bk-file">{emoji_char("paperclip")} {html.escape(str(block.get("source") or "remote"))} file {html.escape(str(name))}</div>'


def _block(block: Mapping[str, Any], names: Names, interactive: bool) -> str:
    kind = str(block.get("type"))
    block_id = str(block.get("block_id") or "")
    if kind == "header":
        return f'<div class="bk-header">{names.html(block.get("text"))}</div>'
    if kind == "section":
        return _section(block, block_id, names, interactive)
    if kind == "divider":
        return '<hr class="bk-divider">'
    if kind == "context":
        return _context(block, names)
    if kind == "actions":
        elements = [
            element_html(e, block_id, names, interactive=interactive) for e in block.get("elements") or [] if isinstance(e, Mapping)
        ]
        return f'<div class="bk-actions">{"".join(elements)}</div>'
    if kind == "image":
        return _image_block(block, names)
    if kind == "rich_text":
        return rich_text_html(block, users=names.users, channels=names.channels, usergroups=names.usergroups)
    if kind == "input":
        return _input_block(block, block_id, names)
    if kind == "file":
        return _file_block(block)
    return f'<div class="bk-unknown">[{html.escape(kind)} block]</div>'


def blocks_html(
    blocks: Sequence[Mapping[str, Any]],
    *,
    users: Mapping[str, str],
    channels: Mapping[str, str],
    usergroups: Mapping[str, str] | None = None,
    interactive: bool = True,
) -> str:
    """Blocks as Slack's client draws them; ``interactive`` False: every control disabled."""
    names = Names(users, channels, usergroups)
    return "".join(_block(b, names, interactive) for b in blocks if isinstance(b, Mapping))


def message_html(
    *,
    text: str,
    blocks: Sequence[Mapping[str, Any]] | None,
    users: Mapping[str, str],
    channels: Mapping[str, str],
    usergroups: Mapping[str, str] | None = None,
    interactive: bool = True,
) -> str:
    """A message as shown: its blocks when it has any, else its mrkdwn ``text``."""
    if blocks:
        return blocks_html(blocks, users=users, channels=channels, usergroups=usergroups, interactive=interactive)
    return mrkdwn_html(text or "", users=users, channels=channels, usergroups=usergroups)


# ---- files and reactions -------------------------------------------------------------


def _size(count: Any) -> str:
    """A file's size as a person reads it (1.2 MB); "" when unknown."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        return ""
    if count < 1024:
        return f"{count} B"
    amount = count / 1024
    for unit in ("KB", "MB"):
        if amount < 1024:
            return f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GB"


def files_html(files: Sequence[Mapping[str, Any]], *, file_url: Callable[[str], str]) -> str:
    """Files shared with a message: name and size; a picture as a thumbnail, others as a link."""
    out = []
    for file in files:
        if not isinstance(file, Mapping):
            continue
        file_id = str(file.get("id") or "")
        name = html.escape(str(file.get("name") or file.get("title") or file_id or "file"))
        size = _size(file.get("size"))
        about = f'<span class="file-name">{name}</span>' + (f' <span class="file-size">{size}</span>' if size else "")
        href = safe_href(file_url(file_id), local=True) if file_id else None
        if href is None:
            out.append(f'<div class="file">{about}</div>')
        elif str(file.get("mimetype") or "").lower() in IMAGE_TYPES:
            out.append(f'<div class="file"><img class="file-thumb" src="{attr(href)}" alt="{name}">{about}</div>')
        else:
            out.append(f'<div class="file"><a href="{attr(href)}" rel="noopener noreferrer" target="_blank">{about}</a></div>')
    return "".join(out)


def reactions_html(reactions: Mapping[str, Sequence[str]] | Collection[str], *, users: Mapping[str, str] | None = None) -> str:
    """Reactions under a message: each emoji (``:name:`` when not in the table) and its count;
    hovering names who reacted (``users``: id → name)."""
    entries: list[tuple[str, int, list[str]]]
    if isinstance(reactions, Mapping):
        entries = [(str(name), len(people), [str(p) for p in people]) for name, people in reactions.items()]
    else:
        entries = [(name, count, []) for name, count in Counter(str(r) for r in reactions).items()]
    out = []
    for name, count, people in entries:
        title = ", ".join((users or {}).get(p, p) for p in people) or f":{name}:"
        out.append(
            f'<span class="reaction" data-reaction="{attr(name)}" title="{attr(title)}">'
            f'{html.escape(emoji_char(name))} <span class="reaction-count">{count}</span></span>'
        )
    return f'<div class="reactions">{"".join(out)}</div>' if out else ""
