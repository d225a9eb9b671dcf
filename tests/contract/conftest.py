"""Fixtures of the contract tests: a recording stand-in for mProfi and the real client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.mprofi import MProfiClient
from tests.contract.fake_api import RecordingApi, spec_client


@pytest.fixture
def api() -> RecordingApi:
    return RecordingApi()


@pytest.fixture
async def client(api: RecordingApi) -> AsyncIterator[MProfiClient]:
    async with spec_client(api) as mprofi:
        yield mprofi
