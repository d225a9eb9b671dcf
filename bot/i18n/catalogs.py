"""Keep the catalogs in step with the code: ``python -m bot.i18n.catalogs [update|check]``.

``update`` extracts every :func:`bot.i18n._`/``ngettext``/``N_`` string from ``bot/``
(the sandbox stands in for Slack and mProfi, so it is not ours to translate), merges
them into each language's ``.po`` (new ones untranslated, vanished ones dropped) and
compiles the ``.mo`` beside it. ``check`` changes nothing and lists what is wrong; the
test suite runs it, so a sentence without a translation fails the build. Needs Babel,
which the ``test`` extra installs; the running bot reads only the ``.mo`` files.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

__all__ = ["check", "extract", "update"]

SOURCE_DIR = Path(__file__).resolve().parents[1]  # bot/
SKIPPED = ("sandbox",)
_FIELD = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")

MsgId = str | tuple[str, str]


def extract(source: Path = SOURCE_DIR) -> Catalog:
    """Every translatable string in ``source``, with where it is used."""
    catalog = Catalog(domain=DOMAIN, project="mprofi-slack", charset="utf-8")
    method_map = [(f"{skipped}/**.py", "ignore") for skipped in SKIPPED] + [("**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(source), method_map=method_map, keywords=DEFAULT_KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
    ):
        catalog.add(message, None, [(f"bot/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def _po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(language: str) -> Catalog:
    path = _po_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN, project="mprofi-slack", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _compiled(mo: bytes) -> dict[Any, Any]:
    """What a ``.mo`` says, message by message: its bytes also name the Babel that wrote
    them, and a newer Babel must not make an unchanged catalog look stale."""

    def frozen(value: Any) -> Any:
        return tuple(value) if isinstance(value, list | tuple) else value

    return {(message.context, frozen(message.id)): frozen(message.string) for message in read_mo(io.BytesIO(mo)) if message.id}


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=False, include_previous=False)
    return buffer.getvalue()


def _fields(text: str) -> set[str]:
    return {match.group(1).split("!")[0].split(":")[0] for match in _FIELD.finditer(text)}


def _message_problems(message: Message) -> Iterable[str]:
    shown = message.id if isinstance(message.id, str) else message.id[0]
    raw = message.string
    strings: tuple[str, ...] = tuple(str(s or "") for s in raw) if isinstance(raw, tuple | list) else (str(raw or ""),)
    if message.fuzzy or not all(strings):
        yield f"not translated: {shown!r}"
        return
    ids: tuple[str, ...] = (message.id,) if isinstance(message.id, str) else tuple(message.id)
    wanted = set().union(*(_fields(one) for one in ids))
    for string in strings:
        if _fields(string) - wanted:
            yield f"the translation of {shown!r} uses a placeholder the English does not give: {sorted(_fields(string) - wanted)}"
        if isinstance(message.id, str) and _fields(string) != wanted:
            yield f"the translation of {shown!r} drops a placeholder: {sorted(wanted - _fields(string))}"


def check(source: Path = SOURCE_DIR) -> list[str]:
    """What is wrong with the catalogs, one sentence each; empty when all is well."""
    found = extract(source)
    problems: list[str] = []
    for language in LANGUAGES:
        if language == "en":
            continue
        catalog = _read(language)
        wanted = {message.id for message in found if message.id}
        held = {message.id for message in catalog if message.id}
        problems += [f"{language}: missing from the catalog: {msgid!r}" for msgid in sorted(wanted - held, key=str)]
        problems += [f"{language}: in the catalog but no longer in the code: {msgid!r}" for msgid in sorted(held - wanted, key=str)]
        for message in catalog:
            if message.id and message.id in wanted:
                problems += [f"{language}: {problem}" for problem in _message_problems(message)]
        mo = _po_path(language).with_suffix(".mo")
        if not mo.exists() or _compiled(mo.read_bytes()) != _compiled(_mo_bytes(catalog)):
            problems.append(f"{language}: {mo.name} is not compiled from the current .po (run: python -m bot.i18n.catalogs update)")
    return problems


def _settle_header(catalog: Catalog, created: object, revised: object) -> None:
    """A header that says what the file is, and that does not change when nothing else did
    (a fuzzy header would also leave the plural rule out of the ``.mo``)."""
    catalog.fuzzy = False
    catalog.project, catalog.version = "mprofi-slack", "1"
    catalog.copyright_holder = "the mprofi-slack authors"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "the mprofi-slack authors"
    catalog.language_team = f"{catalog.locale_identifier} (mprofi-slack)"
    catalog.header_comment = (
        f"# {catalog.locale_identifier} words of mprofi-slack.\n"
        "# Written by hand; `python -m bot.i18n.catalogs update` adds new sentences and compiles the .mo.\n"
    )
    catalog.creation_date = created  # type: ignore[assignment]  # kept from the file: an update is not a new catalog
    catalog.revision_date = revised if isinstance(revised, datetime) else created  # type: ignore[assignment]  # a new file has none yet


def update(source: Path = SOURCE_DIR) -> None:
    """Merge the code's strings into each catalog and compile it."""
    template = extract(source)
    for language in LANGUAGES:
        if language == "en":
            continue
        catalog = _read(language)
        created, revised = catalog.creation_date, catalog.revision_date
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _settle_header(catalog, created, revised)
        path = _po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_po_bytes(catalog))
        path.with_suffix(".mo").write_bytes(_mo_bytes(catalog))


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    problems = check()
    for problem in problems:
        print(problem)
    return 1 if problems and command == "check" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
