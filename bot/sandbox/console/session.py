"""What a person does on the console page, done through the stand-ins as a real person would.

A phone's text goes in through the mProfi simulator (which calls the app's webhook in
the chosen format); a teammate's message, slash command, button press or modal
submission goes through the Slack emulator (which signs it as Slack does). Nothing here
calls the app directly, so what the page shows is what production would do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.sandbox.console.mentions import rich_elements
from bot.sandbox.console.private import Private, private_posts
from bot.sandbox.console.switches import Switches
from bot.sandbox.slack.elements import with_block_ids
from bot.sandbox.slack.manifest import load_manifest
from bot.sandbox.stack import SandboxStack
from bot.sms.numbers import InvalidNumber, normalize, recipient_digits

__all__ = ["ConsoleError", "ConsoleSession", "Upload"]

WebhookFormat = Literal["standard", "3cx", "mms"]
FORMATS: tuple[WebhookFormat, ...] = ("standard", "3cx", "mms")
MAX_UPLOAD = 10 * 1024 * 1024


class ConsoleError(ValueError):
    """Something the person asked for cannot be done; the sentence says what to fix."""


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes
    mimetype: str


@dataclass
class Modal:
    view_id: str
    user: str
    seen_hash: str


class ConsoleSession:
    """The page's state beside the stand-ins': the phones on the desk, private answers, modals."""

    def __init__(self, stack: SandboxStack, phones: list[str] | None = None) -> None:
        self.stack = stack
        self.switches = Switches(stack)
        self.version = 0  # bumped by every change the page should draw
        self.zone = ZoneInfo("Europe/Warsaw")  # the sandbox workspace's people live there (date and time pickers)
        self.phones: list[str] = []
        for number in phones or ["600100200", "600100201"]:
            self.add_phone(number)
        self.private: list[Private] = []
        self.modals: list[Modal] = []  # open modals, the top one last
        self._view_hashes: dict[str, str] = {}
        self._closed: set[str] = set()
        self._actor = "U0ANNA"

    def touch(self) -> None:
        self.version += 1

    # ---- phones --------------------------------------------------------------------

    def add_phone(self, typed: str) -> str:
        """Put a phone on the desk; its number in mProfi's digits (``48…``)."""
        if len(typed.strip()) > 40:  # the number's own error would repeat all of it back
            raise ConsoleError("that is too long for a phone number: type it as 600 100 200 or +48 600 100 200")
        try:
            digits = recipient_digits(normalize(typed))
        except InvalidNumber as problem:
            raise ConsoleError(str(problem)) from None
        if digits not in self.phones:
            self.phones.append(digits)
            self.touch()
        return digits

    def remove_phone(self, digits: str) -> None:
        if digits in self.phones:
            self.phones.remove(digits)
            self.touch()

    def _phone(self, digits: str) -> str:
        if digits not in self.phones:
            raise ConsoleError(f"there is no phone {digits} on the desk: add it first")
        return digits

    async def phone_texts(self, digits: str, text: str, *, webhook_format: str = "standard", image: Upload | None = None) -> None:
        """The phone sends an SMS (or an MMS with ``image``); mProfi calls the app's webhook."""
        sender = self._phone(digits)
        if webhook_format not in FORMATS:
            raise ConsoleError(f"the webhook format must be one of {', '.join(FORMATS)}, not {webhook_format!r}")
        if not text.strip() and image is None:
            raise ConsoleError("type a text or attach an image first")
        if image is not None and not image.mimetype.startswith("image/"):
            raise ConsoleError(f"{image.name} is not an image: an MMS here carries a picture (PNG, JPEG or GIF)")
        images = [(image.name, image.content, image.mimetype)] if image else None
        fmt: Any = "mms" if image else webhook_format
        self.stack.sim.inject_inbound(sender, text, images=images, webhook_format=fmt)
        self.touch()

    def answer_survey(self, digits: str, survey_id: int, answer: str) -> None:
        """The phone answers the survey's next question; mProfi notifies the app."""
        sender = self._phone(digits)
        survey = self.stack.sim.surveys.get(survey_id)
        if survey is None:
            raise ConsoleError(f"mProfi has no survey {survey_id}")
        if not survey.active:
            raise ConsoleError(f"“{survey.name}” is not running: mProfi takes no answers to it")
        if not answer.strip():
            raise ConsoleError("type the answer first")
        if sender not in survey.responses:
            raise ConsoleError(f"this phone was not invited to “{survey.name}”: invite it with /survey start {survey_id} {sender} first")
        done = survey.responses[sender].get("answers", [])
        if len(done) >= len(survey.questions):
            raise ConsoleError(f"this phone has answered every question of “{survey.name}” already")
        self.stack.sim.answer_survey(survey_id, sender, answer.strip())
        self.touch()

    # ---- the channel ---------------------------------------------------------------

    def _user(self, user: str) -> str:
        if user not in self.stack.slack.config.users:
            raise ConsoleError(f"{user} is not a member of the sandbox workspace")
        self._actor = user
        return user

    def _channel(self, channel: str) -> str:
        if channel not in self.stack.slack.config.channels:
            raise ConsoleError(f"the sandbox workspace has no channel {channel}")
        return channel

    async def say(self, user: str, channel: str, text: str, *, thread_ts: str | None = None, upload: Upload | None = None) -> None:
        """A teammate posts in the channel or a thread (a file shared with it when given)."""
        slack = self.stack.slack
        user, channel = self._user(user), self._channel(channel)
        if thread_ts is not None and (channel, thread_ts) not in slack.messages:
            raise ConsoleError("that thread is gone: open another one")
        if not text.strip() and upload is None:
            raise ConsoleError("type a message or choose a file first")
        files = [slack.share_file(user, upload.name, upload.content, upload.mimetype)] if upload else None
        rich = rich_elements(text, slack.config)
        if rich is not None:
            message, _, response = await slack.user_says(channel, user, thread_ts=thread_ts, files=files, rich=rich)
            if any(e.get("user_id") == slack.config.bot_user_id for e in rich) and response.status_code < 400:
                # Slack sends an app_mention as well whenever the app is mentioned.
                event = {**message.as_event(), "type": "app_mention", "event_ts": message.ts}
                event.pop("subtype", None)
                response = await slack.deliver(slack.envelope(event))
        else:
            _, _, response = await slack.user_says(channel, user, text or None, thread_ts=thread_ts, files=files)
        self._refused(response.status_code, "the message")
        self.touch()

    async def command(self, user: str, channel: str, typed: str) -> None:
        """A teammate types ``/command text`` in the channel's composer."""
        user, channel = self._user(user), self._channel(channel)
        name, _, text = typed.strip().partition(" ")
        if not name.startswith("/") or len(name) < 2:
            raise ConsoleError("a slash command starts with /, e.g. /sms 600100200 Dzień dobry")
        known = self._commands()
        if name not in known:
            raise ConsoleError(f"the app has no command {name}: try {', '.join(sorted(known))}")
        response, hook = await self.stack.slack.run_command(name, text.strip(), user=user, channel=channel)
        self._refused(response.status_code, name)
        answer = None
        if response.content.strip():
            try:
                parsed = response.json()
            except ValueError:
                parsed = {"text": response.text}
            answer = parsed if isinstance(parsed, dict) else {"text": response.text}
        self.private.append(Private(user, channel, typed.strip(), hook, answer))
        self.touch()

    def _commands(self) -> set[str]:
        return set(load_manifest(self.stack.slack.config.manifest)[1]) or {"/sms", "/hlr", "/survey"}

    def _refused(self, status: int, what: str) -> None:
        if status >= 400:
            raise ConsoleError(f"the app refused {what} (HTTP {status}): see the timeline below")

    def element_of(self, blocks: list[Any] | None, seed: str, block_id: str, action_id: str) -> dict[str, Any]:
        """The element a person used, as the message shows it now (ConsoleError if it no longer does)."""
        for block in with_block_ids(blocks, seed):
            if not isinstance(block, dict) or block.get("block_id") != block_id:
                continue
            elements = [*(block.get("elements") or []), block.get("accessory"), block.get("element")]
            for element in elements:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    return element
        raise ConsoleError("that message changed since the page drew it: try again")

    async def act(
        self, user: str, channel: str, *, ts: str | None, private: str | None, block_id: str, action_id: str, value: str | None = None
    ) -> None:
        """A teammate presses a button or picks an option on a message or a private answer."""
        slack = self.stack.slack
        user, channel = self._user(user), self._channel(channel)
        if ts is not None:
            message = slack.messages.get((channel, ts))
            if message is None or message.deleted:
                raise ConsoleError("that message is gone")
            element = self.element_of(message.blocks, f"{channel}/{message.ts}", block_id, action_id)
        else:
            element = self.element_of(self._private_blocks(private), "ephemeral", block_id, action_id)
        kind = element.get("type", "button")
        if kind not in ("button", "users_select", "static_select", "overflow"):
            raise ConsoleError(f"the console cannot use a {kind} yet")
        if kind != "button" and not value:
            raise ConsoleError("choose someone first" if kind == "users_select" else "choose an option first")
        try:
            if kind == "button":
                response, hook = await slack.press_button(element, user=user, channel=channel, message_ts=ts)
            elif kind == "users_select":
                response, hook = await slack.select_user(element, user=user, channel=channel, message_ts=ts, chosen=str(value))
            else:
                response, hook = await slack.choose_option(element, str(value), user=user, channel=channel, message_ts=ts)
        except ValueError as refused:  # what Slack's client never sends: an option not offered, a stranger
            raise ConsoleError(f"Slack would not send this: {refused}") from None
        self._refused(response.status_code, "the click")
        # A click on a private answer: what its response_url says replaces (or removes) that answer.
        self.private.append(Private(user, channel, "", hook, None, source=private if ts is None else None))
        self.touch()

    def _private_blocks(self, key: str | None) -> list[Any]:
        """The blocks of the private answer ``key`` (an ephemeral message or a response_url post)."""
        for post in private_posts(self.stack.slack, self.private):
            if post["key"] == key:
                return list(post["blocks"])
        raise ConsoleError("that answer is gone")

    # ---- modals --------------------------------------------------------------------

    def refresh_modals(self) -> None:
        """Note views the app opened, updated or pushed since the last look."""
        for view_id, view in self.stack.slack.views.items():
            if view.get("type") != "modal":
                continue
            seen = self._view_hashes.get(view_id)
            current = str(view.get("hash"))
            if seen == current:
                continue
            self._view_hashes[view_id] = current
            if view_id in self._closed:
                continue
            # A window belongs to the person it opened for, whoever acted since (an update keeps it theirs).
            owner = next((m.user for m in self.modals if m.view_id == view_id), self._actor)
            self.modals = [m for m in self.modals if m.view_id != view_id]
            self.modals.append(Modal(view_id, owner, current))
            self.touch()

    def _modal(self, view_id: str) -> Modal:
        for modal in self.modals:
            if modal.view_id == view_id:
                return modal
        raise ConsoleError("that window is closed already")

    def close_modal(self, view_id: str) -> None:
        modal = self._modal(view_id)
        self.modals.remove(modal)
        self._closed.add(view_id)
        self.touch()

    async def submit_modal(self, view_id: str, raw: dict[str, Any]) -> dict[str, str]:
        """Press the modal's submit button; the app's errors by block (empty when accepted)."""
        from bot.sandbox.console.render_view import form_values

        modal = self._modal(view_id)
        slack = self.stack.slack
        try:
            response = await slack.submit_view(view_id, modal.user, form_values(slack.views[view_id], raw, zone=self.zone))
        except ValueError as refused:
            raise ConsoleError(f"Slack would not send this form: {refused}") from None
        self._refused(response.status_code, "the form")
        answer = slack.view_answers[-1][1] if slack.view_answers else {}
        action = answer.get("response_action")
        if action == "errors":
            self.touch()
            return slack.view_errors(view_id)
        if action == "clear":
            for open_modal in list(self.modals):
                self.close_modal(open_modal.view_id)
        elif action not in ("update", "push"):
            self.close_modal(view_id)
        self.refresh_modals()
        self.touch()
        return {}

    async def type_in_modal(self, view_id: str, raw: dict[str, Any], block_id: str, action_id: str) -> None:
        from bot.sandbox.console.render_view import form_values

        modal = self._modal(view_id)
        slack = self.stack.slack
        try:
            values = form_values(slack.views[view_id], raw, zone=self.zone)
            await slack.type_in_view(view_id, modal.user, values, block_id=block_id, action_id=action_id)
        except ValueError as refused:
            raise ConsoleError(str(refused)) from None
        self.touch()

    async def press_in_modal(self, view_id: str, block_id: str, action_id: str) -> None:
        modal = self._modal(view_id)
        slack = self.stack.slack
        element = self.element_of(slack.views[view_id].get("blocks"), view_id, block_id, action_id)
        try:
            response = await slack.press_button_in_view(view_id, element, user=modal.user)
        except ValueError as refused:  # not a button: Slack's client has nothing to press there
            raise ConsoleError(f"Slack would not send this: {refused}") from None
        self._refused(response.status_code, "the click")
        self.touch()
