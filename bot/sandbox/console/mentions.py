"""What Slack's composer makes of ``@name`` and ``#channel`` a person typed in the console.

In Slack a person picks a teammate from the list that ``@`` opens, and the message
carries a mention, not the letters. The console has no list, so a word after ``@``
that names a member (their display name or first name, case and Polish letters
aside), a user group's handle or ``here``/``channel``/``everyone`` becomes that
mention, and ``#name`` of a channel becomes a channel link; anything else stays text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.sandbox.slack.directory import username
from bot.sandbox.slack.records import SlackConfig

__all__ = ["rich_elements"]

# Not inside a word, an address or a link (``a@b.pl``, ``https://x.pl/#top``, ``/@name``).
_TOKEN = re.compile(r"(?<![\w@#/:`])([@#])([\w.\-]+)")
BROADCASTS = ("here", "channel", "everyone")


def _folded(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def _people(config: SlackConfig) -> dict[str, dict[str, str]]:
    people: dict[str, str] = {}
    for user in config.users:
        for name in (username(config, user), config.display_names.get(user, "")):
            if name:
                people.setdefault(_folded(name), user)
    people.setdefault("mprofi-bridge", config.bot_user_id)
    groups = {_folded(str(group.get("handle", ""))): gid for gid, group in config.usergroups.items()}
    channels = {_folded(name): cid for cid, name in config.channels.items()}
    return {"@": people, "@group": groups, "#": channels}


def rich_elements(text: str, config: SlackConfig) -> list[dict[str, Any]] | None:
    """The rich_text elements for ``text`` when it mentions someone or links a channel, else None."""
    known = _people(config)
    elements: list[dict[str, Any]] = []
    at = 0
    found = False
    for match in _TOKEN.finditer(text):
        sign, word = match.group(1), match.group(2).rstrip(".-")
        key = _folded(word)
        element: dict[str, Any] | None = None
        if sign == "#" and key in known["#"]:
            element = {"type": "channel", "channel_id": known["#"][key]}
        elif sign == "@" and key in BROADCASTS:
            element = {"type": "broadcast", "range": key}
        elif sign == "@" and key in known["@"]:
            element = {"type": "user", "user_id": known["@"][key]}
        elif sign == "@" and key in known["@group"]:
            element = {"type": "usergroup", "usergroup_id": known["@group"][key]}
        if element is None:
            continue
        found = True
        if match.start() > at:
            elements.append({"type": "text", "text": text[at : match.start()]})
        elements.append(element)
        at = match.start() + 1 + len(word)
    if not found:
        return None
    if at < len(text):
        elements.append({"type": "text", "text": text[at:]})
    return elements
