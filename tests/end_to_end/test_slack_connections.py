"""The bridge's Slack calls go over kept connections, not one new connection each.

slack_sdk's ``AsyncWebClient`` opens a session of its own for every call unless it is
given one; in production that is a TCP and TLS handshake with Slack per post. The app
gives it one for its lifetime, and the stand-in servers answer without Nagle's delay,
so a kept connection is also the quick one.
"""

from __future__ import annotations

from tests.support import StackFactory


async def test_a_burst_of_posts_reuses_the_bridge_s_connections(make_stack: StackFactory) -> None:
    async with make_stack(settings={"worker_count": 1}) as stack:
        for n in range(4):
            await stack.phone_texts("48600100200", f"Wiadomość {n}")
        await stack.drain()
        calls = [call for call in stack.slack.calls if call.method in ("chat.postMessage", "chat.update")]
        assert len(calls) >= 5  # the card, four SMS, the card drawn again
        assert all(call.connection for call in calls)
        assert len({call.connection for call in calls}) <= 2  # one worker: one connection, or two if it sat idle past its keep-alive
