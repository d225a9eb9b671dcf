"""mProfi's rules as the spec (v1.15) states them: limits, documented fields, values.

Written from the vendor's document alone, so the simulator never borrows a rule from
the client it is meant to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

__all__ = [
    "ENDPOINTS",
    "ENTRY_FIELDS_MMS",
    "ENTRY_FIELDS_SMS",
    "HLR_MAX_FILE_BYTES",
    "MMS_FILE_EXTENSIONS",
    "MMS_MAX_CHARS",
    "MMS_MAX_FILE_BYTES",
    "MSISDN",
    "SMS_MAX_CHARS",
    "WARSAW",
    "BodyKind",
    "EndpointRules",
    "KeyPurpose",
    "Text",
    "check_msisdn",
    "check_recipient",
    "file_extension",
    "now",
    "parse_range_date",
    "parse_send_date",
]

WARSAW = ZoneInfo("Europe/Warsaw")

KeyPurpose = Literal["send", "receive", "hlr", "mms"]
BodyKind = Literal["json", "urlencoded", "multipart", "query"]

SMS_MAX_CHARS = 612  # send/: "Treść wiadomości do 612 znaków"
MMS_MAX_CHARS = 918  # sendmms/: "od 0 do 918 znaków"
MMS_MAX_FILE_BYTES = 300_000  # "Maksymalny rozmiar pliku to 300kB": the SI kilobyte
MMS_FILE_EXTENSIONS = frozenset({"txt", "png", "jpg", "jpeg", "gif"})
HLR_MAX_FILE_BYTES = 10_000_000  # hlr/bulk/: "Maksymalny rozmiar pliku: 10MB"

ENTRY_FIELDS_SMS = frozenset({"recipient", "message", "reference", "date", "encoding"})
ENTRY_FIELDS_MMS = frozenset({"recipient", "message", "reference", "encoding"})

_RECIPIENT = re.compile(r"[0-9]{9,22}")
MSISDN = re.compile(r"[0-9]{11,15}")  # international digits without '+', e.g. 48XXXXXXXXX
_ISO_SHAPE = re.compile(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}([T ][0-9:.,]+(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?")
_RANGE_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?: ([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?")


def now() -> datetime:
    """The simulator's clock, in Polish time like mProfi's answers."""
    return datetime.now(WARSAW)


class Text:
    """The Polish texts mProfi answers with (the spec's error tables)."""

    INVALID_TOKEN = "Invalid token."
    WRONG_TOKEN_TYPE = "Nieprawidłowy typ tokenu"
    INACTIVE_TOKEN = "Token jest nieaktywny"
    BAD_RECIPIENT = "Nieprawidłowy odbiorca"
    BAD_MESSAGE = "Nieprawidłowa wiadomość"
    BAD_DATE = "Nieprawidłowa data"
    NO_RECIPIENT = "Brak parametru 'recipient'"
    NO_MESSAGE = "Brak parametru 'message'"
    TOO_LONG = "Wiadomość jest zbyt długa"
    NO_BULK_INPUT = "Nie znaleziono wymaganych parametrów: messages lub default_message i recipients"
    BAD_MESSAGES = "Nie udało się wczytać danych z parametru messages"
    BOTH_BULK_FORMS = "Podaj albo messages, albo default_message i recipients"
    BAD_RECIPIENTS = "Nieprawidłowa lista odbiorców: recipients"
    BAD_FILE_TYPE = "Nieprawidłowy format pliku; dozwolone: txt, png, jpg, jpeg, gif"
    FILE_TOO_BIG = "Plik jest zbyt duży; maksymalny rozmiar to 300kB"
    BAD_JSON = "Nieprawidłowy format JSON"
    BAD_ID = "Nieprawidłowy identyfikator wiadomości"
    BAD_MSISDN = "Nieprawidłowy numer msisdn; wymagany format międzynarodowy 48XXXXXXXXX"
    SURVEY_INACTIVE = "Ankieta jest nieaktywna"
    RANGE_ORDER = "Parametr date_to nie może być wcześniejszy niż date_from"
    NO_FILE = "Brak pliku w parametrze 'file'"
    HLR_FILE_TOO_BIG = "Plik jest zbyt duży; maksymalny rozmiar to 10MB"
    HLR_EMPTY_FILE = "Plik nie zawiera numerów"
    NO_UPLOAD_ID = "Brak parametru 'upload_id'"
    NOT_READY = "Raport nie jest jeszcze gotowy"

    @staticmethod
    def unknown(name: str) -> str:
        return f"Nieznany parametr: '{name}'"

    @staticmethod
    def repeated(name: str) -> str:
        return f"Parametr '{name}' podano więcej niż raz"

    @staticmethod
    def bad_value(name: str) -> str:
        return f"Nieprawidłowa wartość parametru '{name}'"

    @staticmethod
    def bad_content_type(got: str, wanted: str) -> str:
        return f"Nieobsługiwany typ treści: '{got or 'brak'}'; wymagany: {wanted}"

    @staticmethod
    def hlr_line(number: int) -> str:
        return f"Nieprawidłowy plik: wiersz {number} nie jest numerem w formacie 48XXXXXXXXX"


@dataclass(frozen=True)
class EndpointRules:
    """What one endpoint takes: key purpose, body kinds and the documented fields."""

    name: str  # the name faults are queued under
    purpose: KeyPurpose
    bodies: frozenset[BodyKind]
    fields: frozenset[str]
    sends: bool = False  # wrong-type / inactive keys are 400 ERR000 here, 401 elsewhere
    token_header_only: bool = False  # surveys: the spec shows no key; the vendor client sends a header
    files: frozenset[str] = frozenset()  # fields that must be file parts
    repeatable: frozenset[str] = frozenset()  # form fields that may come more than once


def _rules(name: str, purpose: KeyPurpose, bodies: set[BodyKind], fields: set[str], **extra: Any) -> EndpointRules:
    return EndpointRules(name, purpose, frozenset(bodies), frozenset(fields | {"apikey"}), **extra)


ENDPOINTS: dict[str, EndpointRules] = {
    "send": _rules("send", "send", {"json", "urlencoded"}, {"recipient", "message", "reference", "date", "encoding"}, sends=True),
    "sendbulk": _rules("sendbulk", "send", {"json"}, {"messages", "default_message", "recipients"}, sends=True),
    "sendmms": _rules(
        "sendmms",
        "mms",
        {"multipart"},
        {"recipient", "message", "reference", "encoding", "file"},
        sends=True,
        files=frozenset({"file"}),
    ),
    "sendbulkmms": _rules(
        "sendbulkmms",
        "mms",
        {"multipart"},
        {"messages", "default_message", "recipients", "file"},
        sends=True,
        files=frozenset({"file"}),
        repeatable=frozenset({"recipients"}),
    ),
    "status": _rules("status", "send", {"query"}, {"id"}),
    "getincoming": _rules("getincoming", "receive", {"json"}, {"date_from", "date_to"}),
    "getincoming_mobileapp": _rules("getincoming_mobileapp", "receive", {"json"}, {"date_from", "date_to"}),
    "surveys": _rules("surveys", "send", {"query"}, set(), token_header_only=True),
    "surveys/start": _rules("surveys/start", "send", {"json", "urlencoded"}, {"msisdn"}, token_header_only=True),
    "surveys/report": _rules("surveys/report", "send", {"query"}, set(), token_header_only=True),
    "hlr/single": _rules("hlr/single", "hlr", {"json"}, {"msisdn"}),
    "hlr/bulk": _rules("hlr/bulk", "hlr", {"multipart"}, {"file"}, files=frozenset({"file"})),
    "hlr/download": _rules("hlr/download", "hlr", {"multipart"}, {"upload_id"}),
}


def check_recipient(value: Any) -> str | None:
    """9 to 22 ASCII digits, given as a string: no '+', no spaces, no JSON numbers."""
    if isinstance(value, str) and _RECIPIENT.fullmatch(value):
        return value
    return None


def check_msisdn(value: Any) -> str | None:
    """An international number in digits (``48XXXXXXXXX``), as HLR and surveys take it."""
    if isinstance(value, str) and MSISDN.fullmatch(value):
        return value
    return None


def parse_send_date(value: Any) -> tuple[bool, datetime | None]:
    """send's ``date``: ISO 8601 or unix time (an integer or a digit string); (ok, when).

    A naive ISO time is read as Polish time, since mProfi is a Polish service.
    """
    if value is None or value == "":
        return True, None
    if isinstance(value, bool):
        return False, None
    if isinstance(value, int):
        return _from_unix(value)
    if not isinstance(value, str):
        return False, None
    if value.isascii() and value.isdigit():
        return _from_unix(int(value))
    if not _ISO_SHAPE.fullmatch(value):
        return False, None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False, None
    return True, parsed if parsed.tzinfo else parsed.replace(tzinfo=WARSAW)


def _from_unix(seconds: int) -> tuple[bool, datetime | None]:
    if seconds < 0:
        return False, None
    try:
        return True, datetime.fromtimestamp(seconds, tz=UTC).astimezone(WARSAW)
    except (OverflowError, OSError, ValueError):
        return False, None


def parse_range_date(value: Any) -> datetime | None:
    """getincoming's ``date_from``/``date_to``: 'YYYY-MM-DD[ HH:MM[:SS]]' in Polish time."""
    if not isinstance(value, str):
        return None
    match = _RANGE_DATE.fullmatch(value)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=WARSAW)
    except ValueError:
        return None


def file_extension(name: str) -> str:
    """The lower-case extension of an uploaded file's name ('' when it has none)."""
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""
