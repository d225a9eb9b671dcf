"""The App Home tab as people use it: opening it, and using what the app published there.

From Slack's documentation: the ``app_home_opened`` event (docs.slack.dev/reference/
events/app_home_opened) is sent each time a person enters the app's Home, as an Events
API envelope signed like any other; it names the ``user``, the ``channel`` (the
person's direct-message channel with the app), the ``tab`` (``home`` or ``messages``)
and ``event_ts``, and, once a Home view was published for that person, the ``view`` as
it stands. A person's use of an element in the Home tab reaches the app as a
``block_actions`` payload whose ``container`` is ``{"type": "view", "view_id": …}``,
carrying the ``view`` with its ``state.values`` (docs.slack.dev/reference/
interaction-payloads/block_actions-payload). Publishing (``views.publish``) is in
:mod:`bot.sandbox.slack.home_tab`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from bot.sandbox.slack.elements import action_json, located, message_state, with_block_ids

if TYPE_CHECKING:
    from bot.sandbox.slack.records import SlackConfig
    from bot.sandbox.slack.socket import SocketLinks

__all__ = ["AppHome"]


class AppHome:
    """Mixed into :class:`~bot.sandbox.slack.state.SlackState`: each person's Home tab."""

    if TYPE_CHECKING:
        config: SlackConfig
        views: dict[str, dict[str, Any]]
        home_views: dict[str, str]  # person → the id of the Home view published for them
        sockets: SocketLinks

        def next_ts(self) -> str: ...
        def next_id(self, prefix: str) -> str: ...
        def envelope(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]: ...
        async def deliver(self, payload: dict[str, Any], *, retry_num: int | None = ..., timestamp: int | None = ...) -> httpx.Response: ...
        def _user_json(self, user: str) -> dict[str, Any]: ...
        async def _interact(self, payload: dict[str, Any]) -> httpx.Response: ...

    def home_of(self, user: str) -> dict[str, Any] | None:
        """The Home view the app published for ``user`` (None: none yet)."""
        view_id = self.home_views.get(user)
        return self.views.get(view_id) if view_id else None

    async def open_home(self, user: str, *, tab: str = "home") -> httpx.Response:
        """``user`` opens the app's Home (its Home tab, or with ``tab="messages"`` its Messages tab)."""
        if user not in self.config.users:
            raise ValueError(f"{user!r} is not a member of the workspace")
        if tab not in ("home", "messages"):
            raise ValueError("the App Home has a home and a messages tab")
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": "D" + user.removeprefix("U"),
            "tab": tab,
            "event_ts": self.next_ts(),
        }
        view = self.home_of(user)
        if tab == "home" and view is not None:
            event["view"] = view
        return await self.deliver(self.envelope(event))

    async def tick_in_home(self, user: str, action_id: str, chosen: list[str]) -> httpx.Response:
        """``user`` sets the checkboxes ``action_id`` of their Home tab so that the options
        with the values ``chosen`` are ticked; ``ValueError`` when the tab shows no such
        checkboxes or they offer no such option."""
        view = self.home_of(user)
        if view is None:
            raise ValueError(f"no Home view was published for {user!r}: there is nothing to use")
        blocks = with_block_ids(view.get("blocks"), str(view.get("id")))
        found = located(blocks, {"type": "checkboxes", "action_id": action_id})
        if found is None:
            raise ValueError(f"the Home tab of {user!r} shows no checkboxes {action_id!r}")
        block_id, element = found
        offered = {str(o.get("value")): o for o in element.get("options") or [] if isinstance(o, dict)}
        unknown = [value for value in chosen if value not in offered]
        if unknown:
            raise ValueError(f"{action_id!r} offers no option {unknown} (it offers {sorted(offered)})")
        selected = [{"text": offered[v].get("text"), "value": v} for v in chosen]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": self.config.team_id, "domain": "sandbox"},
            "user": self._user_json(user),
            "api_app_id": "A0SANDBOX",
            "token": "legacy-verification-token",
            "container": {"type": "view", "view_id": view["id"]},
            "trigger_id": self.next_id("trig."),
            "view": {**view, "state": {"values": message_state(blocks, block_id, element, {"selected_options": selected})}},
            "is_enterprise_install": False,
            "actions": [action_json(element, block_id, self.next_ts(), selected_options=selected)],
        }
        return await self._interact(payload)
