"""``mprofi-slack sandbox`` as a person runs it: a process that prints its address, serves
the console until Ctrl+C, and says in one line when its port is taken."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import httpx

from bot.cli import build_parser
from bot.sandbox.process import free_port


async def _start(*args: str) -> asyncio.subprocess.Process:
    env = {key: value for key, value in os.environ.items() if key not in ("BOT_LANGUAGE",)}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "sandbox",
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def test_the_parser_knows_sandbox_and_its_options() -> None:
    args = build_parser().parse_args(["sandbox", "--port", "8123", "--open", "--language", "en"])
    assert (args.command, args.port, args.open, args.language) == ("sandbox", 8123, True, "en")
    assert build_parser().parse_args(["sandbox"]).port == 8000


async def test_sandbox_serves_the_console_until_ctrl_c() -> None:
    port = free_port()
    process = await _start("--port", str(port))
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert f"the console is at http://127.0.0.1:{port}/" in line
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as http:
            page = await http.get("/")
            assert page.status_code == 200 and "mprofi-slack" in page.text and "/static/console.js" in page.text
            sent = await http.post("/api/phones/text", json={"digits": "48600100200", "text": "Dzień dobry"}, headers={"X-Console": "1"})
            assert sent.json() == {"ok": True}
            for _ in range(200):
                state = (await http.get("/api/state")).json()
                if "+48 600 100 200" in state["messages"]:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the text from the phone never opened its thread")
            # The bridge speaks Polish unless told otherwise: the card says the conversation is new.
            assert "<b>Nowa</b>" in state["messages"]
    finally:
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0
    assert process.stderr is not None
    assert b"Traceback" not in await process.stderr.read()


async def test_a_taken_port_is_one_line_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await _start("--port", str(port))
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert err.decode().strip() == f"mprofi-slack: port {port} on 127.0.0.1 is taken; choose another with --port"
    assert b"Traceback" not in out + err


async def test_a_port_out_of_range_is_refused_before_anything_starts() -> None:
    process = await _start("--port", "70000")
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert err.decode().strip() == "--port must be between 1 and 65535, not 70000"
