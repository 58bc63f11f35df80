"""The house rules of the code base (docs/architecture.md), checked on the source itself.

import-linter (`make lint`) keeps the layers; these keep what it cannot see: module size, private
names used across modules, import cycles inside each package, and handlers that import one feature.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "shared" / "cerchia"
MAX_LINES = 400
FEATURES = (
    "welcome", "nudges", "polls", "digests", "preferences", "feedback", "communities", "ingest", "members", "console",
)  # fmt: skip
# What every handler may use besides its one feature: time, errors, what pages and the API share, the cold start.
SHARED = {"clock", "errors", "web", "observability", "settings", "runtime", "domain", "dispatch", "jobs", "coldstart"}


def python_files(*folders: Path) -> list[Path]:
    return sorted(path for folder in folders for path in folder.rglob("*.py") if ".venv" not in path.parts)


def test_no_module_of_the_layer_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in python_files(LAYER)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def private_uses(path: Path) -> list[str]:
    """`from x import _y` of a project module, `something._y` on anything but self or cls, a patched `_y`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("cerchia", "cerchia_infra")):
            found += [f"{node.lineno}: from {node.module} import {a.name}" for a in node.names if is_private(a.name)]
        elif isinstance(node, ast.Attribute) and is_private(node.attr):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                found.append(f"{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "setattr":
            named = [
                arg.value for arg in node.args[1:2] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
            found += [f"{node.lineno}: setattr(..., {name!r})" for name in named if is_private(name.rsplit(".", 1)[-1])]
    return found


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@pytest.mark.parametrize("folder", ["shared", "functions", "infra", "tests"])
def test_no_private_name_is_used_across_modules(folder: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): uses
        for path in python_files(ROOT / folder)
        if (uses := private_uses(path)) and path != Path(__file__)
    }
    assert offenders == {}


def cycles(package: str) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan): each is an import cycle."""
    graph = grimp.build_graph(package)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for module in sorted(graph.modules):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return found


@pytest.mark.parametrize("package", ["cerchia", "cerchia_infra"])
def test_no_import_cycles(package: str) -> None:
    assert cycles(package) == []


def cerchia_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + (
                [f"{node.module}.{a.name}" for a in node.names] if node.module == "cerchia" else []
            )
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        top |= {name.split(".")[1] for name in names if name.startswith("cerchia.")}
    return top


@pytest.mark.parametrize("handler", sorted((ROOT / "functions").glob("*/handler.py")), ids=lambda p: p.parent.name)
def test_each_handler_imports_one_feature_at_most(handler: Path) -> None:
    features = cerchia_imports(handler) - SHARED
    assert len(features) <= 1, features
    assert features <= set(FEATURES), features
