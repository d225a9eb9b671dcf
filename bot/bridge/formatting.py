"""Text crossing from Slack to a phone: what the person meant, in plain characters.

Slack hands the app what a person wrote twice (docs.slack.dev/reference/events/message):
as ``text``, escaped (``&amp;`` ``&lt;`` ``&gt;``) with mentions, channels, links and
dates as ``<…>`` control sequences, and as ``rich_text`` blocks whose elements say the
same with types. A phone should read what the person saw: names rather than ids, a
link's label and its address, the emoji rather than ``:smile:``, ``&`` rather than
``&amp;``, and no formatting marks. Rich text is read when it is there and fully
understood, else ``text``. Slash command text is escaped the same way (with
``should_escape`` it also carries ``<@U…|name>``…); modal inputs arrive as typed and are
never read here: unescaping them would change what the person wrote.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol

from bot.bridge.emoji import emoji, emoji_names

__all__ = [
    "Piece",
    "Said",
    "Directory",
    "unescape",
    "pieces_from_text",
    "pieces_from_blocks",
    "pieces_of_event",
    "mentions",
    "addressees",
    "after_prefix",
    "is_note",
    "forced_sms",
    "render",
    "look_up",
    "for_phone",
    "command_for_phone",
]


@dataclass(frozen=True)
class Piece:
    """One run of a message: plain characters, or something Slack shows by name or label."""

    kind: str  # text | user | usergroup | channel | link | date | emoji | broadcast
    value: str  # the characters, an id, an address, an emoji name, a broadcast range
    label: str | None = None  # what came with it: ``<…|label>``, a link's text, a date's fallback
    code: str | None = None  # an emoji's code points ("1f604", "2764-fe0f"); a date's timestamp


@dataclass(frozen=True)
class Said:
    """One message two ways: as the person saw it in Slack, and as the phone reads it."""

    typed: str
    sent: str

    @property
    def differs(self) -> bool:
        """The phone reads something else than Slack showed (a name for a mention, a link's address)."""
        return self.typed != self.sent


class Directory(Protocol):
    """Slack's names for ids (:class:`bot.slack.directory.SlackDirectory`); None when unknown."""

    async def user_name(self, user_id: str) -> str | None: ...
    async def usergroup_handle(self, group_id: str) -> str | None: ...
    async def channel_name(self, channel_id: str) -> str | None: ...


# ---- Slack's escaping ------------------------------------------------------------------

_ESCAPED = re.compile(r"&(?:amp|lt|gt);")
_PLAIN = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}


def unescape(text: str) -> str:
    """Undo Slack's three escapes exactly once (``&amp;lt;`` is what was typed as ``&lt;``)."""
    return _ESCAPED.sub(lambda m: _PLAIN[m[0]], text)


# ---- reading ``text`` ------------------------------------------------------------------

_ENTITY = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"@([UW][A-Z0-9]+)(?:\|(.*))?", re.DOTALL)
_CHANNEL = re.compile(r"#([CGD][A-Z0-9]+)(?:\|(.*))?", re.DOTALL)
_SUBTEAM = re.compile(r"!subteam\^([A-Z0-9]+)(?:\|(.*))?", re.DOTALL)
_BROADCAST = re.compile(r"!(here|channel|everyone|group)(?:\|(.*))?", re.DOTALL)
_DATE = re.compile(r"!date\^(\d+)\^[^|]*(?:\|(.*))?", re.DOTALL)
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*:[^|\s]+)(?:\|(.*))?", re.DOTALL)


def _entity(inside: str) -> Piece:
    """One ``<…>`` control sequence as a piece (labels unescaped)."""

    def label(raw: str | None) -> str | None:
        return unescape(raw) if raw else None

    if m := _USER.fullmatch(inside):
        return Piece("user", m[1], label(m[2]))
    if m := _CHANNEL.fullmatch(inside):
        return Piece("channel", m[1], label(m[2]))
    if m := _SUBTEAM.fullmatch(inside):
        return Piece("usergroup", m[1], label(m[2]))
    if m := _BROADCAST.fullmatch(inside):
        return Piece("broadcast", "channel" if m[1] == "group" else m[1], label(m[2]))
    if m := _DATE.fullmatch(inside):
        return Piece("date", "", label(m[2]), code=m[1])
    if inside.startswith("!"):  # a control word we do not know: Slack shows its label
        return Piece("text", unescape(inside.partition("|")[2]))
    if m := _URL.fullmatch(inside):
        return Piece("link", unescape(m[1]), label(m[2]))
    return Piece("text", unescape(f"<{inside}>"))  # not an entity: shown as sent


def pieces_from_text(text: str) -> list[Piece]:
    """A message's (or a slash command's) escaped ``text`` as pieces."""
    pieces: list[Piece] = []
    at = 0
    for match in _ENTITY.finditer(text):
        if match.start() > at:
            pieces.append(Piece("text", unescape(text[at : match.start()])))
        pieces.append(_entity(match[1]))
        at = match.end()
    if at < len(text):
        pieces.append(Piece("text", unescape(text[at:])))
    return pieces


# ---- reading ``rich_text`` blocks --------------------------------------------------------


class _Unreadable(Exception):
    """Rich text with an element we do not know: read ``text`` instead."""


def _inline(element: dict[str, Any]) -> Piece:
    """One rich_text_section element (its text is raw, not escaped; styles are dropped)."""
    kind = element.get("type")
    if kind == "text":
        return Piece("text", str(element.get("text") or ""))
    if kind == "user" and element.get("user_id"):
        return Piece("user", str(element["user_id"]))
    if kind == "usergroup" and element.get("usergroup_id"):
        return Piece("usergroup", str(element["usergroup_id"]))
    if kind == "channel" and element.get("channel_id"):
        return Piece("channel", str(element["channel_id"]))
    if kind == "link" and element.get("url"):
        return Piece("link", str(element["url"]), str(element.get("text") or "") or None)
    if kind == "emoji" and element.get("name"):
        return Piece("emoji", str(element["name"]), code=str(element.get("unicode") or "") or None)
    if kind == "date" and element.get("timestamp") is not None:
        return Piece("date", "", str(element.get("fallback") or "") or None, code=str(element["timestamp"]))
    if kind == "broadcast" and element.get("range"):
        return Piece("broadcast", str(element["range"]))
    if kind == "color" and element.get("value"):
        return Piece("text", str(element["value"]))
    raise _Unreadable(str(kind))


def _line_break(out: list[Piece]) -> None:
    if out and not (out[-1].kind == "text" and out[-1].value.endswith("\n")):
        out.append(Piece("text", "\n"))


def _section(element: dict[str, Any]) -> list[Piece]:
    return [_inline(e) for e in element.get("elements") or [] if isinstance(e, dict)]


def _quoted(pieces: list[Piece]) -> list[Piece]:
    """A quote keeps its ``> `` on every line, so the phone can tell it from the reply."""
    if pieces and pieces[-1].kind == "text":
        pieces[-1] = Piece("text", pieces[-1].value.rstrip("\n"))
    body = [Piece("text", p.value.replace("\n", "\n> ")) if p.kind == "text" else p for p in pieces]
    return [Piece("text", "> "), *body]


def _block_element(element: dict[str, Any]) -> list[Piece]:
    kind = element.get("type")
    if kind in ("rich_text_section", "rich_text_preformatted"):
        return _section(element)
    if kind == "rich_text_quote":
        return _quoted(_section(element))
    if kind == "rich_text_list":
        indent = "  " * _small(element.get("indent"), 8)
        ordered = element.get("style") == "ordered"
        offset = _small(element.get("offset"), 10_000)
        lines: list[Piece] = []
        for number, item in enumerate(i for i in element.get("elements") or [] if isinstance(i, dict)):
            _line_break(lines)
            lines.append(Piece("text", indent + (f"{offset + number + 1}. " if ordered else "- ")))
            lines.extend(_section(item))
        return lines
    raise _Unreadable(str(kind))


def pieces_from_blocks(blocks: Any) -> list[Piece] | None:
    """The message's ``rich_text`` blocks as pieces; None when there are none or one
    holds something we cannot read (then ``text`` says it)."""
    rich = [b for b in blocks or [] if isinstance(b, dict) and b.get("type") == "rich_text"]
    if not rich:
        return None
    out: list[Piece] = []
    try:
        for block in rich:
            after_block = bool(out)
            for element in block.get("elements") or []:
                if not isinstance(element, dict):
                    continue
                if after_block or element.get("type") != "rich_text_section":
                    _line_break(out)
                out.extend(_block_element(element))
                after_block = element.get("type") != "rich_text_section"
    except (_Unreadable, TypeError, ValueError):
        return None
    return out


def pieces_of_event(event: dict[str, Any]) -> list[Piece]:
    """What a person's message says: its rich text when readable, else its ``text``."""
    from_blocks = pieces_from_blocks(event.get("blocks"))
    return from_blocks if from_blocks is not None else pieces_from_text(str(event.get("text") or ""))


def mentions(pieces: Iterable[Piece], user_id: str) -> bool:
    return any(p.kind == "user" and p.value == user_id for p in pieces)


def addressees(pieces: Iterable[Piece], bot_user_id: str | None) -> list[Piece]:
    """The people a message calls on other than the app (users, groups, @here/@channel):
    a reply that names one is talking to the team, not to the customer."""
    return [p for p in pieces if (p.kind == "user" and p.value != bot_user_id) or p.kind in ("usergroup", "broadcast")]


# ---- prefixes: ``note:`` keeps a reply in the team, ``sms:`` sends it whatever it mentions -----

DEFAULT_NOTE_PREFIXES = ("note:",)
SMS_PREFIXES = ("sms:",)
_MARKS = frozenset("*_~`")  # Slack's bold, italic, strike and code marks, as ``text`` keeps them


def _end_of_prefix(text: str, prefix: str) -> int | None:
    """Where ``text`` goes on after ``prefix`` (any case) at its start, or None.

    Spaces and formatting marks before it are skipped (`` *Note:* ``), marks inside it too
    (``*Note*:``), and the marks that closed one opened before it (so ``*sms:* hi`` leaves ``hi``).
    """
    at, opened = 0, set()
    while at < len(text) and (text[at].isspace() or text[at] in _MARKS):
        opened.add(text[at])
        at += 1
    for char in prefix.lower():
        while at < len(text) and text[at] in _MARKS and char not in _MARKS:
            opened.add(text[at])
            at += 1
        if at >= len(text) or text[at].lower() != char:
            return None
        at += 1
    while at < len(text) and text[at] in opened & _MARKS:
        at += 1
    return at


def after_prefix(pieces: list[Piece], prefixes: Iterable[str]) -> list[Piece] | None:
    """The pieces after the first of ``prefixes`` the message starts with, or None when it starts with none."""
    lead = 0
    while lead < len(pieces) and pieces[lead].kind == "text":
        lead += 1
    head = "".join(p.value for p in pieces[:lead])
    found = [end for prefix in prefixes if prefix.strip() and (end := _end_of_prefix(head, prefix.strip())) is not None]
    if not found:
        return None
    rest = head[max(found) :]
    return ([Piece("text", rest)] if rest else []) + pieces[lead:]


def is_note(pieces: list[Piece], prefixes: tuple[str, ...]) -> bool:
    """The reply starts with a note prefix (``note:`` when none is configured: the list is never empty)."""
    return after_prefix(pieces, [p for p in prefixes if p.strip()] or DEFAULT_NOTE_PREFIXES) is not None


def forced_sms(pieces: list[Piece]) -> list[Piece] | None:
    """What follows ``sms:`` at the start (sent even when it mentions teammates), or None."""
    return after_prefix(pieces, SMS_PREFIXES)


# ---- writing for the phone -------------------------------------------------------------


def _small(value: object, most: int) -> int:
    """A count from Slack's blocks, kept within reason whatever a crafted event says."""
    if not isinstance(value, (int, float, str)):
        return 0
    try:
        return max(0, min(most, int(value or 0)))
    except (TypeError, ValueError, OverflowError):
        return 0


_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.\-]*://|mailto:|tel:)", re.IGNORECASE)


def _bare(address: str) -> str:
    return _SCHEME.sub("", address.strip()).rstrip("/").replace(" ", "").lower()


def _link(url: str, label: str | None) -> tuple[str, str]:
    """A link's label, plus its address when the label does not already say it."""
    address = url[len("mailto:") :] if url.lower().startswith("mailto:") else url
    if not label or label == url:
        return address, address
    if _bare(label) == _bare(url):  # Slack linked what was typed (``x.pl`` → http://x.pl)
        return label, label
    return label, f"{label} ({address})"


def _date(piece: Piece, zone: tzinfo) -> str:
    if piece.label:
        return piece.label
    try:
        return datetime.fromtimestamp(int(piece.code or ""), tz=zone).strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError):
        return ""


def _one(piece: Piece, names: Mapping[tuple[str, str], str], zone: tzinfo) -> tuple[str, str]:
    """(as Slack showed it, as the phone reads it) for one piece."""
    kind, label = piece.kind, (piece.label or "").strip()
    if kind == "text":
        plain = emoji_names(piece.value)
        return plain, plain
    if kind == "user":
        name = names.get(("user", piece.value)) or label.lstrip("@")
        return "@" + (name or piece.value), name or "@" + piece.value
    if kind == "usergroup":
        handle = names.get(("usergroup", piece.value)) or label.lstrip("@") or "group"
        return "@" + handle, "@" + handle
    if kind == "channel":
        name = label.lstrip("#") or names.get(("channel", piece.value)) or "channel"
        return "#" + name, "#" + name
    if kind == "link":
        return _link(piece.value, piece.label)
    if kind == "date":
        shown = _date(piece, zone)
        return shown, shown
    if kind == "emoji":
        shown = emoji(piece.value, piece.code)
        return shown, shown
    if kind == "broadcast":
        shown = label or "@" + piece.value
        return shown, shown
    return piece.value, piece.value


def render(pieces: Iterable[Piece], names: Mapping[tuple[str, str], str] | None = None, *, zone: tzinfo = UTC) -> Said:
    """The pieces as Slack showed them and as the phone reads them (``names`` from :func:`look_up`)."""
    typed: list[str] = []
    sent: list[str] = []
    for piece in pieces:
        shown, read = _one(piece, names or {}, zone)
        typed.append(shown)
        sent.append(read)
    return Said(typed="".join(typed).strip(), sent="".join(sent).strip())


async def look_up(pieces: Iterable[Piece], directory: Directory) -> dict[tuple[str, str], str]:
    """The names Slack shows for the people, groups and channels the pieces name by id only.

    A person's name is always asked (a command's ``<@U…|piotr>`` carries the username, not
    the name people see); a group's handle or channel's name only when no label came.
    """
    wanted = sorted({(p.kind, p.value) for p in pieces if p.kind == "user" or (p.kind in ("usergroup", "channel") and not p.label)})
    ask = {"user": directory.user_name, "usergroup": directory.usergroup_handle, "channel": directory.channel_name}
    found = await asyncio.gather(*(ask[kind](id_) for kind, id_ in wanted))
    return {key: name for key, name in zip(wanted, found, strict=True) if name}


async def for_phone(pieces: list[Piece], directory: Directory, *, zone: tzinfo = UTC) -> Said:
    """What a person's message reads as on a phone (names asked from Slack, cached)."""
    return render(pieces, await look_up(pieces, directory), zone=zone)


async def command_for_phone(text: str, directory: Directory, *, zone: tzinfo = UTC) -> Said:
    """A slash command's text (escaped, with or without ``should_escape``) as the phone reads it."""
    return await for_phone(pieces_from_text(text), directory, zone=zone)
