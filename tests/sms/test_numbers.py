"""Phone numbers: every form the spec shows becomes one E.164 key."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sms.numbers import InvalidNumber, display, is_phone, msisdn, normalize, recipient_digits, sender_id, try_normalize

E164 = re.compile(r"^\+[1-9]\d{8,21}$")


@pytest.mark.parametrize(
    "raw",
    [
        "600100200",
        "+48 600 100 200",
        "48600100200",
        "0048600100200",
        "+48600100200",
        "+48 (600) 100-200",
        " 600-100-200 ",
        "00 48 600 100 200",
        "+48\u00a0600\u00a0100\u00a0200",
    ],
)
def test_polish_forms_become_one_key(raw: str) -> None:
    assert normalize(raw) == "+48600100200"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 20 7946 0000", "+442079460000"),
        ("004915112345678", "+4915112345678"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("+1234567890123456789012", "+1234567890123456789012"),  # 22 digits: mProfi's maximum
    ],
)
def test_international_numbers(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("+", "it has no digits"),
        ("60010020", "it has 8 digits, at least 9 are needed"),
        ("+4860010", "it has 7 digits, at least 9 are needed"),
        ("+12345678901234567890123", "it has 23 digits, at most 22 are allowed"),
        ("600l00200", "it contains letters"),
        ("call me", "it contains letters"),
        ("600#100#200", "it may contain only digits, spaces, dashes and a leading +"),
        ("0600100200", "a leading 0 is not a country code; write it as +48… or 0048…"),
        ("+0600100200", "a country code never starts with 0"),
        ("٦٠٠١٠٠٢٠٠", "it may contain only digits, spaces, dashes and a leading +"),
    ],
)
def test_rejected_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        normalize(raw)
    assert caught.value.reason == reason
    assert try_normalize(raw) is None


def test_wire_forms() -> None:
    number = normalize("600 100 200")
    assert recipient_digits(number) == "48600100200"
    assert msisdn(number) == "48600100200"
    assert display(number) == "+48 600 100 200"


national = st.from_regex(r"[5-8][0-9]{8}", fullmatch=True)
separator = st.sampled_from(["", " ", "-", ".", "\u00a0"])


@st.composite
def written_forms(draw: st.DrawFn) -> tuple[str, str]:
    """A Polish number and one way a person might write it."""
    digits = draw(national)
    prefix = draw(st.sampled_from(["", "+48", "48", "0048", "+48 ", "00 48 "]))
    sep = draw(separator)
    body = sep.join([digits[:3], digits[3:6], digits[6:]])
    return digits, prefix + body


@given(written_forms())
def test_every_written_form_of_a_polish_number_is_the_same_key(case: tuple[str, str]) -> None:
    digits, written = case
    assert normalize(written) == "+48" + digits


@given(st.text(alphabet="0123456789+ -()", min_size=0, max_size=30))
def test_normalize_is_idempotent(raw: str) -> None:
    first = try_normalize(raw)
    if first is None:
        return
    assert E164.match(first), first
    assert normalize(first) == first
    assert normalize(display(first)) == first


@given(st.text(max_size=30))
def test_normalize_never_raises_anything_but_invalid_number(raw: str) -> None:
    try:
        result = normalize(raw)
    except InvalidNumber as exc:
        assert exc.reason
    else:
        assert E164.match(result)


# ---- typos that would cost money (pasted numbers, trunk zeros, missing country codes) ----


@pytest.mark.parametrize(
    "raw",
    [
        "+48 (0) 600 100 200",  # the national trunk 0 written after the country code
        "+48(0)600100200",
        "0048 (0) 600 100 200",
        "\u200e+48 600 100 200\u200f",  # direction marks from a right-to-left document
        "\u202a+48 600 100 200\u202c",
        "\u2066600 100 200\u2069",
        "+48\u202f600\u202f100\u202f200",  # narrow no-break spaces
        "\ufeff600100200",
    ],
)
def test_pasted_and_trunk_forms_become_one_key(raw: str) -> None:
    assert normalize(raw) == "+48600100200"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("6001002001", "it has 10 digits and no country code; add the country code (+48 … for Poland)"),
        ("4860010020", "it has 10 digits and no country code; add the country code (+48 … for Poland)"),
        ("012345678", "a leading 0 is not a country code; write it as +48… or 0048…"),
        ("-48600100200", "a number cannot start with a minus sign"),
    ],
)
def test_ambiguous_numbers_are_refused_not_guessed(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        normalize(raw)
    assert caught.value.reason == reason


def test_a_british_number_with_trunk_zero() -> None:
    assert normalize("+44 (0) 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("48600100200", "+48600100200"),
        ("+48 600 100 200", "+48600100200"),
        ("ORANGE", "ORANGE"),
        ("mBank", "mBank"),
        (" Alior Bank ", "Alior Bank"),
        ("8080", "8080"),
        ("7242", "7242"),
        ("T-Mobile", "T-Mobile"),  # kept as it came, separators and all
        ("Allegro.pl", "Allegro.pl"),
        ("Żabka", "Żabka"),
        ("+ORANGE", "ORANGE"),  # 3CX writes every sender as a phone_number
        ("4791234567", "+4791234567"),  # mProfi writes international numbers without +: a Norwegian mobile
        ("4512345678", "+4512345678"),
    ],
)
def test_senders_are_numbers_or_names_kept_as_they_came(raw: str, expected: str) -> None:
    assert sender_id(raw) == expected
    assert is_phone(expected) == expected.startswith("+")


@pytest.mark.parametrize(
    "raw", ["", "12", "-48600100200", "<!channel>", "@here", "A" * 12, "60010020x#", "\u0668\u0660\u0668\u0660", "0123456789"]
)
def test_senders_that_are_neither_are_refused(raw: str) -> None:
    with pytest.raises(InvalidNumber):
        sender_id(raw)
