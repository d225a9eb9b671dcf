"""Every sentence the bot shows comes from the catalogs, and the catalogs are complete.

Two checks keep it so. The catalog check extracts the code's strings with Babel and
compares them with each language's ``.po`` and compiled ``.mo``. The literal check reads
every module that speaks to people and fails on English prose that does not pass
through ``_``/``ngettext``/``pgettext``/``N_``: log lines, exceptions meant for the log,
docstrings and strings marked ``# untranslated: <why>`` are not shown to anyone.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.i18n import catalogs

ROOT = Path(__file__).resolve().parents[2] / "bot"

# Shown to operators (console, logs, JSON to webhook callers) or not shown at all:
# English, like every log line. Everything else under bot/ speaks to Slack users.
NOT_SHOWN_IN_SLACK = (
    "sandbox/",  # stands in for Slack and mProfi
    "i18n/",
    "cli.py",
    "config.py",
    "http/",
    "webhooks/",
    "monitoring/",  # metric help texts, read by Prometheus and operators
    "preflight.py",  # start-up refusals on the operator's console
    "logs.py",
    "sms/routes.py",  # ROUTES refused at start, on the operator's console
)
TRANSLATORS = {"_", "ngettext", "pgettext", "N_"}
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
INTERNAL_ERRORS = {
    "AssertionError",
    "RuntimeError",
    "ValueError",
    "TypeError",
    "KeyError",
    "NotImplementedError",
    "LookupError",
    "StartupRefused",  # a start the app refuses: one line on the operator's console
}
PROSE = re.compile(r"[A-Za-z]{2,}[,’']?\s+[a-z]{2,}\s+[a-z]{2,}")


def test_the_catalogs_hold_every_sentence_translated_and_compiled() -> None:
    problems = catalogs.check()
    assert not problems, "\n".join(problems[:40]) + (f"\n… and {len(problems) - 40} more" if len(problems) > 40 else "")


def _shown_modules() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(NOT_SHOWN_IN_SLACK):
            yield path


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _not_shown(tree: ast.AST) -> set[int]:
    """ids of string nodes nobody reads in Slack: docstrings, translated strings, log lines, internal errors."""
    skip: set[int] = set()

    def mark(node: ast.AST) -> None:
        skip.update(id(inner) for inner in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            mark(node)  # a docstring (of a module, class, function or attribute): read in the code only
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name in TRANSLATORS or (name in LOG_CALLS and isinstance(node.func, ast.Attribute)) or name in INTERNAL_ERRORS:
                mark(node)
        elif isinstance(node, ast.Assert):
            mark(node)
    return skip


def _untranslated_prose(source: str, name: str) -> Iterator[str]:
    lines = source.splitlines()
    tree = ast.parse(source)
    skip = _not_shown(tree)
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if not PROSE.search(node.value):
            continue
        end = getattr(node, "end_lineno", node.lineno) or node.lineno
        if any("# untranslated:" in lines[n - 1] for n in range(node.lineno, end + 1)):
            continue
        yield f"{name}:{node.lineno}: {node.value[:70]!r}"


def test_no_sentence_for_slack_bypasses_the_catalog() -> None:
    found = [
        hit
        for path in _shown_modules()
        for hit in _untranslated_prose(path.read_text(encoding="utf-8"), path.relative_to(ROOT.parent).as_posix())
    ]
    assert not found, f"{len(found)} sentence(s) not wrapped in _() or ngettext():\n" + "\n".join(found[:60])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('x = "Give the number to text."', 1),
        ('x = _("Give the number to text.")', 0),
        ('logger.info("could not reach the queue now")', 0),
        ('raise RuntimeError("not stored in time here")', 0),
        ('x = "Give the number to text."  # untranslated: a log prefix', 0),
        ('x = f"Sent to {n} numbers in total"', 1),
        ('x = "mrkdwn"', 0),
    ],
)
def test_the_literal_check_tells_prose_from_the_rest(source: str, expected: int) -> None:
    assert len(list(_untranslated_prose(source + "\n", "probe.py"))) == expected
