"""Background workers: drain the job queue and, for PULL accounts, poll statuses.

Started in the app's lifespan. Several workers run side by side (and several replicas
may too): the queue's leases keep any job from running twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from slack_sdk.errors import SlackApiError

from bot.bridge.facade import Bridge
from bot.bridge.giving_up import end_job
from bot.bridge.models import RetryLater
from bot.bridge.posts import SLACK_REFUSED, refused
from bot.slack.errors import SlackUnavailable, is_permanent, slack_error
from bot.slack.pacing import ChannelBusy, PacedWebClient, defer_when_busy
from storage.kinds import JobKind, Lane
from storage.models import Job, utcnow
from storage.queue import claim_next, complete, postpone, release, renew, retry_later

__all__ = ["Workers", "backoff"]

logger = logging.getLogger(__name__)


# Kinds that resume where they stopped (each post committed as it lands, what comes
# before it only reads or does again what is already done): put off while their
# channel waits for its turn, they lose nothing and post nothing twice. Other kinds
# (a /sms's progress, a report) are rare in a busy channel and wait where they stand.
RESUMABLE = frozenset({JobKind.POST_INBOUND, JobKind.NOTICE, JobKind.RENDER_STATUS, JobKind.RENDER_CARD})
# Of those, the kinds that always post (a card or a status line is mostly edited in place):
# put off before they run when their channel is known to be busy.
ALWAYS_POST = frozenset({JobKind.POST_INBOUND, JobKind.NOTICE})
# Back this much before the kept turn: the job is claimed again in time for it.
_LEAD_SECONDS = 0.05


def backoff(attempts: int, *, cap: float = 300.0) -> float:
    """1 s, 2 s, 4 s … up to ``cap``: how long a failed job waits before its next try."""
    return float(min(cap, 2 ** max(0, attempts - 1)))


def _duration(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    return f"{seconds // 3600} h {seconds % 3600 // 60} min" if seconds >= 3600 else f"{seconds // 60} min {seconds % 60} s"


def _slack_delay(exc: SlackApiError, attempts: int) -> float:
    """Slack's own ``Retry-After`` when it rate-limits us, else the usual back-off."""
    if exc.response.status_code == 429:
        value = next((v for k, v in (exc.response.headers or {}).items() if k.lower() == "retry-after"), "1")
        try:
            return max(1.0, float(value[0] if isinstance(value, list) else value))
        except (TypeError, ValueError):
            return 1.0
    return backoff(attempts)


class Workers:
    def __init__(
        self,
        bridge: Bridge,
        *,
        count: int = 4,
        idle_seconds: float = 0.5,
        lease_seconds: float = 120.0,
        poll_statuses: bool = False,
        catch_up_every: float = 0.0,
        remind_every: float = 0.0,
        retention_every: float = 0.0,
        max_attempts: int = 200,
        give_up_hours: float = 24.0,
        pace_patience: float = 0.25,
    ) -> None:
        self._bridge = bridge
        self._count = count
        self._idle = idle_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_statuses
        self._catch_up_every = catch_up_every
        self._remind_every = remind_every
        self._retention_every = retention_every
        self._max_attempts = max_attempts
        self._give_up_after = timedelta(hours=give_up_hours)
        self._patience = pace_patience
        # Which channel each conversation posts in, learnt when one of its jobs had to wait
        # for its turn (a conversation never moves): the next job of a busy channel is put
        # off before it runs, without reading what it would have posted.
        self._channel_of: dict[int, str] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(n), name=f"worker-{n}") for n in range(self._count)]
        if self._poll:
            self._tasks.append(asyncio.create_task(self._poll_loop(), name="status-poller"))
        if self._catch_up_every > 0:
            self._tasks.append(asyncio.create_task(self._catch_up_loop(), name="catch-up"))
        if self._remind_every > 0:
            self._tasks.append(asyncio.create_task(self._remind_loop(), name="reminders"))
        if self._retention_every > 0:
            self._tasks.append(asyncio.create_task(self._retention_loop(), name="retention"))

    async def stop(self, grace: float = 2.0) -> None:
        """Stop; a job under way gets ``grace`` seconds to finish, then is cancelled and handed back."""
        self._stopping.set()
        self._bridge.work.notify_all()
        running = [task for task in self._tasks if task.get_name().startswith("worker-")]
        if running:
            await asyncio.wait(running, timeout=grace)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _wait_for_work(self) -> None:
        await self._bridge.work.wait(self._idle)

    async def run_once(self) -> bool:
        """Claim and run one job; False when there was none. Tests call this directly."""
        job, more = await claim_next(self._bridge.sessions, lanes=(Lane.SLACK, Lane.MPROFI), lease=self._lease)
        if more:
            self._bridge.wake_workers()  # another job is ready too: an idle worker takes it
        if job is None:
            return False
        keeper = asyncio.create_task(self._keep_lease(job), name=f"lease-{job.id}")
        try:
            if job.kind in ALWAYS_POST:
                await self._put_off_if_busy(job)
            with defer_when_busy(job.id, self._patience) if job.kind in RESUMABLE else contextlib.nullcontext():
                await self._bridge.run_job(job)
        except ChannelBusy as exc:  # nothing posted: the worker takes other work until the channel's turn
            if job.conversation_id is not None:
                if len(self._channel_of) > 10_000:
                    self._channel_of.clear()
                self._channel_of[job.conversation_id] = exc.channel
            delay = max(0.0, exc.wait - _LEAD_SECONDS)
            if exc.after_refusal:  # Slack said 429: a try like any other, counted towards giving up
                await self._retry(job, delay, f"{SLACK_REFUSED}: ratelimited", log=logging.INFO)
            else:
                await postpone(self._bridge.sessions, job.id, delay=delay, attempts=job.attempts)
            asyncio.get_running_loop().call_later(delay, self._bridge.wake_workers)
        except RetryLater as exc:
            delay = exc.delay if exc.delay is not None else backoff(job.attempts)
            await self._retry(job, delay, str(exc), log=logging.INFO)
        except SlackUnavailable as exc:  # a file download or a response_url: nothing was done
            await self._retry(job, backoff(job.attempts), str(exc), log=logging.INFO)
        except SlackApiError as exc:
            if is_permanent(exc):
                await end_job(self._bridge.ctx, job, slack_error(exc))
                return True
            # A plain refusal posted nothing; anything else (a 5xx, a garbled answer) may have.
            prefix = SLACK_REFUSED if refused(exc) else "Slack failed"
            await self._retry(job, _slack_delay(exc, job.attempts), f"{prefix}: {slack_error(exc)}")
        except asyncio.CancelledError:
            # Stopping mid-job: hand it back now rather than leave its lane held until the lease runs out.
            with contextlib.suppress(Exception):
                await asyncio.shield(release(self._bridge.sessions, job.id, attempts=job.attempts))
            raise
        except Exception as exc:  # any failure: keep the job, try again later
            logger.debug("job %s (%s) failed", job.id, job.kind, exc_info=True)
            await self._retry(job, backoff(job.attempts), f"{type(exc).__name__}: {exc}")
        else:
            if not await complete(self._bridge.sessions, job.id, attempts=job.attempts):
                logger.warning("job %s (%s) finished after its lease had passed to another run", job.id, job.kind)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        return True

    async def _put_off_if_busy(self, job: Job) -> None:
        """Raise :class:`ChannelBusy` before the job runs when its channel is known and far from its turn."""
        channel = self._channel_of.get(job.conversation_id or 0)
        slack = self._bridge.slack
        if channel is not None and isinstance(slack, PacedWebClient):
            wait = await slack.pacer.put_off(channel, job.id, self._patience)
            if wait is not None:
                raise ChannelBusy(channel, wait)

    async def _retry(self, job: Job, delay: float, error: str, *, log: int = logging.WARNING) -> None:
        """Try again later, unless the job has tried too often or for too long: then it ends, visibly."""
        age = utcnow() - job.created_at
        if job.attempts >= self._max_attempts or age > self._give_up_after:
            reason = f"still failing after {job.attempts} attempts over {_duration(age)}: {error}"  # untranslated: a job error (jobs table, logs)
            await end_job(self._bridge.ctx, job, reason, tries=(job.attempts, _duration(age)))
            return
        logger.log(log, "job %s (%s) will retry in %.0f s: %s", job.id, job.kind, delay, error)
        await retry_later(self._bridge.sessions, job.id, delay=delay, error=error, attempts=job.attempts)

    async def _keep_lease(self, job: Job) -> None:
        """Renew a running job's lease, so a short lease frees a dead worker's job in seconds
        while a live one keeps it as long as it runs."""
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                if not await renew(self._bridge.sessions, job, lease=self._lease):
                    logger.warning("job %s (%s) lost its lease while running", job.id, job.kind)
                    return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database hiccuped: the next beat tries again
                logger.warning("could not renew the lease of job %s: %s", job.id, type(exc).__name__)

    async def _run(self, number: int) -> None:
        while not self._stopping.is_set():
            try:
                if not await self.run_once():
                    await self._wait_for_work()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database itself failed: wait, then go on
                logger.exception("worker %s could not reach the queue", number)
                await asyncio.sleep(self._idle)

    async def _poll_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._bridge.poll_statuses()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("status polling failed")
            await asyncio.sleep(self._idle)

    async def _catch_up_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._bridge.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("catch-up through getincoming failed")
            await asyncio.sleep(self._catch_up_every)

    async def _retention_loop(self) -> None:
        """Asks often whether a pass is due: removing old texts (daily, with ``RETENTION_DAYS``) and
        finished jobs (hourly, always); each pass runs on one replica."""
        while not self._stopping.is_set():
            try:
                await self._bridge.remove_old_texts()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("removing old texts failed")
            try:
                await self._bridge.prune_finished_jobs()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("pruning finished jobs failed")
            await asyncio.sleep(self._retention_every)

    async def _remind_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._bridge.remind_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("conversation reminders failed")
            await asyncio.sleep(self._remind_every)
