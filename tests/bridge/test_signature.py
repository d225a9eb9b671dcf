"""SMS_SIGNATURE filled in for one author, also when Slack would not say who they are."""

from __future__ import annotations

import pytest

from bot.bridge.signature import fill


@pytest.mark.parametrize(
    ("template", "first", "name", "signed"),
    [
        ("— {first_name}, Sklep Kwiatek", "Anna", "Anna Nowak", "— Anna, Sklep Kwiatek"),
        ("Pozdrawiam, {name}", "Anna", "Anna Nowak", "Pozdrawiam, Anna Nowak"),
        ("— {first_name}, Sklep Kwiatek", "", "", "— Sklep Kwiatek"),
        ("Sklep Kwiatek, {name}", "", "", "Sklep Kwiatek"),
        ("— {first_name}", "", "", ""),
        ("{name}", "", "", ""),
    ],
)
def test_a_signature_never_reaches_the_phone_with_a_hole_in_it(template: str, first: str, name: str, signed: str) -> None:
    assert fill(template, first=first, name=name) == signed
