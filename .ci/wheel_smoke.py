"""The wheel as an operator installs it: ``migrate``, then a short ``serve`` against the sandbox.

Run by ``.ci/run`` with the interpreter of a fresh venv that holds only the built wheel
and its dependencies, from a folder outside the repository, so nothing here can come
from the source tree. The Slack emulator and the mProfi simulator are the installed
package's own (``bot.sandbox``); the app is the installed ``mprofi-slack`` command.

    python wheel_smoke.py <venv bin folder> <database URL>
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

import bot
from bot.sandbox.loopback import LoopbackServer
from bot.sandbox.mprofi import SimulatorConfig, SimulatorState, create_simulator_app
from bot.sandbox.process import free_port
from bot.sandbox.slack import SlackConfig, SlackState, create_slack_emulator

WEBHOOK_TOKEN = "wheel-smoke-webhook-token"


def step(text: str) -> None:
    print(f"wheel: {text}", flush=True)


async def run(command: list[str], env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    text = out.decode()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{text}")
    return text


def imported_from_the_wheel() -> Path:
    installed = Path(bot.__file__).resolve()
    if Path(sys.prefix).resolve() not in installed.parents or "site-packages" not in installed.parts:
        raise SystemExit(f"bot is imported from {installed}, not from the installed wheel")
    return installed.parent


async def main(bin_dir: Path, database_url: str) -> None:
    step(f"bot imported from {imported_from_the_wheel()}")

    sim = SimulatorState(SimulatorConfig(status_step_seconds=0.2))
    slack = SlackState(SlackConfig())
    async with (
        LoopbackServer(create_simulator_app(sim), lifespan="off") as mprofi,
        LoopbackServer(create_slack_emulator(slack), lifespan="off") as emulator,
    ):
        slack.config.public_url = emulator.url
        port = free_port()
        keys = sim.config.keys
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SLACK_BOT_TOKEN": slack.config.bot_token,
            "SLACK_SIGNING_SECRET": slack.config.signing_secret,
            "SLACK_API_URL": emulator.url + "/api/",
            "SLACK_CHANNEL": "C0SMSBRIDGE",
            "MPROFI_API_KEY": keys["send"],
            "MPROFI_RECEIVE_KEY": keys["receive"],
            "MPROFI_API_URL": mprofi.url + "/1.0/",
            "MPROFI_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "LOG_FORMAT": "json",
        }
        command = str(bin_dir / "mprofi-slack")
        step((await run([command, "migrate"], env)).strip())
        step((await run([command, "check"], env)).strip())

        serve = await asyncio.create_subprocess_exec(command, "serve", "--host", "127.0.0.1", env=env, stdin=asyncio.subprocess.DEVNULL)
        try:
            app = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(timeout=5.0) as http:
                for _ in range(300):
                    if serve.returncode is not None:
                        raise SystemExit(f"serve exited {serve.returncode} during start-up")
                    try:
                        if (await http.get(app + "/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise SystemExit("serve did not become ready in 30 s")
                step("serve is up: /readyz answers 200")
                sim.config.webhook_url = app + "/mprofi/incoming"
                sim.config.webhook_token = WEBHOOK_TOKEN
                record = sim.inject_inbound("48600100200", "Dzień dobry, czy paczka już wyszła?")
                await asyncio.wait_for(record.delivered.wait(), 15)
                for _ in range(150):
                    texts = [m.text for m in slack.messages.values() if m.channel == "C0SMSBRIDGE"]
                    if any("czy paczka już wyszła" in t for t in texts) and any("Rozmowa SMS" in t for t in texts):
                        break
                    await asyncio.sleep(0.1)
                else:
                    raise SystemExit(f"the inbound SMS did not reach its thread in Polish; the channel shows {texts}")
                step("an inbound SMS opened its thread, in Polish (the catalogs came with the wheel)")
        finally:
            serve.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(serve.wait(), 20)
        if code not in (0, -signal.SIGTERM):  # uvicorn ends by re-raising the signal it shut down for
            raise SystemExit(f"serve exited {code} on SIGTERM")
        step("serve stopped cleanly on SIGTERM")
    await sandbox(str(bin_dir / "mprofi-slack"))


async def sandbox(command: str) -> None:
    """``mprofi-slack sandbox`` from the wheel: its page and assets are in the package."""
    port = free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    process = await asyncio.create_subprocess_exec(
        command, "sandbox", "--port", str(port), env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        if f"http://127.0.0.1:{port}/" not in line:
            raise SystemExit(f"sandbox printed {line!r}, not its address")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as http:
            for path in ("/", "/static/console.js", "/static/console.css", "/api/state"):
                answer = await http.get(path)
                if answer.status_code != 200 or not answer.content:
                    raise SystemExit(f"the sandbox console answered {answer.status_code} for {path}")
        step("sandbox serves its console page, script and styles from the wheel")
    finally:
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 30)
    if code != 0:
        raise SystemExit(f"sandbox exited {code} on Ctrl+C")
    step("sandbox stopped cleanly on Ctrl+C")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
