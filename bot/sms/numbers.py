"""Phone numbers: one canonical form for keys, and each mProfi endpoint's wire form.

mProfi accepts recipients of 9 to 22 digits and treats a 9-digit number as Polish;
inbound senders arrive as ``48…`` or ``+48…``; HLR and surveys want ``48XXXXXXXXX``.
Every number is turned into E.164 (``+48600100200``) before it is used as a key, so
that the same phone always maps to the same conversation.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NewType

import phonenumbers

from bot.i18n import _, ngettext, use_language

__all__ = [
    "PhoneE164",
    "InvalidNumber",
    "normalize",
    "try_normalize",
    "recipient_digits",
    "msisdn",
    "display",
    "is_polish",
    "is_phone",
    "sender_id",
    "SenderId",
    "MIN_DIGITS",
    "MAX_DIGITS",
]

PhoneE164 = NewType("PhoneE164", str)
"""A number in canonical form: ``+`` followed by the country code and the number."""  # untranslated: a docstring

MIN_DIGITS = 9
MAX_DIGITS = 22
POLAND_CC = "48"

SenderId = NewType("SenderId", str)
"""Who sent an inbound SMS: a phone number in E.164, or a sender name or short code
(``ORANGE``, ``mBank``, ``8080``) kept as it came — those cannot be texted back."""  # untranslated: a docstring

# Separators people type between digit groups; anything else that is not a digit
# (letters, '#', '*', ...) makes the number unusable. Text pasted from web pages and
# right-to-left documents brings invisible marks and no-break spaces along.
_SEPARATORS = re.compile(r"[\s\-./()\u00a0\u2007\u202f\u2010-\u2015\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# "+48 (0) 600 100 200": the national trunk 0 written after the country code.
_TRUNK = re.compile(r"^\s*(\+|00)\s*(\d{1,3})\s*\(\s*0\s*\)")
# Sender names are up to 11 letters, digits and a few signs (GSM alphanumeric sender
# ids: "ORANGE", "T-Mobile", "Allegro.pl"); short codes 3–8 ASCII digits.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_SENDER_NAME = re.compile(r"^(?=.*[^\W\d_])[^\W_][\w .&'+!-]{0,10}$")
_SHORT_CODE = re.compile(r"^[0-9]{3,8}$")
_BARE_DIGITS = re.compile(r"^[0-9]{10,22}$")


class InvalidNumber(ValueError):
    """A phone number mProfi would refuse; ``reason`` says why in plain words.

    ``reason`` is in the language of the person who typed the number, a clause that
    reads after "… is not a number that can be texted:" or in brackets after the
    number; ``log_reason`` is the same in English, for logs and webhook callers (the
    exception's own text uses it)."""

    def __init__(self, raw: str, reason: str, *, log_reason: str | None = None) -> None:
        self.log_reason = reason if log_reason is None else log_reason
        super().__init__(f"{raw!r} is not a valid phone number: {self.log_reason}")  # untranslated: the log's text
        self.raw = raw
        self.reason = reason


def _refused(raw: str, reason: Callable[[], str]) -> InvalidNumber:
    """``reason()`` says why in the current language and, said again in English, goes to the log."""
    with use_language("en"):
        english = reason()
    return InvalidNumber(raw, reason(), log_reason=english)


@dataclass(frozen=True)
class _Parsed:
    digits: str  # country code + national number, no '+'


def _parse(raw: str) -> _Parsed:
    text = _TRUNK.sub(r"\1\2", raw.strip())
    if not text:
        raise _refused(raw, lambda: _("it is empty"))
    if text[0] in "-\u2212\u2010\u2011\u2012\u2013\u2014":
        raise _refused(raw, lambda: _("a number cannot start with a minus sign"))
    compact = _SEPARATORS.sub("", text)
    international = False
    if compact.startswith("+"):
        international = True
        compact = compact[1:]
    if not compact:
        raise _refused(raw, lambda: _("it has no digits"))
    if any(ch.isalpha() for ch in compact):
        raise _refused(raw, lambda: _("it contains letters"))
    if not compact.isascii() or not compact.isdigit():
        raise _refused(raw, lambda: _("it may contain only digits, spaces, dashes and a leading +"))
    if not international and compact.startswith("00"):
        international = True
        compact = compact[2:]
    if not international:
        if compact.startswith("0"):
            raise _refused(raw, lambda: _("a leading 0 is not a country code; write it as +48… or 0048…"))
        if len(compact) == MIN_DIGITS:
            compact = POLAND_CC + compact  # mProfi: 9-digit numbers are Polish
        elif len(compact) == MIN_DIGITS + 1:
            # Not Polish, and too short to be sure a country code leads: a typo here
            # would text (and bill) a stranger abroad.
            raise _refused(raw, lambda: _("it has 10 digits and no country code; add the country code (+48 … for Poland)"))
    if compact.startswith("0"):
        raise _refused(raw, lambda: _("a country code never starts with 0"))
    if len(compact) < MIN_DIGITS:
        n = len(compact)
        raise _refused(
            raw,
            lambda: ngettext(
                "it has {n} digit, at least {minimum} are needed", "it has {n} digits, at least {minimum} are needed", n
            ).format(n=n, minimum=MIN_DIGITS),
        )
    if len(compact) > MAX_DIGITS:
        n = len(compact)
        raise _refused(
            raw,
            lambda: ngettext(
                "it has {n} digit, at most {maximum} are allowed", "it has {n} digits, at most {maximum} are allowed", n
            ).format(n=n, maximum=MAX_DIGITS),
        )
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


@functools.lru_cache(maxsize=4096)
def display(number: str) -> str:
    """A number as a person reads it: ``+48 600 100 200``; a sender name (``ORANGE``) as it is.

    Remembered: every card and line drawn shows its number, and parsing one is not cheap."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_possible_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def is_phone(sender: str) -> bool:
    """True for an E.164 number (``+`` and digits), False for a sender name or short code."""
    return sender.startswith("+") and sender[1:].isdigit()


def sender_id(raw: str) -> SenderId:
    """Who sent an inbound message: E.164 for a phone number, else the sender name or
    short code as it came (``ORANGE``, ``T-Mobile``, ``8080``). Raises
    :class:`InvalidNumber` for anything that is neither, including sign-prefixed
    numbers (``-48600…``).

    mProfi writes senders in international form without ``+`` (``4791234567`` is a
    Norwegian mobile), so 10 to 22 bare digits are read as international here; a
    person typing 10 digits into ``/sms`` is asked for the country code instead.
    """
    text = " ".join(_INVISIBLE.sub("", raw).split())
    try:
        return SenderId(normalize(raw))
    except InvalidNumber as exc:
        # A sender's refusal is read only by webhook callers and logs: in English.
        if exc.log_reason.startswith("a number cannot"):
            raise InvalidNumber(raw, exc.log_reason) from None
        digits = _SEPARATORS.sub("", text)
        if _BARE_DIGITS.match(digits) and not digits.startswith("0"):
            return SenderId(normalize("+" + digits))
        name = text.removeprefix("+")  # 3CX writes every sender as a phone_number
        if _SHORT_CODE.match(name) or _SENDER_NAME.match(name):
            return SenderId(name)
        reason = f"{exc.log_reason}, and it is not a sender name or short code either"  # untranslated: for webhook callers and logs
        raise InvalidNumber(raw, reason) from None
