"""Files shared in Slack, fetched the way the bridge fetches them, from the Slack emulator."""

from __future__ import annotations

import httpx
import pytest

from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.slack import SlackConfig, SlackState, create_slack_emulator
from bot.slack.errors import SlackUnavailable
from bot.slack.files import FileRefused, download, file_problem, file_ref


async def test_the_bot_token_fetches_the_bytes_and_a_limit_stops_reading(slack: SlackState) -> None:
    shared = slack.share_file("U0ANNA", "numbers.csv", b"600100200\n" * 1000, "text/csv")
    url = file_ref(shared)["url"]
    async with httpx.AsyncClient() as http:
        assert await download(http, url, token=slack.config.bot_token, limit=20_000) == b"600100200\n" * 1000
        cut = await download(http, url, token=slack.config.bot_token, limit=100)
    assert len(cut) == 101  # one byte past the limit: enough to tell "too big"


async def test_without_the_token_slack_answers_a_login_page_and_that_is_a_refusal(slack: SlackState) -> None:
    url = file_ref(slack.share_file("U0ANNA", "numbers.csv", b"600100200", "text/csv"))["url"]
    async with httpx.AsyncClient() as http:
        with pytest.raises(FileRefused, match="files:read"):
            await download(http, url, token="xoxb-wrong", limit=1000)


async def test_slack_out_of_reach_is_a_reason_to_try_later() -> None:
    async with LoopbackServer(create_slack_emulator(SlackState(SlackConfig())), lifespan="off") as server:
        url = server.url + "/files-pri/T1-F1/x.csv"
    async with httpx.AsyncClient() as http:  # the server is gone: the connection is refused
        with pytest.raises(SlackUnavailable):
            await download(http, url, token="xoxb-any", limit=1000)


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ([{"name": "a.png", "size": 10}, {"name": "b.png", "size": 10}], "An MMS carries one file; share the files one at a time."),
        ([{"name": "report.pdf", "size": 10}], "report.pdf cannot go by MMS; mProfi takes txt, png, jpg, jpeg or gif files."),
        ([{"name": "big.jpg", "size": 300_001}], "big.jpg is 301 kB and an MMS file may be at most 300 kB; shrink it and share it again."),
        ([{"name": "ok.jpeg", "size": 300_000}], None),
    ],
)
def test_what_can_go_by_mms_is_said_in_one_sentence(files: list[dict[str, object]], problem: str | None) -> None:
    assert file_problem(files) == problem
