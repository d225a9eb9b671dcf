"""Template variables: found, filled, and never sent as ``{name}`` when they have no value."""

from __future__ import annotations

import pytest

from bot.sms.templates import TemplateSyntaxError, first_name, key_of, render, template_reference, valid_template_name, variables


def test_variables_are_listed_once_in_the_order_written() -> None:
    assert variables("Dzień dobry {first_name}, {agent} z {Firma}. {first_name}!") == ("first_name", "agent", "Firma")


def test_names_compare_without_case_accents_spaces_or_hyphens() -> None:
    assert key_of("Imię") == "first_name"
    assert key_of("IMIE") == "first_name"
    assert key_of("Numer zamówienia") == key_of("numer-zamowienia") == "numer_zamowienia"
    assert key_of("Łódź") == "lodz"


def test_render_fills_from_any_spelling_of_a_column() -> None:
    rendered = render("Paczka {Numer zamówienia} dla {imię}.", {"numer_zamowienia": "A-17", "First_Name": "Anna"})
    assert rendered.text == "Paczka A-17 dla Anna."
    assert rendered.complete


def test_a_variable_with_no_value_is_named_and_left_visible() -> None:
    rendered = render("Hi {name}, {agent} here on {date}", {"agent": "Ola", "name": "  ", "date": None})
    assert rendered.missing == ("name", "date")
    assert not rendered.complete
    assert rendered.text == "Hi {name}, Ola here on {date}"


def test_double_braces_are_literal_braces() -> None:
    assert render("{{not a variable}} {x}", {"x": "1"}).text == "{not a variable} 1"
    assert variables("{{x}}") == ()


@pytest.mark.parametrize("template", ["Hi {", "Hi } there", "Hi {} there", "Hi {  } there"])
def test_a_stray_brace_is_refused(template: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        variables(template)


def test_first_name_and_template_names() -> None:
    assert first_name("Anna Maria Kowalska") == "Anna"
    assert first_name("   ") is None
    assert valid_template_name("dostawa-jutro")
    assert valid_template_name("przypomnienie_2")
    assert valid_template_name("zażółć")
    assert not valid_template_name("-dash")
    assert not valid_template_name("two words")
    assert not valid_template_name("")


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("#dostawa", "dostawa"),
        ("  #Dostawa-Jutro ", "Dostawa-Jutro"),
        ("#zażółć", "zażółć"),
        ("<#C0GENERAL|general>", "general"),  # Slack escaped a word that names a channel
        ("#dostawa jutro", None),
        ("Twoja #dostawa", None),
        ("#", None),
        ("<#C0GENERAL>", None),
    ],
)
def test_a_message_of_one_hash_word_names_a_template(typed: str, name: str | None) -> None:
    assert template_reference(typed) == name
