"""SMS text: encodings, part counts, limits and what the recipient reads."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sms.text import (
    Encoding,
    TextTooLong,
    analyze,
    check_mms_text,
    check_sms_text,
    needs_utf8,
    transliterate,
    wire_encoding,
)

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXT = "^{}\\[~]|€\f"  # \f: the page break, in the extension table


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("", Encoding.GSM7, 0, 1),
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        ("a" * 612, Encoding.GSM7, 612, 4),
        ("€" * 80, Encoding.GSM7, 160, 1),  # extension characters take two septets
        ("€" * 81, Encoding.GSM7, 162, 2),
        ("ą" * 70, Encoding.UCS2, 70, 1),
        ("ą" * 71, Encoding.UCS2, 71, 2),
        ("ą" * 134, Encoding.UCS2, 134, 2),
        ("ą" * 135, Encoding.UCS2, 135, 3),
        ("😀" * 35, Encoding.UCS2, 70, 1),  # emoji are two UTF-16 units
        ("😀" * 36, Encoding.UCS2, 72, 2),
        ("Zażółć gęślą jaźń", Encoding.UCS2, 17, 1),
    ],
)
def test_part_counts(text: str, encoding: Encoding, units: int, parts: int) -> None:
    info = analyze(text)
    assert (info.encoding, info.units, info.parts) == (encoding, units, parts)


@pytest.mark.parametrize(
    ("typed", "delivered"),
    [
        ("Zażółć gęślą jaźń", "Zazolc gesla jazn"),
        ("ZAŻÓŁĆ GĘŚLĄ JAŹŃ", "ZAZOLC GESLA JAZN"),
        ("„Cytat” — koniec…", '"Cytat" - koniec...'),
        ("Cena: 10 €", "Cena: 10 EUR"),
        ("Dzięki 😀!", "Dzieki !"),
        ("Crème brûlée", "Creme brulee"),
        ("plain text", "plain text"),
    ],
)
def test_what_the_recipient_reads_without_utf8(typed: str, delivered: str) -> None:
    info = analyze(typed, utf8=False)
    assert info.delivered == delivered
    assert info.changed == (typed != delivered)
    assert analyze(typed, utf8=True).delivered == typed


def test_wire_encoding_only_when_needed() -> None:
    assert wire_encoding("Hello, see you at 10:00") is None
    assert wire_encoding("Dzień dobry") == "utf-8"
    assert wire_encoding("ok 👍") == "utf-8"


def test_sms_limit_says_by_how_much_and_how_many_parts() -> None:
    assert check_sms_text("a" * 612).parts == 4
    with pytest.raises(TextTooLong) as caught:
        check_sms_text("a" * 620)
    assert str(caught.value) == ("The SMS text is 620 characters, 8 over the limit of 612 (5 SMS parts); shorten it by 8 characters.")
    with pytest.raises(ValueError, match="empty"):
        check_sms_text("   ")


def test_mms_limit() -> None:
    assert check_mms_text("").chars == 0
    assert check_mms_text("a" * 918).too_long_by == 0
    with pytest.raises(TextTooLong) as caught:
        check_mms_text("a" * 919)
    assert caught.value.info.too_long_by == 1


@given(st.text(alphabet=GSM_BASIC + GSM_EXT, max_size=700))
def test_gsm7_part_count_rule(text: str) -> None:
    septets = sum(2 if ch in GSM_EXT else 1 for ch in text)
    info = analyze(text)
    assert info.encoding is Encoding.GSM7
    assert info.units == septets
    assert info.parts == (1 if septets <= 160 else math.ceil(septets / 153))


@given(st.text(max_size=400).filter(lambda t: any(ch not in GSM_BASIC + GSM_EXT for ch in t)))
def test_ucs2_part_count_rule(text: str) -> None:
    units = len(text.encode("utf-16-le")) // 2
    info = analyze(text)
    assert info.encoding is Encoding.UCS2
    assert info.parts == (1 if units <= 70 else math.ceil(units / 67))


@given(st.text(max_size=300))
def test_transliteration_is_plain_gsm7_and_stable(text: str) -> None:
    plain = transliterate(text)
    assert analyze(plain).encoding is Encoding.GSM7
    assert transliterate(plain) == plain
    assert not needs_utf8(plain)
