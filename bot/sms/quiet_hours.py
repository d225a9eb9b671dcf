"""``QUIET_HOURS``: the hours of the day when no SMS goes out unless someone chooses to.

Written ``21:00-08:00`` (it may cross midnight, or not: ``13:00-14:00``) and read in
the bridge's time zone. A moment inside them is asked about; the end is the time
a "Schedule for 08:00" sends at, found on the wall clock, so a change to or from
summer time does not move it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["QuietHours", "parse_quiet_hours"]

_PATTERN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware) is inside the quiet hours."""
        local = moment.astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """When the quiet hours that hold ``moment`` end (aware, in the bridge's zone)."""
        local = moment.astimezone(self.zone)
        end = datetime.combine(local.date(), self.end, tzinfo=self.zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=self.zone)
        return end


def parse_quiet_hours(value: str | None, zone: ZoneInfo) -> QuietHours | None:
    """``21:00-08:00`` → :class:`QuietHours`; blank or ``off`` → None; a ValueError says what is wrong."""
    if value is None or value.strip().lower() in ("", "off", "none", "0"):
        return None
    match = _PATTERN.match(value)
    if not match:
        raise ValueError(f"{value!r} is not quiet hours such as '21:00-08:00' (or 'off')")  # untranslated: operator setting
    h1, m1, h2, m2 = (int(x) for x in match.groups())
    try:
        start, end = time(h1, m1), time(h2 % 24, m2)
    except ValueError:
        raise ValueError(f"{value!r}: hours are written 00:00 to 23:59") from None  # untranslated: operator setting
    if start == end:
        raise ValueError(f"{value!r}: the quiet hours start and end at the same time") from None  # untranslated: operator setting
    return QuietHours(start, end, zone)
