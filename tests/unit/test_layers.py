"""The package's floors: no import cycle between top-level folders, the batch deployment without the ingress,
Ray only in deployments/ and graph.py.

Read from the source (every ``import`` statement, at module level or inside a function), so an import
that runs only on some path counts too. ``--root`` of :func:`module_imports` lets the same checks read
another checkout (how they were shown to fail on the tree before the house was put in order).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from tests.helpers import ROOT

OUTSIDE_THE_PACKAGE = {"tests", "bench", ".venv", "build", ".git"}
RAY_ALLOWED = ("deployments", "graph")


def package_modules(root: Path) -> dict[str, Path]:
    """``sunvai.x.y`` -> its file, for every module of the package rooted at ``root``."""
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[0] in OUTSIDE_THE_PACKAGE or parts[0].startswith("."):
            continue
        name = ".".join(("sunvai", *parts))
        modules[name.removesuffix(".__init__")] = path
    return modules


def module_imports(path: Path, name: str) -> set[str]:
    """Every module ``path`` imports (``from a import b`` counts as ``a.b`` and ``a``)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def floor(module: str) -> str | None:
    """The top-level folder (or root module) of a ``sunvai`` module."""
    parts = module.split(".")
    return parts[1] if parts[0] == "sunvai" and len(parts) > 1 else None


def folder_graph(root: Path) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in package_modules(root).items():
        source = floor(name)
        for imported in module_imports(path, name):
            target = floor(imported)
            if target and source and target != source:
                graph[source].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one folder (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def reachable(root: Path, start: str) -> set[str]:
    """Every package module ``start`` imports, directly or through others."""
    modules = package_modules(root)
    seen, pending = set(), [start]
    while pending:
        name = pending.pop()
        if name in seen or name not in modules:
            continue
        seen.add(name)
        pending.extend(m for m in module_imports(modules[name], name) if m in modules)
    return seen - {start}


def test_no_cycle_between_top_level_folders():
    assert cycles(folder_graph(ROOT)) == []


def test_the_batch_deployment_does_not_import_the_ingress():
    reached = reachable(ROOT, "sunvai.deployments.batch")
    assert "sunvai.deployments.ingress" not in reached
    assert not any(floor(m) == "api" for m in reached), sorted(m for m in reached if floor(m) == "api")


def test_ray_only_in_deployments_and_the_graph():
    outside = sorted(name for name, path in package_modules(ROOT).items()
                     if floor(name) not in RAY_ALLOWED and any(m == "ray" or m.startswith("ray.")
                                                              for m in module_imports(path, name)))
    assert outside == []


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": {"c"}}, []),
])
def test_cycles_finds_what_is_there(graph, expected):
    assert cycles(graph) == expected
