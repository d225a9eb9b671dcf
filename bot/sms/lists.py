"""Lists of numbers typed or uploaded by people: cleaned up, with the lines that failed.

An HLR upload must hold one ``48XXXXXXXXX`` per line and nothing else; people paste
``+48 600 100 200``, ``600-100-200``, blank lines and headers. This turns what they
have into what mProfi takes and says which lines could not be used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.sms.numbers import InvalidNumber, PhoneE164, normalize

__all__ = ["NumberList", "read_number_lines", "sort_out"]

MAX_LINES = 200_000


@dataclass(frozen=True)
class NumberList:
    numbers: tuple[PhoneE164, ...]
    unusable: tuple[tuple[int, str, str], ...]  # (line number, the line, why)
    duplicates: int


def sort_out(raws: Sequence[str]) -> tuple[tuple[PhoneE164, ...], list[tuple[int, str]], int]:
    """Normalise in the given order: the distinct valid numbers, ``(index, why)`` of the
    refused ones, and how many repeated an earlier number."""
    numbers: list[PhoneE164] = []
    seen: set[PhoneE164] = set()
    refused: list[tuple[int, str]] = []
    duplicates = 0
    for index, raw in enumerate(raws):
        try:
            number = normalize(raw)
        except InvalidNumber as exc:
            refused.append((index, exc.reason))
            continue
        if number in seen:
            duplicates += 1
            continue
        seen.add(number)
        numbers.append(number)
    return tuple(numbers), refused, duplicates


def read_number_lines(text: str) -> NumberList:
    """One number per line (a first column of a CSV is fine); blank lines are skipped."""
    cells: list[tuple[int, str, str]] = []
    for line_no, line in enumerate(text.splitlines()[:MAX_LINES], start=1):
        cell = line.split(";", 1)[0].split(",", 1)[0].strip().strip('"').strip()
        if cell:
            cells.append((line_no, line, cell))
    numbers, refused, duplicates = sort_out([cell for _, _, cell in cells])
    unusable = tuple((cells[i][0], cells[i][1].strip()[:40], why) for i, why in refused)
    return NumberList(numbers=numbers, unusable=unusable, duplicates=duplicates)
