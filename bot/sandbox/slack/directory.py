"""Who and what is in the emulated workspace: people, user groups, channels.

Shapes from Slack's Web API reference and OpenAPI spec (``objs_user``,
``objs_user_profile``, ``objs_subteam``, ``objs_conversation``): ``users.info``
answers a user with ``name`` (the legacy username), ``real_name``, ``tz`` and a
``profile`` whose ``display_name`` may be empty (people need not set one; clients
then show ``real_name``). ``usergroups.list`` answers groups with ``handle``
(what people type after ``@``). Slash command text is rewritten as Slack documents
for the "Escape channels, users, and links sent to your app" setting
(``should_escape`` in the manifest; docs.slack.dev/interactivity/implementing-slash-commands):
with it on, ``@name`` becomes ``<@U…|name>``, ``#channel`` ``<#C…|channel>``, a user
group ``<!subteam^S…|@handle>`` and a URL ``<https://…>``; with it off they arrive as
typed. Either way ``&``, ``<`` and ``>`` arrive as ``&amp;``, ``&lt;`` and ``&gt;``,
as in all text Slack sends.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.sandbox.slack.markup import escape

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.sandbox.slack.records import SlackConfig

__all__ = [
    "channel_ids",
    "command_text",
    "conversation_json",
    "display_name",
    "handles",
    "names",
    "shown_name",
    "user_json",
    "usergroup_json",
    "username",
]

CREATED = 1_600_000_000  # when the sandbox workspace, its channels and groups were made


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in folded if not unicodedata.combining(c))


def username(config: SlackConfig, user: str) -> str:
    """The legacy ``name`` (what slash commands call ``user_name``)."""
    if user == config.bot_user_id:
        return "mprofi-bridge"
    return _ascii(config.users.get(user, user).split()[0]).lower()


def display_name(config: SlackConfig, user: str) -> str:
    return config.display_names.get(user, "")


def shown_name(config: SlackConfig, user: str) -> str:
    """What a person sees for a mention: the display name, else the full name."""
    return display_name(config, user) or config.users.get(user) or user


def _tz(zone: str) -> tuple[str, int]:
    now = datetime.now(ZoneInfo(zone))
    utc_offset = now.utcoffset()
    offset = int(utc_offset.total_seconds()) if utc_offset else 0
    labels = {"CET": "Central European Time", "CEST": "Central European Summer Time"}
    abbreviation = now.tzname() or zone
    return labels.get(abbreviation, abbreviation), offset


def user_json(config: SlackConfig, user: str, *, include_locale: bool = False) -> dict[str, Any] | None:
    """``users.info``'s ``user`` (None: Slack answers ``user_not_found``); ``locale``
    only when asked with ``include_locale``, as Slack gives it."""
    is_bot = user == config.bot_user_id
    if not is_bot and user not in config.users:
        return None
    real = "mProfi SMS" if is_bot else config.users[user]
    display = "" if is_bot else display_name(config, user)
    zone = config.timezones.get(user, "Europe/Warsaw")
    label, offset = _tz(zone)
    first, _, last = real.partition(" ")
    profile: dict[str, Any] = {
        "real_name": real,
        "real_name_normalized": _ascii(real),
        "display_name": display,
        "display_name_normalized": _ascii(display),
        "first_name": first,
        "last_name": last,
        "title": "",
        "phone": "",
        "skype": "",
        "fields": None,
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
        "avatar_hash": "g" + hashlib.sha1(user.encode()).hexdigest()[:11],
        "image_48": f"https://avatars.slack-edge.test/{user}_48.png",
        "image_192": f"https://avatars.slack-edge.test/{user}_192.png",
        "team": config.team_id,
    }
    if is_bot:
        profile.update({"bot_id": config.bot_id, "api_app_id": "A0SANDBOX", "always_active": True})
    found: dict[str, Any] = {
        "id": user,
        "team_id": config.team_id,
        "name": username(config, user),
        "deleted": False,
        "color": "9f69e7",
        "real_name": real,
        "tz": zone,
        "tz_label": label,
        "tz_offset": offset,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": CREATED,
        "has_2fa": False,
    }
    if include_locale:
        found["locale"] = config.locales.get(user, "en-US")
    return found


def usergroup_json(config: SlackConfig, group: str, *, include_users: bool = False, include_count: bool = False) -> dict[str, Any]:
    info = config.usergroups[group]
    found: dict[str, Any] = {
        "id": group,
        "team_id": config.team_id,
        "is_usergroup": True,
        "is_subteam": True,
        "name": info.get("name", info["handle"]),
        "description": info.get("description", ""),
        "handle": info["handle"],
        "is_external": False,
        "date_create": CREATED,
        "date_update": CREATED,
        "date_delete": 0,
        "auto_type": None,
        "auto_provision": False,
        "enterprise_subteam_id": "",
        "created_by": next(iter(config.users), ""),
        "updated_by": next(iter(config.users), ""),
        "deleted_by": None,
        "prefs": {"channels": [], "groups": []},
    }
    if include_users:
        found["users"] = list(info.get("users", []))
    if include_count:
        found["user_count"] = len(info.get("users", []))
    return found


def conversation_json(config: SlackConfig, channel: str, *, num_members: bool = False) -> dict[str, Any]:
    name = config.channels[channel]
    private = channel.startswith(("G", "D"))
    found: dict[str, Any] = {
        "id": channel,
        "name": name,
        "name_normalized": name,
        "created": CREATED,
        "creator": next(iter(config.users), ""),
        "is_channel": not private,
        "is_group": channel.startswith("G"),
        "is_im": channel.startswith("D"),
        "is_mpim": False,
        "is_private": private,
        "is_archived": False,
        "is_general": name == "general",
        "is_shared": False,
        "is_org_shared": False,
        "is_ext_shared": False,
        "is_member": channel not in config.not_joined,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "previous_names": [],
        "updated": int(time.time() * 1000),
    }
    if num_members:
        found["num_members"] = len(config.users) + 1
    return found


def names(config: SlackConfig) -> Callable[[str, str], str]:
    """The names a person sees for ``<@U…>``, ``<!subteam^S…>`` and ``<#C…>``."""

    def name(kind: str, id_: str) -> str:
        if kind == "user":
            return shown_name(config, id_)
        if kind == "usergroup":
            return str(config.usergroups.get(id_, {}).get("handle", id_))
        return config.channels.get(id_, id_)

    return name


def handles(config: SlackConfig) -> dict[str, str]:
    return {str(info["handle"]).lower(): group for group, info in config.usergroups.items()}


def channel_ids(config: SlackConfig) -> dict[str, str]:
    return {name.lower(): channel for channel, name in config.channels.items()}


def _person(config: SlackConfig, typed: str) -> str | None:
    typed = typed.lower()
    for user in config.users:
        if typed in (username(config, user), display_name(config, user).lower()):
            return user
    return None


_TYPED = re.compile(r"(?P<url>https?://[^\s<>]+[^\s<>.,;:!?)'\"])|(?<![\w@])@(?P<at>[\w.\-]*\w)|(?<![\w#&])#(?P<hash>[\w\-]+)")


def command_text(config: SlackConfig, typed: str, *, should_escape: bool) -> str:
    """A slash command's ``text`` as Slack sends it for what the person ``typed``."""
    if not should_escape:
        return escape(typed)
    out: list[str] = []
    at = 0
    for match in _TYPED.finditer(typed):
        replacement: str | None = None
        if match["url"]:
            replacement = f"<{escape(match['url'])}>"
        elif match["at"]:
            word = match["at"]
            if word.lower() in ("here", "channel", "everyone"):
                replacement = f"<!{word.lower()}>"
            elif (group := handles(config).get(word.lower())) is not None:
                replacement = f"<!subteam^{group}|@{config.usergroups[group]['handle']}>"
            elif (user := _person(config, word)) is not None:
                replacement = f"<@{user}|{username(config, user)}>"
        elif match["hash"] and (channel := channel_ids(config).get(match["hash"].lower())) is not None:
            replacement = f"<#{channel}|{config.channels[channel]}>"
        if replacement is not None:
            out.append(escape(typed[at : match.start()]))
            out.append(replacement)
            at = match.end()
    out.append(escape(typed[at:]))
    return "".join(out)
