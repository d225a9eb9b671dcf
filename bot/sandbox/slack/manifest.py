"""The app as it is installed in the emulated workspace: its scopes and its commands.

Slack knows an installed app by its manifest (docs.slack.dev/reference/app-manifest):
the bot token carries ``oauth_config.scopes.bot`` and each slash command has
``should_escape``. The emulator reads the project's ``manifest.yml`` (Slack's own
input, not the app's code) unless a test names its own scopes and commands.

Which scope each Web API method needs is from Slack's Web API reference (and its
OpenAPI spec, slackapi/slack-api-specs ``web-api/slack_web_openapi_v2.json``): a
method whose scope the token lacks answers ``missing_scope`` with ``needed`` and
``provided``. ``conversations.*`` need the ``channels:`` scope for public channels
(``C…``) and the ``groups:`` one for private ones (``G…``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["MANIFEST", "home_tab_in", "load_manifest", "needed_scope"]

MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yml"

# method → scope(s) it needs; a tuple is (public channel scope, private channel scope)
SCOPES: dict[str, str | tuple[str, str, str]] = {  # a tuple: for public, private and direct-message channels
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.delete": "chat:write",
    "reactions.add": "reactions:write",
    "reactions.remove": "reactions:write",
    "reactions.get": "reactions:read",
    "conversations.replies": ("channels:history", "groups:history", "im:history"),
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "conversations.info": ("channels:read", "groups:read", "im:read"),
    "conversations.members": ("channels:read", "groups:read", "im:read"),
    "conversations.open": "im:write",
    "users.info": "users:read",
    "users.list": "users:read",
    "usergroups.list": "usergroups:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files.info": "files:read",
    "files.delete": "files:write",
}


def needed_scope(method: str, params: dict[str, Any], granted: set[str]) -> str | None:
    """The scope ``method`` needs that the token lacks (None when it may go on)."""
    need = SCOPES.get(method)
    if need is None:
        return None
    if isinstance(need, tuple):
        channel = str(params.get("channel") or params.get("channel_id") or "")
        need = need[1] if channel.startswith("G") else need[2] if channel.startswith("D") else need[0]
    return None if need in granted else need


def load_manifest(path: Path | None = MANIFEST) -> tuple[list[str] | None, dict[str, bool]]:
    """(bot scopes or None when unknown, command → should_escape) from a manifest file."""
    if path is None or not path.exists():
        return None, {}
    try:
        import yaml  # uvicorn[standard] brings PyYAML
    except ImportError:  # pragma: no cover - then the workspace grants every scope
        return None, {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    scopes = ((data.get("oauth_config") or {}).get("scopes") or {}).get("bot")
    commands = ((data.get("features") or {}).get("slash_commands")) or []
    escape = {str(c["command"]): bool(c.get("should_escape", False)) for c in commands if isinstance(c, dict) and c.get("command")}
    return (list(scopes) if isinstance(scopes, list) else None), escape


def home_tab_in(path: Path | None = MANIFEST) -> bool:
    """Whether the manifest enables the app's Home tab (``features.app_home.home_tab_enabled``)."""
    if path is None or not path.exists():
        return False
    import yaml  # uvicorn[standard] brings PyYAML

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return bool(((data.get("features") or {}).get("app_home") or {}).get("home_tab_enabled"))
