"""The benchmark scripts run (briefly) so they cannot rot; their figures are not judged here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_benchmark_runs_briefly_and_writes_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert figures["quick"] is True
    for kind in figures["databases"]:
        assert figures[f"ingest_{kind}"]["durable"] is True  # every 200 was stored
        assert figures[f"ingest_{kind}"]["saturation"]["requests_ok"] > 0
        assert figures[f"latency_{kind}"]["webhook_to_slack"]["samples"] > 0
        assert figures[f"bulk_{kind}"]["mprofi_calls"] >= 1
        grown = figures[f"grown_{kind}_2000"]  # the hot paths again, on a database that already holds messages
        assert grown["prefill"]["messages"] == 2000 and grown["ingest"]["durable"] is True
        assert grown["latency"]["webhook_to_slack"]["samples"] > 0
        assert figures[f"loaded_{kind}"]["messages"] > 0  # every SMS of the steady load reached Slack
        assert figures[f"channels_{kind}"]["in_order"] is True and figures[f"channels_{kind}"]["posts"] > 0
        assert figures[f"flooded_{kind}"]["samples"] > 0
    assert figures["slack_ceiling"]["in_order"] is True
    assert figures["campaign_sqlite"]["full"]["sendbulk_calls"] >= 1  # the campaign was sent, not only read
    assert "measure" in result.stdout and "bare Starlette + uvicorn" in result.stdout
