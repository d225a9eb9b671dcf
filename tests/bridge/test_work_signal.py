"""Waking workers: one per piece of news, none lost, all of them when stopping."""

from __future__ import annotations

import asyncio

from bot.bridge.work_signal import WorkSignal


async def _waiting(signal: WorkSignal, count: int, timeout: float = 5.0) -> list[asyncio.Task[None]]:
    tasks = [asyncio.create_task(signal.wait(timeout)) for _ in range(count)]
    await asyncio.sleep(0.01)  # all of them waiting
    return tasks


async def test_news_wakes_one_idle_worker_not_all() -> None:
    signal = WorkSignal()
    tasks = await _waiting(signal, 3)
    signal.notify()
    await asyncio.sleep(0.01)
    assert sum(task.done() for task in tasks) == 1
    signal.notify_all()
    await asyncio.wait_for(asyncio.gather(*tasks), 1)


async def test_news_while_everyone_is_busy_is_not_lost() -> None:
    signal = WorkSignal()
    signal.notify()  # a commit while every worker was running a job
    await asyncio.wait_for(signal.wait(5.0), 0.5)  # the next to look goes at once
    waited = asyncio.get_running_loop().time()
    await signal.wait(0.05)  # the news was taken: the one after waits its time
    assert asyncio.get_running_loop().time() - waited >= 0.04


async def test_a_worker_that_timed_out_is_not_woken_in_place_of_a_waiting_one() -> None:
    signal = WorkSignal()
    await signal.wait(0.01)  # timed out, gone
    [task] = await _waiting(signal, 1)
    signal.notify()
    await asyncio.wait_for(task, 0.5)
