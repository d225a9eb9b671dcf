"""``/sms stats``'s period, read from what was typed after the word."""

from __future__ import annotations

import pytest

from bot.slack.listeners.stats import parse_period


@pytest.mark.parametrize(
    ("typed", "days"),
    [("", 7), ("7d", 7), ("30d", 30), (" 30 ", 30), ("30 dni", 30), ("14 days", 14), ("1d", 1), ("90d", 90)],
)
def test_a_period_is_a_number_of_days(typed: str, days: int) -> None:
    assert parse_period(typed) == days


@pytest.mark.parametrize("typed", ["0d", "91d", "month", "7w", "-7d", "trzy tygodnie"])
def test_anything_else_is_not_a_period(typed: str) -> None:
    assert parse_period(typed) is None
