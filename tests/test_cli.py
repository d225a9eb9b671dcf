"""The command line: the demo tells its story; serve refuses bad settings plainly."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.demo import run_demo
from storage.migrate import head_revision


async def test_demo_plays_the_whole_conversation_through_the_real_app() -> None:
    out = io.StringIO()
    assert await run_demo(out=out, language="en") == 0
    text = out.getvalue()
    assert "a new thread opens in #sms-bridge" in text
    assert "bridge: SMS from +48 600 100 200: Dzień dobry! Czy zamówienie 4471 już wyszło?" in text
    assert "mProfi ← send/ recipient 48600100200, encoding utf-8" in text
    assert "bridge, while it can still be undone: SMS to +48 600 100 200: sending in 5 s  [Cancel]" in text
    assert "Anna's reply now wears :white_check_mark:" in text
    assert "the undo line is gone" in text
    assert "card: 📱 +48 600 100 200 · :large_blue_circle: Waiting for the customer · Owner: @Anna Nowak" in text
    assert "mProfi received nothing (SMS sent so far: 1)" in text
    assert "[file paczka.png" in text
    assert "(only Piotr sees) Sending: 2 numbers (1 SMS part each, 2 SMS in all)." in text
    assert "#general: SMS to 2 numbers: 2 accepted, 0 not sent, 0 waiting" in text
    assert "+48 600 100 400 receives: “Zapraszamy po odbiór zamówienia”" in text
    assert "Closed by @Anna Nowak" in text
    assert "in the thread and in the channel: Jeszcze jedno" in text and "it is open again. @Anna Nowak" in text
    assert "3 SMS sent through mProfi" in text


def test_parser_knows_the_commands() -> None:
    parser = build_parser()
    assert parser.parse_args(["demo"]).command == "demo"
    assert parser.parse_args(["serve", "--port", "8080"]).port == 8080
    assert parser.parse_args(["migrate"]).command == "migrate"
    assert parser.parse_args(["simulator", "--port", "9000"]).port == 9000


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[1]), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_without_settings_names_every_missing_one_and_exits_2(tmp_path: Path) -> None:
    result = run_cli(["serve"], {}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "MPROFI_API_KEY", "SLACK_CHANNEL"):
        assert any(line.startswith(f"mprofi-slack: {name} is missing") for line in lines), name
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "eighty"}, "PORT: Input should be a valid integer"),
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL must be a sqlite:/// or postgresql:// URL"),
        ({"MPROFI_STATUS_MODE": "carrier-pigeon"}, "MPROFI_STATUS_MODE: Input should be 'push' or 'pull'"),
    ],
)
def test_a_bad_value_is_one_clear_line(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    result = run_cli(["serve"], env, tmp_path)
    assert result.returncode == 2 and expected in result.stderr and "Traceback" not in result.stderr


def test_settings_come_from_a_dotenv_file_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxp-a-user-token\nSLACK_SIGNING_SECRET=s\nMPROFI_API_KEY=k\nSLACK_CHANNEL=general\n")
    result = run_cli(["serve"], {}, tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN must be a bot token starting with xoxb- (OAuth & Permissions → Bot User OAuth Token)." in result.stderr
    assert "SLACK_CHANNEL must be a channel ID such as C0ABC1234, not 'general'" in result.stderr
    assert "is missing" not in result.stderr


def test_migrate_creates_the_sqlite_database_where_it_is_told(tmp_path: Path) -> None:
    result = run_cli(["migrate"], {"DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.db'}"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"database is at revision {head_revision()}" in result.stdout
    assert (tmp_path / "bridge.db").exists()


def test_retry_queues_given_up_jobs_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_CHANNEL": "C1",
        "MPROFI_API_KEY": "k",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'retry.db'}",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    assert main(["retry", "--hours", "2"]) == 0
    assert "0 job(s) given up in the last 2 h queued again" in capsys.readouterr().out


def test_demo_takes_a_language() -> None:
    assert build_parser().parse_args(["demo", "--language", "en"]).language == "en"
    assert build_parser().parse_args(["demo"]).language is None  # BOT_LANGUAGE, else Polish
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--language", "de"])
