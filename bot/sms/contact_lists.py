"""A CSV of contacts as people save it: ``phone, name, tags``, read into rows and refusals.

Polish Excel saves CSV with ``;`` and in Windows-1250; Google Sheets and LibreOffice
with ``,`` in UTF-8, sometimes with a byte-order mark. A header row is optional. Every
line that cannot be used is kept with its line number and one reason, so the import's
report can say exactly what to fix.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from bot.i18n import _, ngettext
from bot.sms.numbers import InvalidNumber, PhoneE164, normalize

__all__ = ["ContactRow", "ContactList", "read_contacts", "decode_csv", "MAX_CONTACT_ROWS", "NAME_LIMIT"]

MAX_CONTACT_ROWS = 20_000
NAME_LIMIT = 200
# A header row is read in English and in Polish, whatever BOT_LANGUAGE is (the export
# writes it in the bridge's language): its first cell names the phone column (or, when
# that cell holds no digits, the second names the name column). English, then Polish.
_PHONE_WORDS = frozenset({"phone", "phone number", "number", "mobile", "tel", "tel.", "msisdn"}) | frozenset(
    {"telefon", "numer", "numer telefonu", "nr telefonu", "nr tel.", "komórka", "telefon komórkowy"}
)
_NAME_WORDS = frozenset({"name", "full name"}) | frozenset(
    {"nazwa", "imię i nazwisko", "imie i nazwisko", "nazwisko i imię", "nazwisko i imie"}
)
_TAG_WORDS = frozenset({"tags"}) | frozenset({"tagi"})
_HEADER_WORDS = _PHONE_WORDS | _NAME_WORDS | _TAG_WORDS


def _is_header(cells: list[str]) -> bool:
    first = cells[0].lower()
    if first in _HEADER_WORDS:
        return True
    return len(cells) > 1 and cells[1].lower() in _NAME_WORDS and not any(ch.isdigit() for ch in first)


@dataclass(frozen=True)
class ContactRow:
    line: int
    phone: PhoneE164
    name: str
    tags: list[str] | None  # None: the file has no tags column (a contact's tags are kept)


@dataclass(frozen=True)
class ContactList:
    rows: tuple[ContactRow, ...]
    refused: tuple[tuple[int, str], ...]  # (line number, why)
    too_many: bool = False  # more than MAX_CONTACT_ROWS lines: the rest was not read


def decode_csv(content: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1250 as Polish Excel saves it."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1250", errors="replace")


def _delimiter(text: str) -> str:
    """``;`` (Polish Excel), tab, or ``,``, by the first lines; a tie goes to ``;``, as a
    name written ``Kowalski, Jan`` adds a comma a semicolon file does not need."""
    lines = [line for line in text.splitlines()[:5] if line.strip()]
    semicolons, commas = sum(line.count(";") for line in lines), sum(line.count(",") for line in lines)
    if semicolons and semicolons >= commas:
        return ";"
    return "\t" if any("\t" in line for line in lines) and not commas else ","


def read_contacts(text: str) -> ContactList:
    """Rows of (phone, name, optional tags separated by ``|`` or spaces); one number once."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[ContactRow] = []
    refused: list[tuple[int, str]] = []
    seen: dict[PhoneE164, tuple[int, str]] = {}
    too_many = False
    has_tags = False
    records = iter(reader)
    while True:
        try:
            raw_cells = next(records)
        except StopIteration:
            break
        except csv.Error:  # an unbalanced quote, say: what follows cannot be told apart
            refused.append((reader.line_num, _("the file cannot be read from this line on (check its quotes)")))
            break
        line = reader.line_num  # the file's line, also when a quoted name spans lines
        if len(rows) + len(refused) >= MAX_CONTACT_ROWS:
            too_many = True
            break
        cells = [cell.strip() for cell in raw_cells]
        if not any(cells):
            continue
        if not rows and not refused and _is_header(cells):
            has_tags = len(cells) > 2
            continue
        if len(cells) < 2 or not cells[1]:
            refused.append((line, _("no name after the number")))
            continue
        try:
            phone = normalize(cells[0])
        except InvalidNumber as exc:
            refused.append((line, _("“{number}” is not a phone number ({reason})").format(number=cells[0][:30], reason=exc.reason)))
            continue
        name = " ".join(cells[1].split())
        if len(name) > NAME_LIMIT:
            too_long = ngettext("the name is longer than {n} character", "the name is longer than {n} characters", NAME_LIMIT)
            refused.append((line, too_long.format(n=NAME_LIMIT)))
            continue
        tags = None
        if len(cells) > 2 or has_tags:  # the third column only: a fourth (notes, e-mail) is no tag
            raw = (cells[2] if len(cells) > 2 else "").replace("|", " ").replace(",", " ")
            tags = sorted({tag for tag in raw.split() if tag})
        if phone in seen:
            first_line, first_name = seen[phone]
            if first_name != name:
                refused.append((line, _("the number is on line {line} too, with another name").format(line=first_line)))
            continue  # the same number and name again: once is enough
        seen[phone] = (line, name)
        rows.append(ContactRow(line=line, phone=phone, name=name, tags=tags))
    return ContactList(rows=tuple(rows), refused=tuple(refused), too_many=too_many)
