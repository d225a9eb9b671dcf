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
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.sandbox.loopback import LoopbackServer
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


def slack_at(url: str, tmp_path: Path) -> dict[str, str]:
    """Settings that are fine in themselves, with Slack's API at ``url``."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": url,
        "SLACK_CHANNEL": "C0SMSBRIDGE",
        "MPROFI_API_KEY": "k",
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
    env = slack_at(f"http://127.0.0.1:{port}/api/", tmp_path)
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


@pytest.mark.parametrize(
    ("url", "line"),
    [
        (
            "postgresql//bridge:s3cret-pass@db/bridge",
            "DATABASE_URL cannot be read as a URL such as postgresql://user:password@host:5432/name",
        ),
        (
            "postgresql://bridge:s3cr@t-pass@127.0.0.1:5432/bridge",
            "DATABASE_URL has more than one @ before the host; write an @ in the password as %40.",
        ),
        ("sqlite:///bridge.db?mode=ro&pass=1", "DATABASE_URL for SQLite takes no options after ?: write sqlite:///path/to/file.db"),
    ],
)
async def test_a_database_url_that_cannot_be_read_is_told_without_its_password(tmp_path: Path, url: str, line: str) -> None:
    run = await cli(["serve"], {"DATABASE_URL": url}, tmp_path)
    assert run.status == 2
    assert any(shown.startswith(f"mprofi-slack: {line}") for shown in run.lines), run.lines
    assert "s3cr" not in run.err and "pass" not in run.err.replace("password", "")
    assert not (tmp_path / "mprofi-slack.db").exists()  # the default database was not tried instead


async def test_an_api_url_with_a_key_in_its_query_is_refused_without_echoing_it(tmp_path: Path) -> None:
    run = await cli(["serve"], {"MPROFI_API_URL": "https://api.mprofi.pl/1.0/?apikey=0123456789abcdef"}, tmp_path)
    assert run.status == 2
    assert (
        "mprofi-slack: MPROFI_API_URL: 'https://api.mprofi.pl/1.0/' must not carry a ?query or #fragment; give the base URL only."
        in run.lines
    )
    assert "0123456789abcdef" not in run.err


@pytest.mark.parametrize(
    ("fault", "line"),
    [
        (
            {"status": 503},
            "mprofi-slack: SLACK_API_URL: Slack is not answering auth.test properly right now (HTTP 503); try again in a while.",
        ),
        (
            {"status": 429},
            "mprofi-slack: SLACK_API_URL: Slack is not answering auth.test properly right now (ratelimited); try again in a while.",
        ),
        (
            {"error": "fatal_error"},
            "mprofi-slack: SLACK_API_URL: Slack is not answering auth.test properly right now (fatal_error); try again in a while.",
        ),
    ],
)
async def test_slack_failing_for_a_while_exits_1_so_a_supervisor_tries_again(
    slack: SlackState, tmp_path: Path, fault: dict[str, Any], line: str
) -> None:
    slack.fail("auth.test", times=1, **fault)
    run = await cli(["serve"], good_env(slack, tmp_path), tmp_path)
    assert run.status == 1
    assert run.lines[0] == line


async def test_a_url_that_is_not_slack_is_told_in_one_line(tmp_path: Path) -> None:
    async def not_slack(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"<html>not json</html>"})

    async with LoopbackServer(not_slack, lifespan="off") as server:
        env = slack_at(server.url + "/api/", tmp_path)
        run = await cli(["serve"], env, tmp_path)
    assert run.status == 2
    assert run.lines[0].startswith(f"mprofi-slack: SLACK_API_URL: {server.url}/api/ ")
    assert len(run.lines) == 2


async def test_postgresql_refusing_the_login_or_the_database_name_is_a_setting_to_fix(
    slack: SlackState, tmp_path: Path, postgres_url: str
) -> None:
    url = make_url(postgres_url)
    no_database = url.set(database="no_such_database_here").render_as_string(hide_password=False)
    run = await cli(["serve"], good_env(slack, tmp_path) | {"DATABASE_URL": no_database}, tmp_path)
    assert run.status == 2
    assert run.lines[0].startswith("mprofi-slack: DATABASE_URL: the server has no database 'no_such_database_here' (")
    no_role = url.set(username="no_such_role_here").render_as_string(hide_password=False)
    run = await cli(["serve"], good_env(slack, tmp_path) | {"DATABASE_URL": no_role}, tmp_path)
    assert run.status == 2
    assert run.lines[0].startswith(f"mprofi-slack: DATABASE_URL: the database at {url.host}:{url.port}/{url.database} refused the login (")


async def test_a_migration_the_database_refuses_is_one_line_before_serve_listens(
    slack: SlackState, tmp_path: Path, postgres_url: str
) -> None:
    """A PostgreSQL user without CREATE on its schema: serve migrates in its checks and says so."""
    url = make_url(postgres_url)
    role = f"bridge_reader_{url.database}"  # the scratch database's name is unique; roles are the server's
    admin = create_async_engine(url.set(drivername="postgresql+asyncpg"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            await connection.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        reader = url.set(username=role, password=None).render_as_string(hide_password=False)
        for command in ("serve", "migrate"):
            run = await cli([command], good_env(slack, tmp_path) | {"DATABASE_URL": reader}, tmp_path)
            assert run.status == 2, run.err
            assert run.lines[0].startswith(
                f"mprofi-slack: DATABASE_URL: the database at {url.host}:{url.port}/{url.database} refused the migration ("
            )
            assert run.lines[0].endswith("the user needs to create tables there.")
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP OWNED BY "{role}"'))
            await connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        await admin.dispose()


async def test_socket_mode_that_never_connects_ends_the_start_in_one_line(slack: SlackState, tmp_path: Path) -> None:
    """Slack hands out a WebSocket address nothing answers at (a firewall that blocks wss://):
    slack_sdk would retry for ever; serve gives up after 30 s with one line and uvicorn's 3."""
    env = good_env(slack, tmp_path) | {"SLACK_APP_TOKEN": slack.config.app_token, "PORT": str(closed_port())}
    slack.config.public_url = f"http://127.0.0.1:{closed_port()}"  # where connections.open sends the app
    run = await cli(["serve"], env, tmp_path)
    assert run.status == 3
    refused = [line for line in run.lines if "start-up refused:" in line]
    assert len(refused) == 1 and refused[0].endswith(
        "start-up refused: Slack's Socket Mode connection did not come up within 30 s; "
        "check that this host may open WebSocket (wss://) connections to Slack."
    )
    assert all(len(line) < 1000 for line in run.lines)  # one line per event, no folded traceback either


async def test_every_bad_route_is_one_line_and_no_key_is_echoed(slack: SlackState, tmp_path: Path) -> None:
    slack.config.channels["C0SALES"] = "sprzedaz"
    env = good_env(slack, tmp_path) | {
        "ROUTES": "48500100200=C0SALES,SERWIS,48500100200=C0OTHER1,INFO=#info,a b=C0SALES1,wypisz=C0SALES",
        "ROUTE_KEYS": "C0SALES=sekret-1,sekret-2=C0SALES,C0SALES=sekret-3",
    }
    run = await cli(["check"], env, tmp_path)
    assert run.status == 2
    assert run.lines == [
        "mprofi-slack: ROUTES: entry 2 ('SERWIS') is not number=channel or KEYWORD=channel, such as 48500100200=C0SALES.",
        "mprofi-slack: ROUTES: 48500100200 is routed twice (C0SALES and C0OTHER1); keep one.",
        "mprofi-slack: ROUTES: INFO leads to '#info', which is not a channel ID such as C0ABC1234.",
        "mprofi-slack: ROUTES: 'a b' is neither a receiving number (digits) nor a keyword (one word).",
        "mprofi-slack: ROUTES: wypisz is an opt-out or opt-in word; a keyword route cannot use it.",
        "mprofi-slack: ROUTE_KEYS: entry 2 does not start with a channel ID; write it as C0ABC1234=<key>.",
        "mprofi-slack: ROUTE_KEYS: C0SALES is given two keys; keep one.",
        "mprofi-slack: not started; see the README's configuration table.",
    ]
    assert "sekret" not in run.err + run.out


async def test_a_routed_channel_the_bot_is_not_in_says_whom_to_invite_where(slack: SlackState, tmp_path: Path) -> None:
    slack.config.channels["C0SALES"] = "sprzedaz"
    slack.config.not_joined = {"C0SALES"}
    slack.config.channels["C0OLDTEAM"] = "stary-zespol"
    env = good_env(slack, tmp_path) | {"ROUTES": "48500100200=C0SALES", "ROUTE_KEYS": "C0SALES=k1,C0OLDTEAM=k2,C0NOSUCH1=k3"}
    run = await cli(["check"], env, tmp_path)
    assert run.status == 2
    assert run.lines[:3] == [
        "mprofi-slack: ROUTES: the app is not in #sprzedaz; invite @mprofi-bridge to #sprzedaz (/invite @mprofi-bridge in the channel).",
        "mprofi-slack: ROUTE_KEYS: Slack knows no channel C0NOSUCH1 that the app can see; check the ID, "
        "and for a private channel invite the app first (/invite @mprofi-bridge in the channel).",
        "mprofi-slack: not started; see the README's configuration table.",
    ]
