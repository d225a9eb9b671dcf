"""Working hours: how WORKING_HOURS is read, and waiting time counted only inside them."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.sms.working_hours import parse_working_hours, working_deadline

WARSAW = ZoneInfo("Europe/Warsaw")
OFFICE = parse_working_hours("Mon-Fri 08:00-17:00")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WARSAW)


@pytest.mark.parametrize(
    ("value", "days", "start", "end"),
    [
        ("Mon-Fri 08:00-17:00", {0, 1, 2, 3, 4}, time(8), time(17)),
        ("sat 10:00-14:30", {5}, time(10), time(14, 30)),
        ("Fri-Mon 9:00-24:00", {4, 5, 6, 0}, time(9), time.max),
        ("always", set(range(7)), time(0), time.max),
    ],
)
def test_working_hours_are_read_as_people_write_them(value: str, days: set[int], start: time, end: time) -> None:
    hours = parse_working_hours(value)
    assert (set(hours.days), hours.start, hours.end) == (days, start, end)


@pytest.mark.parametrize("value", ["", "weekdays", "Mon-Fri 8-17", "Mon-Xyz 08:00-17:00", "Mon 17:00-08:00", "Mon 25:00-26:00"])
def test_working_hours_that_cannot_be_read_are_refused_with_a_sentence(value: str) -> None:
    with pytest.raises(ValueError, match="'"):
        parse_working_hours(value)


@pytest.mark.parametrize(
    ("since", "due"),
    [
        (at(30, 10), at(30, 10, 30)),  # Monday morning: 30 minutes later
        (at(27, 16, 50), at(30, 8, 20)),  # Friday 16:50: 10 minutes on Friday, 20 on Monday
        (at(29, 10), at(30, 8, 30)),  # Sunday: the clock starts on Monday at 8
        (at(30, 6), at(30, 8, 30)),  # before opening
        (at(30, 17, 30), at(1, 8, 30, month=12)),  # after closing
    ],
)
def test_waiting_is_counted_in_working_minutes_only(since: datetime, due: datetime) -> None:
    assert working_deadline(since, 30, OFFICE, WARSAW) == due


def test_always_counts_the_hours_that_really_pass_across_a_clock_change() -> None:
    since = datetime(2026, 10, 25, 1, 30, tzinfo=WARSAW)  # the night Poland moves back to winter time
    due = working_deadline(since, 120, parse_working_hours("always"), WARSAW)
    assert (due.astimezone(UTC) - since.astimezone(UTC)).total_seconds() == 7200
