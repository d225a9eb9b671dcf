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
    assert [(line.line, line.phone) for line in lines] == [(2, None), (3, "+48600100201")]
    assert lines[0].problem == "the line is longer than 65,536 characters; it was not read"


def test_one_line_of_many_short_cells_is_refused_before_csv_splits_it() -> None:
    huge = b"phone;name\n600100200;" + b"x;" * 5_000_000 + b"\n600100201;Ewa\n"
    lines = list(open_campaign_csv(huge, name="x.csv").lines)
    assert (lines[0].line, lines[0].phone, lines[0].cells) == (2, None, {}) and lines[1].phone == "+48600100201"


def test_a_stray_quote_is_named_by_its_line_and_swallows_nothing() -> None:
    content = b'phone;name;date\n600100200;Anna;12.12\n600100201;"Jan;13.12\n600100202;Ewa;14.12\n600100203;Olga;15.12'
    lines = list(open_campaign_csv(content, name="x.csv").lines)
    assert [(line.line, line.phone) for line in lines] == [(2, "+48600100200"), (3, None), (4, "+48600100202"), (5, "+48600100203")]
    assert lines[1].problem == "a quote opened on line 3 is never closed; close it (a cell may not span lines)"
    assert lines[2].cells == {"phone": "600100202", "name": "Ewa", "date": "14.12"}


def test_a_quoted_cell_with_a_line_break_is_refused_at_its_first_line() -> None:
    lines = list(open_campaign_csv(b'phone;note\n600100200;"two\nlines"\n600100201;ok\n', name="x.csv").lines)
    assert lines[0].line == 2 and lines[0].problem is not None and "line 2 is never closed" in lines[0].problem
    assert lines[-1].phone == "+48600100201" and lines[-1].cells["note"] == "ok"


def test_excels_sep_line_is_skipped_and_headers_match_by_word() -> None:
    found = open_campaign_csv("sep=;\r\nNumer telefonu (kom.);Imię\r\n600100200;Anna\r\n".encode(), name="x.csv")
    assert found.phone_column == "Numer telefonu (kom.)" and [line.line for line in found.lines] == [3]
    assert open_campaign_csv(b"Name,Mobile phone\nAnna,600100200\n", name="x.csv").phone_column == "Mobile phone"


def test_two_columns_of_one_name_are_one_sentence() -> None:
    with pytest.raises(CampaignFileError, match=r"x\.csv has two columns named “imię”; give each column its own name\."):
        open_campaign_csv("telefon;Imię;imię\n600100200;A;B\n".encode(), name="x.csv")


def test_formulas_are_kept_as_words_and_a_formula_in_the_phone_column_is_no_number() -> None:
    found = open_campaign_csv(b'phone;name\n=1+2;x\n600100200;"=HYPERLINK(""http://x"")"\n', name="x.csv")
    first, second = list(found.lines)
    assert first.phone is None and first.problem is not None
    assert second.phone == "+48600100200" and second.cells["name"] == '=HYPERLINK("http://x")'


def test_a_short_line_gets_empty_cells_and_a_line_without_a_number_says_so() -> None:
    lines = list(open_campaign_csv(b"phone;name;city\n600100200\n;Anna;Krak\xc3\xb3w\n", name="x.csv").lines)
    assert lines[0].cells == {"phone": "600100200", "name": "", "city": ""}
    assert lines[1].phone is None and lines[1].problem == "no number in the phone column"
