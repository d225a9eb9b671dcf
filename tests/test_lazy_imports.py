"""What ``serve`` does not need stays out of its memory until it is used.

Each check runs in a fresh interpreter (an import, once made, stays for the process):
the app factory loads no Alembic, no Pillow and no Socket Mode client, and a start on a
database already at the newest revision migrates without loading Alembic at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from storage import make_engine
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
LAZY = ("alembic", "mako", "PIL", "slack_bolt.adapter.socket_mode", "slack_sdk.socket_mode", "bot.sandbox")


def _loaded_after(code: str) -> list[str]:
    """The LAZY modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {LAZY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_app_factory_loads_nothing_serve_does_not_need() -> None:
    assert _loaded_after("import bot.app, bot.cli") == []


async def test_a_start_on_a_database_at_the_newest_revision_never_loads_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    code = (
        "import asyncio\n"
        "from storage import make_engine\n"
        "from storage.migrate import upgrade\n"
        "async def main():\n"
        f"    engine = make_engine({url!r})\n"
        "    await upgrade(engine)\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())"
    )
    assert _loaded_after(code) == []


def test_a_fresh_database_is_still_migrated(tmp_path: Path) -> None:
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    code = (
        "import asyncio\n"
        "from storage import make_engine\n"
        "from storage.migrate import current_revision, upgrade, HEAD_REVISION\n"
        "async def main():\n"
        f"    engine = make_engine({fresh!r})\n"
        "    await upgrade(engine)\n"
        "    assert await current_revision(engine) == HEAD_REVISION\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())"
    )
    assert "alembic" in _loaded_after(code)  # a schema to create: Alembic does it
