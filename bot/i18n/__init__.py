"""The words the bot shows, in Polish or English.

Every sentence a person sees in Slack is written in English in the code, wrapped in
:func:`_` (or :func:`ngettext` when it counts something), and looked up in the
gettext catalog of the language in force. The language is a context variable, so
one process can answer a Polish and an English person at once: the HTTP layer sets
``BOT_LANGUAGE`` for each request and a person's Slack locale for private answers,
the workers set ``BOT_LANGUAGE`` for each job (:func:`use_language`).

The catalogs are ``bot/i18n/locale/<lang>/LC_MESSAGES/messages.po``; the compiled
``.mo`` beside each is committed, so a fresh clone and the wheel need no build step.
``python -m bot.i18n.catalogs`` extracts, merges and compiles them (it needs Babel).
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "N_",
    "_",
    "current_language",
    "language_of_locale",
    "ngettext",
    "figure",
    "pgettext",
    "set_language",
    "translations",
    "use_language",
]

LANGUAGES = ("pl", "en")
"""What ``BOT_LANGUAGE`` may be; the first is the product's default."""

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"

# English is the language the code is written in; a context without a language (a
# unit test calling a function directly) shows the code's own words.
_language: ContextVar[str] = ContextVar("bot_language", default="en")


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``language``; English needs none."""
    if language == "en":
        return _gettext.NullTranslations()
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for language {language!r}; choose one of {', '.join(LANGUAGES)}")
    # fallback=False: a missing Polish catalog is a broken install, not English in disguise.
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=False)


def current_language() -> str:
    return _language.get()


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """Show everything said inside the block in ``language`` (``pl`` or ``en``)."""
    translations(language)  # refuse an unknown language here, not at the first sentence
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def set_language(language: str) -> None:
    """Show everything said from here on, in this context, in ``language``.

    For Bolt's middleware, whose ``next()`` only lets the listeners run after it has
    returned: a ``with`` block would end too soon. The context is the request's own
    (the HTTP layer wraps each request in :func:`use_language`, which restores the
    language after it), so nothing leaks into the next request.
    """
    translations(language)
    _language.set(language)


def language_of_locale(locale: str | None) -> str | None:
    """``pl-PL`` → ``pl``, ``en-GB`` → ``en``; None for a locale we have no words for."""
    if not locale:
        return None
    head = locale.replace("_", "-").split("-", 1)[0].lower()
    return head if head in LANGUAGES else None


def _(message: str) -> str:
    """``message`` in the current language (gettext's usual name, so Babel finds it)."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n`` in the current language: Polish has three (1 wiadomość, 2 wiadomości, 5 wiadomości)."""
    return translations(_language.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` where the same English word needs different Polish words by ``context``."""
    return translations(_language.get()).pgettext(context, message)


def figure(value: int) -> str:
    """A count as the current language writes it: ``1,500`` in English; in Polish
    ``1500`` and ``15 000`` (a space, one that does not break the line, from five digits on)."""
    if _language.get() == "pl":
        return f"{value:,}".replace(",", "\u00a0") if abs(value) >= 10_000 else str(value)
    return f"{value:,}"


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it yet (a module-level
    constant is built once, before any language is chosen); pass it to :func:`_` where
    it is shown."""
    return message
