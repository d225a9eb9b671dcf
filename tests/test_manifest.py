"""manifest.yml asks for exactly the Slack scopes the code needs, and says why for each.

The code is read, not run: every call of a Slack Web API method in ``bot/`` (the
sandbox excepted: it plays Slack, it does not call it) is found in the syntax tree, and
its API method name is taken from slack_sdk's own source (``chat_postMessage`` calls
``api_call("chat.postMessage")``; ``files_upload_v2`` calls two methods). Which scope a
method needs is the emulator's table (``bot.sandbox.slack.manifest.SCOPES``, from
Slack's Web API reference). What is not a method call (events, slash commands, file
downloads) is listed below, each with the place in the code that needs it.
"""

from __future__ import annotations

import ast
import inspect
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack.manifest import SCOPES

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
CODE = ROOT / "bot"
SANDBOX = CODE / "sandbox"

# Methods the code calls that need no bot scope (Slack's Web API reference lists none).
NO_BOT_SCOPE = {
    "auth.test": "any token may ask whom it belongs to (the start-up check)",
    "chat.getPermalink": "a link to a message",
    "views.open": "modals open on a trigger_id",
    "views.update": "modals update by their view id",
    "views.publish": "each person's App Home tab",
    "apps.connections.open": "called with the app-level token (connections:write), never the bot token",
}

# ``api_call(name)`` with a name that is not written out: only the paced client's
# pass-through to slack_sdk, which every named method above goes through.
PASS_THROUGH = {"bot/slack/pacing.py"}

# Events the code listens to (``app.event(...)``) → the subscriptions and scopes they need.
EVENTS: dict[str, tuple[list[str], list[str]]] = {
    "app_mention": (["app_mention"], ["app_mentions:read"]),
    "app_home_opened": (["app_home_opened"], []),  # needs a bot user and the Home tab, no scope
    # Thread replies: the bridge channel may be public or private.
    "message": (["message.channels", "message.groups"], ["channels:history", "groups:history"]),
}

# Scopes no Web API call or event explains: (file, a string that must still be in it, why).
OTHER_NEEDS = {
    "files:read": ("bot/slack/files.py", "url_private", "files shared in Slack are downloaded with the bot token"),
    "chat:write.public": (
        "bot/bridge/dispatch_progress.py",
        "channel=dispatch.channel_id",
        "/sms (and /hlr) post their progress in the channel they were typed in, which the app may not have joined",
    ),
    # conversations.history needs channels:, groups: or im:history by the channel's kind; the
    # bridge channel is public or private, and an admin's files go to a direct message
    # (admins.private_channel), where a retried post looks for its earlier copy.
    "im:history": ("bot/bridge/admins.py", "conversations_open", "conversations.history in an admin's direct message"),
}


def _client_methods() -> set[str]:
    return {name for name in vars(AsyncWebClient) if not name.startswith("_") and name != "api_call"}


@cache
def api_methods(attribute: str) -> tuple[str, ...]:
    """The Web API methods slack_sdk's ``AsyncWebClient.<attribute>`` calls."""
    source = inspect.getsource(getattr(AsyncWebClient, attribute))
    found = re.findall(r'api_call\(\s*"([\w.]+)"', source)
    for inner in re.findall(r"self\.(\w+)\(", source):
        if inner != attribute and inner in _client_methods():
            found += api_methods(inner)
    assert found, f"slack_sdk's {attribute} calls no Web API method this test can see"
    return tuple(found)


def _code_files() -> list[Path]:
    return [p for p in sorted(CODE.rglob("*.py")) if SANDBOX not in p.parents]


def _calls() -> list[tuple[str, ast.Call]]:
    out = []
    for path in _code_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        out += [(path.relative_to(ROOT).as_posix(), node) for node in ast.walk(tree) if isinstance(node, ast.Call)]
    return out


def _literal(node: ast.Call) -> str | None:
    first = node.args[0] if node.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def called_methods() -> dict[str, set[str]]:
    """Web API method → the files that call it."""
    client = _client_methods()
    found: dict[str, set[str]] = {}
    for path, node in _calls():
        if not isinstance(node.func, ast.Attribute):
            continue
        attribute = node.func.attr
        if attribute == "api_call":
            name = _literal(node)
            if name is None:
                assert path in PASS_THROUGH, f"{path}:{node.lineno} calls api_call with a name this test cannot read"
                continue
            names: tuple[str, ...] = (name,)
        elif attribute in client:
            names = api_methods(attribute)
        else:
            continue
        for name in names:
            found.setdefault(name, set()).add(path)
    return found


def registrations(kind: str) -> set[str]:
    """What ``app.<kind>("…")`` registers: event types or slash commands."""
    return {
        name
        for _, node in _calls()
        if isinstance(node.func, ast.Attribute) and node.func.attr == kind and (name := _literal(node)) is not None
    }


def needed_by(method: str) -> list[str]:
    """The scopes ``method`` needs: for a conversation method the public and the private
    channel's (the bridge channel may be either); the direct-message one is in OTHER_NEEDS."""
    need = SCOPES[method]
    return [need] if isinstance(need, str) else [need[0], need[1]]


def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def bot_scopes() -> list[str]:
    scopes = manifest()["oauth_config"]["scopes"]["bot"]
    assert isinstance(scopes, list)
    return [str(s) for s in scopes]


def why_each_scope() -> dict[str, list[str]]:
    """Scope → the reasons the code gives for it."""
    why: dict[str, list[str]] = {}
    for method, files in called_methods().items():
        if method in SCOPES:
            for scope in needed_by(method):
                why.setdefault(scope, []).append(f"{method} ({', '.join(sorted(files))})")
    for event in registrations("event"):
        for scope in EVENTS[event][1]:
            why.setdefault(scope, []).append(f"the {event} event")
    if registrations("command"):
        why.setdefault("commands", []).append("slash commands")
    for scope, (path, marker, reason) in OTHER_NEEDS.items():
        if marker in (ROOT / path).read_text(encoding="utf-8"):
            why.setdefault(scope, []).append(reason)
    return why


def test_every_bot_scope_says_why_on_its_line() -> None:
    lines = MANIFEST.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "bot:")
    items = []
    for line in lines[start + 1 :]:
        if line.strip() and not line.strip().startswith("#") and not line.strip().startswith("- "):
            break
        if line.strip().startswith("- "):
            items.append(line)
    assert [line.split("#")[0].strip()[2:].strip() for line in items] == bot_scopes()
    bare = [line.strip() for line in items if "#" not in line or not line.split("#", 1)[1].strip()]
    assert not bare, f"say on the line why each scope is needed: {bare}"


def test_every_scope_is_needed_by_the_code() -> None:
    why = why_each_scope()
    unused = [scope for scope in bot_scopes() if scope not in why]
    assert not unused, f"manifest.yml asks for scopes nothing in bot/ needs: {unused}"
    assert len(set(bot_scopes())) == len(bot_scopes()), "a scope is listed twice"


def test_every_method_the_code_calls_has_its_scope() -> None:
    granted = set(bot_scopes())
    methods = called_methods()
    assert "chat.postMessage" in methods and "files.completeUploadExternal" in methods  # the scan sees the calls
    unknown = sorted(m for m in methods if m not in SCOPES and m not in NO_BOT_SCOPE)
    assert not unknown, f"add these methods' scopes to bot/sandbox/slack/manifest.py SCOPES (or NO_BOT_SCOPE here): {unknown}"
    missing = {m: s for m in methods if m in SCOPES for s in needed_by(m) if s not in granted}
    assert not missing, f"manifest.yml lacks the scopes these calls need: {missing}"


def test_other_needs_still_hold() -> None:
    """Each hand-listed need still points at code that is there; if not, drop the scope."""
    for scope, (path, marker, _reason) in OTHER_NEEDS.items():
        assert marker in (ROOT / path).read_text(encoding="utf-8"), f"{scope}: {path} no longer has {marker!r}"


def test_events_and_commands_match_the_listeners() -> None:
    events = registrations("event")
    assert events <= set(EVENTS), f"say in EVENTS which subscriptions and scopes these need: {events - set(EVENTS)}"
    subscribed = manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(subscribed) == sorted(sub for event in events for sub in EVENTS[event][0])
    for event in events:
        assert set(EVENTS[event][1]) <= set(bot_scopes())
    commands = {str(c["command"]) for c in manifest()["features"]["slash_commands"]}
    assert commands == registrations("command")
    assert "commands" in bot_scopes()


def test_the_scan_finds_calls_written_over_several_lines() -> None:
    """A guard on the scan itself: calls split over lines (``chat_postEphemeral(\\n…``) count."""
    methods = called_methods()
    assert "bot/bridge/notices.py" in methods["chat.postEphemeral"]
    assert api_methods("files_upload_v2") == ("files.getUploadURLExternal", "files.completeUploadExternal")
