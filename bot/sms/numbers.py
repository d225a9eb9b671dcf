"""Phone numbers: one canonical form for keys, and each mProfi endpoint's wire form.

mProfi accepts recipients of 9 to 22 digits and treats a 9-digit number as Polish;
inbound senders arrive as ``48…`` or ``+48…``; HLR and surveys want ``48XXXXXXXXX``.
Every number is turned into E.164 (``+48600100200``) before it is used as a key, so
that the same phone always maps to the same conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NewType

import phonenumbers

__all__ = [
    "PhoneE164",
    "InvalidNumber",
    "normalize",
    "try_normalize",
    "recipient_digits",
    "msisdn",
    "display",
    "is_polish",
    "MIN_DIGITS",
    "MAX_DIGITS",
]

PhoneE164 = NewType("PhoneE164", str)
"""A number in canonical form: ``+`` followed by the country code and the number."""

MIN_DIGITS = 9
MAX_DIGITS = 22
POLAND_CC = "48"

# Separators people type between digit groups; anything else that is not a digit
# (letters, '#', '*', ...) makes the number unusable.
_SEPARATORS = re.compile(r"[\s\-./()\u00a0\u2010-\u2015]")


class InvalidNumber(ValueError):
    """A phone number mProfi would refuse; ``reason`` says why in plain words."""

    def __init__(self, raw: str, reason: str) -> None:
        super().__init__(f"{raw!r} is not a valid phone number: {reason}")
        self.raw = raw
        self.reason = reason


@dataclass(frozen=True)
class _Parsed:
    digits: str  # country code + national number, no '+'


def _parse(raw: str) -> _Parsed:
    text = raw.strip()
    if not text:
        raise InvalidNumber(raw, "it is empty")
    compact = _SEPARATORS.sub("", text)
    international = False
    if compact.startswith("+"):
        international = True
        compact = compact[1:]
    if not compact:
        raise InvalidNumber(raw, "it has no digits")
    if any(ch.isalpha() for ch in compact):
        raise InvalidNumber(raw, "it contains letters")
    if not compact.isascii() or not compact.isdigit():
        raise InvalidNumber(raw, "it may contain only digits, spaces, dashes and a leading +")
    if not international and compact.startswith("00"):
        international = True
        compact = compact[2:]
    if not international:
        if len(compact) == MIN_DIGITS:
            compact = POLAND_CC + compact  # mProfi: 9-digit numbers are Polish
        elif compact.startswith("0"):
            raise InvalidNumber(
                raw, "a leading 0 is not a country code; write it as +48… or 0048…"
            )
    if compact.startswith("0"):
        raise InvalidNumber(raw, "a country code never starts with 0")
    if len(compact) < MIN_DIGITS:
        raise InvalidNumber(raw, f"it has {len(compact)} digits, at least {MIN_DIGITS} are needed")
    if len(compact) > MAX_DIGITS:
        raise InvalidNumber(raw, f"it has {len(compact)} digits, at most {MAX_DIGITS} are allowed")
    return _Parsed(digits=compact)


def normalize(raw: str) -> PhoneE164:
    """Return the canonical E.164 form of ``raw`` or raise :class:`InvalidNumber`.

    ``600100200``, ``+48 600 100 200``, ``48600100200`` and ``0048600100200`` all
    become ``+48600100200``. Numbers that ``phonenumbers`` cannot place (long
    service numbers mProfi still accepts) keep their digits as they are.
    """
    parsed = _parse(raw)
    try:
        number = phonenumbers.parse("+" + parsed.digits, None)
    except phonenumbers.NumberParseException:
        return PhoneE164("+" + parsed.digits)
    if not phonenumbers.is_possible_number(number):
        return PhoneE164("+" + parsed.digits)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(e164) - 1 < MIN_DIGITS:
        return PhoneE164("+" + parsed.digits)
    return PhoneE164(e164)


def try_normalize(raw: str) -> PhoneE164 | None:
    """Like :func:`normalize` but returns ``None`` instead of raising."""
    try:
        return normalize(raw)
    except InvalidNumber:
        return None


def recipient_digits(number: PhoneE164) -> str:
    """The ``recipient`` wire form for send/sendbulk/sendmms: country code and digits."""
    return number.removeprefix("+")


def msisdn(number: PhoneE164) -> str:
    """The ``msisdn`` wire form for HLR and surveys: ``48XXXXXXXXX``, no ``+``."""
    return number.removeprefix("+")


def is_polish(number: PhoneE164) -> bool:
    return number.startswith("+" + POLAND_CC)


def display(number: PhoneE164) -> str:
    """A number as a person reads it: ``+48 600 100 200``."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_possible_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
