"""Opt-out words as Polish senders write them: whole messages only, and never NIE or TAK."""

from __future__ import annotations

import pytest

from bot.sms.opt_out_words import fold, hint, keyword

WORDS = ["STOP", "STOP SMS", "STOPSMS", "WYPISZ", "REZYGNUJĘ", "REZYGNACJA", "UNSUBSCRIBE"]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("STOP", "STOP"),
        ("stop.", "STOP"),
        (" Stop!!! ", "STOP"),
        ("stop sms", "STOP SMS"),
        ("Stop-SMS", "STOP SMS"),
        ("STOPSMS", "STOPSMS"),
        ("stop  sms.", "STOP SMS"),
        ("wypisz", "WYPISZ"),
        ("Wypisz.", "WYPISZ"),
        ("Rezygnuję", "REZYGNUJĘ"),
        ("REZYGNUJE", "REZYGNUJĘ"),
        ("rezygnuję!", "REZYGNUJĘ"),
        ("unsubscribe", "UNSUBSCRIBE"),
    ],
)
def test_a_whole_message_of_an_opt_out_word_is_that_word(text: str, word: str) -> None:
    assert keyword(text, WORDS) == word


@pytest.mark.parametrize("text", ["NIE", "nie.", "TAK", "Tak!", "stopka", "STOP STOP", "proszę o stop tych sms", "Nie chcę", ""])
def test_anything_else_is_not_a_keyword(text: str) -> None:
    assert keyword(text, WORDS) is None


def test_nie_and_tak_never_opt_out_even_when_configured() -> None:
    assert keyword("NIE", [*WORDS, "NIE", "tak"]) is None
    assert hint("nie dziękuję", [*WORDS, "NIE"]) is None


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("proszę o stop tych sms", "STOP"),
        ("Proszę mnie wypisać? WYPISZ mnie z listy", "WYPISZ"),
        ("Rezygnuje z tych wiadomosci", "REZYGNUJĘ"),
        ("chcę stop sms, dziękuję", "STOP SMS"),
    ],
)
def test_a_message_that_only_contains_an_opt_out_word_is_a_hint(text: str, word: str) -> None:
    assert keyword(text, WORDS) is None
    assert hint(text, WORDS) == word


@pytest.mark.parametrize("text", ["Przystanek STOPNICA", "Nie, dziękuję", "Zatrzymaj kuriera", "unsubscribed already?"])
def test_words_inside_other_words_are_no_hint(text: str) -> None:
    assert hint(text, WORDS) is None


def test_folding_removes_case_accents_and_punctuation() -> None:
    assert fold("  Łódź, żółć!  ") == "LODZ ZOLC"
