"""Lists of numbers typed or uploaded by people: cleaned up, with the lines that failed.

An HLR upload must hold one ``48XXXXXXXXX`` per line and nothing else; people paste
``+48 600 100 200``, ``600-100-200``, blank lines and headers. This turns what they
have into what mProfi takes and says which lines could not be used.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.sms.numbers import InvalidNumber, PhoneE164, normalize

__all__ = ["NumberList", "read_number_lines"]

MAX_LINES = 200_000


@dataclass(frozen=True)
class NumberList:
    numbers: tuple[PhoneE164, ...]
    unusable: tuple[tuple[int, str, str], ...]  # (line number, the line, why)
    duplicates: int


def read_number_lines(text: str) -> NumberList:
    """One number per line (a first column of a CSV is fine); blank lines are skipped."""
    numbers: list[PhoneE164] = []
    seen: set[PhoneE164] = set()
    unusable: list[tuple[int, str, str]] = []
    duplicates = 0
    for line_no, line in enumerate(text.splitlines()[:MAX_LINES], start=1):
        cell = line.split(";", 1)[0].split(",", 1)[0].strip().strip('"').strip()
        if not cell:
            continue
        try:
            number = normalize(cell)
        except InvalidNumber as exc:
            unusable.append((line_no, line.strip()[:40], exc.reason))
            continue
        if number in seen:
            duplicates += 1
            continue
        seen.add(number)
        numbers.append(number)
    return NumberList(numbers=tuple(numbers), unusable=tuple(unusable), duplicates=duplicates)
