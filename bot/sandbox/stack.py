"""The whole bridge on loopback: mProfi simulator, Slack emulator and the real app.

``SandboxStack`` starts the three as real HTTP servers (the app with its lifespan,
workers and migrations), wires them to each other the way an operator wires the
real services, and offers the few steps a scripted conversation needs. The demo
and the end-to-end tests both stand on it.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

from bot.app import create_app
from bot.config import Settings
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.mprofi import SimulatorConfig, SimulatorState, create_simulator_app
from bot.sandbox.process import AppProcess
from bot.sandbox.slack import SlackConfig, SlackMessage, SlackState, create_slack_emulator

__all__ = ["SandboxStack", "WEBHOOK_TOKEN"]

WEBHOOK_TOKEN = "sandbox-webhook-token-7f3a9c"


class SandboxStack:
    def __init__(
        self,
        database_url: str,
        *,
        status_mode: str = "push",
        status_step_seconds: float | None = None,
        settings: dict[str, Any] | None = None,
        simulator: SimulatorConfig | None = None,
        slack: SlackConfig | None = None,
        app_process: bool = False,
        socket_mode: bool = False,
        public_endpoint: bool = True,
    ) -> None:
        """``socket_mode``: Slack talks to the app over its WebSocket, not /slack/events.
        ``public_endpoint=False``: nothing calls the app at all (Socket Mode, inbound
        through the catch-up poller, statuses by PULL), as an install behind a firewall.
        """
        self.sim = SimulatorState(simulator or SimulatorConfig(status_step_seconds=status_step_seconds))
        self.sim.config.webhook_token = WEBHOOK_TOKEN
        self.sim.config.webhook_retry_seconds = min(self.sim.config.webhook_retry_seconds, 0.2)
        self.slack = SlackState(slack or SlackConfig())
        self.channel = next(iter(self.slack.config.channels))
        self.public_endpoint = public_endpoint
        self.slack.config.socket_mode = socket_mode or not public_endpoint
        self._status_mode = status_mode if public_endpoint else "pull"
        self._database_url = database_url
        self._extra = settings or {}
        self._servers: list[LoopbackServer] = []
        self._use_process = app_process
        self.process: AppProcess | None = None
        self.app_url = ""
        self.http = httpx.AsyncClient(timeout=10.0)

    def settings(self) -> Settings:
        keys = self.sim.config.keys
        values: dict[str, Any] = {
            "slack_bot_token": self.slack.config.bot_token,
            "slack_signing_secret": self.slack.config.signing_secret,
            "slack_api_url": self.slack.config.public_url + "/api/",
            "slack_channel": self.channel,
            "mprofi_api_key": keys["send"],
            "mprofi_receive_key": keys["receive"],
            "mprofi_hlr_key": keys["hlr"],
            "mprofi_mms_key": keys["mms"],
            "mprofi_api_url": self.mprofi_url + "/1.0/",
            "mprofi_webhook_token": WEBHOOK_TOKEN,
            "mprofi_status_mode": self._status_mode,
            "database_url": self._database_url,
            "worker_idle_seconds": 0.05,
            "status_poll_first_seconds": 0.1,
            "status_poll_max_seconds": 0.4,
            # The emulator enforces no posting limit unless asked to (SlackConfig.post_rate).
            "slack_posts_per_second": 1000.0,
        }
        if self.slack.config.socket_mode:
            values["slack_app_token"] = self.slack.config.app_token
        if not self.public_endpoint:
            del values["slack_signing_secret"]  # nothing reaches the app to be signed
            values["catchup_interval_seconds"] = 0.3
        values.update(self._extra)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    async def start(self) -> None:
        simulator = LoopbackServer(create_simulator_app(self.sim), lifespan="off")
        await simulator.start()
        self._servers.append(simulator)
        self.mprofi_url = simulator.url
        emulator = LoopbackServer(create_slack_emulator(self.slack), lifespan="off")
        await emulator.start()
        self._servers.append(emulator)
        self.slack.config.public_url = emulator.url
        if self._use_process:
            self.process = AppProcess(self.settings())
            await self.process.start()
            self.app_url = self.process.url
        else:
            app = LoopbackServer(create_app(self.settings()), lifespan="on")
            await app.start()
            self._servers.append(app)
            self.app_url = app.url
        if not self.public_endpoint:
            self.sim.config.webhook_url = None
            return
        if not self.slack.config.socket_mode:
            self.slack.config.events_url = self.app_url + "/slack/events"
        self.sim.config.webhook_url = self.app_url + "/mprofi/incoming"
        if self._status_mode == "push":
            self.sim.config.push_url = self.app_url + f"/mprofi/status?token={WEBHOOK_TOKEN}"

    async def mprofi_outage(self, seconds: float) -> None:
        """mProfi refuses connections for ``seconds`` (its server is stopped), then comes back."""
        simulator = self._servers[0]
        port = simulator.port
        await simulator.stop()
        await asyncio.sleep(seconds)
        self._servers[0] = LoopbackServer(create_simulator_app(self.sim), port=port, lifespan="off")
        await self._servers[0].start()

    async def restart_app(self, *, kill: bool = True) -> None:
        """Stop the app process (SIGKILL by default: no clean shutdown) and start it again."""
        assert self.process is not None, "restart_app needs SandboxStack(app_process=True)"
        await self.process.stop(signal.SIGKILL if kill else signal.SIGTERM)
        self.process = AppProcess(self.settings(), port=self.process.port)
        await self.process.start()

    async def stop(self) -> None:
        # Close our clients first: open keep-alive connections hold a server's shutdown.
        await self.http.aclose()
        await self.sim.aclose()
        await self.slack.aclose()
        if self.process is not None:
            await self.process.stop()
        servers, self._servers = self._servers, []
        if len(servers) == 3:
            await servers.pop().stop()  # the app first: its workers still call the other two
        await asyncio.gather(*(server.stop() for server in servers))

    async def __aenter__(self) -> SandboxStack:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    # ---- steps of a conversation ---------------------------------------------------

    async def until(self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "the expected state") -> Any:
        """Poll ``predicate`` until it returns something truthy (both sides work asynchronously)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    def thread_of(self, phone_display_fragment: str) -> SlackMessage | None:
        """The parent message of the thread whose header names this number."""
        for message in self.slack.top_level(self.channel):
            if phone_display_fragment in message.text:
                return message
        return None

    def replies(self, parent: SlackMessage) -> list[SlackMessage]:
        return [m for m in self.slack.thread(parent.channel, parent.ts) if m.ts != parent.ts]

    async def phone_texts(self, sender: str, text: str, **kwargs: Any) -> Any:
        """A phone sends an SMS (or, with ``images=``, an MMS); mProfi calls the webhook."""
        record = self.sim.inject_inbound(sender, text, **kwargs)
        if self.sim.config.webhook_url:  # else it waits in getincoming/ for the catch-up poller
            await asyncio.wait_for(record.delivered.wait(), 10)
        return record

    async def person_replies(
        self, parent: SlackMessage, text: str, *, user: str = "U0ANNA", files: list[dict[str, Any]] | None = None
    ) -> SlackMessage:
        message, _, response = await self.slack.user_says(parent.channel, user, text, thread_ts=parent.ts, files=files)
        response.raise_for_status()
        return message

    def sent_to(self, digits: str) -> list[Any]:
        return [m for m in self.sim.messages.values() if m.recipient == digits]
