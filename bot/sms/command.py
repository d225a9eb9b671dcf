"""Reading what a person typed after ``/sms`` (when, to whom, and what) and ``/survey``.

``/sms [at 2026-12-01 09:00] <numbers…> <text>``. Numbers are separated by commas or
spaces and may themselves contain spaces (``+48 600 100 200``): digit groups are
joined until they make a valid number. The text is everything after the numbers,
exactly as typed. ``/survey`` reads its numbers the same way. Pure functions: no
Slack, no mProfi, no clock of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.i18n import N_, _
from bot.sms.lists import sort_out
from bot.sms.numbers import InvalidNumber, PhoneE164, display, msisdn, normalize

__all__ = [
    "name_lead",
    "parse_named_command",
    "SmsCommand",
    "CommandError",
    "parse_sms_command",
    "parse_recipients",
    "parse_when",
    "split_numbers",
    "Recipients",
    "describe_refused",
    "SurveyUsage",
    "parse_survey_command",
    "SURVEY_HELP",
]

_NUMBERISH = re.compile(r"^[+(\d][\d+\-().,]*$")
_AT = re.compile(r"^\s*at\s+(?:(\d{4}-\d{1,2}-\d{1,2})|(\d{1,2}\.\d{1,2}\.\d{4}))?\s*(\d{1,2}):(\d{2})(?=\s|$)", re.IGNORECASE)
HELP_WORDS = {"", "help", "pomoc", "?"}
SURVEY_HELP = N_("Use /survey list, /survey show <id>, /survey start <id> <numbers…> or /survey report <id>.")  # _(SURVEY_HELP) where shown


class CommandError(ValueError):
    """What is wrong with the command, as one sentence the person can act on."""


class SurveyUsage(ValueError):
    """What is wrong with a ``/survey`` command, as one sentence."""


@dataclass(frozen=True)
class Recipients:
    valid: tuple[PhoneE164, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()  # (as typed, why)
    duplicates: int = 0


@dataclass(frozen=True)
class SmsCommand:
    recipients: Recipients
    text: str
    send_at: datetime | None = None
    notes: tuple[str, ...] = field(default=())


@dataclass
class _Group:
    raw: str
    start: int
    after_comma: bool


def _valid(raw: str) -> bool:
    try:
        normalize(raw)
    except InvalidNumber:
        return False
    return True


def _groups(tokens: list[tuple[str, int, bool]]) -> list[_Group]:
    """Join digit groups typed with spaces (``600 100 200``) into numbers."""
    groups: list[_Group] = []
    current: _Group | None = None
    for piece, start, after_comma in tokens:
        digits = sum(ch.isdigit() for ch in piece)
        if current is not None and (after_comma or _valid(current.raw) or digits >= 7):
            groups.append(current)
            current = None
        if current is None:
            current = _Group(raw=piece, start=start, after_comma=after_comma)
        else:
            current.raw += " " + piece
    if current is not None:
        groups.append(current)
    return groups


def _split(text: str, *, text_follows: bool = True) -> tuple[list[_Group], int]:
    """Number groups at the start of ``text`` and where the message text begins."""
    tokens: list[tuple[str, int, bool]] = []
    end = len(text)
    comma_before = False
    for match in re.finditer(r"\S+", text):
        word = match.group()
        if not _NUMBERISH.match(word):
            end = match.start()
            break
        offset = match.start()
        for index, piece in enumerate(word.split(",")):
            if piece:
                tokens.append((piece, offset, comma_before or index > 0))
                comma_before = False
            offset += len(piece) + 1
        comma_before = word.endswith(",")
    groups = _groups(tokens)
    # "/sms 600100200 10 minutes late": a short figure after a good number starts the
    # text; a longer one (7+ digits) is a mistyped number and is reported as such.
    while (
        text_follows
        and len(groups) > 1
        and not groups[-1].after_comma
        and sum(ch.isdigit() for ch in groups[-1].raw) < 7
        and not _valid(groups[-1].raw)
        and _valid(groups[-2].raw)
    ):
        end = groups.pop().start
    return groups, end


def split_numbers(text: str) -> tuple[list[str], str]:
    """The numbers in a field that should hold only numbers, and anything left over."""
    groups, end = _split(text, text_follows=False)
    return [g.raw for g in groups], text[end:].strip()


def parse_recipients(raw_numbers: list[str]) -> Recipients:
    """Normalise, de-duplicate and sort out refused numbers, keeping the typed order."""
    valid, refused, duplicates = sort_out(raw_numbers)
    return Recipients(valid=valid, refused=tuple((raw_numbers[i], why) for i, why in refused), duplicates=duplicates)


def parse_when(day: str | None, hour: int, minute: int, *, now: datetime, tz: ZoneInfo) -> datetime:
    """A send time typed by a person in their zone; it must lie in the future."""
    try:
        if day is None:
            when_day = now.astimezone(tz).date()
        elif "." in day:
            d, m, y = (int(x) for x in day.split("."))
            when_day = date(y, m, d)
        else:
            y, m, d = (int(x) for x in day.split("-"))
            when_day = date(y, m, d)
        when = datetime.combine(when_day, time(hour, minute), tzinfo=tz)
    except ValueError:
        raise CommandError(_("That send time is not a real date and time; write it as at 2026-12-01 09:00.")) from None
    if when <= now:
        shown = when.strftime("%Y-%m-%d %H:%M")
        raise CommandError(_("{time} ({zone}) has already passed; give a time in the future.").format(time=shown, zone=tz.key))
    return when


def parse_sms_command(text: str, *, now: datetime, tz: ZoneInfo) -> SmsCommand | None:
    """The command's parts, or None when the person asked for the form (no arguments, ``help``)."""
    if text.strip().lower() in HELP_WORDS:
        return None
    send_at = None
    rest = text
    at = _AT.match(text)
    if at:
        send_at = parse_when(at.group(1) or at.group(2), int(at.group(3)), int(at.group(4)), now=now, tz=tz)
        rest = text[at.end() :]
    elif re.match(r"^\s*at\s", text, re.IGNORECASE):
        raise CommandError(_("Write the send time as at 2026-12-01 09:00 (or at 09:00 for today), then the numbers and the text."))
    groups, end = _split(rest)
    message = rest[end:].strip()
    if not groups:
        raise CommandError(_("Start with the number to text, then the message: /sms 600100200 Your parcel is on its way."))
    if not message:
        raise CommandError(_("Add the message after the number(s): /sms 600100200 Your parcel is on its way."))
    recipients = parse_recipients([g.raw for g in groups])
    if not recipients.valid:
        raw, reason = recipients.refused[0]
        raise CommandError(_("{number} is not a number that can be texted: {reason}.").format(number=raw, reason=reason))
    return SmsCommand(recipients=recipients, text=message, send_at=send_at)


def name_lead(text: str, *, max_words: int = 5) -> tuple[int, list[tuple[str, int]]]:
    """A ``/sms`` that starts with a name instead of a number: where the recipient begins
    (after ``at …``), and the leading runs of 1 to ``max_words`` words, each with the
    offset where it ends. Empty when the recipient is written as a number (or there is
    no recipient at all): names are for the bridge's contacts to resolve."""
    if text.strip().lower() in HELP_WORDS:
        return 0, []
    at = _AT.match(text)
    start = at.end() if at else 0
    words = list(re.finditer(r"\S+", text[start:]))
    first = words[0].group() if words else ""
    if not words or first.lower() == "at" or _NUMBERISH.match(first) or any(ch.isdigit() for ch in first):
        return start, []  # a number (or a mistyped one): the usual parsing answers
    runs = []
    for count in range(1, min(max_words, len(words)) + 1):  # all of it too: a name with the message forgotten
        last = words[count - 1]
        runs.append((text[start + words[0].start() : start + last.end()], start + last.end()))
    return start + words[0].start(), runs


def parse_named_command(text: str, *, end: int, phone: PhoneE164, now: datetime, tz: ZoneInfo) -> SmsCommand:
    """A ``/sms`` whose recipient was a contact's name ending at ``end``: everything after
    it is the message, numbers in it included (a name is one recipient, never a list)."""
    at = _AT.match(text)
    send_at = parse_when(at.group(1) or at.group(2), int(at.group(3)), int(at.group(4)), now=now, tz=tz) if at else None
    message = text[end:].strip()
    if not message:
        raise CommandError(_("Add the message after the name: /sms Anna Kowalska Your parcel is on its way."))
    return SmsCommand(recipients=Recipients(valid=(phone,)), text=message, send_at=send_at)


def parse_survey_command(text: str) -> tuple[str, int | None, tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(action, survey id, numbers as 48XXXXXXXXX, refused numbers) from ``/survey`` text."""
    words = text.split()
    if not words or words[0].lower() in HELP_WORDS:
        raise SurveyUsage(_(SURVEY_HELP))
    action = words[0].lower()
    if action not in ("list", "show", "start", "report"):
        raise SurveyUsage(_("“{word}” is not something /survey does. {help}").format(word=words[0], help=_(SURVEY_HELP)))
    if action == "list":
        return action, None, (), ()
    if len(words) < 2 or not words[1].isdigit():
        raise SurveyUsage(
            _("/survey {action} needs the survey's number, for example /survey {action} 3 (see /survey list).").format(action=action)
        )
    survey_id = int(words[1])
    if action != "start":
        return action, survey_id, (), ()
    raw, leftover = split_numbers(" ".join(words[2:]))
    if leftover:
        raise SurveyUsage(
            _("“{text}” is not a phone number; /survey start {id} takes only numbers.").format(text=leftover[:40], id=survey_id)
        )
    if not raw:
        raise SurveyUsage(_("Give the number(s) to invite: /survey start {id} 600100200 600100201.").format(id=survey_id))
    recipients = parse_recipients(raw)
    if not recipients.valid:
        first, reason = recipients.refused[0]
        raise SurveyUsage(_("{number} is not a number that can take a survey: {reason}.").format(number=first, reason=reason))
    return action, survey_id, tuple(msisdn(n) for n in recipients.valid), recipients.refused


def describe_refused(refused: tuple[tuple[str, str], ...] | list[list[str]], limit: int = 10) -> str:
    """``600 100 20 (too few digits); abc (letters)`` — the first few, then a count."""
    shown = "; ".join(f"{raw} ({reason})" for raw, reason in list(refused)[:limit])
    extra = len(refused) - limit
    return _("{items}; and {n} more").format(items=shown, n=extra) if extra > 0 else shown


def display_all(numbers: tuple[PhoneE164, ...], limit: int = 5) -> str:
    shown = ", ".join(display(n) for n in numbers[:limit])
    return _("{numbers} and {n} more").format(numbers=shown, n=len(numbers) - limit) if len(numbers) > limit else shown
