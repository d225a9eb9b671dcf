"""A campaign from a CSV: a 100,000-line file read, dry-run and sent, against a baseline
of 1,000 lines in the same run — mProfi calls, time and the bridge's peak memory.

The bridge runs in this process (its jobs run one after another, as one worker does)
so that ``tracemalloc`` sees its allocations; the mProfi simulator runs as its own
process (``mprofi-slack simulator``), so the 100,000 messages it keeps are not counted
as ours; the Slack emulator is here and keeps the shared file and the results CSV, which
are counted (both are files, the same size whatever the bridge does).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from bot.app import build_bridge
from bot.bridge.jobs import run_job
from bot.bridge.models import RetryLater
from bot.config import Settings
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.mprofi import SimulatorConfig
from bot.sandbox.process import free_port
from bot.sandbox.slack import SlackConfig, SlackMessage, SlackState, create_slack_emulator
from storage import make_engine, make_sessionmaker
from storage.campaign_models import Campaign, CampaignState
from storage.migrate import upgrade
from storage.queue import claim, complete, retry_later

__all__ = ["campaign"]

MB = 1024 * 1024
TEMPLATE = "Dzień dobry {imię}! Przypominamy o wizycie {data_wizyty} o 10:00. Do zobaczenia w przychodni."


def csv_content(rows: int) -> bytes:
    """A Polish Excel file: ``;``, Windows-1250, a tenth of its names with Polish letters."""
    lines = ["telefon;imię;data wizyty"]
    lines += [f"{500_000_000 + i};{'Łucja' if i % 10 == 0 else 'Anna'};{1 + i % 28}.12" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode("cp1250")


@contextlib.asynccontextmanager
async def simulator() -> AsyncIterator[str]:
    """The mProfi simulator as its own process; its API root."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))",
        "simulator",
        "--port",
        str(port),
        "--status-step",
        "3600",  # statuses stay put: the figure is the sending, not the simulator's pushes
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/1.0/"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                with contextlib.suppress(httpx.HTTPError):
                    await http.get(f"http://127.0.0.1:{port}/_sim/messages")
                    break
                await asyncio.sleep(0.05)
        yield url
    finally:
        process.terminate()
        await process.wait()


async def _run_until(bridge: Any, done: Any) -> None:
    """Run due jobs (one worker's way) until ``done()`` says so."""
    while not await done():
        job = await claim(bridge.sessions, lanes=("slack", "mprofi"), lease=timedelta(minutes=5))
        if job is None:
            await asyncio.sleep(0.01)
            continue
        try:
            await run_job(bridge.ctx, job)
        except RetryLater as exc:
            await retry_later(bridge.sessions, job.id, delay=exc.delay or 0.1, error=str(exc), attempts=job.attempts)
        else:
            await complete(bridge.sessions, job.id, attempts=job.attempts)


async def _one(database_url: str, rows: int, mprofi_url: str) -> dict[str, Any]:
    slack = SlackState(SlackConfig())
    keys = SimulatorConfig().keys
    calls = {"sendbulk/": 0}

    async def count(request: httpx.Request) -> None:
        if request.url.path.endswith("/sendbulk/"):
            calls["sendbulk/"] += 1

    content = csv_content(rows)
    async with LoopbackServer(create_slack_emulator(slack), lifespan="off") as server:
        slack.config.public_url = server.url
        settings = Settings(
            _env_file=None,
            slack_bot_token=slack.config.bot_token,
            slack_signing_secret=slack.config.signing_secret,
            slack_api_url=server.url + "/api/",
            slack_channel=next(iter(slack.config.channels)),
            mprofi_api_key=keys["send"],
            mprofi_api_url=mprofi_url,
            database_url=database_url,
            slack_posts_per_second=1000.0,
            sms_confirm_above=10**9,
            bot_language="en",
        )
        engine = make_engine(settings.database_url)
        await upgrade(engine)
        sessions = make_sessionmaker(engine)
        file = slack.share_file("U0ANNA", "wizyty.csv", content, "text/csv")
        shared = SlackMessage(channel="C0GENERAL", ts=slack.next_ts(), text="campaign", user="U0ANNA", files=[file])
        slack.messages[(shared.channel, shared.ts)] = shared
        async with httpx.AsyncClient(timeout=60.0, event_hooks={"request": [count]}) as http:
            bridge = build_bridge(settings, engine, sessions, http)

            async def state() -> str | None:
                async with sessions() as session:
                    return await session.scalar(select(Campaign.state).limit(1))

            async def ready() -> bool:
                return await state() in (CampaignState.READY, CampaignState.FAILED)

            async def sent() -> bool:
                return await state() == CampaignState.SENT

            async def results() -> bool:
                return any(f.name.startswith("campaign-") for f in slack.files.values())

            peaks: dict[str, float] = {}
            tracemalloc.start()
            started = time.perf_counter()
            await bridge.campaigns.start(
                trigger_id="bench", user_id="U0ANNA", channel_id="C0GENERAL", thread_ts=shared.ts, file=file, typed=TEMPLATE
            )
            await _run_until(bridge, ready)
            dry_run = time.perf_counter() - started
            peaks["dry_run"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            async with sessions() as session:
                campaign_id = await session.scalar(select(Campaign.id).limit(1))
            answer = await bridge.campaigns.send(int(campaign_id or 0), user_id="U0ANNA")
            await _run_until(bridge, sent)
            sending = time.perf_counter() - started - dry_run
            peaks["send"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            await _run_until(bridge, results)
            peaks["results"] = tracemalloc.get_traced_memory()[1]
            total = time.perf_counter() - started
            tracemalloc.stop()
            await bridge.close()
        await engine.dispose()
        await slack.aclose()
    return {
        "rows": rows,
        "file_mb": round(len(content) / MB, 2),
        "answer": answer,
        "sendbulk_calls": calls["sendbulk/"],
        "dry_run_s": round(dry_run, 2),
        "send_s": round(sending, 2),
        "results_s": round(total - dry_run - sending, 2),
        "results_mb": round(max((len(f.content) for f in slack.files.values() if f.name.startswith("campaign-")), default=0) / MB, 2),
        # Peak traced memory of each phase (the CSV's bytes, held by the emulator and the download, included).
        "peak_dry_run_mb": round(peaks["dry_run"] / MB, 1),
        "peak_send_mb": round(peaks["send"] / MB, 1),
        "peak_results_mb": round(peaks["results"] / MB, 1),
        "peak_traced_mb": round(max(peaks["dry_run"], peaks["send"]) / MB, 1),
    }


async def campaign(database_urls: tuple[str, str], *, rows: int, baseline: int = 1000) -> dict[str, Any]:
    """``baseline`` lines, then ``rows`` lines, each on a fresh database of its own."""
    async with simulator() as url:
        small = await _one(database_urls[0], baseline, url)
        big = await _one(database_urls[1], rows, url)
    return {"baseline": small, "full": big, "peak_growth_mb": round(big["peak_traced_mb"] - small["peak_traced_mb"], 1)}
