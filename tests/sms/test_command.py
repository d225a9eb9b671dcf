"""Reading ``/sms`` arguments: numbers in every typed form, the text, the send time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sms.clock import WARSAW
from bot.sms.command import CommandError, SmsCommand, parse_sms_command

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=WARSAW)


def parse(text: str) -> SmsCommand | None:
    return parse_sms_command(text, now=NOW, tz=WARSAW)


@pytest.mark.parametrize(
    ("typed", "numbers", "text"),
    [
        ("600100200 Hej", ["+48600100200"], "Hej"),
        ("+48 600 100 200 Dzień dobry", ["+48600100200"], "Dzień dobry"),
        ("0048 600 100 200 x", ["+48600100200"], "x"),
        ("600-100-200 x", ["+48600100200"], "x"),
        ("600100200,600100201 +48600100202 Text here", ["+48600100200", "+48600100201", "+48600100202"], "Text here"),
        ("600100200, 600100201 Text", ["+48600100200", "+48600100201"], "Text"),
        ("600100200 10 minut spóźnienia", ["+48600100200"], "10 minut spóźnienia"),
        ("600100200 Line one\nline two", ["+48600100200"], "Line one\nline two"),
    ],
)
def test_numbers_and_text(typed: str, numbers: list[str], text: str) -> None:
    command = parse(typed)
    assert command is not None
    assert list(command.recipients.valid) == numbers and command.text == text


def test_duplicates_are_sent_once_and_bad_numbers_reported_with_the_reason() -> None:
    command = parse("600100200 +48600100200 600 100 20, 600100201 Hej")
    assert command is not None
    assert command.recipients.valid == ("+48600100200", "+48600100201")
    assert command.recipients.duplicates == 1
    assert command.recipients.refused[0] == ("600 100 20", "it has 8 digits, at least 9 are needed")
    assert command.text == "Hej"


def test_a_mistyped_long_number_is_reported_not_sent_as_text() -> None:
    command = parse("600100200 60010020 abc")
    assert command is not None and command.text == "abc"
    assert [raw for raw, _ in command.recipients.refused] == ["60010020"]


@pytest.mark.parametrize("typed", ["", "  ", "help", "HELP"])
def test_no_arguments_or_help_asks_for_the_form(typed: str) -> None:
    assert parse(typed) is None


@pytest.mark.parametrize(
    ("typed", "sentence"),
    [
        ("hello there", "Start with the number to text"),
        ("600100200", "Add the message after the number(s)"),
        ("12345 hello", "12345 is not a number that can be texted: it has 5 digits"),
        ("at 2026-11-25 09:00 600100200 x", "2026-11-25 09:00 (Europe/Warsaw) has already passed"),
        ("at 2026-02-30 09:00 600100200 x", "not a real date and time"),
        ("at tomorrow 600100200 x", "Write the send time as at 2026-12-01 09:00"),
    ],
)
def test_mistakes_get_one_sentence_saying_what_to_fix(typed: str, sentence: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse(typed)
    assert sentence in str(caught.value)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("at 2026-12-01 09:00 600100200 x", datetime(2026, 12, 1, 9, 0, tzinfo=WARSAW)),
        ("at 01.12.2026 9:05 600100200 x", datetime(2026, 12, 1, 9, 5, tzinfo=WARSAW)),
        ("at 17:30 600100200 x", datetime(2026, 11, 25, 17, 30, tzinfo=WARSAW)),
    ],
)
def test_send_times_in_the_persons_zone(typed: str, expected: datetime) -> None:
    command = parse(typed)
    assert command is not None and command.send_at == expected


def test_send_time_in_another_zone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    command = parse_sms_command("at 2026-12-01 09:00 600100200 x", now=NOW, tz=tokyo)
    assert command is not None and command.send_at is not None
    assert command.send_at.astimezone(WARSAW).hour == 1


@given(st.lists(st.integers(min_value=500_000_000, max_value=899_999_999), min_size=1, max_size=30), st.sampled_from([" ", ",", ", "]))
def test_any_list_of_valid_numbers_is_read_whole_and_deduplicated(numbers: list[int], separator: str) -> None:
    command = parse(separator.join(str(n) for n in numbers) + " Treść wiadomości")
    assert command is not None
    assert command.recipients.valid == tuple(dict.fromkeys(f"+48{n}" for n in numbers))
    assert command.recipients.duplicates == len(numbers) - len(set(numbers))
    assert command.text == "Treść wiadomości"
