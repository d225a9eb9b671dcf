"""The command line: the demo runs end to end and tells its story."""

from __future__ import annotations

import io

from bot.cli import build_parser
from bot.demo import run_demo


async def test_demo_prints_a_transcript() -> None:
    out = io.StringIO()
    assert await run_demo(out=out) == 0
    text = out.getvalue()
    assert "A customer texts in from +48 600 100 200" in text
    assert "attempt 1 answered 503" in text
    assert "status (PULL): delivered" in text
    assert "network Plus" in text


def test_parser_knows_the_commands() -> None:
    parser = build_parser()
    assert parser.parse_args(["demo"]).command == "demo"
    assert parser.parse_args(["simulator", "--port", "9000"]).port == 9000
