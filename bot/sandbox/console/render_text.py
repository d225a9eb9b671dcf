"""Slack's text as a person sees it, as safe HTML for the console's page.

Everything here comes from customers' SMS and from the app, so every character of
text, every URL and every attribute value is escaped (``html.escape`` with quotes);
the only markup in the output is the fixed tags written below. Only ``http``,
``https`` and ``mailto`` addresses become links; any other scheme (``javascript:``,
``data:``…) is shown as text.

mrkdwn is read as Slack's formatting reference describes it
(docs.slack.dev/messaging/formatting-message-text): ``<…>`` control sequences for
mentions and links, ``&lt; &gt; &amp;`` for the three control characters, ``*bold*``,
``_italic_``, ``~strike~``, `` `code` ``, triple-backtick blocks, ``>`` quotes and
``:emoji:`` names.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "EMOJI",
    "attr",
    "emoji_char",
    "link_html",
    "mrkdwn_html",
    "mrkdwn_plain",
    "plain_html",
    "rich_text_html",
    "safe_href",
    "text_object_html",
    "text_object_plain",
]

# Slack's names → what a person sees, for the ones the app and its people use most: "name char" pairs.
_EMOJI_TABLE = """
white_check_mark ✅  heavy_check_mark ✔️  warning ⚠️  x ❌  grey_question ❔  question ❓
grey_exclamation ❕  exclamation ❗  no_entry_sign 🚫  no_entry ⛔  hourglass_flowing_sand ⏳
hourglass ⌛  alarm_clock ⏰  envelope ✉️  incoming_envelope 📨  email 📧  iphone 📱
telephone_receiver 📞  speech_balloon 💬  bell 🔔  lock 🔒  bust_in_silhouette 👤
busts_in_silhouette 👥  calendar 📅  date 📅  bar_chart 📊  pencil 📝  memo 📝  mailbox 📫  zzz 💤
crescent_moon 🌙  arrows_counterclockwise 🔄  inbox_tray 📥  outbox_tray 📤  eyes 👀  paperclip 📎
link 🔗  mag 🔍  new 🆕  information_source ℹ️  red_circle 🔴  large_orange_circle 🟠
large_green_circle 🟢  large_blue_circle 🔵  white_circle ⚪  smile 😄  slightly_smiling_face 🙂  joy 😂
wave 👋  +1 👍  thumbsup 👍  -1 👎  thumbsdown 👎  pray 🙏  tada 🎉  heart ❤️  fire 🔥  rocket 🚀  star ⭐
sparkles ✨
"""
_WORDS = _EMOJI_TABLE.split()
EMOJI: dict[str, str] = dict(zip(_WORDS[::2], _WORDS[1::2], strict=True))

_LINKABLE = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_EMOJI_NAME = re.compile(r":([a-z0-9_+\-']+):")
# the inside of one <…> control sequence
_USER = re.compile(r"@([UWB][A-Z0-9]+)(?:\|(.*))?", re.DOTALL)
_CHANNEL = re.compile(r"#([CGD][A-Z0-9]+)(?:\|(.*))?", re.DOTALL)
_SUBTEAM = re.compile(r"!subteam\^([A-Z0-9]+)(?:\|(.*))?", re.DOTALL)
_SPECIAL = re.compile(r"!(here|channel|everyone|group)(?:\|(.*))?", re.DOTALL)
_DATE = re.compile(r"!date\^\d+\^[^|]*\|(.*)", re.DOTALL)
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*:[^|\s]+)(?:\|(.*))?", re.DOTALL)
_ENTITY = re.compile(r"<([^<>]*)>")
_BROADCASTS = {"here": "here", "channel": "channel", "everyone": "everyone", "group": "channel"}
# formatting, read on text already HTML-escaped (so "&gt;" starts a quote)
_PRE = re.compile(r"```\n?(.*?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_MARKS = tuple(
    (re.compile(rf"(?<![\w{m}]){m}(?=[^\s{m}])([^{m}\n]*?[^\s{m}]|[^\s{m}]){m}(?![\w{m}])"), rf"<{tag}>\1</{tag}>")
    for m, tag in ((re.escape("*"), "b"), ("_", "i"), ("~", "s"))
)
_HOLE = re.compile(r"\x00(\d+)\x00")


def attr(value: object) -> str:
    """A value safe inside a double-quoted HTML attribute."""
    return html.escape(str(value), quote=True)


def safe_href(url: str, *, local: bool = False) -> str | None:
    """``url`` when a click on it can only open a page (http, https, mailto); None otherwise.

    ``local``: the console's own addresses (no scheme, e.g. ``/files/F1``) pass too.
    Leading blanks or control characters are refused, as browsers would drop them
    before reading the scheme.
    """
    if not url or url[0] <= " ":
        return None
    if _LINKABLE.match(url):
        return url
    if local and not _SCHEME.match(url):
        return url
    return None


def link_html(url: str, label_html: str) -> str:
    """A link opening in a new tab for a safe ``url``; else ``label_html`` as it is."""
    href = safe_href(url)
    if href is None:
        return label_html
    return f'<a href="{attr(href)}" rel="noopener noreferrer" target="_blank">{label_html}</a>'


def emoji_char(name: str, unicode: str | None = None) -> str:
    """What ``:name:`` looks like: its character (``unicode``: code points as rich text
    carries them, e.g. ``2764-fe0f``), else ``:name:`` as typed."""
    if unicode:
        try:
            return "".join(chr(int(point, 16)) for point in unicode.split("-"))
        except (ValueError, OverflowError):
            pass
    return EMOJI.get(name, f":{name}:")


def _emoji(text: str) -> str:
    return _EMOJI_NAME.sub(lambda m: EMOJI.get(m[1], m[0]), text)


def _unescape(text: str) -> str:
    """Slack's three entities decoded (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _mention(label: str) -> str:
    return f'<span class="mention">{html.escape(label)}</span>'


def _entity(
    inside: str, users: Mapping[str, str], channels: Mapping[str, str], usergroups: Mapping[str, str], *, as_html: bool
) -> str | None:
    """One ``<…>`` sequence as shown (HTML or plain text); None when it is not one."""
    shown: str | None = None
    if m := _USER.fullmatch(inside):
        shown = "@" + (_unescape(m[2]) if m[2] else users.get(m[1], m[1]))
    elif m := _CHANNEL.fullmatch(inside):
        shown = "#" + (_unescape(m[2]) if m[2] else channels.get(m[1], m[1]))
    elif m := _SUBTEAM.fullmatch(inside):
        label = usergroups[m[1]] if m[1] in usergroups else (_unescape(m[2]) if m[2] else m[1])
        shown = "@" + label.removeprefix("@")
    elif m := _SPECIAL.fullmatch(inside):
        shown = "@" + _BROADCASTS[m[1]]
    if shown is not None:
        return _mention(shown) if as_html else shown
    if m := _DATE.fullmatch(inside):
        return html.escape(_unescape(m[1])) if as_html else _unescape(m[1])
    if inside.startswith(("@", "#", "!")):
        return None
    if m := _URL.fullmatch(inside):
        url = _unescape(m[1])
        label = _unescape(m[2]) if m[2] else url
        return link_html(url, html.escape(label)) if as_html else label
    return None


def _format_marks(text: str) -> str:
    """``*bold*``, ``_italic_``, ``~strike~`` as Slack reads them: the marks hug the words
    and stand apart from letters around them (so snake_case stays as typed)."""
    for pattern, tags in _MARKS:
        text = pattern.sub(tags, text)
    return text


def _lines(text: str) -> str:
    """Newlines as ``<br>``; consecutive lines starting with ``>`` as one quote
    (``>>>`` quotes all that follows). A quote is a block: no ``<br>`` around it."""
    pieces: list[tuple[bool, str]] = []  # (is a quote, html)
    quote: list[str] = []
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("&gt;&gt;&gt;"):
            quote += [line[12:].removeprefix(" "), *lines[index + 1 :]]
            break
        if line.startswith("&gt;"):
            quote.append(line[4:].removeprefix(" "))
            continue
        if quote:
            pieces.append((True, "<blockquote>" + "<br>".join(quote) + "</blockquote>"))
            quote = []
        pieces.append((False, line))
    if quote:
        pieces.append((True, "<blockquote>" + "<br>".join(quote) + "</blockquote>"))
    out = ""
    for index, (is_quote, piece) in enumerate(pieces):
        if index and not is_quote and not pieces[index - 1][0]:
            out += "<br>"
        out += piece
    return out


def mrkdwn_html(
    text: str,
    *,
    users: Mapping[str, str],
    channels: Mapping[str, str],
    usergroups: Mapping[str, str] | None = None,
) -> str:
    """Slack's mrkdwn as a person sees it, as HTML in which only our own tags are markup."""
    groups = usergroups or {}
    holes: list[str] = []

    def hole(content: str) -> str:
        holes.append(content)
        return f"\x00{len(holes) - 1}\x00"

    def entity(match: re.Match[str]) -> str:
        shown = _entity(match[1], users, channels, groups, as_html=True)
        return match[0] if shown is None else hole(shown.replace("\x00", ""))  # names hold no markers: no loop below

    source = _ENTITY.sub(entity, text.replace("\x00", ""))
    # what is left is text: decoded once from Slack's escaping, then escaped once for HTML
    escaped = html.escape(_unescape(source), quote=True)
    escaped = _PRE.sub(lambda m: hole(f"<pre>{m[1]}</pre>"), escaped)
    escaped = _CODE.sub(lambda m: hole(f"<code>{m[1]}</code>"), escaped)
    escaped = _lines(_format_marks(_emoji(escaped)))
    while _HOLE.search(escaped):
        escaped = _HOLE.sub(lambda m: holes[int(m[1])], escaped)
    return escaped


def mrkdwn_plain(
    text: str,
    *,
    users: Mapping[str, str],
    channels: Mapping[str, str],
    usergroups: Mapping[str, str] | None = None,
) -> str:
    """mrkdwn as plain text: names for mentions, labels for links, emoji as characters, no
    bold/italic/strike marks. NOT escaped: for attribute values and ``<option>`` labels,
    escape it there."""
    groups = usergroups or {}
    out: list[str] = []
    at = 0
    for match in _ENTITY.finditer(text):
        out.append(_unescape(_emoji(text[at : match.start()])))
        shown = _entity(match[1], users, channels, groups, as_html=False)
        out.append(_unescape(match[0]) if shown is None else shown)
        at = match.end()
    out.append(_unescape(_emoji(text[at:])))
    joined = "".join(out)
    for pattern, _tags in _MARKS:  # the marks go: a dialog or an option shows no bold
        joined = pattern.sub(r"\1", joined)
    return joined


def plain_html(text: str, *, emoji: bool = True) -> str:
    """A ``plain_text`` object's text: shown exactly as sent (``emoji``: names as characters)."""
    escaped = html.escape(text, quote=True)
    if emoji:
        escaped = _emoji(escaped)
    return escaped.replace("\n", "<br>")


def text_object_html(
    obj: Any,
    *,
    users: Mapping[str, str],
    channels: Mapping[str, str],
    usergroups: Mapping[str, str] | None = None,
) -> str:
    """A text object (``mrkdwn`` or ``plain_text``) as HTML; "" for anything else."""
    if isinstance(obj, str):
        return plain_html(obj)
    if not isinstance(obj, Mapping) or not isinstance(obj.get("text"), str):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_html(obj["text"], users=users, channels=channels, usergroups=usergroups)
    return plain_html(obj["text"], emoji=obj.get("emoji", True) is not False)


def text_object_plain(
    obj: Any,
    *,
    users: Mapping[str, str],
    channels: Mapping[str, str],
    usergroups: Mapping[str, str] | None = None,
) -> str:
    """A text object as unescaped plain text (for attributes and option labels)."""
    if isinstance(obj, str):
        return obj
    if not isinstance(obj, Mapping) or not isinstance(obj.get("text"), str):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_plain(obj["text"], users=users, channels=channels, usergroups=usergroups)
    return _emoji(obj["text"]) if obj.get("emoji", True) is not False else str(obj["text"])


# ---- rich_text blocks ----------------------------------------------------------------

_STYLE_TAGS = (("code", "code"), ("strike", "s"), ("italic", "i"), ("bold", "b"))


def _styled(content: str, style: Any) -> str:
    if isinstance(style, Mapping):
        for key, tag in _STYLE_TAGS:
            if style.get(key):
                content = f"<{tag}>{content}</{tag}>"
    return content


def _rich_inline(element: Mapping[str, Any], users: Mapping[str, str], channels: Mapping[str, str], usergroups: Mapping[str, str]) -> str:
    """One element of a rich_text section (text, link, mention, emoji…) as HTML."""
    kind = element.get("type")
    text = str(element.get("text") or "")
    if kind == "text":
        return _styled(html.escape(text, quote=True).replace("\n", "<br>"), element.get("style"))
    if kind == "link":
        url = str(element.get("url") or "")
        return _styled(link_html(url, html.escape(text or url, quote=True)), element.get("style"))
    if kind == "user":
        uid = str(element.get("user_id") or "")
        return _mention("@" + users.get(uid, uid))
    if kind == "channel":
        cid = str(element.get("channel_id") or "")
        return _mention("#" + channels.get(cid, cid))
    if kind == "usergroup":
        gid = str(element.get("usergroup_id") or "")
        return _mention("@" + usergroups.get(gid, gid))
    if kind == "broadcast":
        return _mention("@" + str(element.get("range") or "here"))
    if kind == "emoji":
        unicode = element.get("unicode")
        return html.escape(emoji_char(str(element.get("name") or ""), unicode if isinstance(unicode, str) else None))
    if kind == "date":
        return html.escape(str(element.get("fallback") or element.get("timestamp") or ""))
    return html.escape(text)


def _rich_section(node: Mapping[str, Any], users: Mapping[str, str], channels: Mapping[str, str], usergroups: Mapping[str, str]) -> str:
    elements = node.get("elements") or []
    return "".join(_rich_inline(e, users, channels, usergroups) for e in elements if isinstance(e, Mapping))


def _rich_part(node: Mapping[str, Any], users: Mapping[str, str], channels: Mapping[str, str], usergroups: Mapping[str, str]) -> str:
    kind = node.get("type")

    def inner(section: Mapping[str, Any]) -> str:
        return _rich_section(section, users, channels, usergroups)

    if kind == "rich_text_section":
        return f"<div>{inner(node)}</div>"
    if kind == "rich_text_preformatted":
        return f"<pre>{inner(node)}</pre>"
    if kind == "rich_text_quote":
        return f"<blockquote>{inner(node)}</blockquote>"
    if kind == "rich_text_list":
        tag = "ol" if node.get("style") == "ordered" else "ul"
        indent = node.get("indent")
        depth = f' class="bk-indent-{int(indent)}"' if isinstance(indent, int) and not isinstance(indent, bool) and indent > 0 else ""
        items = "".join(f"<li>{inner(item)}</li>" for item in node.get("elements") or [] if isinstance(item, Mapping))
        return f"<{tag}{depth}>{items}</{tag}>"
    return f'<div class="bk-unknown">[{html.escape(str(kind))}]</div>'


def rich_text_html(
    block: Mapping[str, Any],
    *,
    users: Mapping[str, str],
    channels: Mapping[str, str],
    usergroups: Mapping[str, str] | None = None,
) -> str:
    """A ``rich_text`` block (or a rich_text_input's value) as HTML: sections, lists, quotes, code."""
    groups = usergroups or {}
    parts = "".join(_rich_part(n, users, channels, groups) for n in block.get("elements") or [] if isinstance(n, Mapping))
    return f'<div class="bk-rich">{parts}</div>'
