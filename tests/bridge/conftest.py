"""End-to-end fixtures: the real app between the mProfi simulator and the Slack emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from bot.sandbox.stack import SandboxStack

StackFactory = Callable[..., AbstractAsyncContextManager[SandboxStack]]


@pytest.fixture
def make_stack(database_url: str) -> StackFactory:
    """``async with make_stack(status_mode="pull") as stack`` on this test's database."""

    def factory(**kwargs: Any) -> SandboxStack:
        return SandboxStack(database_url, **kwargs)

    return factory


@pytest.fixture
async def stack(make_stack: StackFactory) -> AsyncIterator[SandboxStack]:
    async with make_stack() as running:
        yield running
