"""The bridge's Prometheus metrics, in a registry of its own per app.

A registry per :class:`Monitor` rather than prometheus_client's global one: tests
build many apps in one process, and each must count only its own.

Process counters (calls, latencies) count what this replica did since it started.
Figures read from the database at each scrape (queue, messages) are the same on
every replica: aggregate those with ``max``, not ``sum``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from bot.monitoring.calls import CallHealth

__all__ = ["CONTENT_TYPE", "Monitor", "SLACK_BROKEN", "mprofi_failure_kind"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Slack errors that mean the app cannot work (a token, a scope, Slack failing), as
# opposed to the ordinary refusals of a working API (message_not_found …). A channel
# error is not among them: /sms typed in a channel the app is not in meets one, and the
# bridge's own channels are checked when serve starts.
SLACK_BROKEN = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "team_access_not_granted",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
    }
)

# Outcomes with a label of their own (anything else is "refused": labels stay few).
_SLACK_LABELS = SLACK_BROKEN | {"ok", "ratelimited", "unreachable", "not_in_channel", "channel_not_found", "is_archived"}

# mProfi failures that mean it is down or will not have us (rather than "no such message").
_MPROFI_BROKEN = frozenset({"unreachable", "timeout", "broken_connection", "server_error", "busy", "key_refused"})

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def mprofi_failure_kind(status_code: int | None, error: BaseException | None = None) -> str | None:
    """What went wrong with one mProfi call, as a metric label (None: it went fine)."""
    if error is not None:
        name = type(error).__name__
        if "Timeout" in name:
            return "timeout"
        if name in ("ConnectError", "UnsupportedProtocol", "InvalidURL"):
            return "unreachable"
        return "broken_connection"
    if status_code is None or status_code < 300:
        return None
    if status_code == 401:
        return "key_refused"
    if status_code in (429, 503):
        return "busy"
    if status_code >= 500:
        return "server_error"
    if status_code == 404:
        return "not_found"
    return "refused"


class Monitor:
    """Counts what the bridge does and tells readiness whether Slack and mProfi answer."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = CallHealth()
        r = self.registry
        self.slack_calls = Counter(
            "mprofi_slack_slack_calls",
            "Slack Web API calls by method and outcome (ok, ratelimited, an error code, unreachable)",
            ["method", "outcome"],
            registry=r,
        )
        self.slack_post_seconds = Histogram(
            "mprofi_slack_slack_post_seconds",
            "Time a chat.postMessage/chat.update call took, retries inside it included",
            ["method"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.mprofi_calls = Counter(
            "mprofi_slack_mprofi_calls",
            "mProfi API calls by endpoint and outcome (ok or an error kind)",
            ["endpoint", "outcome"],
            registry=r,
        )
        self.mprofi_errors = Counter(
            "mprofi_slack_mprofi_errors",
            "Failed mProfi calls by kind: unreachable, timeout, broken_connection, server_error, busy, key_refused, refused, not_found",
            ["kind"],
            registry=r,
        )
        self.webhook_seconds = Histogram(
            "mprofi_slack_webhook_seconds",
            "Time to answer mProfi's webhooks and Slack's requests, by route",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.webhook_answers = Counter(
            "mprofi_slack_webhook_answers",
            "Answers to mProfi's webhooks and Slack's requests, by route and HTTP status",
            ["route", "status"],
            registry=r,
        )
        self.messages = Gauge(
            "mprofi_slack_messages_last_24h",
            "Messages stored in the last 24 hours by direction (in/out), kind and status as it stands now",
            ["direction", "kind", "status"],
            registry=r,
        )
        self.jobs_pending = Gauge(
            "mprofi_slack_jobs_pending",
            "Unfinished jobs, those waiting for their time included (not sends held for a person's choice)",
            registry=r,
        )
        self.jobs_due = Gauge("mprofi_slack_jobs_due", "Jobs a worker could take now", registry=r)
        self.oldest_due = Gauge("mprofi_slack_oldest_due_job_seconds", "How long the longest-waiting due job has waited", registry=r)
        self.jobs_given_up = Gauge("mprofi_slack_jobs_given_up_24h", "Jobs given up in the last 24 hours", registry=r)
        self.database_up = Gauge("mprofi_slack_database_up", "1 when the database answered the last scrape", registry=r)
        self._message_labels: set[tuple[str, str, str]] = set()

    # ---- reported by the clients ---------------------------------------------------

    def slack_call(self, method: str, outcome: str, seconds: float) -> None:
        """One Slack Web API call: ``outcome`` is ``ok``, ``ratelimited``, ``unreachable`` or Slack's error code."""
        self.slack_calls.labels(method, outcome if outcome in _SLACK_LABELS else "refused").inc()
        if method in ("chat.postMessage", "chat.update"):
            self.slack_post_seconds.labels(method).observe(seconds)
        if outcome in SLACK_BROKEN or outcome == "unreachable":
            self.calls.failed("slack", f"{method}: {outcome}")
        elif outcome != "ratelimited":  # a 429 is Slack pacing us, neither broken nor a fresh all-clear
            self.calls.succeeded("slack")

    def mprofi_call(self, endpoint: str, failure: str | None) -> None:
        """One mProfi call; ``failure`` from :func:`mprofi_failure_kind` (None: it went fine)."""
        self.mprofi_calls.labels(endpoint, failure or "ok").inc()
        if failure is None:
            self.calls.succeeded("mprofi")
            return
        self.mprofi_errors.labels(failure).inc()
        if failure in _MPROFI_BROKEN:
            self.calls.failed("mprofi", f"{endpoint}: {failure}")
        else:
            self.calls.succeeded("mprofi")  # mProfi answered, and said no: it is up

    def webhook(self, route: str, status: int, seconds: float) -> None:
        self.webhook_seconds.labels(route).observe(seconds)
        self.webhook_answers.labels(route, str(status)).inc()

    # ---- read from the database at each scrape ------------------------------------

    def set_queue(self, *, pending: int, due: int, oldest_due_seconds: float, given_up_24h: int) -> None:
        self.jobs_pending.set(pending)
        self.jobs_due.set(due)
        self.oldest_due.set(oldest_due_seconds)
        self.jobs_given_up.set(given_up_24h)

    def set_messages(self, figures: dict[tuple[str, str, str], int]) -> None:
        for gone in self._message_labels - set(figures):
            self.messages.labels(*gone).set(0)  # a status nobody has any more reads 0, not its last value
        for labels, count in figures.items():
            self.messages.labels(*labels).set(count)
        self._message_labels |= set(figures)

    def render(self) -> bytes:
        return generate_latest(self.registry)
