"""Value rules of the mProfi spec v1.15: numbers, texts, dates and their limits.

Each check answers what is wrong with one value (None when it is right). The limits
are quoted from /work/shared/spec/mprofi-api-v1.15-pl.txt; spec_schema.py puts them
into the per-endpoint tables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Check = Callable[[Any], str | None]  # what is wrong with one value, or None

SMS_MAX = 612  # send/: "Treść wiadomości do 612 znaków"
MMS_MAX = 918  # sendmms/: "od 0 do 918 znaków"
MMS_FILE_MAX = 300_000  # "Maksymalny rozmiar pliku to 300kB" (the spec's unit: 1 kB = 1000 B)
MMS_EXTENSIONS = frozenset({"txt", "png", "jpg", "jpeg", "gif"})
HLR_FILE_MAX = 10_000_000  # "Maksymalny rozmiar pliku: 10MB"


# ---- value checks --------------------------------------------------------------------


def text(min_len: int, max_len: int | None = None) -> Check:
    """A string of ``min_len`` to ``max_len`` characters (the spec counts "znaków")."""

    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"must be a string, not {type(value).__name__}"
        if len(value) < min_len:
            return f"must have at least {min_len} character(s)"
        if max_len is not None and len(value) > max_len:
            return f"has {len(value)} characters, more than {max_len}"
        return None

    return check


def digits(min_len: int, max_len: int) -> Check:
    """A number as a string of digits only: no '+', no spaces, not a JSON number."""

    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"must be a string of digits, not {type(value).__name__}"
        if not (value.isascii() and value.isdigit()):
            return f"{value!r} must hold digits only"
        if not min_len <= len(value) <= max_len:
            return f"{value!r} must have {min_len} to {max_len} digits"
        return None

    return check


RECIPIENT = digits(9, 22)  # "od 9 do 22 cyfr"
MSISDN = digits(11, 15)  # "w formacie międzynarodowym 48XXXXXXXXX" (E.164 has at most 15)
NON_EMPTY = text(1)
ANY_TEXT = text(0)

_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?")
_INCOMING_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def iso_or_unixtime(value: Any) -> str | None:
    """``date``: "w formacie ISO 8601 bądź unixtime"."""
    if isinstance(value, bool):
        return "must be ISO 8601 or unixtime, not a boolean"
    if isinstance(value, (int, float)):
        return None if value >= 0 else "unixtime cannot be negative"
    if not isinstance(value, str):
        return f"must be ISO 8601 or unixtime, not {type(value).__name__}"
    if value.isascii() and value.isdigit():
        return None
    if _ISO_8601.fullmatch(value):
        try:
            datetime.fromisoformat(value)
            return None
        except ValueError:
            pass
    return f"{value!r} is neither ISO 8601 nor unixtime"


def incoming_date(value: Any) -> str | None:
    """getincoming's 'RRRR-MM-DD GG:MM:SS' | 'RRRR-MM-DD GG:MM' | 'RRRR-MM-DD'."""
    if parse_incoming(value) is None:
        return f"{value!r} is not 'YYYY-MM-DD HH:MM:SS', 'YYYY-MM-DD HH:MM' nor 'YYYY-MM-DD'"
    return None


def parse_incoming(value: Any) -> datetime | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?", value):
        return None
    for fmt in _INCOMING_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def entries(allowed: Mapping[str, Param]) -> Check:
    """A ``messages`` array: objects with only the keys the spec lists."""

    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not value:
            return "must be a non-empty array of message objects"
        problems: list[str] = []
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                problems.append(f"[{index}] is not an object")
                continue
            problems += [f"[{index}].{p}" for p in check_params(entry, allowed)]
        return "; ".join(problems) or None

    return check


def json_text(inner: Check) -> Check:
    """sendbulkmms' ``messages`` in multipart: the spec does not say how an array of
    objects travels in a form; the one workable reading is a single JSON-encoded field."""

    def check(value: Any) -> str | None:
        try:
            decoded = json.loads(value) if isinstance(value, str) else None
        except ValueError:
            decoded = None
        if decoded is None:
            return "must be a JSON-encoded array in one form field"
        return inner(decoded)

    return check


def list_of(item: Check) -> Check:
    """A non-empty JSON array whose every item passes ``item`` (sendbulk's recipients)."""

    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not value:
            return "must be a non-empty array"
        problems = [f"[{i}] {p}" for i, v in enumerate(value) if (p := item(v))]
        return "; ".join(problems) or None

    return check


@dataclass(frozen=True)
class Param:
    """One row of a parameter table: its check and the "WYMAGANY" column."""

    check: Check
    required: bool = False


def check_params(values: Mapping[str, Any], params: Mapping[str, Param]) -> list[str]:
    """Unknown fields, missing required ones and bad values of one object."""
    problems = [f"unknown field {name!r}" for name in values if name not in params]
    for name, param in params.items():
        if name not in values:
            if param.required:
                problems.append(f"required field {name!r} is missing")
            continue
        if (problem := param.check(values[name])) is not None:
            problems.append(f"{name} {problem}")
    return problems
