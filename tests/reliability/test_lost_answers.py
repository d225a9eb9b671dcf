"""Slack did what was asked but its answer never arrived: the retry must not do it again.

The emulator's ``HANG_AFTER`` fault posts the message (or shares the file) and then
answers 500, as when a connection drops after Slack acted. The job is retried; it
finds the copy by its message metadata (or file name) instead of posting a second one.
"""

from __future__ import annotations

import pytest
from aiohttp import ClientConnectorError, ClientOSError, ServerDisconnectedError
from aiohttp.client_reqrep import ConnectionKey
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState

from bot.sandbox.slack import HANG_AFTER
from bot.slack.retries import SafeConnectionErrorRetryHandler
from tests.support import (
    JPEG,
    NUMBER,
    PNG,
    StackFactory,
    open_thread,
    status_lines,
)


async def test_a_thread_parent_whose_answer_was_lost_is_not_posted_again(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        stack.slack.fail("chat.postMessage", HANG_AFTER, retry_after=0)
        await stack.phone_texts(NUMBER, "Pierwsza wiadomość")
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), what="the thread")
        await stack.until(lambda: stack.replies(parent), timeout=15, what="the message after the retry")
        await stack.drain()
        assert len(stack.slack.top_level(stack.channel)) == 1
        assert [r.text for r in stack.replies(parent)] == ["SMS from +48 600 100 200: Pierwsza wiadomość"]
        assert stack.slack.calls_to("conversations.history"), "the retry looked for the parent it had posted"


async def test_an_inbound_message_whose_answer_was_lost_is_posted_once(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        parent = await open_thread(stack)
        stack.slack.fail("chat.postMessage", HANG_AFTER, retry_after=0)
        await stack.phone_texts(NUMBER, "Druga wiadomość")
        await stack.until(lambda: stack.slack.calls_to("conversations.replies"), timeout=15, what="the retry's look")
        await stack.drain()
        assert [r.text for r in stack.replies(parent)] == [
            "SMS from +48 600 100 200: Dzień dobry",
            "SMS from +48 600 100 200: Druga wiadomość",
        ]


async def test_a_status_line_whose_answer_was_lost_is_posted_once_and_still_updated(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        parent = await open_thread(stack)
        stack.slack.fail("chat.postMessage", HANG_AFTER, retry_after=0)
        await stack.person_replies(parent, "Odpowiedź")
        sent = await stack.until(lambda: stack.sent_to(NUMBER), what="the SMS")
        await stack.until(lambda: status_lines(stack, parent), timeout=15, what="the status line")
        stack.sim.set_status(sent[0].id, "delivered")
        await stack.until(lambda: [m for m in status_lines(stack, parent) if ": delivered" in m.text], timeout=15, what="delivered")
        await stack.drain()
        assert len(status_lines(stack, parent)) == 1
        assert [m.text for m in stack.sent_to(NUMBER)] == ["Odpowiedź"]


async def test_an_mms_image_whose_share_answer_was_lost_is_shared_once(make_stack: StackFactory) -> None:
    async with make_stack() as stack:
        stack.slack.fail("files.completeUploadExternal", HANG_AFTER, retry_after=0)
        await stack.phone_texts(NUMBER, "Zdjęcia", images=[("a.png", PNG, "image/png"), ("b.jpg", JPEG, "image/jpeg")])
        parent = await stack.until(lambda: stack.thread_of("600 100 200"))
        await stack.until(lambda: len(stack.replies(parent)) >= 3, timeout=15, what="text and both images")
        await stack.drain()
        shared = [f["title"] for r in stack.replies(parent) for f in r.files]
        assert shared == ["a.png", "b.jpg"]


async def test_a_plain_refusal_is_retried_without_looking_first(make_stack: StackFactory) -> None:
    """A 429 or ``ok: false`` means Slack posted nothing; looking would only spend Slack's rate limit."""
    async with make_stack() as stack:
        stack.slack.fail("chat.postMessage", 429, times=4, retry_after=1)  # more than the client waits out itself
        await stack.phone_texts(NUMBER, "Po odmowie")
        parent = await stack.until(lambda: stack.thread_of("600 100 200"), timeout=20, what="the thread")
        await stack.until(lambda: stack.replies(parent), timeout=20)
        assert not stack.slack.calls_to("conversations.history") and not stack.slack.calls_to("conversations.replies")
        assert len(stack.slack.top_level(stack.channel)) == 1


@pytest.mark.parametrize(
    ("method", "error", "retried"),
    [
        ("chat.postMessage", ServerDisconnectedError(), False),  # the request may have landed
        (
            "chat.postMessage",
            ClientConnectorError(ConnectionKey("slack.test", 443, True, True, None, None, None), OSError(111, "refused")),
            True,
        ),
        ("files.completeUploadExternal", ClientOSError(104, "reset"), False),
        ("conversations.replies", ServerDisconnectedError(), True),  # reading twice is harmless
    ],
)
async def test_the_slack_client_repeats_a_posting_call_only_when_it_never_connected(method: str, error: Exception, retried: bool) -> None:
    handler = SafeConnectionErrorRetryHandler()
    request = HttpRequest(method="POST", url=f"https://slack.test/api/{method}", headers={}, data=b"{}")
    assert await handler.can_retry_async(state=RetryState(), request=request, error=error) is retried
