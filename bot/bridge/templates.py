"""Templates (canned replies): kept, checked, and filled in for one number and one sender.

``/sms templates`` adds, changes and removes them; the card's *Reply with template*,
``/sms 600100200 #name`` and the ``/sms`` form fill one in. The variables the bridge
knows are the contact's ``{name}`` and ``{first_name}``, the sender's ``{agent}`` (their
Slack display name) and ``{date}`` (today in ``DEFAULT_TIMEZONE``, written as the bot's
language writes dates); any other variable has no value here (a campaign's CSV brings
its columns). A variable with no value is named to the person and never sent as
``{name}``.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.bridge import policy
from bot.bridge.context import Context
from bot.i18n import _, ngettext
from bot.sms.numbers import PhoneE164, display
from bot.sms.templates import (
    Rendered,
    TemplateSyntaxError,
    first_name,
    render,
    template_reference,
    valid_template_name,
    variables,
)
from bot.sms.text import SMS_MAX_CHARS, analyze, needs_utf8
from storage import contacts
from storage import templates as store
from storage.models import Conversation, utcnow

__all__ = [
    "SavedTemplate",
    "Filled",
    "ConversationTarget",
    "Templates",
    "check_template",
    "date_value",
    "list_names",
    "missing_sentence",
    "settle",
]

logger = logging.getLogger(__name__)

NAME_MAX = 40


@dataclass(frozen=True)
class SavedTemplate:
    id: int
    name: str
    text: str


@dataclass(frozen=True)
class Filled:
    """A text filled in per number: each number's text, and the variables with no value (and for whom)."""

    texts: dict[PhoneE164, str]
    lacking: dict[str, list[PhoneE164]]


@dataclass(frozen=True)
class ConversationTarget:
    """Where a reply from the card goes: the number, its contact's name, the conversation's channel."""

    phone: PhoneE164
    name: str | None
    channel_id: str


def date_value(moment: datetime, language: str) -> str:
    """``{date}``: 01.12.2026 in Polish, 2026-12-01 in English."""
    return moment.strftime("%d.%m.%Y") if language.startswith("pl") else moment.strftime("%Y-%m-%d")


def list_names(names: Collection[str]) -> str:
    """``{name}, {date}``: the variables as the person wrote them, braces included."""
    return ", ".join("{" + name + "}" for name in names)


def check_template(name: str, text: str) -> dict[str, str]:
    """What is wrong with a template's name and text, by field (``name``, ``text``); {} when nothing."""
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the template a name.")
    elif len(name) > NAME_MAX or not valid_template_name(name):
        errors["name"] = _(
            "Use one word of letters and digits (- and _ allowed inside), at most {n} characters: dostawa-jutro, for example."
        ).format(n=NAME_MAX)
    elif not store.name_fits(name):  # ß is compared as ss, ﬃ as ffi: the compared form is longer
        errors["name"] = _("This name is too long once letters such as ß are written out; shorten it.")
    if not text.strip():
        errors["text"] = _("Write the text of the template.")
        return errors
    try:
        variables(text)
    except TemplateSyntaxError as exc:
        at = str(exc).rsplit(" ", 1)[-1]
        errors["text"] = _(
            "The brace at character {at} opens no variable: write a variable as {{first_name}}, or a brace itself as {{{{ or }}}}."
        ).format(at=at)
        return errors
    chars = analyze(text, utf8=needs_utf8(text)).chars
    if chars > SMS_MAX_CHARS:
        errors["text"] = ngettext(
            "The text is {count} character long, over the limit of {limit}; shorten it.",
            "The text is {count} characters long, over the limit of {limit}; shorten it.",
            chars,
        ).format(count=chars, limit=SMS_MAX_CHARS)
    return errors


class Templates:
    """The bridge's template operations (``bridge.templates``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def all(self) -> list[SavedTemplate]:
        async with self.ctx.sessions() as session:
            return [SavedTemplate(t.id, t.name, t.text) for t in await store.all_templates(session)]

    @staticmethod
    def matching(found: list[SavedTemplate], query: str) -> list[SavedTemplate]:
        """The templates whose name or text has ``query`` in it (no case, no Polish letters); all for an empty query."""
        wanted = store.name_key(query)
        return [t for t in found if wanted in store.name_key(t.name) or wanted in store.name_key(t.text)] if wanted else found

    async def get(self, template_id: int) -> SavedTemplate | None:
        async with self.ctx.sessions() as session:
            found = await store.template_by_id(session, template_id)
            return SavedTemplate(found.id, found.name, found.text) if found else None

    async def by_name(self, name: str) -> SavedTemplate | None:
        async with self.ctx.sessions() as session:
            found = await store.template_by_name(session, name)
            return SavedTemplate(found.id, found.name, found.text) if found else None

    async def save(self, *, template_id: int | None, name: str, text: str, user_id: str) -> dict[str, str]:
        """Add (``template_id`` None) or change a template; the errors by field, {} once it is saved."""
        errors = check_template(name, text)
        if errors:
            return errors
        try:
            async with self.ctx.sessions() as session, session.begin():
                if template_id is None:
                    await store.add_template(session, name=name, text=text, by=user_id)
                elif await store.change_template(session, template_id, name=name, text=text, by=user_id) is None:
                    return {"name": _("Someone removed this template meanwhile; close the form and add it again.")}
        except store.NameTaken:
            return {"name": _("A template called “{name}” already exists; pick another name or edit that one.").format(name=name)}
        logger.info("template %s %s by %s", name, "added" if template_id is None else "changed", user_id)
        return {}

    async def remove(self, template_id: int, *, user_id: str) -> str | None:
        """Remove a template; its name, or None when it was already gone."""
        async with self.ctx.sessions() as session, session.begin():
            name = await store.remove_template(session, template_id)
        if name is not None:
            logger.info("template %s removed by %s", name, user_id)
        return name

    async def conversation(self, conversation_id: int) -> ConversationTarget | None:
        async with self.ctx.sessions() as session:
            found = await session.get(Conversation, conversation_id)
            if found is None:
                return None
            contact = await contacts.contact_of(session, found.phone)
            return ConversationTarget(PhoneE164(found.phone), contact.name if contact else None, found.channel_id)

    async def sender_values(self, user_id: str) -> dict[str, str | None]:
        """``{agent}`` and ``{date}``: the same for every number of one sending."""
        today = utcnow().astimezone(self.ctx.config.zone)
        return {"agent": await self.ctx.directory.user_name(user_id), "date": date_value(today, self.ctx.config.language)}

    async def values_for(self, phones: Collection[PhoneE164], *, user_id: str) -> dict[PhoneE164, dict[str, str | None]]:
        """Every built-in variable for each number: its contact's name, the sender's, today's date."""
        async with self.ctx.sessions() as session:
            names = await contacts.names_of(session, list(phones))
        shared = await self.sender_values(user_id)
        return {p: {**shared, "name": names.get(p), "first_name": first_name(names.get(p))} for p in phones}

    async def render_for(self, text: str, phone: PhoneE164, *, user_id: str) -> Rendered:
        """``text`` filled in for one number (``TemplateSyntaxError`` for a stray brace)."""
        values = await self.values_for([phone], user_id=user_id)
        return render(text, values[phone])

    async def fill_each(self, text: str, phones: Collection[PhoneE164], *, user_id: str) -> Filled:
        """``text`` filled in for each number that will be sent to (``TemplateSyntaxError``
        for a stray brace): an opted-out number gets nothing, so it needs no values."""
        async with self.ctx.sessions() as session:
            opted = await policy.opted_out_among(session, list(phones))
        phones = [p for p in phones if p not in opted]
        values = await self.values_for(phones, user_id=user_id)
        filled = Filled(texts={}, lacking={})
        for phone in phones:
            rendered = render(text, values[phone])
            for variable in rendered.missing:
                filled.lacking.setdefault(variable, []).append(phone)
            filled.texts[phone] = rendered.text
        return filled

    async def fill_text(
        self, text: str, phones: Collection[PhoneE164], *, user_id: str
    ) -> tuple[str, dict[PhoneE164, str] | None, str | None]:
        """A typed text (the /sms form's or command's) with its variables filled in, once: (the
        text, each number's own when they differ, the sentence naming who lacks a value).
        ``{{`` and ``}}`` become single braces even with no variable; a text whose braces
        open no variable is sent as it is."""
        try:
            if not variables(text):
                return render(text, {}).text, None, None
            if not phones:
                return text, None, None
            filled = await self.fill_each(text, phones, user_id=user_id)
        except TemplateSyntaxError:
            return text, None, None
        if filled.lacking:
            return text, None, missing_sentence(filled.lacking, count=len(filled.texts))
        return (*settle(text, filled.texts), None)

    async def resolve(self, text: str) -> SavedTemplate | str | None:
        """A message that is one ``#name`` (typed in a form's text field): the template, or
        the sentence saying there is none; None for any other text."""
        wanted = template_reference(text)
        if wanted is None:
            return None
        return await self.by_name(wanted) or await self._unknown(wanted)

    async def fill(self, name: str, phones: Collection[PhoneE164], *, user_id: str) -> tuple[SavedTemplate, dict[PhoneE164, str]] | str:
        """``#name`` of ``/sms``: the template and its text for each number, or the one sentence
        saying why not (an unknown name with the close ones, a variable with no value, too long)."""
        template = await self.by_name(name)
        if template is None:
            return await self._unknown(name)
        try:
            filled = await self.fill_each(template.text, phones, user_id=user_id)
        except TemplateSyntaxError:
            return _("The template “{name}” has a stray brace; fix it in /sms templates.").format(name=template.name)
        if filled.lacking:
            return missing_sentence(filled.lacking, count=len(filled.texts))
        return template, filled.texts

    async def _unknown(self, name: str) -> str:
        known = {store.name_key(t.name): t.name for t in await self.all()}
        close = [known[k] for k in difflib.get_close_matches(store.name_key(name), list(known), n=5, cutoff=0.5)]
        if close:
            return _("There is no template “{name}”. Did you mean: {names}?").format(
                name=name, names=", ".join(f"#{found}" for found in close)
            )
        if known:
            return _("There is no template “{name}”; /sms templates lists them.").format(name=name)
        return _("There is no template “{name}”: none have been written yet; /sms templates adds one.").format(name=name)


def settle(text: str, texts: Mapping[PhoneE164, str]) -> tuple[str, dict[PhoneE164, str] | None]:
    """(what every number gets, None) when the filled texts are one; else (the template,
    each number's own). No texts (every number opted out): the template, sent to nobody."""
    distinct = set(texts.values())
    if len(distinct) == 1:
        return distinct.pop(), None
    return (text, dict(texts)) if distinct else (text, None)


def missing_sentence(lacking: Mapping[str, list[PhoneE164]], *, count: int) -> str:
    """One sentence naming the variables with no value, and the numbers that lack them."""
    first = next(iter(lacking))
    phones = lacking[first]
    if count == 1:
        return ngettext(
            "Nothing was sent: {variables} has no value for {number}; name the contact first, or write the text yourself.",
            "Nothing was sent: {variables} have no value for {number}; name the contact first, or write the text yourself.",
            len(lacking),
        ).format(variables=list_names(lacking), number=display(phones[0]))
    shown = ", ".join(display(p) for p in phones[:5]) + ("…" if len(phones) > 5 else "")
    return ngettext(
        "Nothing was sent: {variable} has no value for {n} number ({numbers}); name those contacts or remove the numbers.",
        "Nothing was sent: {variable} has no value for {n} numbers ({numbers}); name those contacts or remove the numbers.",
        len(phones),
    ).format(variable=list_names([first]), n=len(phones), numbers=shown)
