"""``views.publish``: a person's App Home tab, as Slack's Web API takes it.

From Slack's method reference (docs.slack.dev/reference/methods/views.publish) and its
Home tab view reference (docs.slack.dev/reference/views/home-tab-views): the arguments
are ``user_id`` and ``view`` (a JSON-encoded string, or an object in a JSON body), and
an optional ``hash``; no scope is needed. The view's ``type`` must be ``home``; it has
no title, submit or close; at most 100 blocks, ``private_metadata`` up to 3,000
characters, ``callback_id`` up to 255. Errors: ``not_enabled`` when the app's Home tab
is not enabled (its manifest's ``features.app_home.home_tab_enabled``),
``view_too_large`` over 250 kB, ``hash_conflict`` when ``hash`` is not the one of the
view now published, ``invalid_arguments`` with ``response_metadata.messages`` for a
view Block Kit refuses, and ``user_not_found`` for someone the workspace does not have
(anyone who left it).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.slack.content import SlackError, parse_json
from bot.sandbox.slack.limits import view_problems
from bot.sandbox.slack.state import SlackState

__all__ = ["views_publish"]

VIEW_BYTES = 250_000  # "greater than 250kb"


def views_publish(state: SlackState) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    async def publish(params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user_id") or "")
        if not user or params.get("view") in (None, ""):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: user_id or view"]})
        if not state.home_tab_enabled():
            raise SlackError("not_enabled")
        if user not in state.config.users:
            raise SlackError("user_not_found")
        view = parse_json(params.get("view"), "invalid_arguments")
        if len(json.dumps(view, ensure_ascii=False).encode()) > VIEW_BYTES:
            raise SlackError("view_too_large")
        problems = view_problems(view)
        if isinstance(view, dict) and view.get("type") != "home":
            problems = ["must be a valid enum value [json-pointer:/view/type]"]
        if problems:
            raise SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
        assert isinstance(view, dict)  # view_problems() complains about anything but an object
        current = state.home_views.get(user)
        if params.get("hash") and (current is None or params["hash"] != state.views[current].get("hash")):
            raise SlackError("hash_conflict")
        view_id = current or state.next_id("V")
        state.home_views[user] = view_id
        kept = state.keep_view(view_id, view)
        state.home_publishes.append((user, view_id))
        return {"view": {**kept, "team_id": state.config.team_id, "app_id": "A0SANDBOX", "bot_id": state.config.bot_id}}

    return publish
