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
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.i18n import _, figure
from bot.sms.numbers import InvalidNumber, PhoneE164, normalize
from bot.sms.templates import key_of

__all__ = ["CampaignFileError", "CampaignFile", "CsvLine", "open_campaign_csv", "PHONE_WORDS", "MAX_LINES", "MAX_COLUMNS", "LINE_LIMIT"]

MAX_LINES = 200_000  # lines of a campaign file that are read; the rest is named, not sent
MAX_COLUMNS = 50
MAX_HEADER = 60  # a column's name becomes a variable: {name} of at most 60 characters
CELL_LIMIT = 1000  # an SMS is at most 612 characters: a longer cell is no variable
LINE_LIMIT = 64 * 1024  # a longer line is refused unread: csv would split it into many cells first
# The phone column's header, in English and Polish (compared in lower case, stripped).
PHONE_WORDS = frozenset({"phone", "phone number", "number", "mobile", "tel", "tel.", "msisdn", "recipient"}) | frozenset(
    {"telefon", "numer", "numer telefonu", "nr telefonu", "nr tel.", "komórka", "telefon komórkowy", "odbiorca"}
)

# Words that make a header the phone column wherever they stand in it ("Mobile phone").
_PHONE_WORDS_IN = frozenset({"phone", "mobile", "tel", "msisdn", "komórka", "komórkowy", "kom"})
_PHONE_STEMS = ("telefon", "phone")
_WORDS = re.compile(r"\w+")
_SEP_LINE = re.compile(r"^sep=(.?)$", re.IGNORECASE)  # Excel's first line naming the delimiter
# Control and private-use characters in a cell are invisible junk in an SMS (and one marks
# the date in a stored text: see bot.bridge.campaign_reading).
_CONTROLS = dict.fromkeys([*range(0, 9), *range(11, 32), *range(0xE000, 0xE100)])


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


def _is_phone_header(cell: str) -> bool:
    """A phone column's header: a known name (``Telefon``), or one with a phone word in it
    (``Mobile phone``, ``Numer telefonu (kom.)``)."""
    lowered = cell.lower()
    if lowered in PHONE_WORDS:
        return True
    return any(word in _PHONE_WORDS_IN or word.startswith(_PHONE_STEMS) for word in _WORDS.findall(lowered))


def _read_header(stream: io.TextIOWrapper, name: str) -> tuple[str, int, str | None]:
    """The header line, how many lines it and those above it took, and the delimiter Excel's
    ``sep=;`` first line names (None when there is none)."""
    first = stream.readline(LINE_LIMIT + 1)
    offset = 1  # lines before the reader's first: the header, and blank lines above it
    named: str | None = None
    while first and (not first.strip() or (named is None and _SEP_LINE.match(first.strip()))):
        found = _SEP_LINE.match(first.strip())
        if found:
            named = found.group(1) or ","
        first = stream.readline(LINE_LIMIT + 1)
        offset += 1
    if not first.strip():
        raise CampaignFileError(_("{name} is empty; share a CSV whose first line names the columns, one of them phone.").format(name=name))
    if len(first) > LINE_LIMIT:
        raise CampaignFileError(
            _("The first line of {name} is too long to be a header; its first line must name the columns.").format(name=name)
        )
    return first, offset, named


def open_campaign_csv(content: bytes, *, name: str) -> CampaignFile:
    """The file's header read and checked; its lines follow as they are iterated.

    Raises :class:`CampaignFileError` for an empty file, one with no phone column, or a
    header that cannot be read."""
    stream = io.TextIOWrapper(io.BytesIO(content), encoding=_encoding(content), errors="replace", newline="")
    first, offset, named = _read_header(stream, name)
    delimiter = named or _delimiter(first)
    try:
        header = [cell.strip() for cell in next(csv.reader([first.rstrip("\r\n")], delimiter=delimiter, strict=True))]
    except (csv.Error, StopIteration):
        raise CampaignFileError(_("The first line of {name} cannot be read; check its quotes.").format(name=name)) from None
    phone_at = next((i for i, cell in enumerate(header) if cell.lower() in PHONE_WORDS), None)
    if phone_at is None:
        phone_at = next((i for i, cell in enumerate(header) if _is_phone_header(cell)), None)
    if phone_at is None:
        raise CampaignFileError(
            _("{name} has no phone column: its first line must name the columns, one of them phone (or telefon).").format(name=name)
        )
    if len(header) > MAX_COLUMNS:
        raise CampaignFileError(
            _("{name} has more than {n} columns; keep the phone and the columns the text uses.").format(name=name, n=MAX_COLUMNS)
        )
    header = [cell[:MAX_HEADER] or f"column_{i + 1}" for i, cell in enumerate(header)]
    seen: set[str] = set()
    for cell in header:
        if key_of(cell) in seen:  # both would be one variable
            raise CampaignFileError(
                _("{name} has two columns named “{column}”; give each column its own name.").format(name=name, column=cell)
            )
        seen.add(key_of(cell))
    return CampaignFile(columns=tuple(header), phone_column=header[phone_at], lines=_lines(stream, header, phone_at, delimiter, offset))


def _physical_lines(stream: io.TextIOWrapper) -> Iterator[str | None]:
    """The file's lines as written (a line break always ends one), each at most
    ``LINE_LIMIT`` characters: a longer one is skipped unread and comes as None."""
    while text := stream.readline(LINE_LIMIT + 1):
        if len(text) > LINE_LIMIT and not text.endswith(("\n", "\r")):
            while (rest := stream.readline(LINE_LIMIT)) and not rest.endswith(("\n", "\r")):
                pass
            yield None
            continue
        yield text.rstrip("\r\n")


def _cells(text: str, delimiter: str) -> list[str] | None:
    """One line's cells; None when a quote opened on it is never closed (a cell may not span
    lines: that is how one stray quote would swallow the rest of the file)."""
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=True), [])
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):  # untranslated: the csv module's own words, matched
            return None
        return next(csv.reader([text], delimiter=delimiter), [])  # "x"y and the like: read as Excel would


def _lines(stream: io.TextIOWrapper, header: list[str], phone_at: int, delimiter: str, offset: int) -> Iterator[CsvLine]:
    read = 0
    for number, text in enumerate(_physical_lines(stream), start=offset + 1):
        if text is None:
            problem = _("the line is longer than {n} characters; it was not read").format(n=figure(LINE_LIMIT))
            yield CsvLine(line=number, phone=None, problem=problem, cells={})
            continue
        if not text.strip():
            continue
        raw = _cells(text, delimiter)
        if raw is None:
            problem = _("a quote opened on line {n} is never closed; close it (a cell may not span lines)").format(n=number)
            yield CsvLine(line=number, phone=None, problem=problem, cells={})
            continue
        cells = [cell.translate(_CONTROLS).strip() for cell in raw]
        if not any(cells):
            continue
        read += 1
        if read > MAX_LINES:
            yield CsvLine(
                line=number,
                phone=None,
                problem=_("the file has more than {n} lines; this one and the rest were not read").format(n=figure(MAX_LINES)),
                cells={},
            )
            return
        values = {column: (cells[i] if i < len(cells) else "")[:CELL_LIMIT] for i, column in enumerate(header)}
        typed = values[header[phone_at]]
        if not typed:
            yield CsvLine(line=number, phone=None, problem=_("no number in the phone column"), cells=values)
            continue
        try:
            phone = normalize(typed)
        except InvalidNumber as exc:
            problem = _("“{number}” is not a phone number ({reason})").format(number=typed[:30], reason=exc.reason)
            yield CsvLine(line=number, phone=None, problem=problem, cells=values)
            continue
        yield CsvLine(line=number, phone=phone, problem=None, cells=values)
