"""The whole bridge on loopback: mProfi simulator, Slack emulator and the real app.

``SandboxStack`` starts the three as real HTTP servers (the app with its lifespan,
workers and migrations), wires them to each other the way an operator wires the
real services, and offers the few steps a scripted conversation needs. The demo
and the end-to-end tests both stand on it.
"""

from __future__ import annotations

import asyncio
import inspect
import signal
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.types import ASGIApp

from bot.app import create_app
from bot.config import Settings
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.mprofi import SimulatorConfig, SimulatorState, create_simulator_app
from bot.sandbox.process import AppProcess
from bot.sandbox.slack import SlackConfig, SlackMessage, SlackState, create_slack_emulator
from storage.db import async_url
from storage.queue import work_due

__all__ = ["SandboxStack", "WEBHOOK_TOKEN"]

WEBHOOK_TOKEN = "sandbox-webhook-token-7f3a9c"


class _InFlight:
    """An ASGI app that counts the HTTP requests it is still answering.

    drain() reads the count: a webhook the app is storing, or a status answer mProfi is
    still giving, is work under way that no database row shows yet.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.open = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1


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
        wrap: Callable[[str, ASGIApp], ASGIApp] | None = None,
    ) -> None:
        """``socket_mode``: Slack talks to the app over its WebSocket, not /slack/events.
        ``public_endpoint=False``: nothing calls the app at all (Socket Mode, inbound
        through the catch-up poller, statuses by PULL), as an install behind a firewall.
        ``wrap(name, app)``: each server's ASGI app ("mprofi", "slack", the in-process
        "app") goes through it before it is served, as the console's timeline records them.
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
        self._sim_requests: _InFlight | None = None  # the app's calls mProfi is answering
        self._app_requests: _InFlight | None = None  # requests the in-process app is answering
        self._engine: AsyncEngine | None = None  # drain()'s own reader of the queue
        self._wrap = wrap or (lambda name, app: app)

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
            # A reply goes at once, with one status line: what the demo and most tests
            # watch. The undo window and reactions are set through ``settings``.
            "send_delay_seconds": 0.0,
            "status_style": "lines",
            # The code's own words, which the tests read; the demo chooses its language.
            "bot_language": "en",
        }
        if self.slack.config.socket_mode:
            values["slack_app_token"] = self.slack.config.app_token
        if not self.public_endpoint:
            del values["slack_signing_secret"]  # nothing reaches the app to be signed
            values["catchup_interval_seconds"] = 0.1
        values.update(self._extra)
        return Settings(_env_file=None, **values)

    async def start(self) -> None:
        self._sim_requests = _InFlight(self._wrap("mprofi", create_simulator_app(self.sim)))
        simulator = LoopbackServer(self._sim_requests, lifespan="off")
        await simulator.start()
        self._servers.append(simulator)
        self.mprofi_url = simulator.url
        emulator = LoopbackServer(self._wrap("slack", create_slack_emulator(self.slack)), lifespan="off")
        await emulator.start()
        self._servers.append(emulator)
        self.slack.config.public_url = emulator.url
        if self._use_process:
            self.process = AppProcess(self.settings())
            await self.process.start()
            self.app_url = self.process.url
        else:
            self._app_requests = _InFlight(self._wrap("app", create_app(self.settings())))
            app = LoopbackServer(self._app_requests, lifespan="on")
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
        await self.mprofi_down()
        await asyncio.sleep(seconds)
        await self.mprofi_up()

    async def mprofi_down(self) -> None:
        """mProfi refuses connections (its server is stopped) until :meth:`mprofi_up`: a test
        can end the outage when what it waits for has happened, not after a guessed time."""
        await self._servers[0].stop()

    async def mprofi_up(self) -> None:
        """mProfi answers again, on the same port, with the same state."""
        self._sim_requests = _InFlight(self._wrap("mprofi", create_simulator_app(self.sim)))
        self._servers[0] = LoopbackServer(self._sim_requests, port=self._servers[0].port, lifespan="off")
        await self._servers[0].start()

    def change_settings(self, **values: Any) -> None:
        """Settings the app reads from its next :meth:`restart_app` on, as an operator edits ``.env``."""
        self._extra.update(values)

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
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

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
        """Poll ``predicate`` until it returns something truthy (both sides work asynchronously).

        ``predicate`` may be a coroutine function, for a state only the database shows.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until the bridge has settled: nothing more will happen unless the clock or a test moves.

        Settled means, all at once and for a short quiet spell (one worker idle period,
        enough for the app to store what an answer it just got says):

        - the queue: no job running (leased) and none a worker could claim now; a job
          waiting for its ``run_after`` (a back-off, an HLR check for later) does not count;
        - the status poller: no check due now;
        - mProfi's side: no webhook, PUSH or survey notification the simulator is still
          delivering (retries included), and no call of the app it is still answering;
        - the app's HTTP side (in-process app): no request it is still answering.

        Slack's side needs no watch of its own: whatever the emulator sends the app
        (events, commands, clicks, Socket Mode envelopes) is awaited by whoever sends it,
        and the app answers only once it has stored the work (Bolt's
        ``process_before_response``); what the app asks Slack, it asks from a job or a
        request counted above. The catch-up poller and the simulator's status steps are
        scheduled by the clock: a test that needs a pass waits for it (its getincoming/ calls).

        The app must be running: due work of a stopped app never ends, and TimeoutError
        names what is left.
        """
        if self._engine is None:
            target = async_url(self._database_url)
            # Reads only, outside transactions: it never holds SQLite's write lock the app needs.
            self._engine = create_async_engine(target, isolation_level="AUTOCOMMIT", pool_pre_ping=target.get_backend_name() != "sqlite")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet = max(0.05, self.settings().worker_idle_seconds)
        quiet_since: float | None = None
        while True:
            busy = await self._busy()
            now = loop.time()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= quiet:
                return
            if busy and now > deadline:
                raise TimeoutError(f"the bridge did not settle within {timeout} s: {'; '.join(busy)}")
            await asyncio.sleep(0.01)

    async def _busy(self) -> list[str]:
        """What keeps the bridge from being settled now (see :meth:`drain`)."""
        if self.process is not None and self.process.process is not None and self.process.process.returncode is not None:
            raise RuntimeError(f"the app process exited ({self.process.process.returncode}): nothing will drain the queue")
        busy: list[str] = []
        if deliveries := self.sim.deliveries_under_way():
            busy.append(f"{deliveries} delivery(ies) from mProfi to the app under way")
        if self._sim_requests is not None and self._sim_requests.open:
            busy.append(f"{self._sim_requests.open} call(s) of the app mProfi is answering")
        if self._app_requests is not None and self._app_requests.open:
            busy.append(f"{self._app_requests.open} request(s) the app is answering")
        assert self._engine is not None
        return busy + await work_due(self._engine)

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
