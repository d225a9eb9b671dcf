"""SMS text rules: encodings, part counts, length limits and what the phone will show.

mProfi sends a text with Polish diacritics and other Unicode only when the request
says ``encoding: "utf-8"``; otherwise it converts the text and drops diacritics and
special characters. A GSM-7 part holds 160 characters (153 when concatenated, the
rest is the concatenation header); a UCS-2 part holds 70 (67). Characters from the
GSM-7 extension table (``€ [ ] { } ~ ^ \\ |``) take two septets.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import _, ngettext

__all__ = [
    "Encoding",
    "TextInfo",
    "TextTooLong",
    "SMS_MAX_CHARS",
    "MMS_MAX_CHARS",
    "MMS_MAX_FILE_BYTES",
    "MMS_FILE_EXTENSIONS",
    "analyze",
    "check_sms_text",
    "check_mms_text",
    "needs_utf8",
    "transliterate",
    "wire_encoding",
    "storable",
]

SMS_MAX_CHARS = 612
MMS_MAX_CHARS = 918
MMS_MAX_FILE_BYTES = 300_000  # the spec's "300kB": kilo is 1,000 there
MMS_FILE_EXTENSIONS = frozenset({"txt", "png", "jpg", "jpeg", "gif"})

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# Characters that Unicode decomposition does not reduce to ASCII but that have an
# obvious plain spelling. Polish first: ł/Ł have no decomposition at all.
_PLAIN = {
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ø": "o",
    "Ø": "O",
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ı": "i",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\t": " ",
    "€": "EUR",
}


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class TextInfo:
    """What a text costs and what the recipient will read.

    ``delivered`` is the text as the phone shows it: the original with
    ``encoding="utf-8"``, the transliterated text otherwise. ``parts`` and
    ``encoding`` describe ``delivered``.
    """

    text: str
    delivered: str
    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    parts: int
    per_part: int
    chars: int
    limit: int

    @property
    def too_long_by(self) -> int:
        return max(0, self.chars - self.limit)

    @property
    def changed(self) -> bool:
        """True when the recipient will not read exactly what was typed."""
        return self.delivered != self.text


class TextTooLong(ValueError):
    """A text over mProfi's limit; the message says by how much, to the person who wrote it."""

    def __init__(self, info: TextInfo, kind: str) -> None:
        over = info.too_long_by
        super().__init__(
            _("The {kind} text is {length}, {over} over the limit of {limit} ({parts}); shorten it by {shorten_by}.").format(
                kind=kind,
                length=ngettext("{n} character", "{n} characters", info.chars).format(n=info.chars),
                over=over,
                limit=info.limit,
                parts=ngettext("{n} SMS part", "{n} SMS parts", info.parts).format(n=info.parts),
                shorten_by=ngettext("{n} character", "{n} characters", over).format(n=over),
            )
        )
        self.info = info


def _is_gsm7(ch: str) -> bool:
    return ch in _GSM7_BASIC or ch in _GSM7_EXTENSION


def transliterate(text: str) -> str:
    """The text as mProfi delivers it without ``utf-8``: plain letters, no specials.

    ``Zażółć gęślą jaźń`` → ``Zazolc gesla jazn``. Characters with no plain spelling
    (emoji, CJK) are dropped, as the gateway drops them.
    """
    out: list[str] = []
    for ch in text:
        if ch in _PLAIN:
            out.append(_PLAIN[ch])
            continue
        if ch.isascii() and _is_gsm7(ch):
            out.append(ch)
            continue
        decomposed = unicodedata.normalize("NFKD", ch)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
        out.append("".join(c for c in plain if c.isascii() and _is_gsm7(c)))
    return "".join(out)


def needs_utf8(text: str) -> bool:
    """True when sending without ``utf-8`` would change what the recipient reads."""
    return transliterate(text) != text


def wire_encoding(text: str) -> str | None:
    """The ``encoding`` field for a text: ``"utf-8"`` only when the text needs it."""
    return "utf-8" if needs_utf8(text) else None


def _units(text: str) -> tuple[Encoding, int]:
    if all(_is_gsm7(ch) for ch in text):
        return Encoding.GSM7, sum(2 if ch in _GSM7_EXTENSION else 1 for ch in text)
    return Encoding.UCS2, len(text.encode("utf-16-le")) // 2


def count_parts(encoding: Encoding, units: int) -> tuple[int, int]:
    """Number of SMS parts for ``units`` and the size of each part."""
    single, multi = (160, 153) if encoding is Encoding.GSM7 else (70, 67)
    if units <= single:
        return 1, single
    return math.ceil(units / multi), multi


def analyze(text: str, *, utf8: bool = True, limit: int = SMS_MAX_CHARS) -> TextInfo:
    """Describe ``text`` as it will be sent with (``utf8=True``) or without ``utf-8``."""
    delivered = text if utf8 else transliterate(text)
    encoding, units = _units(delivered)
    parts, per_part = count_parts(encoding, units)
    return TextInfo(
        text=text,
        delivered=delivered,
        encoding=encoding,
        units=units,
        parts=parts,
        per_part=per_part,
        chars=len(text),
        limit=limit,
    )


def check_sms_text(text: str, *, utf8: bool = True) -> TextInfo:
    """Analyse an SMS text and raise :class:`TextTooLong` over 612 characters."""
    if not text.strip():
        raise ValueError(_("The message is empty; type the text to send."))  # shown to the person
    info = analyze(text, utf8=utf8, limit=SMS_MAX_CHARS)
    if info.too_long_by:
        raise TextTooLong(info, "SMS")
    return info


def check_mms_text(text: str, *, utf8: bool = True) -> TextInfo:
    """Analyse an MMS text (may be empty) and raise over 918 characters."""
    info = analyze(text, utf8=utf8, limit=MMS_MAX_CHARS)
    if info.too_long_by:
        raise TextTooLong(info, "MMS")
    return info


def storable(value: str) -> str:
    """Text any database can store and Slack can show: lone surrogates (``"\\ud800"`` in
    JSON) become U+FFFD, a pair written as two escapes becomes its character, NUL goes."""
    if value.isascii():
        return value.replace("\x00", "")
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\x00", "")
