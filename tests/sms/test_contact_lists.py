"""A CSV of contacts as people save it, read into rows, with each unusable line and why."""

from __future__ import annotations

from bot.sms.contact_lists import decode_csv, read_contacts


def test_a_polish_excel_file_with_semicolons_in_windows_1250_is_read() -> None:
    content = "Telefon;Imię i nazwisko;Tagi\n600 100 200;Łukasz Żółkiewski;vip|hurt\n+48600100201;Anna  Nowak;\n".encode("cp1250")
    found = read_contacts(decode_csv(content))
    assert [(r.line, r.phone, r.name, r.tags) for r in found.rows] == [
        (2, "+48600100200", "Łukasz Żółkiewski", ["hurt", "vip"]),
        (3, "+48600100201", "Anna Nowak", []),
    ]
    assert found.refused == ()


def test_a_utf8_file_with_a_bom_commas_and_no_header_is_read() -> None:
    content = "\ufeff48600100200,Jan Kowalski\n600100201,Ewa Kot,sklep\n".encode()
    found = read_contacts(decode_csv(content))
    assert [(r.phone, r.name, r.tags) for r in found.rows] == [
        ("+48600100200", "Jan Kowalski", None),
        ("+48600100201", "Ewa Kot", ["sklep"]),
    ]


def test_each_unusable_line_is_kept_with_its_number_and_why() -> None:
    text = "phone,name\n600100200,Jan\nabc,Ktoś\n600100201,\n600100200,Jan\n600100200,Janusz\n\n600100202," + "x" * 201 + "\n"
    found = read_contacts(text)
    assert [(r.line, r.name) for r in found.rows] == [(2, "Jan")]
    assert [line for line, _ in found.refused] == [3, 4, 6, 8]
    reasons = dict(found.refused)
    assert "is not a phone number" in reasons[3] and reasons[4] == "no name after the number"
    assert reasons[6] == "the number is on line 2 too, with another name" and "longer than 200" in reasons[8]


def test_old_mac_line_ends_quoted_line_breaks_and_a_name_with_a_comma_are_read() -> None:
    text = 'phone;name;tags;notes\r600100200;"Kowalski, Jan";vip;call after 5\r600100201;"Nowak\nEwa";;\r'
    found = read_contacts(text)
    assert [(r.line, r.phone, r.name, r.tags) for r in found.rows] == [
        (2, "+48600100200", "Kowalski, Jan", ["vip"]),  # the notes column is no tag
        (4, "+48600100201", "Nowak Ewa", []),
    ]


def test_a_file_that_cannot_be_read_to_its_end_says_where_it_stops() -> None:
    found = read_contacts('600100200,Jan\n600100201,"Ewa' + "x" * 200_000 + "\n600100202,Ola\n")
    assert [r.name for r in found.rows] == ["Jan"]
    assert found.refused and "cannot be read from this line on" in found.refused[-1][1]
