"""A real bridge :class:`Context` for calling the feature functions directly.

Built the way the app builds it (:func:`bot.app.build_bridge` over a migrated
database), so these tests and production share the wiring and only the transport
differs: a fresh SQLite file per test, the mProfi simulator in-process through an
ASGI transport, and the Slack emulator on a 127.0.0.1 port (``slack_sdk`` speaks
aiohttp, which needs a real URL). Nothing leaves loopback.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from bot.app import build_bridge
from bot.bridge.context import Context
from bot.config import Settings
from bot.sandbox.mprofi import SimulatorState, create_simulator_app
from bot.sandbox.slack import SlackState
from storage import make_engine, make_sessionmaker
from storage.migrate import current_revision, head_revision, upgrade

MPROFI_HOST = "mprofi.test"  # no such host: the HTTP client's ASGI mount answers for it


def settings_for(sim: SimulatorState, slack: SlackState, database_url: str) -> Settings:
    """The settings an operator would give, pointed at the simulator and the emulator."""
    keys = sim.config.keys
    return Settings(
        _env_file=None,
        slack_bot_token=slack.config.bot_token,
        slack_signing_secret=slack.config.signing_secret,
        slack_api_url=slack.config.public_url + "/api/",
        slack_channel=next(iter(slack.config.channels)),
        mprofi_api_key=keys["send"],
        mprofi_receive_key=keys["receive"],
        mprofi_hlr_key=keys["hlr"],
        mprofi_mms_key=keys["mms"],
        mprofi_api_url=f"http://{MPROFI_HOST}/1.0/",
        database_url=database_url,
        slack_posts_per_second=1000.0,  # the emulator sets no posting limit unless a test asks for one
        slack_post_burst=100,
        # A reply goes at once and keeps its line, as before the undo window and reactions;
        # tests of those set them with dataclasses.replace(ctx.config, …).
        send_delay_seconds=0.0,
        status_style="lines",
        # The tests read the code's own words; tests of the Polish ones choose them.
        bot_language="en",
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated as the app migrates it, once: each test gets a copy
    (running the migrations costs more than most tests)."""
    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()  # the last connection closes: the WAL is folded into the file
    return path


@pytest.fixture
async def ctx(tmp_path: Path, migrated: Path, sim: SimulatorState, slack: SlackState) -> AsyncIterator[Context]:
    """The bridge's Context over a fresh, migrated SQLite file of this test's own (change
    ``ctx.config`` with ``dataclasses.replace`` to try another setting)."""
    database = tmp_path / "bridge.db"
    shutil.copyfile(migrated, database)
    settings = settings_for(sim, slack, f"sqlite:///{database}")
    engine = make_engine(settings.database_url)
    try:
        assert await current_revision(engine) == head_revision()
        # One client, as in the app: mProfi's host is answered in-process, the rest
        # (response_url posts, file downloads) goes to the emulator on loopback.
        mprofi = httpx.ASGITransport(app=create_simulator_app(sim))
        async with httpx.AsyncClient(timeout=10.0, mounts={f"all://{MPROFI_HOST}": mprofi}) as http:
            bridge = build_bridge(settings, engine, make_sessionmaker(engine), http)
            try:
                yield bridge.ctx
            finally:
                await bridge.close()
    finally:
        await engine.dispose()
