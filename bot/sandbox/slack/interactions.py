"""What people press, pick and submit, as Slack sends it to the app (signed interaction payloads).

From Slack's interaction payload reference (docs.slack.dev/reference/interaction-payloads/
block_actions-payload, view-interactions-payload): a ``block_actions`` payload from a
message names its ``container`` (``type: message``, ``channel_id``, ``message_ts``,
``is_ephemeral``, and ``thread_ts`` for a reply), carries the ``message`` as it stands
(its blocks, each with a ``block_id``), the ``state`` of its pickers, a ``response_url``
and one action (:func:`bot.sandbox.slack.elements.action_json`). A person can use only
what a message shows now: pressing anything else raises ``ValueError``. A
``view_submission`` carries the view with ``state.values`` holding every input
(:func:`bot.sandbox.slack.elements.view_state`) and ``private_metadata`` as the app set
it; the app's answer (``response_action``: ``errors``, ``update``, ``push``, ``clear``,
or nothing to close the modal) is kept in ``view_answers``; ``errors`` keyed by a block
that is not an input, or a view Slack would refuse, in ``view_refusals``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from bot.sandbox.slack.directory import names, username
from bot.sandbox.slack.elements import action_json, located, message_state, option_for, view_state, with_block_ids
from bot.sandbox.slack.limits import view_problems
from bot.sandbox.slack.markup import Rendered, render_payload

if TYPE_CHECKING:
    from bot.sandbox.slack.records import SlackConfig, SlackMessage
    from bot.sandbox.slack.socket import SocketLinks

__all__ = ["Interactions"]

Values = dict[str, dict[str, Any]]


class Interactions:
    """Mixed into :class:`~bot.sandbox.slack.state.SlackState`: people using what the app shows."""

    if TYPE_CHECKING:
        config: SlackConfig
        messages: dict[tuple[str, str], SlackMessage]
        ephemeral: list[dict[str, Any]]
        views: dict[str, dict[str, Any]]
        view_renders: dict[str, Rendered]
        hook_sources: dict[str, tuple[str, str]]
        view_answers: list[tuple[str, dict[str, Any]]]
        view_refusals: list[tuple[str, dict[str, Any], str]]
        sockets: SocketLinks

        def next_ts(self) -> str: ...
        def next_id(self, prefix: str) -> str: ...
        async def _post_signed(self, body: bytes, content_type: str) -> httpx.Response: ...

    # ---- on messages -----------------------------------------------------------------

    def _shown(self, element: dict[str, Any], channel: str, message_ts: str | None) -> tuple[str, dict[str, Any], SlackMessage | None]:
        """(block_id, the element as shown, the message) for a person using ``element``.

        A message the emulator does not know (an answer to a slash command, a made-up ts)
        shows whatever the test holds, in a block ``b``.
        """
        message = self.messages.get((channel, message_ts)) if message_ts else None
        if message is None:
            for posted in reversed(self.ephemeral) if message_ts is None else ():
                found = located(with_block_ids(posted.get("blocks"), "ephemeral"), element) if posted["channel"] == channel else None
                if found:
                    return found[0], found[1], None
            return "b", element, None
        if message.deleted:
            raise ValueError(f"message {message_ts} was deleted: nobody can use what it showed")
        found = located(with_block_ids(message.blocks, f"{channel}/{message.ts}"), element)
        if found is None:
            raise ValueError(f"message {message_ts} does not show the {element.get('type')} {element.get('action_id')!r} now")
        return found[0], found[1], message

    def _user_json(self, user: str) -> dict[str, Any]:
        name = username(self.config, user)
        return {"id": user, "username": name, "name": name, "team_id": self.config.team_id}

    async def _act(
        self, user: str, channel: str, message_ts: str | None, element: dict[str, Any], **chosen: Any
    ) -> tuple[httpx.Response, str]:
        """Send the ``block_actions`` of ``user`` using ``element`` on a message; (answer, hook)."""
        block_id, shown, message = self._shown(element, channel, message_ts)
        if "selected_option" in chosen:
            chosen["selected_option"] = option_for(shown, chosen["selected_option"])
        hook = self.next_id("H")
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts or self.next_ts(),
            "channel_id": channel,
            "is_ephemeral": message_ts is None,
        }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": self.config.team_id, "domain": "sandbox"},
            "user": self._user_json(user),
            "api_app_id": "A0SANDBOX",
            "token": "legacy-verification-token",
            "container": container,
            "trigger_id": self.next_id("trig."),
            "channel": {"id": channel, "name": self.config.channels.get(channel, "privategroup")},
            "is_enterprise_install": False,
            "response_url": f"{self.config.public_url}/hooks/{hook}",
            "actions": [action_json(shown, block_id, self.next_ts(), **chosen)],
        }
        if message is not None:
            blocks = with_block_ids(message.blocks, f"{channel}/{message.ts}")
            shown_message = {**message.as_event(), "blocks": blocks}
            shown_message.pop("channel")
            if message.thread_ts and message.thread_ts != message.ts:
                container["thread_ts"] = message.thread_ts
            payload["message"] = shown_message
            payload["state"] = {"values": message_state(blocks, block_id, shown, chosen)}
            self.hook_sources[hook] = (channel, message.ts)
        return await self._interact(payload), hook

    async def press_button(
        self, button: dict[str, Any], *, user: str, channel: str, message_ts: str | None = None
    ) -> tuple[httpx.Response, str]:
        """A person presses a button on a message (``message_ts``) or on a private answer
        (``message_ts`` None); returns the app's answer and the response_url's hook id."""
        if button.get("type", "button") != "button":
            raise ValueError(f"{button.get('action_id')!r} is a {button['type']}: use select_user or choose_option")
        return await self._act(user, channel, message_ts, {"type": "button", **button})

    async def select_user(
        self, element: dict[str, Any], *, user: str, channel: str, message_ts: str | None, chosen: str
    ) -> tuple[httpx.Response, str]:
        """A person picks ``chosen`` in a message's ``users_select``; (answer, hook)."""
        if element.get("type") != "users_select":
            raise ValueError(f"{element.get('action_id')!r} is a {element.get('type')}, not a users_select")
        if chosen not in self.config.users and chosen != self.config.bot_user_id:
            raise ValueError(f"{chosen!r} is not a member of the workspace: a users_select never offers it")
        return await self._act(user, channel, message_ts, element, selected_user=chosen)

    async def choose_option(
        self, element: dict[str, Any], value: str, *, user: str, channel: str, message_ts: str | None
    ) -> tuple[httpx.Response, str]:
        """A person chooses the option ``value`` of a message's ``overflow`` or ``static_select``;
        ``ValueError`` when the element, as the message shows it, offers no such option."""
        if element.get("type") not in ("overflow", "static_select"):
            raise ValueError(f"{element.get('action_id')!r} is a {element.get('type')}, not an overflow or static_select")
        return await self._act(user, channel, message_ts, element, selected_option=value)

    async def _interact(self, payload: dict[str, Any]) -> httpx.Response:
        if self.config.socket_mode:
            return await self.sockets.send("interactive", payload)
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._post_signed(body, "application/x-www-form-urlencoded")

    # ---- in modals ---------------------------------------------------------------------

    def keep_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """Show ``view`` as ``view_id`` (a new hash; Slack fills in any missing ``block_id``)."""
        blocks = with_block_ids(view.get("blocks"), view_id)
        self.views[view_id] = {**view, "blocks": blocks, "id": view_id, "hash": self.next_id("h")}
        self.view_renders[view_id] = render_payload(None, blocks, names=names(self.config))
        return self.views[view_id]

    def _view_payload(self, kind: str, view_id: str, user: str, values: Values, *, submitting: bool) -> dict[str, Any]:
        view = self.views.get(view_id)
        if view is None:
            raise ValueError(f"no view {view_id!r} is open: the app never opened it")
        users = {*self.config.users, self.config.bot_user_id}
        state = view_state(view, values, users=users, submitting=submitting)
        return {
            "type": kind,
            "team": {"id": self.config.team_id, "domain": "sandbox"},
            "user": self._user_json(user),
            "api_app_id": "A0SANDBOX",
            "token": "legacy-verification-token",
            "trigger_id": self.next_id("trig."),
            "view": {**view, "state": {"values": state}},
            "is_enterprise_install": False,
        }

    async def type_in_view(self, view_id: str, user: str, values: Values, *, block_id: str, action_id: str) -> httpx.Response:
        """A person types into an input that dispatches actions (``block_actions`` from a modal)."""
        payload = self._view_payload("block_actions", view_id, user, values, submitting=False)
        block: dict[str, Any] = next((b for b in self.views[view_id]["blocks"] if b.get("block_id") == block_id), {})
        element = block.get("element") or {}
        if not block.get("dispatch_action") or element.get("action_id") != action_id:
            raise ValueError(f"{block_id}/{action_id} is not an input that dispatches actions: typing there sends nothing")
        typed = payload["view"]["state"]["values"][block_id][action_id]
        payload["actions"] = [action_json(element, block_id, self.next_ts(), value=typed.get("value"))]
        payload["container"] = {"type": "view", "view_id": view_id}
        return await self._interact(payload)

    async def press_button_in_view(self, view_id: str, button: dict[str, Any], *, user: str) -> httpx.Response:
        """A person presses a button shown in a modal (``block_actions`` with the view and its state)."""
        payload = self._view_payload("block_actions", view_id, user, {}, submitting=False)
        found = located(self.views[view_id]["blocks"], {"type": "button", **button})
        if found is None:
            raise ValueError(f"view {view_id} does not show the button {button.get('action_id')!r}")
        payload["actions"] = [action_json(found[1], found[0], self.next_ts())]
        payload["container"] = {"type": "view", "view_id": view_id}
        return await self._interact(payload)

    async def submit_view(self, view_id: str, user: str, values: Values) -> httpx.Response:
        """A person presses the modal's submit button. ``values`` (block_id → action_id →
        ``{"type": …, "value"/"selected_…": …}``) are what they set, exactly as typed (Slack
        does not escape modal inputs); the other inputs keep what they showed. ``ValueError``
        for an input the view lacks, a wrong shape, or a submission Slack's client refuses."""
        payload = self._view_payload("view_submission", view_id, user, values, submitting=True)
        payload["response_urls"] = []
        response = await self._interact(payload)
        self._answered(view_id, response)
        return response

    def _answered(self, view_id: str, response: httpx.Response) -> None:
        """Keep the app's answer to a submission and do what Slack does with it."""
        try:
            answer = response.json() if response.content.strip() else {}
        except ValueError:
            answer = {"raw": response.text}
        if not isinstance(answer, dict):
            answer = {"raw": response.text}
        self.view_answers.append((view_id, answer))
        action = answer.get("response_action")
        if action == "errors":
            errors = answer.get("errors")
            inputs = {b.get("block_id") for b in self.views[view_id].get("blocks") or [] if b.get("type") == "input"}
            wrong = sorted(str(k) for k in errors if k not in inputs) if isinstance(errors, dict) else ["(not an object)"]
            if wrong or not errors:
                self.view_refusals.append((view_id, answer, f"errors must name input blocks of the view, not {wrong}"))
        elif action in ("update", "push"):
            problems = view_problems(answer.get("view"))
            if problems:
                self.view_refusals.append((view_id, answer, "; ".join(problems)))
            else:
                self.keep_view(view_id if action == "update" else self.next_id("V"), answer["view"])

    def view_errors(self, view_id: str) -> dict[str, str]:
        """The errors the app showed on the view's inputs after its latest submission ({} if none)."""
        answers = [a for v, a in self.view_answers if v == view_id]
        if not answers or answers[-1].get("response_action") != "errors":
            return {}
        errors = answers[-1].get("errors")
        return dict(errors) if isinstance(errors, dict) else {}
