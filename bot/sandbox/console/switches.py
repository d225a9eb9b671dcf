"""The console's fault switches: what a person can break in mProfi or Slack, and undo.

Each switch names what it does in one line, so a person flipping it knows what to
watch for. They steer the stand-ins only (the app is never told): the bridge meets the
fault exactly as it would meet the real service's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.sandbox.slack.records import Fault
from bot.sandbox.stack import SandboxStack

__all__ = ["SWITCHES", "Switch", "Switches"]

SLOW_SECONDS = 4.0
RETRY_AFTER = 3


@dataclass(frozen=True)
class Switch:
    name: str
    side: str  # "mProfi" or "Slack"
    label: str
    what: str  # one line: what happens while it is on


SWITCHES: tuple[Switch, ...] = (
    Switch(
        "mprofi_refuse",
        "mProfi",
        "Refuse connections",
        "mProfi's API is down: new calls are refused and retried later; a call cut off mid-way is shown as uncertain, "
        "with Send again, never resent by itself. No request reaches mProfi, so the timeline shows none.",
    ),
    Switch(
        "mprofi_5xx",
        "mProfi",
        "Answer 503",
        "Every API call gets 503 Service Unavailable: nothing is accepted, the bridge retries with back-off.",
    ),
    Switch(
        "mprofi_slow",
        "mProfi",
        f"Slow answers ({SLOW_SECONDS:g} s)",
        f"Every API call waits {SLOW_SECONDS:g} s before mProfi answers: sends still go, later.",
    ),
    Switch(
        "mprofi_push_off",
        "mProfi",
        "PUSH off",
        "mProfi stops calling /mprofi/status: delivery states show only when the bridge asks status/ (every 30 s here).",
    ),
    Switch(
        "slack_429",
        "Slack",
        f"429 Retry-After {RETRY_AFTER}",
        f"Every Web API call is rate limited for {RETRY_AFTER} s at a time: posts wait and land once it is off.",
    ),
    Switch(
        "slack_5xx",
        "Slack",
        "Answer 503",
        "Every Web API call gets 503: the bridge keeps the work queued and retries until Slack answers again.",
    ),
)


class Switches:
    """The switches' state, applied to a running :class:`SandboxStack`."""

    def __init__(self, stack: SandboxStack) -> None:
        self.stack = stack
        self.on: set[str] = set()
        self._push_url: str | None = None
        self._lock = asyncio.Lock()  # one change at a time: stopping and starting mProfi takes a while

    def known(self, name: str) -> bool:
        return any(switch.name == name for switch in SWITCHES)

    async def set(self, name: str, on: bool) -> None:
        """Turn ``name`` on or off (doing nothing when it already is)."""
        if not self.known(name):
            raise ValueError(f"there is no switch {name!r}")
        async with self._lock:
            if on != (name in self.on):
                await self._apply(name, on)
                if on:
                    self.on.add(name)
                else:
                    self.on.discard(name)

    async def _apply(self, name: str, on: bool) -> None:
        sim, slack = self.stack.sim, self.stack.slack
        if name == "mprofi_refuse":
            await (self.stack.mprofi_down() if on else self.stack.mprofi_up())
        elif name == "mprofi_5xx":
            sim.standing_fault = "503" if on else None
        elif name == "mprofi_slow":
            sim.config.answer_delay_seconds = SLOW_SECONDS if on else 0.0
        elif name == "mprofi_push_off":
            if on:
                self._push_url, sim.config.push_url = sim.config.push_url, None
            else:
                sim.config.push_url = self._push_url
        elif name in ("slack_429", "slack_5xx"):
            self.on.discard("slack_5xx" if name == "slack_429" else "slack_429")  # one answer at a time
            if not on:
                slack.standing_fault = None
            elif name == "slack_429":
                slack.standing_fault = Fault(status=429, retry_after=RETRY_AFTER)
            else:
                slack.standing_fault = Fault(status=503)

    async def all_off(self) -> None:
        for name in list(self.on):
            await self.set(name, False)
