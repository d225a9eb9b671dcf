"""The simulator shares no code with what it checks.

A simulator that borrows the client's rules (limits, date parsing, part counting)
agrees with the client by construction and can never catch it out. These tests
keep ``bot/sandbox/mprofi`` self-contained and check the rules it wrote for itself
from the spec.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import bot.sandbox.mprofi as simulator
from bot.sandbox.mprofi.rules import parse_range_date, parse_send_date
from bot.sandbox.mprofi.text import delivered_text, sms_parts, transliterate

PACKAGE = "bot.sandbox.mprofi"
PACKAGE_DIR = Path(simulator.__file__).parent
WARSAW = ZoneInfo("Europe/Warsaw")


def forbidden(module: str) -> bool:
    """Anything of the project outside the simulator: bot.* (but bot.sandbox.mprofi) and storage."""
    if module == PACKAGE or module.startswith(PACKAGE + "."):
        return False
    return module in ("bot", "storage") or module.startswith(("bot.", "storage."))


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in ``path``, relative ones resolved, and
    ``importlib.import_module("…")`` / ``__import__("…")`` calls with a literal name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = [*PACKAGE.split("."), *([] if path.stem == "__init__" else [path.stem])]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level] if path.stem != "__init__" else here[: len(here) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


MODULES = sorted(PACKAGE_DIR.glob("*.py"))


def test_the_package_has_modules() -> None:
    assert {p.name for p in MODULES} >= {"__init__.py", "app.py", "state.py", "validation.py", "hlr.py", "webhooks.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_imports_from_the_rest_of_the_project(path: Path) -> None:
    bad = [f"{path.name}:{line} imports {module}" for line, module in imported_modules(path) if forbidden(module)]
    assert not bad, "the simulator must not use the code it checks: " + "; ".join(bad)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) < 400


def test_the_checker_sees_what_it_should() -> None:
    assert forbidden("bot.mprofi.models") and forbidden("bot.sms") and forbidden("storage.models")
    assert forbidden("bot.bridge") and forbidden("bot.webhooks") and forbidden("bot.slack") and forbidden("bot")
    assert not forbidden("bot.sandbox.mprofi.rules") and not forbidden("starlette.requests")


def test_importing_the_simulator_loads_nothing_else_of_the_project() -> None:
    """The same, at run time, in a fresh interpreter (parent packages load by necessity)."""
    code = (
        "import sys, bot.sandbox.mprofi, bot.sandbox.mprofi.app, bot.sandbox.mprofi.webhooks\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith(('bot', 'storage'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(result.stdout.split())
    assert {m for m in loaded if forbidden(m)} - {"bot", "bot.sandbox"} == set(), loaded


# ---- the simulator's own rules, written from the spec ----------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-05-26T13:38:47+02:00", datetime(2020, 5, 26, 13, 38, 47, tzinfo=WARSAW)),
        ("2020-05-26T11:38:47Z", datetime(2020, 5, 26, 13, 38, 47, tzinfo=WARSAW)),
        ("2020-05-26T11:38:47.5+00:00", datetime(2020, 5, 26, 13, 38, 47, 500000, tzinfo=WARSAW)),
        ("2020-01-10 08:00:00", datetime(2020, 1, 10, 8, 0, tzinfo=WARSAW)),
        (1590493127, datetime(2020, 5, 26, 13, 38, 47, tzinfo=WARSAW)),
        ("1590493127", datetime(2020, 5, 26, 13, 38, 47, tzinfo=WARSAW)),
        (None, None),
        ("", None),
    ],
)
def test_send_dates(raw: Any, expected: datetime | None) -> None:
    assert parse_send_date(raw) == (True, expected)


@pytest.mark.parametrize("raw", ["26.05.2020", "2020-02-30T10:00:00", "wczoraj", 1.5, True, -1, {}, "１２３"])
def test_bad_send_dates(raw: Any) -> None:
    assert parse_send_date(raw) == (False, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2015-10-27 12:00:00", datetime(2015, 10, 27, 12, 0, tzinfo=WARSAW)),
        ("2015-10-27 12:00", datetime(2015, 10, 27, 12, 0, tzinfo=WARSAW)),
        ("2015-10-27 9:05", datetime(2015, 10, 27, 9, 5, tzinfo=WARSAW)),
        ("2015-10-27", datetime(2015, 10, 27, tzinfo=WARSAW)),
        ("2015-10-27T12:00:00", None),
        ("2015-10-27 12", None),
        ("2015-13-27", None),
        (20151027, None),
    ],
)
def test_getincoming_dates(raw: Any, expected: datetime | None) -> None:
    assert parse_range_date(raw) == expected


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 459, 3),
        ("a" * 460, 4),
        ("a" * 612, 4),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("ż" * 70, 1),
        ("ż" * 71, 2),
        ("ż" * 201, 3),
        ("ż" * 202, 4),
        ("😀" * 35, 1),
        ("😀" * 36, 2),
    ],
)
def test_part_counting(text: str, parts: int) -> None:
    assert sms_parts(text) == parts


def test_transliteration() -> None:
    assert transliterate("Zażółć gęślą jaźń ZAŻÓŁĆ GĘŚLĄ JAŹŃ") == "Zazolc gesla jazn ZAZOLC GESLA JAZN"
    assert transliterate("Müller – „cześć” 👍🏽 № 5 €") == 'Muller - "czesc" ? No 5 EUR'
    assert transliterate("{[~]} @ $ \n") == "{[~]} @ $ \n"
    assert delivered_text("żółw 🐢", "utf-8") == delivered_text("żółw 🐢", " UTF-8 ") == "żółw 🐢"
    assert delivered_text("żółw 🐢", None) == delivered_text("żółw 🐢", "utf8") == "zolw ?"
