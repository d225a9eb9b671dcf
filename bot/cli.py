"""The ``mprofi-slack`` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

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
    print(f"keys: send={config.keys['send']} receive={config.keys['receive']} "
          f"hlr={config.keys['hlr']} mms={config.keys['mms']}", flush=True)
    uvicorn.run(create_simulator_app(state), host=args.host, port=args.port, log_level="warning")
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return asyncio.run(run_demo(out=sys.stdout))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mprofi-slack", description="The mProfi.pl SMS gateway inside Slack.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="play a scripted conversation on loopback, no accounts needed")
    demo.set_defaults(run=_run_demo)

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
