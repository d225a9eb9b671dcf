"""SMS rules that know nothing of Slack or mProfi's HTTP: numbers and text."""

from bot.sms.numbers import InvalidNumber, PhoneE164, display, msisdn, normalize, recipient_digits
from bot.sms.text import TextInfo, TextTooLong, analyze, needs_utf8, transliterate

__all__ = [
    "InvalidNumber",
    "PhoneE164",
    "TextInfo",
    "TextTooLong",
    "analyze",
    "display",
    "msisdn",
    "needs_utf8",
    "normalize",
    "recipient_digits",
    "transliterate",
]
