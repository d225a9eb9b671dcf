"""The Slack emulator on loopback, for tests of the Slack helpers against it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.slack import SlackConfig, SlackState, create_slack_emulator


@pytest.fixture
async def slack() -> AsyncIterator[SlackState]:
    state = SlackState(SlackConfig())
    async with LoopbackServer(create_slack_emulator(state), lifespan="off") as server:
        state.config.public_url = server.url
        yield state
        await state.aclose()
