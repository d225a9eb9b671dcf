"""A running sandbox console for the browser tests, and Debian's headless Chromium to drive it.

The sandbox runs in a thread of its own (its own event loop), as ``mprofi-slack sandbox``
runs it; the tests drive the page with Selenium, synchronously, as a person would.
Chromium and chromedriver come from Debian's ``chromium`` and ``chromium-driver``
(``.ci/run`` installs them): nothing is downloaded. Without them the browser tests are
skipped locally and fail under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.console.run import Console, console_running

ARTEFACTS = Path(os.environ.get("TEST_ARTEFACTS", Path(__file__).resolve().parents[2] / "build" / "test-artefacts"))


class RunningConsole:
    """``console_running`` in a background thread: ``start()``, ``url``, ``call(coro)``, ``stop()``."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.console: Console | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="sandbox-console", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as failure:
            self._failed = failure
            self._ready.set()

    async def _main(self) -> None:
        async with console_running(**self.options) as console:
            self.console, self.loop, self._stop = console, asyncio.get_running_loop(), asyncio.Event()
            self._ready.set()
            await self._stop.wait()

    def start(self) -> RunningConsole:
        self._thread.start()
        if not self._ready.wait(60) or self._failed is not None:
            raise RuntimeError(f"the sandbox console did not start: {self._failed!r}")
        return self

    @property
    def url(self) -> str:
        assert self.console is not None
        return self.console.url

    def call(self, coroutine: Any, timeout: float = 30) -> Any:
        """Run ``coroutine`` on the sandbox's loop and wait for its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop is not None and self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)
        assert not self._thread.is_alive(), "the sandbox console did not stop within 60 s"


def _binaries() -> tuple[str, str] | None:
    browser = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    found = _binaries()
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium and chromedriver are not installed: the browser tests must run in CI")
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # never let Selenium Manager reach for a download
    browser, driver_path = found
    options = Options()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1600,1300", "--lang=en"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def sandbox() -> Iterator[RunningConsole]:
    """The sandbox as ``mprofi-slack sandbox`` runs it, on a free port, the bridge speaking English
    (the tests read its words), replies going at once and mProfi moving states quickly."""
    running = RunningConsole(language="en", settings={"send_delay_seconds": 0.0}, status_step_seconds=0.2).start()
    try:
        yield running
    finally:
        running.stop()
