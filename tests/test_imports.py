"""The import graph of the project has no cycle: no module imports a module that imports it back.

Every import counts, also one inside a function or under ``TYPE_CHECKING``: a lazy import hides a
cycle from the interpreter, not from the reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("catalog", "survey", "connectors", "reports", "flows", "portal")
# what each folder may import of ours (README, "Architecture"); flows/ may import everything
MAY_IMPORT = {"catalog": set(), "survey": {"catalog"}, "connectors": {"catalog"}, "reports": {"catalog"},
              "portal": {"catalog"}, "flows": set(PACKAGES)}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "ckanext-inventur" in path.parts or "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """module -> the project's modules it imports (``from a import b`` counts as ``a.b`` when b is a module)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
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
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_command_line_is_read_as_a_package() -> None:
    graph = import_graph()
    assert "flows.cli.app" in graph["flows.cli.review"]
    assert {"flows.cli.review", "flows.cli.app"} <= graph["flows.cli.main"]


def test_no_module_imports_a_module_that_imports_it_back() -> None:
    assert cycles(import_graph()) == []


def test_each_folder_imports_only_what_it_may() -> None:
    forbidden = sorted(f"{name} -> {target}" for name, targets in import_graph().items() for target in targets
                       if (top := name.split(".")[0]) != (other := target.split(".")[0])
                       and other not in MAY_IMPORT[top])
    assert forbidden == []


def test_the_import_graph_crosses_folders() -> None:
    graph = import_graph()
    assert "catalog.publish.mapping" in graph["flows.cli.portal"]  # the graph sees across folders
    assert all(t.split(".")[0] == "catalog" for t in graph["catalog.publish.run"])


def test_no_test_module_imports_another() -> None:
    """Tests share factories (tests/factories.py) and fixtures (tests/conftest.py), not each other's helpers."""
    borrowed = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if any(name.rpartition(".")[2].startswith("test_") for name in names):
                borrowed.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert borrowed == []
