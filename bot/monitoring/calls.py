"""Are Slack and mProfi answering? A run of failed calls, as readiness sees it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["CallHealth", "Service"]

Service = Literal["slack", "mprofi"]


@dataclass
class _Run:
    failures: int = 0
    last_error: str = ""
    since: float | None = None  # monotonic time of the first failure in the run


@dataclass
class CallHealth:
    """Consecutive failed calls per service; one good answer ends the run.

    Only failures that say the service (or our access to it) is broken count: no
    connection, a timeout, a 5xx, a refused token or scope. An ordinary refusal (a
    message already deleted, a number mProfi does not know) is a working service.
    """

    runs: dict[Service, _Run] = field(default_factory=lambda: {"slack": _Run(), "mprofi": _Run()})

    def succeeded(self, service: Service) -> None:
        self.runs[service] = _Run()

    def failed(self, service: Service, error: str) -> None:
        run = self.runs[service]
        run.failures += 1
        run.last_error = error
        if run.since is None:
            run.since = time.monotonic()

    def failing(self, service: Service, threshold: int) -> tuple[int, str, float] | None:
        """(failures in a row, the last error, seconds since the run began) when at least ``threshold``."""
        run = self.runs[service]
        if run.failures < threshold or run.since is None:
            return None
        return run.failures, run.last_error, time.monotonic() - run.since
