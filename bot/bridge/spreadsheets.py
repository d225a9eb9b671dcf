"""CSV files people open in Excel: ``;``-separated, UTF-8 with a BOM (Polish letters
survive), and cells that would start a formula kept as words."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

__all__ = ["csv_file", "inert"]


def inert(cell: object) -> str:
    """A cell a spreadsheet will not run: one starting like a formula gets a ``'``.

    Texts and names come from customers and colleagues; ``=HYPERLINK(…)`` must stay words."""
    text = "" if cell is None else str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    """``+48600100200`` is a phone number, not a formula: it stays as it is."""
    return text[:1] == "+" and text[1:].isdigit()


def csv_file(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    for row in rows:
        writer.writerow([inert(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
