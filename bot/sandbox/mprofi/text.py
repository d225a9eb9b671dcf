"""What the phone receives: mProfi's conversion without ``utf-8`` and the SMS part count.

The spec: with ``encoding`` other than "utf-8" (or none) the text "zostanie
skonwertowana i wysłana bez polskich znaków diakrycznych i innych znaków
specjalnych". The simulator spells Polish letters in ASCII, strips other accents,
and replaces whatever has no plain spelling with ``?`` so a test can see it.
"""

from __future__ import annotations

import math
import unicodedata

__all__ = ["REPLACEMENT", "delivered_text", "is_gsm7", "is_utf8", "sms_parts", "transliterate"]

REPLACEMENT = "?"

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")  # each takes two septets

_POLISH = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
_PLAIN = {
    "ø": "o",
    "Ø": "O",
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "đ": "d",
    "Đ": "D",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\t": " ",
    "€": "EUR",
}


def is_utf8(encoding: object) -> bool:
    """The spec keeps the text only for ``encoding`` "utf-8" (any letter case)."""
    return isinstance(encoding, str) and encoding.strip().lower() == "utf-8"


def _plain_ascii(ch: str) -> bool:
    return ch.isascii() and (ch in GSM7_BASIC or ch in GSM7_EXTENSION)


def transliterate(text: str) -> str:
    """``Zażółć gęślą jaźń`` → ``Zazolc gesla jazn``; emoji and the like → ``?``."""
    out: list[str] = []
    for ch in text.translate(_POLISH):
        if _plain_ascii(ch):
            out.append(ch)
        elif ch in _PLAIN:
            out.append(_PLAIN[ch])
        elif unicodedata.category(ch) in ("Mn", "Me", "Cf") or "\U0001f3fb" <= ch <= "\U0001f3ff":
            continue  # variation selectors, joiners, skin tones: part of the character before
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and all(_plain_ascii(c) for c in base) else REPLACEMENT)
    return "".join(out)


def delivered_text(text: str, encoding: object) -> str:
    """The text as the phone shows it."""
    return text if is_utf8(encoding) else transliterate(text)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def sms_parts(text: str) -> int:
    """SMS parts: GSM-7 160 single / 153 per part (extension characters count 2),
    otherwise UCS-2 70 / 67 (UTF-16 code units)."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, multi = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)
