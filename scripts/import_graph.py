"""Print AMAL's internal import graph and its import cycles.

Reads the source with ``ast`` (nothing is imported), so it works on any
revision:

    python scripts/import_graph.py                  # this checkout
    python scripts/import_graph.py --rev 384d094    # a past commit (git)
    python scripts/import_graph.py --modules        # module edges, not packages
    python scripts/import_graph.py --dot > g.dot    # Graphviz

Importing ``amal.a.b`` runs ``amal/__init__.py`` and ``amal/a/__init__.py``
first, so those count as imports too. Imports inside functions count (deferring
an import hides a cycle, it does not remove it); those under ``TYPE_CHECKING``
do not. ``tests/test_import_graph.py`` fails on
any cycle and on a layer imported upwards.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "core/amal"

# Entry points: they build the app; nothing else may import them.
ENTRY_POINTS = {
    "amal.app",
    "amal.cli",
    "amal.wsgi",
    "amal.testing",
    "amal.__main__",
    "amal.gunicorn_conf",
    "amal.web.blueprints",
}
# Shared web/API plumbing, below the areas' views and above the services.
PLUMBING_PACKAGES = ("amal.web", "amal.api")
VIEW_MODULES = {"web", "api", "schemas"}  # amal.<area>.web / .api / .schemas (wire format)
PLUMBING_VIEWS = {"amal.web.dashboard", "amal.web.pages", "amal.api.plugins"}
LAYERS = ("core", "plumbing", "views", "entry")


def read_sources(rev: str | None) -> dict[str, str]:
    """``{module name: source}`` for every module below core/amal (not migrations)."""
    if rev is None:
        files = {
            str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
            for p in (ROOT / SOURCE).rglob("*.py")
        }
    else:
        names = subprocess.run(
            ["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", rev, SOURCE],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        files = {
            name: subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{rev}:{name}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            for name in names
            if name.endswith(".py")
        }
    sources = {}
    for name, text in files.items():
        parts = Path(name).relative_to("core").with_suffix("").parts
        if "migrations" in parts or "scaffold" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        sources[".".join(parts)] = text
    return sources


def _imports(tree: ast.Module) -> Iterable[ast.Import | ast.ImportFrom]:
    """Every import, also inside functions (a deferred import is a dependency
    all the same), except those under ``if TYPE_CHECKING``."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def module_graph(sources: Mapping[str, str]) -> dict[str, set[str]]:
    """``{module: modules it runs when imported}`` within amal."""
    graph: dict[str, set[str]] = {name: set() for name in sources}

    def with_parents(target: str) -> set[str]:
        found = set()
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name in sources:
                found.add(name)
        return found

    for name, text in sources.items():
        is_package = f"{name}.__init__" in sources or any(
            other.startswith(name + ".") for other in sources
        )
        package = name if is_package else name.rpartition(".")[0]
        for node in _imports(ast.parse(text)):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in sources else base
                    for alias in node.names
                ]
            for target in targets:
                if target.split(".")[0] == "amal":
                    graph[name] |= with_parents(target)
        # A module's own packages are already being imported when it runs.
        graph[name] -= with_parents(name)
    return graph


def layer(module: str) -> str:
    if module in ENTRY_POINTS:
        return "entry"
    if module in PLUMBING_VIEWS:
        return "views"
    parts = module.split(".")
    if module.startswith(PLUMBING_PACKAGES) and parts[:2] in (["amal", "web"], ["amal", "api"]):
        return "plumbing"
    if len(parts) == 3 and parts[2] in VIEW_MODULES:
        return "views"
    return "core"


def package_of(module: str) -> str:
    """The node of the package graph: ``amal.<area>`` split by layer, so that an
    area's views (``amal.groups[views]``) and its services (``amal.groups``) are
    separate nodes, as the layer rule wants them."""
    parts = module.split(".")
    base = ".".join(parts[:2])
    kind = layer(module)
    if kind == "core" or (base in ("amal.web", "amal.api") and kind == "plumbing"):
        return base
    return f"{base}[{kind}]"


def package_graph(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for source, targets in graph.items():
        node = packages.setdefault(package_of(source), set())
        node |= {package_of(t) for t in targets} - {package_of(source)}
    return packages


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(10000)

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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


def upward_imports(graph: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    """Edges from a lower layer to a higher one (core → plumbing → views → entry)."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    return sorted(
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if rank[layer(target)] > rank[layer(source)]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="a git revision instead of the working tree")
    parser.add_argument("--modules", action="store_true", help="module graph, not packages")
    parser.add_argument("--dot", action="store_true", help="Graphviz output")
    args = parser.parse_args(argv)

    modules = module_graph(read_sources(args.rev))
    graph = modules if args.modules else package_graph(modules)
    if args.dot:
        print("digraph amal {")
        for source in sorted(graph):
            for target in sorted(graph[source]):
                print(f'  "{source}" -> "{target}";')
        print("}")
        return 0
    for source in sorted(graph):
        print(f"{source} -> {', '.join(sorted(graph[source])) or '-'}")
    module_cycles = cycles(modules)
    package_cycles = cycles(package_graph(modules))
    upward = upward_imports(modules)
    print(f"\nmodules: {len(modules)}, module cycles: {len(module_cycles)}", end="")
    print(f", package cycles: {len(package_cycles)}, upward imports: {len(upward)}")
    for component in module_cycles:
        print(f"module cycle ({len(component)} modules): {' '.join(component)}")
    for component in package_cycles:
        print(f"package cycle ({len(component)} packages): {' '.join(component)}")
    for source, target in upward:
        print(f"upward import: {source} ({layer(source)}) -> {target} ({layer(target)})")
    return 0  # a report; tests/test_import_graph.py is the check


if __name__ == "__main__":
    raise SystemExit(main())
