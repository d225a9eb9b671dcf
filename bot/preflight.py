"""Before ``serve`` listens: can this configuration work at all?

Every check runs, and every problem is one line an operator can act on, never a
traceback: the database, Slack's answer to the bot token, the bridge and survey
channels (there, and the bot in them), Socket Mode's app token. A problem of the
settings themselves exits 2 (``RestartPreventExitStatus=2``: restarting cannot fix
it); something out of reach exits 1 (it may come back by itself).
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.config import Settings
from storage import make_engine

__all__ = ["Problem", "WRONG_SETTINGS", "UNREACHABLE", "check_database", "preflight"]

WRONG_SETTINGS = 2
UNREACHABLE = 1
_TIMEOUT = 10.0

# Slack's answers to a token it will not take.
_TOKEN_REFUSED = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"})


@dataclass(frozen=True)
class Problem:
    line: str
    exit_status: int = WRONG_SETTINGS


def _short(exc: BaseException) -> str:
    """An exception in a few words: its type and the first line of its message."""
    message = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _where(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.database or "memory"
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _sqlite_folder_problem(database_url: str) -> Problem | None:
    """SQLite makes its file, not the folder: a missing one is a setting to fix, said before any driver thread starts."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    folder = Path(url.database).expanduser().resolve().parent
    if not folder.is_dir():
        return Problem(f"DATABASE_URL: the folder {folder} for the SQLite file does not exist; create it, or point DATABASE_URL elsewhere.")
    if not os.access(folder, os.W_OK):
        return Problem(f"DATABASE_URL: the folder {folder} for the SQLite file is not writable by this user.")
    return None


async def check_database(database_url: str) -> Problem | None:
    """Connect and ask ``SELECT 1``; never shows the password."""
    folder_problem = _sqlite_folder_problem(database_url)
    if folder_problem is not None:
        return folder_problem
    engine = make_engine(database_url)
    try:
        async with asyncio.timeout(_TIMEOUT), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except TimeoutError:
        return Problem(f"DATABASE_URL: the database at {_where(database_url)} did not answer within {_TIMEOUT:.0f} s.", UNREACHABLE)
    except Exception as exc:  # noqa: BLE001 - any driver's error, told in one line
        await asyncio.sleep(0.1)  # a driver's thread (aiosqlite) ends before the loop closes under it
        return Problem(f"DATABASE_URL: the database at {_where(database_url)} cannot be reached ({_short(exc)}).", UNREACHABLE)
    finally:
        await engine.dispose()
    return None


async def _slack(call: Any, name: str, base_url: str) -> tuple[dict[str, Any] | None, Problem | None]:
    """One Web API call; (its answer, None) or (None, the problem in one line)."""
    try:
        async with asyncio.timeout(_TIMEOUT):
            response = await call
        return dict(response.data) if isinstance(response.data, dict) else {}, None
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if error:
            return {"error": str(error), "needed": exc.response.get("needed")}, None
        status = exc.response.status_code
        return None, Problem(f"SLACK_API_URL: {base_url} answered {name} with HTTP {status}, not as Slack's Web API does; check the URL.")
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return None, Problem(f"SLACK_API_URL: Slack cannot be reached at {base_url} ({_short(exc)}).", UNREACHABLE)


async def _check_channel(slack: AsyncWebClient, setting: str, channel: str, bot_name: str, base_url: str) -> Problem | None:
    answer, problem = await _slack(slack.conversations_info(channel=channel), "conversations.info", base_url)
    if problem is not None or answer is None:
        return problem
    invite = f"/invite @{bot_name}"
    error = answer.get("error")
    if error == "missing_scope":
        return Problem(
            f"{setting}: the app may not look at channels (it lacks {answer.get('needed') or 'channels:read'}); "
            "add the scope from manifest.yml and reinstall the app."
        )
    if error in ("channel_not_found", "not_in_channel"):
        return Problem(
            f"{setting}: Slack knows no channel {channel} that the app can see; check the ID, "
            f"and for a private channel invite the app first ({invite} in the channel)."
        )
    if error:
        return Problem(f"{setting}: Slack refused to show channel {channel} ({error}).")
    info = answer.get("channel") or {}
    name = f"#{info.get('name') or channel}"
    if info.get("is_archived"):
        return Problem(f"{setting}: {name} is archived; unarchive it or pick another channel.")
    if not info.get("is_member"):
        return Problem(f"{setting}: the app is not in {name}; invite @{bot_name} to {name} ({invite} in the channel).")
    return None


async def check_slack(settings: Settings) -> list[Problem]:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    base = settings.slack_api_url
    slack = AsyncWebClient(token=token, base_url=base, timeout=int(_TIMEOUT))
    try:
        answer, problem = await _slack(slack.auth_test(), "auth.test", base)
        if problem is not None or answer is None:
            return [problem] if problem else []
        error = answer.get("error")
        if error:
            what = "refused" if error in _TOKEN_REFUSED else "did not accept"
            return [Problem(f"SLACK_BOT_TOKEN: Slack {what} the bot token ({error}); copy the Bot User OAuth Token (xoxb-…) again.")]
        bot_name = str(answer.get("user") or "mProfi SMS")
        problems = []
        channels = {"SLACK_CHANNEL": settings.slack_channel or ""}
        if settings.survey_channel and settings.survey_channel != settings.slack_channel:
            channels["SURVEY_CHANNEL"] = settings.survey_channel
        for setting, channel in channels.items():
            found = await _check_channel(slack, setting, channel, bot_name, base)
            if found is not None:
                problems.append(found)
        if settings.slack_app_token is not None:
            problems += await _check_app_token(settings, base)
        return problems
    finally:
        session = getattr(slack, "session", None)
        if session is not None:
            await session.close()


async def _check_app_token(settings: Settings, base: str) -> list[Problem]:
    """Socket Mode: ask for a connection URL once, where a refusal can still be told plainly."""
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    client = AsyncWebClient(token=app_token, base_url=base, timeout=int(_TIMEOUT))
    answer, problem = await _slack(client.apps_connections_open(app_token=app_token), "apps.connections.open", base)
    if problem is not None or answer is None:
        return [problem] if problem else []
    if answer.get("error"):
        return [
            Problem(
                f"SLACK_APP_TOKEN: Slack refused it for Socket Mode ({answer['error']}); make an app-level token "
                "with connections:write under Basic Information → App-Level Tokens, and turn Socket Mode on."
            )
        ]
    return []


def check_metrics_address(address: str | None) -> Problem | None:
    """``METRICS_ADDRESS`` must be free to listen on (checked by binding it a moment)."""
    if not address:
        return None
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, int(port)))
        except OSError as exc:
            return Problem(f"METRICS_ADDRESS: {address} cannot be listened on ({exc.strerror or exc}).", UNREACHABLE)
    return None


async def preflight(settings: Settings, *, slack: bool = True) -> list[Problem]:
    """Every problem found, the database's and Slack's checked side by side (Slack's only
    when ``slack``: with a token already known to be wrong, asking Slack tells nothing new)."""

    async def nothing() -> list[Problem]:
        return []

    database, slack_problems = await asyncio.gather(check_database(settings.database_url), check_slack(settings) if slack else nothing())
    metrics = check_metrics_address(settings.metrics_address)
    return ([database] if database else []) + slack_problems + ([metrics] if metrics else [])
