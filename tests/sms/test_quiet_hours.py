"""Quiet hours across midnight, within a day, and across a change of clocks."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.sms.quiet_hours import parse_quiet_hours

WARSAW = ZoneInfo("Europe/Warsaw")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WARSAW)


def test_night_hours_cross_midnight() -> None:
    quiet = parse_quiet_hours("21:00-08:00", WARSAW)
    assert quiet is not None and str(quiet) == "21:00–08:00"
    assert quiet.contains(at("2026-11-30 21:00")) and quiet.contains(at("2026-12-01 07:59"))
    assert not quiet.contains(at("2026-11-30 20:59")) and not quiet.contains(at("2026-12-01 08:00"))
    assert quiet.ends_after(at("2026-11-30 22:15")) == at("2026-12-01 08:00")
    assert quiet.ends_after(at("2026-12-01 06:00")) == at("2026-12-01 08:00")


def test_hours_inside_one_day() -> None:
    quiet = parse_quiet_hours("13:00-14:00", WARSAW)
    assert quiet is not None
    assert quiet.contains(at("2026-11-30 13:30")) and not quiet.contains(at("2026-11-30 14:00"))


def test_moments_are_read_in_the_bridges_zone() -> None:
    quiet = parse_quiet_hours("21:00-08:00", WARSAW)
    assert quiet is not None
    assert quiet.contains(datetime(2026, 11, 30, 20, 30, tzinfo=UTC))  # 21:30 in Warsaw
    assert not quiet.contains(datetime(2026, 7, 1, 18, 30, tzinfo=UTC))  # 20:30 in Warsaw (summer time)


def test_the_end_is_on_the_wall_clock_across_a_change_of_clocks() -> None:
    quiet = parse_quiet_hours("21:00-08:00", WARSAW)
    assert quiet is not None
    end = quiet.ends_after(at("2026-10-24 23:00"))  # the clocks go back that night
    assert end.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M") == "2026-10-25 08:00"


@pytest.mark.parametrize("value", [None, "", "off", "OFF"])
def test_off(value: str | None) -> None:
    assert parse_quiet_hours(value, WARSAW) is None


@pytest.mark.parametrize("value", ["21-8", "25:00-08:00", "21:00-21:00", "evening"])
def test_bad_settings_say_what_is_wrong(value: str) -> None:
    with pytest.raises(ValueError, match=r"quiet hours|hours are written"):
        parse_quiet_hours(value, WARSAW)
