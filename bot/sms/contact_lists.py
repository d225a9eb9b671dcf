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

from bot.sms.numbers import InvalidNumber, PhoneE164, normalize

__all__ = ["ContactRow", "ContactList", "read_contacts", "decode_csv", "MAX_CONTACT_ROWS", "NAME_LIMIT"]

MAX_CONTACT_ROWS = 20_000
NAME_LIMIT = 200
_HEADER_WORDS = {"phone", "number", "numer", "telefon", "tel", "msisdn", "name", "nazwa", "imię i nazwisko", "imie i nazwisko"}


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
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first.count(";") > first.count(",") else ("\t" if "\t" in first and "," not in first else ",")


def read_contacts(text: str) -> ContactList:
    """Rows of (phone, name, optional tags separated by ``|`` or spaces); one number once."""
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    rows: list[ContactRow] = []
    refused: list[tuple[int, str]] = []
    seen: dict[PhoneE164, tuple[int, str]] = {}
    too_many = False
    has_tags = False
    for line, raw_cells in enumerate(reader, start=1):
        if line > MAX_CONTACT_ROWS:
            too_many = True
            break
        cells = [cell.strip() for cell in raw_cells]
        if not any(cells):
            continue
        if line == 1 and cells[0].lower() in _HEADER_WORDS:
            has_tags = len(cells) > 2
            continue
        if len(cells) < 2 or not cells[1]:
            refused.append((line, "no name after the number"))
            continue
        try:
            phone = normalize(cells[0])
        except InvalidNumber as exc:
            refused.append((line, f"“{cells[0][:30]}” is not a phone number ({exc.reason})"))
            continue
        name = " ".join(cells[1].split())
        if len(name) > NAME_LIMIT:
            refused.append((line, f"the name is longer than {NAME_LIMIT} characters"))
            continue
        tags = None
        if len(cells) > 2 or has_tags:
            raw = " ".join(cells[2:]).replace("|", " ").replace(",", " ")
            tags = sorted({tag for tag in raw.split() if tag})
        if phone in seen:
            first_line, first_name = seen[phone]
            if first_name != name:
                refused.append((line, f"the number is on line {first_line} too, with another name"))
            continue  # the same number and name again: once is enough
        seen[phone] = (line, name)
        rows.append(ContactRow(line=line, phone=phone, name=name, tags=tags))
    return ContactList(rows=tuple(rows), refused=tuple(refused), too_many=too_many)
