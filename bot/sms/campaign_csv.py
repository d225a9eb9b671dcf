"""A campaign's CSV, read line by line: a phone column found by its header, and every
other column a variable for the template.

Polish Excel saves ``;`` in Windows-1250, Google Sheets and LibreOffice ``,`` in UTF-8
(sometimes with a byte-order mark). The bytes are decoded as they are read, never into
one string, so a 100,000-line file costs its download and one line at a time. A file
that cannot be a campaign (empty, no phone column, unreadable) is one sentence.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from bot.i18n import _
from bot.sms.numbers import InvalidNumber, PhoneE164, normalize

__all__ = ["CampaignFileError", "CampaignFile", "CsvLine", "open_campaign_csv", "PHONE_WORDS", "MAX_LINES", "MAX_COLUMNS"]

MAX_LINES = 200_000  # lines of a campaign file that are read; the rest is named, not sent
MAX_COLUMNS = 50
MAX_HEADER = 60  # a column's name becomes a variable: {name} of at most 60 characters
CELL_LIMIT = 1000  # an SMS is at most 612 characters: a longer cell is no variable
# The phone column's header, in English and Polish (compared in lower case, stripped).
PHONE_WORDS = frozenset({"phone", "phone number", "number", "mobile", "tel", "tel.", "msisdn", "recipient"}) | frozenset(
    {"telefon", "numer", "numer telefonu", "nr telefonu", "nr tel.", "komórka", "telefon komórkowy", "odbiorca"}
)


class CampaignFileError(ValueError):
    """The file cannot be a campaign; the message says what to fix, in one sentence."""


@dataclass(frozen=True)
class CsvLine:
    line: int  # the file's line number, as a spreadsheet shows it
    phone: PhoneE164 | None
    problem: str | None  # why this line cannot be sent (its number, or the line itself)
    cells: dict[str, str]  # every column by its header as written, the phone's included


@dataclass(frozen=True)
class CampaignFile:
    columns: tuple[str, ...]  # the header as written
    phone_column: str
    lines: Iterator[CsvLine]


def _encoding(content: bytes) -> str:
    """``utf-8-sig`` when every byte reads as UTF-8 (a BOM or not), else ``cp1250``; checked
    piece by piece, so no second copy of the file is made."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(content)
    try:
        for start in range(0, len(view), 65536):
            decoder.decode(view[start : start + 65536])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1250"
    return "utf-8-sig"


def _delimiter(header: str) -> str:
    counts = {";": header.count(";"), ",": header.count(","), "\t": header.count("\t")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ","


def open_campaign_csv(content: bytes, *, name: str) -> CampaignFile:
    """The file's header read and checked; its lines follow as they are iterated.

    Raises :class:`CampaignFileError` for an empty file, one with no phone column, or a
    header that cannot be read."""
    stream = io.TextIOWrapper(io.BytesIO(content), encoding=_encoding(content), errors="replace", newline="")
    first = stream.readline(64 * 1024 + 1)
    offset = 1  # lines before the reader's first: the header, and blank lines above it
    while first and not first.strip():
        first = stream.readline(64 * 1024 + 1)
        offset += 1
    if not first.strip():
        raise CampaignFileError(_("{name} is empty; share a CSV whose first line names the columns, one of them phone.").format(name=name))
    if len(first) > 64 * 1024:
        raise CampaignFileError(
            _("The first line of {name} is too long to be a header; its first line must name the columns.").format(name=name)
        )
    try:
        header = [cell.strip() for cell in next(csv.reader([first], delimiter=_delimiter(first)))]
    except (csv.Error, StopIteration):
        raise CampaignFileError(_("The first line of {name} cannot be read; check its quotes.").format(name=name)) from None
    phone_at = next((i for i, cell in enumerate(header) if cell.lower() in PHONE_WORDS), None)
    if phone_at is None:
        raise CampaignFileError(
            _("{name} has no phone column: its first line must name the columns, one of them phone (or telefon).").format(name=name)
        )
    if len(header) > MAX_COLUMNS:
        raise CampaignFileError(
            _("{name} has more than {n} columns; keep the phone and the columns the text uses.").format(name=name, n=MAX_COLUMNS)
        )
    header = [cell[:MAX_HEADER] or f"column_{i + 1}" for i, cell in enumerate(header)]
    return CampaignFile(
        columns=tuple(header), phone_column=header[phone_at], lines=_lines(stream, header, phone_at, _delimiter(first), offset)
    )


def _lines(stream: io.TextIOWrapper, header: list[str], phone_at: int, delimiter: str, offset: int) -> Iterator[CsvLine]:
    reader = csv.reader(stream, delimiter=delimiter)
    read = 0
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a field past csv's limit, or an unbalanced quote: what follows cannot be told apart
            yield CsvLine(
                line=reader.line_num + offset,
                phone=None,
                problem=_("the file cannot be read from this line on (check its quotes)"),
                cells={},
            )
            return
        line = reader.line_num + offset  # a quoted cell may span lines
        cells = [cell.strip() for cell in raw]
        if not any(cells):
            continue
        read += 1
        if read > MAX_LINES:
            yield CsvLine(
                line=line,
                phone=None,
                problem=_("the file has more than {n} lines; this one and the rest were not read").format(n=f"{MAX_LINES:,}"),
                cells={},
            )
            return
        values = {column: (cells[i] if i < len(cells) else "")[:CELL_LIMIT] for i, column in enumerate(header)}
        typed = values[header[phone_at]]
        if not typed:
            yield CsvLine(line=line, phone=None, problem=_("no number in the phone column"), cells=values)
            continue
        try:
            phone = normalize(typed)
        except InvalidNumber as exc:
            problem = _("“{number}” is not a phone number ({reason})").format(number=typed[:30], reason=exc.reason)
            yield CsvLine(line=line, phone=None, problem=problem, cells=values)
            continue
        yield CsvLine(line=line, phone=phone, problem=None, cells=values)
