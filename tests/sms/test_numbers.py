"""Phone numbers: every form the spec shows becomes one E.164 key."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sms.numbers import InvalidNumber, display, msisdn, normalize, recipient_digits, try_normalize

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
