"""What ``/sms audit [number|@person] [from..to]`` asks for.

Dates are days in the asker's time zone, written ``2026-11-01`` or ``01.11.2026``; a
range is ``from..to`` with both days included, and either end may be left open
(``2026-11-01..``). One day alone means that day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import _
from bot.sms.command import CommandError
from bot.sms.numbers import PhoneE164, try_normalize

__all__ = ["AuditQuery", "parse_audit_query"]

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")
_HANDLE = re.compile(r"^@[\w.\-]+$")
_DAY = r"(\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{4})"
_RANGE = re.compile(rf"^{_DAY}?\.\.{_DAY}?$")
_ONE_DAY = re.compile(rf"^{_DAY}$")


@dataclass(frozen=True)
class AuditQuery:
    phone: PhoneE164 | None = None
    actor: str | None = None
    handle: str | None = None  # "@anna" typed as plain text: the listener finds who it is
    since: datetime | None = None  # inclusive, UTC-aware
    until: datetime | None = None  # exclusive


def _day(text: str) -> date:
    try:
        if "-" in text:
            return date.fromisoformat(text)
        day, month, year = (int(piece) for piece in text.split("."))
        return date(year, month, day)
    except ValueError:
        raise CommandError(_("“{day}” is not a date; write it as 2026-11-30 or 30.11.2026.").format(day=text)) from None


def _start_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def parse_audit_query(text: str, *, tz: ZoneInfo) -> AuditQuery:
    """The filters in ``text``; :class:`CommandError` with one sentence when a word is not understood."""
    phone: PhoneE164 | None = None
    actor: str | None = None
    handle: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    for word in text.split():
        mention = _MENTION.match(word)
        found_range = _RANGE.match(word)
        one_day = _ONE_DAY.match(word)
        if mention or _USER_ID.match(word):
            actor = mention.group(1) if mention else word
        elif _HANDLE.match(word):
            handle = word
        elif found_range and (found_range.group(1) or found_range.group(2)):
            first, last = found_range.group(1), found_range.group(2)
            since = _start_of(_day(first), tz) if first else None
            until = _start_of(_day(last) + timedelta(days=1), tz) if last else None
        elif one_day:
            since = _start_of(_day(one_day.group(1)), tz)
            until = since + timedelta(days=1)
        elif (number := try_normalize(word)) is not None:
            phone = number
        else:
            raise CommandError(
                _(
                    "“{word}” is neither a number, a person nor a date. Use /sms audit [number or @person] [from..to], "
                    "e.g. /sms audit 600100200 2026-11-01..2026-11-30."
                ).format(word=word[:40])
            )
    if since is not None and until is not None and until <= since:
        raise CommandError(_("The period ends before it starts; write the earlier day first."))
    return AuditQuery(phone=phone, actor=actor, handle=handle, since=since, until=until)
