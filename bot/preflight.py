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
from storage.migrate import upgrade

__all__ = ["Problem", "StartupRefused", "WRONG_SETTINGS", "UNREACHABLE", "check_database", "check_metrics_address", "preflight"]

WRONG_SETTINGS = 2
UNREACHABLE = 1
_TIMEOUT = 10.0

# Slack's answers to a token it will not take.
_TOKEN_REFUSED = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"})


class StartupRefused(Exception):
    """The app cannot start after its checks passed; the message is one line for the operator."""


# PostgreSQL's answers that are settings to fix, not an outage: a login refused, no such database.
_LOGIN_REFUSED = frozenset({"28P01", "28000"})
_NO_SUCH_DATABASE = "3D000"

# Slack's answers that say "not now" rather than "no": worth a restart later.
_SLACK_TRANSIENT = frozenset({"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"})


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error, wherever SQLAlchemy wrapped it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(state, str):
            return state
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


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
    folder = Path(url.database).resolve().parent  # no ~: SQLite takes the path as written
    if not folder.is_dir():
        return Problem(f"DATABASE_URL: the folder {folder} for the SQLite file does not exist; create it, or point DATABASE_URL elsewhere.")
    if not os.access(folder, os.W_OK):
        return Problem(f"DATABASE_URL: the folder {folder} for the SQLite file is not writable by this user.")
    return None


async def check_database(database_url: str, *, migrate: bool = False) -> Problem | None:
    """Connect and ask ``SELECT 1`` (then, with ``migrate``, bring the schema up to date);
    never shows the password."""
    folder_problem = _sqlite_folder_problem(database_url)
    if folder_problem is not None:
        return folder_problem
    where = _where(database_url)
    engine = make_engine(database_url)
    try:
        async with asyncio.timeout(_TIMEOUT), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        if migrate:
            try:
                await upgrade(engine)
            except Exception as exc:  # noqa: BLE001 - told in one line; the database keeps its last whole revision
                return Problem(
                    f"DATABASE_URL: the database at {where} refused the migration ({_short(exc)}); the user needs to create tables there."
                )
    except TimeoutError:
        return Problem(f"DATABASE_URL: the database at {where} did not answer within {_TIMEOUT:.0f} s.", UNREACHABLE)
    except Exception as exc:  # noqa: BLE001 - any driver's error, told in one line
        await asyncio.sleep(0.1)  # a driver's thread (aiosqlite) ends before the loop closes under it
        state = _sqlstate(exc)
        if state in _LOGIN_REFUSED:
            return Problem(f"DATABASE_URL: the database at {where} refused the login ({_short(exc)}); check the user and password.")
        if state == _NO_SUCH_DATABASE:
            return Problem(
                f"DATABASE_URL: the server has no database {where.rsplit('/', 1)[-1]!r} ({_short(exc)}); create it, or fix the name."
            )
        return Problem(f"DATABASE_URL: the database at {where} cannot be reached ({_short(exc)}).", UNREACHABLE)
    finally:
        await engine.dispose()
    return None


async def _slack(call: Any, name: str, base_url: str) -> tuple[dict[str, Any] | None, Problem | None]:
    """One Web API call; (its answer, None) or (None, the problem in one line). Slack being
    slow, busy or failing is "out of reach" (exit 1: a later start may work)."""
    try:
        async with asyncio.timeout(_TIMEOUT):
            response = await call
        return dict(response.data) if isinstance(response.data, dict) else {}, None
    except SlackApiError as exc:
        data = getattr(exc.response, "data", None)
        error = data.get("error") if isinstance(data, dict) else None
        status = int(getattr(exc.response, "status_code", None) or getattr(exc.response, "status", 0) or 0)
        if error in _SLACK_TRANSIENT or status == 429 or status >= 500:
            said = error or f"HTTP {status}"
            return None, Problem(
                f"SLACK_API_URL: Slack is not answering {name} properly right now ({said}); try again in a while.", UNREACHABLE
            )
        if error:
            return {"error": str(error), "needed": data.get("needed") if isinstance(data, dict) else None}, None
        return None, Problem(f"SLACK_API_URL: {base_url} answered {name} with HTTP {status}, not as Slack's Web API does; check the URL.")
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return None, Problem(f"SLACK_API_URL: Slack cannot be reached at {base_url} ({_short(exc)}).", UNREACHABLE)
    except Exception as exc:  # noqa: BLE001 - an answer slack_sdk could not read: told, not thrown
        return None, Problem(f"SLACK_API_URL: {base_url} gave {name} an answer that cannot be read ({_short(exc)}); check the URL.")


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
        checks = list(channels.items())
        routes, keys, _problems = settings.routing()
        checks += [("ROUTES", channel) for channel in sorted(routes.channels - set(channels.values()))]
        checks += [("ROUTE_KEYS", channel) for channel in sorted(set(keys) - routes.channels - set(channels.values()))]
        for setting, channel in checks:
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


async def preflight(
    settings: Settings, *, database: bool = True, slack: bool = True, migrate: bool = False, listen: bool = False
) -> list[Problem]:
    """Every problem found, the database's and Slack's checked side by side. A part whose
    settings are already known to be wrong is not asked (``database``, ``slack``: asking
    Slack with a token known to be wrong tells nothing new). ``migrate``: bring the schema
    up to date here, where a refusal can still be one line, and ``listen``: try the
    metrics address (both for ``serve``; ``check`` may run beside a serving bridge)."""

    async def nothing() -> None:
        return None

    async def no_slack() -> list[Problem]:
        return []

    database_problem, slack_problems = await asyncio.gather(
        check_database(settings.database_url, migrate=migrate) if database else nothing(),
        check_slack(settings) if slack else no_slack(),
    )
    metrics = check_metrics_address(settings.metrics_address) if listen else None
    return ([database_problem] if database_problem else []) + slack_problems + ([metrics] if metrics else [])
