"""The house rules, checked: imports go one way, no module grows past 400 lines.

Imports are read from the source (``ast``), so imports under ``TYPE_CHECKING`` and
inside functions count too: a loop hidden there still ties the modules together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "storage")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """The project modules ``name`` imports, resolved to module names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from pkg import sub" imports the submodule; "from pkg import name" the package.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


GRAPH = {name: set(_imports(name, path)) for name, path in MODULES.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle between the project's modules, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_module_imports_itself_round_a_loop() -> None:
    cycle = _cycle(GRAPH)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_a_typing_only_loop_through_a_package_would_be_caught() -> None:
    """The old loop: a feature module naming the façade through its package for typing."""
    graph = {name: set(targets) for name, targets in GRAPH.items()}
    graph["bot.bridge.sms"].add("bot.bridge")  # if TYPE_CHECKING: from bot.bridge import Bridge
    assert _cycle(graph) is not None


@pytest.mark.parametrize(
    ("layer", "must_not_import"),
    [
        ("storage", ("bot",)),  # the database knows nothing above it
        ("bot.i18n", ("bot.sms", "bot.slack", "bot.bridge", "bot.mprofi", "bot.webhooks", "bot.http", "bot.sandbox", "storage")),
        ("bot.mprofi", ("bot.slack", "bot.bridge", "bot.webhooks", "bot.http", "storage", "bot.sandbox")),
        ("bot.sms", ("bot.slack", "bot.bridge", "bot.mprofi", "bot.webhooks", "bot.http", "storage")),
        ("bot.bridge", ("bot.webhooks", "bot.http", "bot.slack.listeners", "bot.sandbox", "bot.app")),
        ("bot.sandbox.mprofi", ("bot.mprofi", "bot.sms", "bot.bridge")),  # the simulator is written from the spec alone
        ("bot.slack.blocks", ("bot.bridge", "bot.webhooks", "bot.http", "storage", "bot.mprofi")),
        ("bot.slack.pacing", ("bot.bridge", "bot.webhooks", "bot.http")),
        ("bot.slack.files", ("bot.bridge", "storage")),
        ("bot.slack.responses", ("bot.bridge", "storage")),
        ("bot.slack.timezones", ("bot.bridge", "storage")),
        ("bot.slack.directory", ("bot.bridge", "storage")),
        ("bot.webhooks", ("bot.slack", "storage")),  # mProfi's routes reach storage only through the bridge
    ],
)
def test_layers_import_downwards_only(layer: str, must_not_import: tuple[str, ...]) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module == layer or module.startswith(layer + ".")
        for target in targets
        if any(target == banned or target.startswith(banned + ".") for banned in must_not_import)
    )
    assert not wrong, "\n".join(wrong)


def test_slack_listeners_know_no_sql() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.startswith("bot.slack.listeners")
        for target in targets
        if target.startswith("storage") or target == "sqlalchemy"
    )
    assert not wrong, "\n".join(wrong)


def test_sql_lives_in_storage() -> None:
    """The bridge talks to the database through storage's functions, not statements of its own."""
    statements = ("select(", "update(", "insert(", "delete(", "func.")
    wrong = []
    for name, path in MODULES.items():
        if not name.startswith("bot.bridge"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if any(f" {s}" in code or f"({s}" in code or f"await {s}" in code for s in statements) and "sqlalchemy" not in code:
                wrong.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not wrong, "\n".join(wrong)


def test_no_module_is_over_400_lines() -> None:
    long = sorted(
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in MODULES.values()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    )
    assert not long, "\n".join(long)


def test_the_walk_finds_what_it_should() -> None:
    """The checks above see real imports, typing-only ones included (a broken walk would pass them all)."""
    assert "bot.bridge.context" in GRAPH["bot.bridge.facade"]
    assert "storage.kinds" in GRAPH["bot.bridge.jobs"]
    typing_only = [name for name, path in MODULES.items() if "if TYPE_CHECKING:" in path.read_text(encoding="utf-8") and GRAPH[name]]
    assert typing_only, "no module with typing-only imports was read"
