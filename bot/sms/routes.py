"""Which channel a new conversation opens in: ``ROUTES`` and ``ROUTE_KEYS``, read and applied.

``ROUTES=48500100200=C0SALES,SERWIS=C0SERVICE`` maps the number a customer texted
(the webhook's ``recipient``) or a keyword (the first word of a new conversation's
first SMS, compared without case or accents) to a channel. ``ROUTE_KEYS=C0SALES=<key>``
names the mProfi sending key a channel's conversations answer with. Reading them
returns every bad entry as one line, so ``serve`` refuses them all at once; no line
ever repeats a key. Pure: no Slack, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Routes", "read_routes", "read_route_keys", "keyword_of", "receiving_number", "fold"]

_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")
_NUMBER = re.compile(r"^\+?[\d \-]{3,20}$")
_KEYWORD = re.compile(r"^[^\W_][\w\-]{0,39}$")


@dataclass(frozen=True)
class Routes:
    numbers: Mapping[str, str] = field(default_factory=dict)  # receiving number (digits, 48…) → channel
    keywords: Mapping[str, str] = field(default_factory=dict)  # folded keyword → channel

    @property
    def channels(self) -> frozenset[str]:
        """Every channel a route leads to."""
        return frozenset(self.numbers.values()) | frozenset(self.keywords.values())

    def channel_for(self, *, recipient: str | None, text: str) -> str | None:
        """The channel for a new conversation, or None (then ``SLACK_CHANNEL``).

        A keyword the customer chose wins over the number they texted: on a number
        shared by teams, ``SERWIS …`` says which team they want."""
        word = keyword_of(text)
        if word and word in self.keywords:
            return self.keywords[word]
        number = receiving_number(recipient or "")
        return self.numbers.get(number) if number else None

    def __bool__(self) -> bool:
        return bool(self.numbers or self.keywords)


def fold(word: str) -> str:
    """A keyword as compared: lower case, no accents (``Sérwis`` → ``serwis``)."""
    return _fold(word)


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold().replace("ł", "l"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def keyword_of(text: str) -> str | None:
    """The first word of an SMS as a keyword: ``Serwis, proszę…`` → ``serwis``."""
    words = text.split(maxsplit=1)
    if not words:
        return None
    word = words[0].strip(".,;:!?()[]\"'„”«»-")
    return _fold(word) or None


def receiving_number(raw: str) -> str | None:
    """A receiving number as digits with the country code: ``+48 500 100 200``, ``500100200`` → ``48500100200``.

    ``0048…`` is read as ``48…``. Short codes (``7015``) stay as they are; a sender name
    is no number (None)."""
    if not _NUMBER.match(raw.strip()):
        return None
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("00"):
        digits = digits[2:]
    return "48" + digits if len(digits) == 9 else digits


def _entries(value: str) -> list[tuple[int, str, str | None]]:
    """(position, key, value or None when there is no ``=``), skipping empty entries."""
    found = []
    for position, entry in enumerate(value.split(","), start=1):
        if entry.strip():
            key, sep, rest = entry.partition("=")
            found.append((position, key.strip(), rest.strip() if sep else None))
    return found


def read_routes(value: str | None, *, setting: str = "ROUTES", reserved: frozenset[str] = frozenset()) -> tuple[Routes, list[str]]:
    """``ROUTES`` as :class:`Routes`, and one line for each entry that cannot be used.

    ``reserved``: words that may not be keywords (the opt-out and opt-in words, folded):
    ``STOP`` must opt a number out, never merely open a conversation somewhere."""
    numbers: dict[str, str] = {}
    keywords: dict[str, str] = {}
    problems: list[str] = []
    for position, key, channel in _entries(value or ""):
        if channel is None or not key:
            problems.append(f"{setting}: entry {position} ({key!r}) is not number=channel or KEYWORD=channel, such as 48500100200=C0SALES.")
            continue
        if not _CHANNEL_ID.fullmatch(channel):
            problems.append(f"{setting}: {key} leads to {channel!r}, which is not a channel ID such as C0ABC1234.")
            continue
        number = receiving_number(key)
        if number is not None:
            table, name = numbers, number
        elif _KEYWORD.match(key) and not key.isdigit():
            table, name = keywords, _fold(key)
            if name in reserved:
                problems.append(f"{setting}: {key} is an opt-out or opt-in word; a keyword route cannot use it.")
                continue
        else:
            problems.append(f"{setting}: {key!r} is neither a receiving number (digits) nor a keyword (one word).")
            continue
        if table.get(name, channel) != channel:
            problems.append(f"{setting}: {key} is routed twice ({table[name]} and {channel}); keep one.")
            continue
        table[name] = channel
    return Routes(numbers=numbers, keywords=keywords), problems


def read_route_keys(value: str | None, *, setting: str = "ROUTE_KEYS") -> tuple[dict[str, str], list[str]]:
    """``ROUTE_KEYS`` as channel → key, and one line for each entry that cannot be used.

    A channel with a key holds conversations (its old ones stay there when its route is
    removed): ``serve`` checks the app is in it like every routed channel. No line
    repeats anything after an ``=``, nor a first part that is not a channel ID (an entry
    written the wrong way round would show the key)."""
    keys: dict[str, str] = {}
    problems: list[str] = []
    for position, channel, key in _entries(value or ""):
        if key is None or not key or not channel:
            problems.append(f"{setting}: entry {position} is not channel=key, such as C0SALES=<the mProfi sending key>.")
        elif not _CHANNEL_ID.fullmatch(channel):
            problems.append(f"{setting}: entry {position} does not start with a channel ID; write it as C0ABC1234=<key>.")
        elif keys.get(channel, key) != key:
            problems.append(f"{setting}: {channel} is given two keys; keep one.")
        else:
            keys[channel] = key
    return keys, problems
