"""Contacts: the import's report, the list ``/sms contacts`` answers with, a name for a number."""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, _, figure, ngettext
from bot.slack.blocks.markup import clip, escape, fallback
from bot.sms.numbers import PhoneE164, display

__all__ = ["contacts_report", "contacts_list", "named_number", "CONTACTS_HELP", "EXPORT_REFUSED"]

# Marked, not translated: whoever shows them passes them through _().
CONTACTS_HELP = N_(
    "/sms contacts lists the contacts (/sms contacts Kowalska searches, /sms contacts export shares them as a CSV file). "
    "To import, share a CSV file (phone, name, optional tags) in a channel and mention me with the word contacts."
)

EXPORT_REFUSED = N_(
    "The app is not a member of this channel, so it cannot share the contacts file here; "
    "add it to the channel, or type /sms contacts export in a channel it is in."
)


def named_number(phone: str, name: str | None) -> str:
    """``Anna Kowalska (+48 600 100 200)``, or the number alone; escaped."""
    shown = escape(display(PhoneE164(phone)))
    return f"{escape(name)} ({shown})" if name else shown


def contacts_report(
    *, file_name: str, added: int, updated: int, unchanged: int, refused: list[tuple[int, str]], too_many: bool, user_id: str
) -> dict[str, Any]:
    """What an import did: counts, and each refused line with why (the first 30)."""
    report = _("Contacts from {file} for {user}: *{added}* added, *{updated}* updated, *{unchanged}* unchanged, *{refused}* refused.")
    counts = {"added": figure(added), "updated": figure(updated), "unchanged": figure(unchanged), "refused": figure(len(refused))}
    lines = [":bust_in_silhouette: " + report.format(file=escape(file_name), user=f"<@{escape(user_id)}>", **counts)]
    if too_many:
        lines.append(_("Only the first 20,000 lines were read; split the file to import the rest."))
    if refused:
        shown = "\n".join("• " + _("line {line}: {reason}").format(line=line, reason=escape(why)) for line, why in refused[:30])
        extra = len(refused) - 30
        # English has always said "lines" here, even for one: kept as it was.
        more = (
            "\n" + ngettext("…and {n} more refused lines.", "…and {n} more refused lines.", extra).format(n=figure(extra))
            if extra > 0
            else ""
        )
        lines.append(_("Not imported (fix these lines and share the file again):") + "\n" + shown + more)
    text = clip("\n".join(lines), 2900)
    plain = _("Contacts from {file}: {added} added, {updated} updated, {unchanged} unchanged, {refused} refused").format(
        file=escape(file_name), added=added, updated=updated, unchanged=unchanged, refused=len(refused)
    )
    return {"text": fallback(plain), "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def contacts_list(entries: list[tuple[str, str, list[str]]], *, total: int, query: str) -> str:
    """The private answer to ``/sms contacts [search]``: up to 20, and how many in all."""
    if not entries:
        none = _("No contacts matching “{query}”.").format(query=escape(query)) if query else _("No contacts.")
        return none + " " + _(CONTACTS_HELP)
    lines = [f"• {named_number(phone, name)}" + (f" — {escape(', '.join(tags))}" if tags else "") for phone, name, tags in entries]
    if query:
        head = ngettext("{n} contact matching “{query}”", "{n} contacts matching “{query}”", total).format(
            n=figure(total), query=escape(query)
        )
    else:
        head = ngettext("{n} contact", "{n} contacts", total).format(n=figure(total))
    more = (
        "\n"
        + _("…and {n} more; search with /sms contacts and a part of a name or number, or share them all with /sms contacts export.").format(
            n=figure(total - len(entries))
        )
        if total > len(entries)
        else ""
    )
    return clip(f"{head}:\n" + "\n".join(lines) + more, 3900)
