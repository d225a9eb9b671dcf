"""What a template may be, how {date} is written, and the sentence naming a missing variable."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.bridge.templates import check_template, date_value, missing_sentence
from bot.i18n import use_language
from bot.sms.numbers import PhoneE164


def test_a_good_template_has_no_errors() -> None:
    assert check_template("dostawa-jutro", "Dzień dobry {imię}, paczka będzie jutro. {{kod}}") == {}


@pytest.mark.parametrize(
    ("name", "text", "field", "words"),
    [
        ("", "x", "name", "Give the template a name."),
        ("two words", "x", "name", "Use one word"),
        ("a" * 41, "x", "name", "at most 40 characters"),
        ("ß" * 40, "x", "name", "too long once letters such as ß are written out"),  # compared as 80 letters
        ("ﬃ" * 14, "x", "name", "too long once letters such as ß are written out"),  # ﬃ is compared as ffi
        ("ok", "   ", "text", "Write the text"),
        ("ok", "Hej {imię", "text", "The brace at character 5 opens no variable: write a variable as {first_name}"),
        ("ok", "x" * 613, "text", "613 characters long, over the limit of 612"),
    ],
)
def test_each_mistake_is_said_beside_its_field(name: str, text: str, field: str, words: str) -> None:
    with use_language("en"):
        errors = check_template(name, text)
    assert words in errors[field]


def test_the_date_is_written_as_each_language_writes_it() -> None:
    moment = datetime(2026, 12, 1, 9, 30)
    assert date_value(moment, "pl") == "01.12.2026"
    assert date_value(moment, "en") == "2026-12-01"


def test_a_missing_variable_is_named_with_the_numbers_that_lack_it() -> None:
    one, two = PhoneE164("+48600100200"), PhoneE164("+48600100201")
    with use_language("en"):
        assert missing_sentence({"name": [one]}, count=1) == (
            "Nothing was sent: {name} has no value for +48 600 100 200; name the contact first, or write the text yourself."
        )
        assert missing_sentence({"first_name": [two], "Firma": [one, two]}, count=2) == (
            "Nothing was sent: {first_name} has no value for 1 number (+48 600 100 201); name those contacts or remove the numbers."
        )
