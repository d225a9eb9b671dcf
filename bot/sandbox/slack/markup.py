"""Slack's text markup as Slack reads it: escaping, ``<…>`` control sequences, rich text.

Written from Slack's formatting reference ("Formatting text for app surfaces",
docs.slack.dev/messaging/formatting-message-text; the older api.slack.com/docs/formatting):

* ``&``, ``<`` and ``>`` are control characters; text carries them as ``&amp;``,
  ``&lt;`` and ``&gt;`` and a person sees ``& < >``.
* ``<@U…>`` mentions (pings) a person, ``<!subteam^S…>`` a user group, ``<!here>``,
  ``<!channel>`` and ``<!everyone>`` (``<!group>`` is an old synonym of channel)
  notify a whole channel; ``<#C…>`` links a channel; ``<https://x|label>`` and
  ``<https://x>`` are links (any ``scheme:`` address, ``mailto:`` too);
  ``<!date^…|fallback>`` shows a date. Any of these may carry ``|label``.
* Only ``mrkdwn`` text objects (and a message's top-level ``text``) are read this
  way; ``plain_text`` objects are shown exactly as sent.

What the emulator decided where the documentation is silent: a ``<…>`` whose inside
is none of the forms above is not an entity and is shown as sent, angle brackets
included (so is a lone ``<`` or ``&``). Bare URLs are auto-linked by Slack, but they
show their own address, so they are not recorded as links. Plain ``@channel``,
``@here``, ``@everyone`` and ``@handle`` of a user group only ping when the post asks
Slack to find names (``link_names`` true or ``parse=full``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = [
    "EMOJI",
    "Link",
    "Ping",
    "Rendered",
    "escape",
    "render_payload",
    "render_text",
    "rich_text_block",
    "rich_to_text",
    "unescape",
]


class Ping(NamedTuple):
    """Someone a message notifies: ``("broadcast", "channel"|"here"|"everyone")``,
    ``("user", "U…")`` or ``("usergroup", "S…")``."""

    kind: str
    id: str


class Link(NamedTuple):
    """A link a person can click, as ``(url, label)`` (the label is what they see)."""

    url: str
    label: str


@dataclass
class Rendered:
    """What one text (or a whole message) does to people and how it reads."""

    pings: list[Ping] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)  # channels linked (<#C…>)
    shown: str = ""  # the top-level text as a person reads it

    def add(self, other: Rendered) -> None:
        self.pings += other.pings
        self.links += other.links
        self.channels += other.channels


def escape(text: str) -> str:
    """The three replacements Slack asks for, and only those."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What a person sees for escaped text (only Slack's three entities are decoded)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_BROADCASTS = {"here": "here", "channel": "channel", "everyone": "everyone", "group": "channel"}
_USER = re.compile(r"@([UWB][A-Z0-9]{2,})(?:\|([^|]*))?")
_CHANNEL = re.compile(r"#([CGD][A-Z0-9]{2,})(?:\|([^|]*))?")
_SUBTEAM = re.compile(r"!subteam\^([A-Z0-9]{2,})(?:\|([^|]*))?")
_SPECIAL = re.compile(r"!(here|channel|everyone|group)(?:\|([^|]*))?")
_DATE = re.compile(r"!date\^(\d+)\^([^^|]*)(?:\^([^|]*))?\|(.*)", re.DOTALL)
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*:[^|\s]+)(?:\|(.*))?", re.DOTALL)
_ENTITY = re.compile(r"<([^<>]*)>")
_PLAIN_BROADCAST = re.compile(r"(?<![\w@])@(here|channel|everyone)\b")
_PLAIN_HANDLE = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9._\-]*)", re.IGNORECASE)
_PLAIN_CHANNEL = re.compile(r"(?<![\w#&])#([a-z0-9][a-z0-9_\-]*)", re.IGNORECASE)

Names = Callable[[str, str], str]  # (kind, id) → name shown, kind in user/usergroup/channel


def _no_names(kind: str, id_: str) -> str:
    return id_


def _entity(inside: str, names: Names, out: Rendered) -> str | None:
    """One ``<…>`` control sequence: record what it does, return what is shown (None: not one)."""
    if m := _USER.fullmatch(inside):
        out.pings.append(Ping("user", m[1]))
        return "@" + (unescape(m[2]) if m[2] else names("user", m[1]))
    if m := _SUBTEAM.fullmatch(inside):
        out.pings.append(Ping("usergroup", m[1]))
        return unescape(m[2]) if m[2] else "@" + names("usergroup", m[1])
    if m := _SPECIAL.fullmatch(inside):
        out.pings.append(Ping("broadcast", _BROADCASTS[m[1]]))
        return unescape(m[2]) if m[2] else "@" + _BROADCASTS[m[1]]
    if m := _CHANNEL.fullmatch(inside):
        out.channels.append(m[1])
        return "#" + (unescape(m[2]) if m[2] else names("channel", m[1]))
    if m := _DATE.fullmatch(inside):
        if m[3]:
            out.links.append(Link(unescape(m[3]), unescape(m[4])))
        return unescape(m[4])
    if inside.startswith(("@", "#", "!")):
        return None
    if m := _URL.fullmatch(inside):
        url = unescape(m[1])
        label = unescape(m[2]) if m[2] else url
        out.links.append(Link(url, label))
        return label
    return None


def render_text(
    text: str,
    *,
    names: Names = _no_names,
    find_names: bool = False,
    handles: dict[str, str] | None = None,
    channel_names: dict[str, str] | None = None,
) -> Rendered:
    """Read one mrkdwn string (or a message's ``text``) the way Slack does.

    ``find_names``: the post asked Slack to link plain names (``link_names``/``parse=full``):
    plain ``@here``/``@channel``/``@everyone``, ``@handle`` of a user group (``handles``:
    handle → S id) and ``#name`` of a channel (``channel_names``: name → C id) count too.
    """
    out = Rendered()
    shown: list[str] = []
    at = 0
    for match in _ENTITY.finditer(text):
        shown.append(text[at : match.start()])
        seen = _entity(match[1], names, out)
        shown.append(unescape(match[0]) if seen is None else seen)
        at = match.end()
    shown.append(text[at:])
    if find_names:
        plain = "".join(part for index, part in enumerate(shown) if index % 2 == 0)
        for m in _PLAIN_BROADCAST.finditer(plain):
            out.pings.append(Ping("broadcast", m[1]))
        for m in _PLAIN_HANDLE.finditer(plain):
            if handles and m[1].lower() in handles:
                out.pings.append(Ping("usergroup", handles[m[1].lower()]))
        for m in _PLAIN_CHANNEL.finditer(plain):
            if channel_names and m[1].lower() in channel_names:
                out.channels.append(channel_names[m[1].lower()])
    out.shown = "".join(unescape(part) if index % 2 == 0 else part for index, part in enumerate(shown))
    return out


def _rich(element: dict[str, Any], out: Rendered) -> None:
    kind = element.get("type")
    if kind == "user" and element.get("user_id"):
        out.pings.append(Ping("user", str(element["user_id"])))
    elif kind == "usergroup" and element.get("usergroup_id"):
        out.pings.append(Ping("usergroup", str(element["usergroup_id"])))
    elif kind == "broadcast" and element.get("range"):
        out.pings.append(Ping("broadcast", str(element["range"])))
    elif kind == "channel" and element.get("channel_id"):
        out.channels.append(str(element["channel_id"]))
    elif kind == "link" and element.get("url"):
        out.links.append(Link(str(element["url"]), str(element.get("text") or element["url"])))
    elif kind == "date" and element.get("url"):
        out.links.append(Link(str(element["url"]), str(element.get("fallback") or "")))
    for child in element.get("elements") or []:
        if isinstance(child, dict):
            _rich(child, out)


def _walk(node: Any, out: Rendered, read: Callable[[str], Rendered]) -> None:
    """Every mrkdwn text object and rich_text element under ``node``; plain_text is skipped."""
    if isinstance(node, list):
        for item in node:
            _walk(item, out, read)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "mrkdwn" and isinstance(node.get("text"), str):
        out.add(read(node["text"]))
        return
    if kind == "plain_text":
        return
    if kind == "rich_text":
        for element in node.get("elements") or []:
            if isinstance(element, dict):
                _rich(element, out)
        return
    for value in node.values():
        if isinstance(value, (dict, list)):
            _walk(value, out, read)


def render_payload(
    text: str | None,
    blocks: Any = None,
    attachments: Any = None,
    *,
    names: Names = _no_names,
    find_names: bool = False,
    handles: dict[str, str] | None = None,
    channel_names: dict[str, str] | None = None,
) -> Rendered:
    """What a whole posted message does: its ``text``, every mrkdwn object in its blocks,
    the entities of rich_text blocks, and legacy attachments' text/pretext/field values."""

    def read(value: str) -> Rendered:
        return render_text(value, names=names, find_names=find_names, handles=handles, channel_names=channel_names)

    top = read(text or "")
    out = Rendered(shown=top.shown)
    out.add(top)
    _walk(blocks, out, read)
    for attachment in attachments or []:
        if not isinstance(attachment, dict):
            continue
        for key in ("pretext", "text"):
            if isinstance(attachment.get(key), str):
                out.add(read(attachment[key]))
        for item in attachment.get("fields") or []:
            if isinstance(item, dict) and isinstance(item.get("value"), str):
                out.add(read(item["value"]))
        _walk(attachment.get("blocks"), out, read)
    return out


# ---- rich text, as the Slack client composes what a person types ---------------------

EMOJI = {  # name → code points, as rich_text emoji elements carry them
    "smile": "1f604",
    "slightly_smiling_face": "1f642",
    "joy": "1f602",
    "wave": "1f44b",
    "+1": "1f44d",
    "thumbsup": "1f44d",
    "-1": "1f44e",
    "tada": "1f389",
    "heart": "2764-fe0f",
    "white_check_mark": "2705",
    "x": "274c",
    "pray": "1f64f",
    "eyes": "1f440",
}

_RICH_FIELDS = {
    "text": ("text",),
    "user": ("user_id",),
    "usergroup": ("usergroup_id",),
    "channel": ("channel_id",),
    "link": ("url",),
    "emoji": ("name",),
    "date": ("timestamp", "format"),
    "broadcast": ("range",),
}


def _checked(element: dict[str, Any]) -> dict[str, Any]:
    kind = element.get("type")
    if kind not in _RICH_FIELDS:
        raise ValueError(f"not a rich_text_section element type: {kind!r} (one of {sorted(_RICH_FIELDS)})")
    missing = [name for name in _RICH_FIELDS[kind] if element.get(name) in (None, "")]
    if missing:
        raise ValueError(f"rich text {kind} element needs {missing}")
    if kind == "broadcast" and element["range"] not in ("here", "channel", "everyone"):
        raise ValueError("broadcast range is one of here, channel, everyone")
    element = dict(element)
    if kind == "emoji" and "unicode" not in element and element["name"] in EMOJI:
        element["unicode"] = EMOJI[element["name"]]
    if kind == "date":
        element["timestamp"] = int(element["timestamp"])
    return element


def rich_text_block(elements: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One ``rich_text`` block with one ``rich_text_section`` holding ``elements``."""
    section = {"type": "rich_text_section", "elements": [_checked(e) for e in elements]}
    return {"type": "rich_text", "block_id": secrets.token_hex(3)[:5], "elements": [section]}


def rich_to_text(elements: Iterable[dict[str, Any]], channel_names: dict[str, str]) -> str:
    """The message's ``text`` Slack derives from rich text: escaped, entities as ``<…>``."""
    parts: list[str] = []
    for element in (_checked(e) for e in elements):
        kind = element["type"]
        if kind == "text":
            parts.append(escape(element["text"]))
        elif kind == "user":
            parts.append(f"<@{element['user_id']}>")
        elif kind == "usergroup":
            parts.append(f"<!subteam^{element['usergroup_id']}>")
        elif kind == "channel":
            parts.append(f"<#{element['channel_id']}|{channel_names.get(element['channel_id'], '')}>")
        elif kind == "link":
            label = element.get("text")
            parts.append(f"<{element['url']}|{escape(label)}>" if label and label != element["url"] else f"<{element['url']}>")
        elif kind == "emoji":
            parts.append(f":{element['name']}:")
        elif kind == "date":
            link = f"^{element['url']}" if element.get("url") else ""
            parts.append(f"<!date^{element['timestamp']}^{element['format']}{link}|{escape(element.get('fallback') or '')}>")
        elif kind == "broadcast":
            parts.append(f"<!{element['range']}>")
    return "".join(parts)
