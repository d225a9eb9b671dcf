"""A campaign's CSV read line by line, including hostile files: each refusal one sentence."""

from __future__ import annotations

import pytest

from bot.sms.campaign_csv import CampaignFileError, open_campaign_csv


def test_a_polish_excel_file_in_windows_1250_gives_numbers_and_columns() -> None:
    content = "Telefon;Imię;Data wizyty\n600 100 200;Łukasz;12.12\nabc;Jan;\n\n+48600100201;Żaneta;13.12\n".encode("cp1250")
    found = open_campaign_csv(content, name="wizyty.csv")
    assert found.columns == ("Telefon", "Imię", "Data wizyty") and found.phone_column == "Telefon"
    lines = list(found.lines)
    assert [(line.line, line.phone) for line in lines] == [(2, "+48600100200"), (3, None), (5, "+48600100201")]
    assert lines[0].cells == {"Telefon": "600 100 200", "Imię": "Łukasz", "Data wizyty": "12.12"}
    assert lines[1].problem is not None and "is not a phone number" in lines[1].problem


def test_utf8_with_a_bom_and_commas() -> None:
    found = open_campaign_csv("\ufeffname,phone\nAnna,600100200\n".encode(), name="x.csv")
    assert found.columns == ("name", "phone")
    assert [line.phone for line in found.lines] == ["+48600100200"]


def test_an_empty_file_is_one_sentence() -> None:
    with pytest.raises(CampaignFileError, match=r"x\.csv is empty"):
        open_campaign_csv(b"\n\n  \n", name="x.csv")


def test_a_file_without_a_phone_column_says_what_the_header_needs() -> None:
    with pytest.raises(CampaignFileError, match="has no phone column"):
        open_campaign_csv(b"600100200;Anna\n600100201;Jan\n", name="x.csv")


def test_ten_megabytes_of_one_line_is_refused_without_reading_it_whole() -> None:
    with pytest.raises(CampaignFileError, match="too long to be a header"):
        open_campaign_csv(b"a" * 10_000_000, name="x.csv")
    huge = b"phone;name\n600100200;" + b"x" * 10_000_000 + b"\n600100201;Ewa\n"
    lines = list(open_campaign_csv(huge, name="x.csv").lines)
    assert [line.line for line in lines] == [2] and lines[0].problem == "the file cannot be read from this line on (check its quotes)"


def test_formulas_are_kept_as_words_and_a_formula_in_the_phone_column_is_no_number() -> None:
    found = open_campaign_csv(b'phone;name\n=1+2;x\n600100200;"=HYPERLINK(""http://x"")"\n', name="x.csv")
    first, second = list(found.lines)
    assert first.phone is None and first.problem is not None
    assert second.phone == "+48600100200" and second.cells["name"] == '=HYPERLINK("http://x")'


def test_a_short_line_gets_empty_cells_and_a_line_without_a_number_says_so() -> None:
    lines = list(open_campaign_csv(b"phone;name;city\n600100200\n;Anna;Krak\xc3\xb3w\n", name="x.csv").lines)
    assert lines[0].cells == {"phone": "600100200", "name": "", "city": ""}
    assert lines[1].phone is None and lines[1].problem == "no number in the phone column"
