"""``serve`` refuses what cannot work: one line each, the right exit status, no traceback.

The command runs as its own process against the Slack emulator on loopback, the way
an operator starts it; settings come from the environment only.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.sandbox.slack import SlackState

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    status: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.err.splitlines()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def cli(args: list[str], env: dict[str, str], cwd: Path) -> Run:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    run = Run(process.returncode, out.decode(), err.decode())
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err
    return run


def good_env(slack: SlackState, tmp_path: Path) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": slack.config.bot_token,
        "SLACK_SIGNING_SECRET": slack.config.signing_secret,
        "SLACK_API_URL": slack.config.public_url + "/api/",
        "SLACK_CHANNEL": "C0SMSBRIDGE",
        "MPROFI_API_KEY": "0123456789abcdef",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.db'}",
    }


async def test_a_good_configuration_passes_the_check(slack: SlackState, tmp_path: Path) -> None:
    run = await cli(["check"], good_env(slack, tmp_path), tmp_path)
    assert run.status == 0, run.err
    assert run.out.strip() == "mprofi-slack: settings, database and Slack (token, channels) are in order; serve can start."
    assert {call.method for call in slack.calls} >= {"auth.test", "conversations.info"}


async def test_a_token_slack_refuses_is_one_line(slack: SlackState, tmp_path: Path) -> None:
    env = good_env(slack, tmp_path) | {"SLACK_BOT_TOKEN": "xoxb-1111-2222-revokedrevokedrevoked"}
    for command in ("serve", "check"):
        run = await cli([command], env, tmp_path)
        assert run.status == 2
        assert run.lines == [
            "mprofi-slack: SLACK_BOT_TOKEN: Slack refused the bot token (invalid_auth); copy the Bot User OAuth Token (xoxb-…) again.",
            "mprofi-slack: not started; see the README's configuration table.",
        ]


async def test_a_channel_the_bot_is_not_in_says_whom_to_invite_where(slack: SlackState, tmp_path: Path) -> None:
    slack.config.not_joined = {"C0SMSBRIDGE", "C0GENERAL"}
    env = good_env(slack, tmp_path) | {"SURVEY_CHANNEL": "C0GENERAL"}
    run = await cli(["serve"], env, tmp_path)
    assert run.status == 2
    assert run.lines[:2] == [
        "mprofi-slack: SLACK_CHANNEL: the app is not in #sms-bridge; invite @mprofi-bridge to #sms-bridge (/invite @mprofi-bridge in the channel).",
        "mprofi-slack: SURVEY_CHANNEL: the app is not in #general; invite @mprofi-bridge to #general (/invite @mprofi-bridge in the channel).",
    ]


async def test_a_channel_that_does_not_exist_is_named(slack: SlackState, tmp_path: Path) -> None:
    run = await cli(["serve"], good_env(slack, tmp_path) | {"SLACK_CHANNEL": "C0NOSUCHONE"}, tmp_path)
    assert run.status == 2
    assert run.lines[0] == (
        "mprofi-slack: SLACK_CHANNEL: Slack knows no channel C0NOSUCHONE that the app can see; check the ID, "
        "and for a private channel invite the app first (/invite @mprofi-bridge in the channel)."
    )


async def test_a_private_channel_outside_the_app_is_invisible_and_said_so(slack: SlackState, tmp_path: Path) -> None:
    slack.config.channels["G0PRIVATE1"] = "zespol"
    slack.config.not_joined = {"G0PRIVATE1"}
    run = await cli(["serve"], good_env(slack, tmp_path) | {"SURVEY_CHANNEL": "G0PRIVATE1"}, tmp_path)
    assert run.status == 2
    assert run.lines[0].startswith("mprofi-slack: SURVEY_CHANNEL: Slack knows no channel G0PRIVATE1 that the app can see")


async def test_socket_mode_with_an_app_token_slack_refuses(slack: SlackState, tmp_path: Path) -> None:
    env = good_env(slack, tmp_path) | {"SLACK_APP_TOKEN": "xapp-1-A0WRONG-0000-wrongwrongwrong"}
    run = await cli(["serve"], env, tmp_path)
    assert run.status == 2
    assert run.lines[0] == (
        "mprofi-slack: SLACK_APP_TOKEN: Slack refused it for Socket Mode (invalid_auth); make an app-level token "
        "with connections:write under Basic Information → App-Level Tokens, and turn Socket Mode on."
    )


async def test_an_unreachable_database_is_one_line_for_serve_migrate_and_retry(slack: SlackState, tmp_path: Path) -> None:
    port = closed_port()
    env = good_env(slack, tmp_path) | {"DATABASE_URL": f"postgresql://bridge:s3cret-pass@127.0.0.1:{port}/bridge"}
    serve = await cli(["serve"], env, tmp_path)
    assert serve.status == 1
    assert serve.lines[0].startswith(f"mprofi-slack: DATABASE_URL: the database at 127.0.0.1:{port}/bridge cannot be reached (")
    assert len(serve.lines) == 2
    for command in ("migrate", "retry"):
        other = await cli([command], env, tmp_path)
        assert other.status == 1 and other.lines == [serve.lines[0]]
        assert "s3cret-pass" not in other.err
    assert "s3cret-pass" not in serve.err


async def test_a_sqlite_file_in_a_folder_that_does_not_exist(slack: SlackState, tmp_path: Path) -> None:
    env = good_env(slack, tmp_path) | {"DATABASE_URL": f"sqlite:///{tmp_path / 'nowhere' / 'bridge.db'}"}
    for command in ("migrate", "serve"):
        run = await cli([command], env, tmp_path)
        assert run.status == 2
        assert run.lines[0] == (
            f"mprofi-slack: DATABASE_URL: the folder {tmp_path / 'nowhere'} for the SQLite file does not exist; "
            "create it, or point DATABASE_URL elsewhere."
        )


async def test_slack_out_of_reach_is_one_line_and_exit_1(tmp_path: Path) -> None:
    port = closed_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": f"http://127.0.0.1:{port}/api/",
        "SLACK_CHANNEL": "C0SMSBRIDGE",
        "MPROFI_API_KEY": "k",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.db'}",
    }
    run = await cli(["serve"], env, tmp_path)
    assert run.status == 1
    assert run.lines[0].startswith(f"mprofi-slack: SLACK_API_URL: Slack cannot be reached at http://127.0.0.1:{port}/api/ (")
    assert len(run.lines) == 2


async def test_every_setting_is_checked_in_one_pass(tmp_path: Path) -> None:
    """The README's own example values, a URL without its scheme, a channel by name and a
    bad number: all reported at once, and Slack is not asked with a token known to be wrong."""
    env = {
        "SLACK_BOT_TOKEN": "xoxb-…",
        "SLACK_SIGNING_SECRET": "…",
        "SLACK_CHANNEL": "C0…",
        "MPROFI_API_KEY": "…",
        "MPROFI_API_URL": "api.mprofi.pl/1.0",
        "SLACK_API_URL": "ftp://slack.com/api/",
        "SURVEY_CHANNEL": "#ankiety",
        "PORT": "eighty",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.db'}",
    }
    run = await cli(["serve"], env, tmp_path)
    assert run.status == 2
    assert run.lines == [
        "mprofi-slack: SLACK_API_URL: 'ftp://slack.com/api/' is not an http(s)://host/… URL.",
        "mprofi-slack: MPROFI_API_URL: 'api.mprofi.pl/1.0' is not an http(s)://host/… URL.",
        "mprofi-slack: PORT: Input should be a valid integer, unable to parse string as an integer.",
        "mprofi-slack: SLACK_BOT_TOKEN still holds the README's example value; put the real one in.",
        "mprofi-slack: SLACK_SIGNING_SECRET still holds the README's example value; put the real one in.",
        "mprofi-slack: MPROFI_API_KEY still holds the README's example value; put the real one in.",
        "mprofi-slack: SLACK_CHANNEL still holds the README's example value; put the channel's real ID in.",
        "mprofi-slack: SURVEY_CHANNEL must be a channel ID such as C0ABC1234, not '#ankiety': "
        "open the channel's details in Slack, the ID is at the bottom of the About tab.",
        "mprofi-slack: not started; see the README's configuration table.",
    ]


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        ("SLACK_API_URL", "https://YOUR-HOST/api/", "SLACK_API_URL still holds the README's example value; put the real one in."),
        (
            "MPROFI_API_URL",
            "https://api.mprofi.pl/1.0/?x=1",
            "MPROFI_API_URL: 'https://api.mprofi.pl/1.0/?x=1' must not carry a ?query or #fragment; give the base URL only.",
        ),
        ("MPROFI_WEBHOOK_TOKEN", "YOUR_WEBHOOK_TOKEN", "MPROFI_WEBHOOK_TOKEN still holds the README's example value; put the real one in."),
        ("METRICS_ADDRESS", "9464", "METRICS_ADDRESS: '9464' is not host:port, such as 127.0.0.1:9464."),
        ("LOG_FORMAT", "xml", "LOG_FORMAT: Input should be 'text' or 'json'."),
    ],
)
async def test_one_bad_value_one_line(tmp_path: Path, name: str, value: str, line: str) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-…", name: value, "DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.db'}"}
    run = await cli(["serve"], env, tmp_path)
    assert run.status == 2 and f"mprofi-slack: {line}" in run.lines


async def test_a_metrics_address_already_taken(slack: SlackState, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        run = await cli(["serve"], good_env(slack, tmp_path) | {"METRICS_ADDRESS": address}, tmp_path)
    assert run.status == 1
    assert run.lines[0] == f"mprofi-slack: METRICS_ADDRESS: {address} cannot be listened on (Address already in use)."
