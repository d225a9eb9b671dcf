"""One plain sentence for every way mProfi says no."""

from __future__ import annotations

import pytest

from bot.bridge.refusals import KEY_REFUSED, mprofi_sentence
from bot.mprofi import (
    AuthenticationError,
    MProfiError,
    NotFoundError,
    ProtocolError,
    RetryableError,
    UncertainError,
    ValidationError,
)


@pytest.mark.parametrize(
    ("key", "sentence"),
    [
        ("send", "mProfi refused our sending key; an admin must check MPROFI_API_KEY."),
        ("hlr", "mProfi refused the HLR key; an admin must check MPROFI_HLR_KEY (or MPROFI_API_KEY)."),
        ("survey", "mProfi refused the sending key; an admin must check MPROFI_API_KEY."),
    ],
)
def test_a_refused_key_names_the_setting_an_admin_must_check(key: str, sentence: str) -> None:
    assert mprofi_sentence(AuthenticationError("401"), key=key) == sentence


def test_a_refused_key_when_sending_also_says_nothing_was_sent() -> None:
    assert mprofi_sentence(AuthenticationError("401"), sending=True) == KEY_REFUSED
    assert KEY_REFUSED == "mProfi refused our sending key; an admin must check MPROFI_API_KEY. Nothing was sent."


def test_an_unknown_survey_points_to_the_list() -> None:
    assert (
        mprofi_sentence(NotFoundError("404"), key="survey", survey_id=7)
        == "There is no survey 7; /survey list shows the surveys there are."
    )


@pytest.mark.parametrize(
    "error",
    [
        ValidationError("mProfi refused the request: ERR001 Nieprawidłowy odbiorca.", code="ERR001", text="Nieprawidłowy odbiorca"),
        NotFoundError("mProfi does not know message 17."),
        RetryableError("mProfi is busy (HTTP 503); nothing was accepted, try again later."),
        ProtocolError("mProfi answered something unexpected."),
        MProfiError("Something else."),
    ],
    ids=lambda error: type(error).__name__,
)
def test_other_errors_are_told_in_mprofis_own_words(error: MProfiError) -> None:
    assert mprofi_sentence(error) == error.message
    assert mprofi_sentence(error, sending=True) == error.message + " Nothing was sent."


def test_an_uncertain_send_is_told_in_mprofis_own_words() -> None:
    error = UncertainError("mProfi did not answer in time; the request may have been carried out.")
    assert mprofi_sentence(error) == error.message  # never "Nothing was sent": senders word an uncertain send themselves
    assert mprofi_sentence(error, sending=True) == error.message  # even when sending: it may have gone
