"""A flooded channel never holds up a quiet one: a worker whose post must wait for its
channel's turn puts the job back until then and takes other work meanwhile.

One worker; the app keeps to one post a second per channel, and the emulator enforces
Slack's own limit (one a second, short bursts of three). Before, that worker sat out the sales channel's whole backlog while the quiet
channel's first SMS waited behind it.
"""

from __future__ import annotations

import time

from bot.sandbox.slack import SlackConfig
from bot.sandbox.stack import SandboxStack
from tests.support import StackFactory

QUIET, SALES = "C0SMSBRIDGE", "C0SALES"
SALES_NUMBER = "48500100200"
CUSTOMERS = [f"4860020{n:04d}" for n in range(6)]  # a new thread each: a card and the SMS, two posts


def _stack(make_stack: StackFactory) -> SandboxStack:
    slack = SlackConfig(channels={QUIET: "sms-bridge", SALES: "sprzedaz", "C0GENERAL": "general"}, post_rate=1.0, post_burst=3)
    # Workers look at the queue by themselves only every 2 s: a job put off must be woken at its turn.
    settings = {
        "routes": f"{SALES_NUMBER}={SALES}",
        "worker_count": 1,
        "worker_idle_seconds": 2.0,
        "slack_posts_per_second": 1.0,
        "slack_post_burst": 1,
    }
    return make_stack(slack=slack, settings=settings)


async def test_a_burst_into_one_channel_does_not_hold_up_another(make_stack: StackFactory) -> None:
    async with _stack(make_stack) as stack:
        for index, phone in enumerate(CUSTOMERS):
            await stack.phone_texts(phone, f"Zamówienie {index}", recipient=SALES_NUMBER)
        started = time.monotonic()
        await stack.phone_texts("48600300400", "Czy ktoś tam jest?", recipient="48664400100")
        parent = await stack.until(lambda: next(iter(stack.slack.top_level(QUIET)), None), what="the quiet channel's thread")
        await stack.until(lambda: stack.replies(parent), what="the quiet channel's SMS")
        waited = time.monotonic() - started
        sales_posted = [c for c in stack.slack.calls if c.method == "chat.postMessage" and c.params.get("channel") == SALES]

        assert waited < 4.0, f"the quiet channel waited {waited:.1f} s behind the sales channel's backlog"
        assert len(sales_posted) < 2 * len(CUSTOMERS)  # the sales channel was still working through its burst

        def all_sales_posted() -> bool:
            threads = stack.slack.top_level(SALES)
            return len(threads) == len(CUSTOMERS) and all(stack.replies(t) for t in threads)

        # Twelve posts at one a second: the put-off jobs came back at their turns, not at the next look.
        await stack.until(all_sales_posted, timeout=20, what="every sales SMS in its thread")
        texts = sorted(r.text for t in stack.slack.top_level(SALES) for r in stack.replies(t))
        assert len(texts) == len(CUSTOMERS)  # each once: none posted twice by a job put back
        assert not [c for c in stack.slack.calls if c.status == 429]  # the pace was kept: Slack never had to refuse
