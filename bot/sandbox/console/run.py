"""``mprofi-slack sandbox``: the whole bridge on loopback with a web console to play with it.

The real app (SQLite in a fresh folder, migrations, workers, Bolt) runs between the
mProfi simulator and the Slack emulator, exactly as ``demo`` runs it; the console page
lets a person be the phones and the team at once, and shows every request between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
import webbrowser
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings
from bot.sandbox.console.app import create_console_app
from bot.sandbox.console.session import ConsoleSession
from bot.sandbox.console.timeline import Timeline
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.stack import WEBHOOK_TOKEN, SandboxStack

__all__ = ["Console", "console_running", "run_sandbox"]

# The product's own defaults for how replies show (undo window, reactions); the tests of
# the stack turn them off, a person trying the product should see them.
PRODUCT = {name: Settings.model_fields[name].default for name in ("send_delay_seconds", "status_style")}
SANDBOX = {
    "worker_idle_seconds": Settings.model_fields["worker_idle_seconds"].default,  # production's pace (the stack's tests use less)
    "mprofi_status_recheck_minutes": 0.5,  # with PUSH off, states still come within 30 s
}


class Console:
    """A running sandbox with its console: ``url`` to open, ``stack`` and ``session`` to steer."""

    def __init__(self, stack: SandboxStack, session: ConsoleSession, timeline: Timeline, server: LoopbackServer) -> None:
        self.stack, self.session, self.timeline, self.server = stack, session, timeline, server

    @property
    def url(self) -> str:
        return self.server.url + "/"


@contextlib.asynccontextmanager
async def console_running(
    *, port: int = 0, language: str = "pl", settings: dict[str, Any] | None = None, status_step_seconds: float = 1.0
) -> AsyncIterator[Console]:
    """Start the stack and its console on ``port`` (0: any free one); stop both on exit.

    ``OSError`` when the port is taken. ``settings`` override the app's (tests shorten
    the undo window, say); mProfi moves each message's state every ``status_step_seconds``.
    """
    timeline = Timeline()
    with tempfile.TemporaryDirectory(prefix="mprofi-slack-sandbox-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'sandbox.db'}"
        values = PRODUCT | SANDBOX | {"bot_language": language} | (settings or {})
        stack = SandboxStack(url, status_step_seconds=status_step_seconds, settings=values, wrap=timeline.tap)
        async with stack:
            for secret in _secrets(stack):
                timeline.add_secret(secret)
            stack.sim.config.survey_webhook_url = f"{stack.app_url}/mprofi/surveys?token={WEBHOOK_TOKEN}"
            session = ConsoleSession(stack)
            app = create_console_app(session, timeline)
            server = LoopbackServer(app, port=port, lifespan="on")
            await server.start()
            try:
                yield Console(stack, session, timeline, server)
            finally:
                try:
                    app.state.closing.set()
                    await asyncio.sleep(0.6)  # an event stream notices within its 0.5 s wait
                    await server.stop()
                finally:
                    await session.switches.all_off()  # mProfi back up, so the app stops cleanly


def _secrets(stack: SandboxStack) -> list[str]:
    """Every secret the three share, masked wherever the timeline shows a request."""
    settings = stack.settings()
    found = [WEBHOOK_TOKEN, stack.slack.config.app_token, *stack.sim.config.keys.values(), *stack.sim.config.sending_keys]
    for secret in (settings.slack_bot_token, settings.slack_signing_secret):
        if secret is not None:
            found.append(secret.get_secret_value())
    return [value for value in found if value]


async def run_sandbox(*, out: TextIO, port: int = 8000, open_browser: bool = False, language: str = "pl") -> int:
    """Run until Ctrl+C (or SIGTERM); 0, or 1 with one line when the port is taken."""
    try:
        async with console_running(port=port, language=language) as console:
            print(f"mprofi-slack sandbox: the console is at {console.url}  (Ctrl+C stops it)", file=out, flush=True)
            print(
                f"  the bridge: {console.stack.app_url}   mProfi simulator: {console.stack.mprofi_url}"
                f"   Slack emulator: {console.stack.slack.config.public_url}",
                file=out,
                flush=True,
            )
            if open_browser:
                webbrowser.open(console.url)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
            print("mprofi-slack sandbox: stopping", file=out, flush=True)
    except OSError as refused:
        if port and getattr(refused, "errno", None) in (98, 48, 10048):  # address in use (Linux, macOS, Windows)
            print(f"mprofi-slack: port {port} on 127.0.0.1 is taken; choose another with --port", file=sys.stderr, flush=True)
            return 1
        raise
    return 0
