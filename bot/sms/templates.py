"""Template text with ``{variables}``: which ones it uses, and the text once they are filled.

Pure functions, shared by canned replies (``/sms templates``) and campaigns from a
spreadsheet. A variable is written ``{name}``; its name is compared without case,
accents, spaces or hyphens, so ``{Imię}``, ``{imie}`` and a CSV column ``IMIĘ`` are one
variable. ``{{`` and ``}}`` stand for literal braces. A variable with no value (absent
or blank) is *missing*: it is named to the person before anything is sent and never
goes to a phone as ``{name}``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "BUILT_IN",
    "NAME_PATTERN",
    "Rendered",
    "TemplateSyntaxError",
    "key_of",
    "render",
    "variables",
    "first_name",
    "valid_template_name",
    "template_reference",
]

# The variables the bridge fills itself; any other one comes from a CSV column.
BUILT_IN = ("name", "first_name", "agent", "date")
# Polish spellings people will type for the built-in ones (keys as key_of() makes them).
_ALIASES = {
    "imie": "first_name",
    "imie_i_nazwisko": "name",
    "nazwa": "name",
    "nazwisko_i_imie": "name",
    "firstname": "first_name",
    "konsultant": "agent",
    "data": "date",
}
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]{1,60})\}|[{}]")
# A template's name as typed after # (``/sms 600100200 #dostawa``): letters, digits, - and _.
NAME_PATTERN = re.compile(r"^[^\W_][\w-]{0,39}$")
# ``#dostawa`` as typed, or as Slack escapes a word that names a channel: ``<#C0123|dostawa>``.
_REFERENCE = re.compile(r"^(?:#([^\W_][\w-]{0,39})|<#[A-Z0-9]+\|([^\W_][\w-]{0,39})>)$")


class TemplateSyntaxError(ValueError):
    """A brace that opens no variable (``{`` alone, ``{}``): said plainly, with where."""


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: tuple[str, ...]  # variables with no value, as written in the template, in order

    @property
    def complete(self) -> bool:
        return not self.missing


def key_of(name: str) -> str:
    """The comparable form of a variable or column name: ``Imię ``, ``IMIE``, ``imię`` → ``first_name``."""
    decomposed = unicodedata.normalize("NFKD", name.strip().casefold().replace("ł", "l"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    key = re.sub(r"[\s\-]+", "_", plain)
    return _ALIASES.get(key, key)


def _tokens(template: str) -> Iterable[tuple[str, str | None]]:
    """(literal text, None) and (as written, variable) pieces, in order."""
    position = 0
    for match in _TOKEN.finditer(template):
        if match.start() > position:
            yield template[position : match.start()], None
        piece = match.group()
        if piece in ("{{", "}}"):
            yield piece[0], None
        elif match.group(1) is not None and match.group(1).strip():
            yield piece, match.group(1).strip()
        else:
            raise TemplateSyntaxError(
                f"brace at character {match.start() + 1}"  # untranslated: the caller words it for people
            )
        position = match.end()
    if position < len(template):
        yield template[position:], None


def variables(template: str) -> tuple[str, ...]:
    """The variables a template uses, each once, as first written."""
    seen: dict[str, str] = {}
    for _piece, name in _tokens(template):
        if name is not None:
            seen.setdefault(key_of(name), name)
    return tuple(seen.values())


def render(template: str, values: Mapping[str, str | None]) -> Rendered:
    """The template with every variable that has a value filled in.

    ``values`` is keyed by any spelling (it is compared through :func:`key_of`). A
    missing variable stays written as ``{name}`` in ``text`` so a preview shows where
    it is; callers must not send a render whose ``missing`` is not empty."""
    known = {key_of(k): v for k, v in values.items() if v is not None and str(v).strip()}
    out: list[str] = []
    missing: dict[str, str] = {}
    for piece, name in _tokens(template):
        if name is None:
            out.append(piece)
            continue
        value = known.get(key_of(name))
        if value is None:
            missing.setdefault(key_of(name), name)
            out.append(piece)
        else:
            out.append(str(value).strip())
    return Rendered(text="".join(out), missing=tuple(missing.values()))


def first_name(full_name: str | None) -> str | None:
    """The first word of a contact's name (``Anna`` of ``Anna Kowalska``), or None."""
    words = (full_name or "").split()
    return words[0] if words else None


def valid_template_name(name: str) -> bool:
    return bool(NAME_PATTERN.match(name))


def template_reference(text: str) -> str | None:
    """The template a /sms means when its whole message is one ``#name`` (``dostawa``), else None."""
    match = _REFERENCE.match(text.strip())
    return (match.group(1) or match.group(2)) if match else None
