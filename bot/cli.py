"""The ``mprofi-slack`` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from bot.config import Settings, SettingsError, check_settings, load_settings
from bot.i18n import LANGUAGES

__all__ = ["main"]


def _run_simulator(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.sandbox.mprofi import SimulatorConfig, SimulatorState, create_simulator_app

    config = SimulatorConfig(
        status_step_seconds=args.status_step,
        webhook_url=args.webhook_url,
        webhook_token=args.webhook_token,
        push_url=args.push_url,
    )
    state = SimulatorState(config)
    print(f"mProfi simulator on http://{args.host}:{args.port}/1.0/", flush=True)
    print(
        f"keys: send={config.keys['send']} receive={config.keys['receive']} hlr={config.keys['hlr']} mms={config.keys['mms']}", flush=True
    )
    uvicorn.run(create_simulator_app(state), host=args.host, port=args.port, log_level="warning")
    return 0


def _settings_or_complain() -> Settings | None:
    try:
        return load_settings()
    except SettingsError as exc:
        for line in exc.problems:
            print(f"mprofi-slack: {line}", file=sys.stderr)
        return None


_SLACK_SETTINGS = {"slack_bot_token", "slack_api_url", "slack_channel", "survey_channel", "slack_app_token", "slack_signing_secret"}


def _checked_settings(*, serving: bool) -> tuple[Settings | None, int]:
    """The settings when everything ``serve`` needs is in order; else every problem on
    stderr, one line each, and the exit status (2: settings, 1: something out of reach).
    ``serving``: also migrate the database and try the metrics address, as ``serve`` will."""
    from bot.preflight import UNREACHABLE, WRONG_SETTINGS, preflight

    settings, problems, refused = check_settings()
    lines = list(problems)
    status = WRONG_SETTINGS if problems else 0
    if settings is not None:
        slack_ok = not refused & _SLACK_SETTINGS and not any(line.startswith(("SLACK_", "SURVEY_CHANNEL")) for line in problems)
        try:
            found = asyncio.run(
                preflight(
                    settings, database="database_url" not in refused, slack=slack_ok, migrate=serving and not problems, listen=serving
                )
            )
        except Exception as exc:  # noqa: BLE001 - a check that broke is one line too; the bug is in its type and words
            found = []
            lines.append(f"the start-up checks could not finish ({type(exc).__name__}: {exc}).")
            status = status or UNREACHABLE
        lines += [problem.line for problem in found]
        if found and not status:
            status = WRONG_SETTINGS if any(p.exit_status == WRONG_SETTINGS for p in found) else UNREACHABLE
    for line in lines:
        print(f"mprofi-slack: {line}", file=sys.stderr)
    if lines:
        print("mprofi-slack: not started; see the README's configuration table.", file=sys.stderr)
        return None, status
    return settings, 0


def _run_check(args: argparse.Namespace) -> int:
    settings, status = _checked_settings(serving=False)
    if settings is None:
        return status
    print("mprofi-slack: settings, database and Slack (token, channels) are in order; serve can start.")
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.app import create_app
    from bot.http.server import descriptor_warning, server_options

    settings, status = _checked_settings(serving=True)
    if settings is None:
        return status
    from bot.logs import configure_logging

    configure_logging(level=args.log_level.upper(), fmt=settings.log_format, timezone=settings.default_timezone)
    if settings.mprofi_webhook_token is None:
        logging.getLogger("bot").warning("MPROFI_WEBHOOK_TOKEN is not set: anyone who finds /mprofi/incoming can post messages into Slack")
    too_few_files = descriptor_warning(settings)
    if too_few_files:
        logging.getLogger("bot").warning(too_few_files)
    uvicorn.run(
        create_app(settings, freeze_start_up=True),
        host=args.host,
        port=args.port or settings.port,
        log_level=args.log_level,
        log_config=None,  # configure_logging's handler and format, uvicorn's lines included
        proxy_headers=True,
        timeout_graceful_shutdown=10,
        # Header deadline and size, connection cap (bot.http.server); body deadline and
        # request cap are middleware inside create_app.
        **server_options(settings),
    )
    return 0


def _database_ready(settings: Settings) -> int:
    """Reach the database and bring its schema up to date; 0, or the exit status after one line."""
    from bot.preflight import check_database

    problem = asyncio.run(check_database(settings.database_url, migrate=True))
    if problem is None:
        return 0
    print(f"mprofi-slack: {problem.line}", file=sys.stderr)
    return problem.exit_status


def _run_migrate(args: argparse.Namespace) -> int:
    from storage import make_engine
    from storage.migrate import current_revision

    settings = _settings_or_complain()
    if settings is None:
        return 2
    status = _database_ready(settings)
    if status:
        return status

    async def revision() -> str | None:
        engine = make_engine(settings.database_url)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    print(f"database is at revision {asyncio.run(revision())}")
    return 0


def _run_retry(args: argparse.Namespace) -> int:
    """Queue again the work given up lately: after a fixed token, channel or outage."""
    from datetime import timedelta

    from storage import make_engine, make_sessionmaker
    from storage.models import utcnow
    from storage.queue import retry_failed

    settings = _settings_or_complain()
    if settings is None:
        return 2
    status = _database_ready(settings)
    if status:
        return status

    async def retry() -> int:
        engine = make_engine(settings.database_url)
        try:
            return await retry_failed(make_sessionmaker(engine), utcnow() - timedelta(hours=args.hours))
        finally:
            await engine.dispose()

    count = asyncio.run(retry())
    print(f"{count} job(s) given up in the last {args.hours:g} h queued again; a running bridge picks them up")
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    language = args.language or os.environ.get("BOT_LANGUAGE", "").strip().lower() or "pl"
    if language not in LANGUAGES:
        print(f"BOT_LANGUAGE must be one of {', '.join(LANGUAGES)}, not {language!r}", file=sys.stderr)
        return 2
    return asyncio.run(run_demo(out=sys.stdout, language=language))


def _run_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox.console.run import run_sandbox

    language = args.language or os.environ.get("BOT_LANGUAGE", "").strip().lower() or "pl"
    if language not in LANGUAGES:
        print(f"BOT_LANGUAGE must be one of {', '.join(LANGUAGES)}, not {language!r}", file=sys.stderr)
        return 2
    if not 0 < args.port < 65536:
        print(f"--port must be between 1 and 65535, not {args.port}", file=sys.stderr)
        return 2
    return asyncio.run(run_sandbox(out=sys.stdout, port=args.port, open_browser=args.open, language=language))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mprofi-slack", description="The mProfi.pl SMS gateway inside Slack.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the bridge (settings from the environment or .env)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=None, help="default: PORT, or 3000")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(run=_run_serve)

    check = commands.add_parser("check", help="check the settings, the database and Slack as serve would, then exit")
    check.set_defaults(run=_run_check)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date (serve does this too)")
    migrate.set_defaults(run=_run_migrate)

    retry = commands.add_parser("retry", help="queue again the jobs given up lately (see /healthz jobs_given_up_24h)")
    retry.add_argument("--hours", type=float, default=24.0, help="how far back to look (default 24)")
    retry.set_defaults(run=_run_retry)

    demo = commands.add_parser("demo", help="play a scripted conversation on loopback, no accounts needed")
    demo.add_argument("--language", choices=LANGUAGES, default=None, help="pl or en (default: BOT_LANGUAGE, else pl)")
    demo.set_defaults(run=_run_demo)

    sandbox = commands.add_parser("sandbox", help="the bridge on loopback with a web console: be the phones and the team at once")
    sandbox.add_argument("--port", type=int, default=8000, help="the console's port on 127.0.0.1 (default 8000)")
    sandbox.add_argument("--open", action="store_true", help="open the console in a browser")
    sandbox.add_argument(
        "--language", choices=LANGUAGES, default=None, help="the bridge's language, pl or en (default: BOT_LANGUAGE, else pl)"
    )
    sandbox.set_defaults(run=_run_sandbox)

    sim = commands.add_parser("simulator", help="run the local mProfi simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8090)
    sim.add_argument("--status-step", type=float, default=2.0, help="seconds between status changes")
    sim.add_argument("--webhook-url", help="where inbound SMS/MMS are delivered")
    sim.add_argument("--webhook-token", help="token sent in the Authorization header")
    sim.add_argument("--push-url", help="where PUSH delivery statuses are sent")
    sim.set_defaults(run=_run_simulator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
