"""When the team works: ``Mon-Fri 08:00-17:00`` in a time zone, and time counted inside it.

A customer who writes on Friday evening has not been waiting "all weekend" for the
reminder's purposes: only working minutes count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["WorkingHours", "parse_working_hours", "working_deadline"]

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_PATTERN = re.compile(r"^\s*(\w{3})(?:\s*-\s*(\w{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_ALWAYS = {"always", "24/7"}


@dataclass(frozen=True)
class WorkingHours:
    days: frozenset[int]  # Monday is 0
    start: time
    end: time  # after start; an "always" week is every day 00:00-24:00 (end = time.max)

    def window(self, day: datetime) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.days:
            return None
        opens = day.replace(hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0)
        if self.end == time.max:
            closes = opens.replace(hour=0, minute=0) + timedelta(days=1)
        else:
            closes = day.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return opens, closes


def parse_working_hours(value: str) -> WorkingHours:
    """``Mon-Fri 08:00-17:00``, ``Sat 10:00-14:00`` or ``always``; a ValueError says what is wrong."""
    if value.strip().lower() in _ALWAYS:
        return WorkingHours(frozenset(range(7)), time(0, 0), time.max)
    match = _PATTERN.match(value.lower())
    if not match:
        raise ValueError(f"{value!r} is not working hours such as 'Mon-Fri 08:00-17:00' (or 'always')")  # untranslated: operator setting
    first, last, h1, m1, h2, m2 = match.groups()
    if first not in _DAYS or (last or first) not in _DAYS:
        raise ValueError(f"{value!r}: days are written Mon, Tue, Wed, Thu, Fri, Sat, Sun")  # untranslated: operator setting
    a, b = _DAYS.index(first), _DAYS.index(last or first)
    days = frozenset(range(a, b + 1)) if a <= b else frozenset([*range(a, 7), *range(0, b + 1)])
    try:
        start, end = time(int(h1), int(m1)), time(int(h2), int(m2)) if (h2, m2) != ("24", "00") else time.max
    except ValueError:
        raise ValueError(f"{value!r}: hours are written 00:00 to 24:00") from None  # untranslated: operator setting
    if end != time.max and end <= start:
        raise ValueError(f"{value!r}: the end of the day must come after its start")  # untranslated: operator setting
    return WorkingHours(days, start, end)


def working_deadline(since: datetime, minutes: float, hours: WorkingHours, zone: ZoneInfo) -> datetime:
    """The moment ``minutes`` of working time have passed since ``since`` (an aware datetime).

    Days are laid out on the local calendar; time is counted in UTC, so a night when the
    clocks change counts the hours that really passed.
    """
    left = timedelta(minutes=minutes)
    start = since.astimezone(UTC)
    day = since.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    for _ in range(366):
        window = hours.window(day)
        if window is not None:
            opens, closes = (moment.replace(tzinfo=zone).astimezone(UTC) for moment in window)
            begin = max(opens, start)
            if begin < closes:
                if begin + left <= closes:
                    return (begin + left).astimezone(since.tzinfo)
                left -= closes - begin
        day += timedelta(days=1)
    raise ValueError("no working time in a year")
