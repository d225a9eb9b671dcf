"""Opting out the way Polish senders word it.

A whole message that is one of the configured words opts its number out (``STOP``,
``STOP SMS``, ``WYPISZ``, ``REZYGNUJĘ``…) or back in (``START``); case, accents and
punctuation around the words do not matter, so ``stop.``, ``Rezygnuje!`` and
``Stop-SMS`` count. ``NIE`` and ``TAK`` are never keywords: they answer questions.
A message that only *contains* an opt-out word ("proszę o stop tych sms") changes
nothing by itself; the team is shown that it may want to opt out.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["fold", "keyword", "hint", "MIN_REASON", "NEVER_KEYWORDS"]

MIN_REASON = 5
"""Characters a reason for opting a number back in needs at least: "prośba" is one, "ok" is not."""

NEVER_KEYWORDS = frozenset({"NIE", "TAK"})
"""Answers to questions ("Czy potwierdzasz wizytę? TAK/NIE"), never opt-out words."""

_NOT_WORD = re.compile(r"[^\w]+")


@functools.lru_cache(maxsize=256)  # one SMS is folded for several checks: the work is done once
def fold(text: str) -> str:
    """Upper case, no accents (Ł too), words separated by one space, punctuation gone."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", plain).upper().replace("_", " ").split())


@functools.lru_cache(maxsize=16)  # the configured words do not change while the app runs
def _tables(configured: frozenset[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Folded form → the word as configured (what the notice shows); and the same without spaces."""
    words = {fold(word): word for word in sorted(configured) if fold(word) and fold(word) not in NEVER_KEYWORDS}
    return words, {key.replace(" ", ""): value for key, value in words.items()}


def _words(configured: Iterable[str]) -> dict[str, str]:
    return _tables(frozenset(configured))[0]


def keyword(text: str, configured: Iterable[str]) -> str | None:
    """The configured word that the whole message is, if it is one (``STOPSMS`` = ``STOP SMS``)."""
    words, glued = _tables(frozenset(configured))
    folded = fold(text)
    if folded in words:
        return words[folded]
    return glued.get(folded.replace(" ", "")) if folded else None


def hint(text: str, configured: Iterable[str]) -> str | None:
    """A configured opt-out word that the message contains among other words, if any."""
    folded = f" {fold(text)} "
    for key, word in sorted(_words(configured).items(), key=lambda item: -len(item[0])):
        if f" {key} " in folded:
            return word
    return None
