"""The import structure: no cycle, and one direction
(areas' views → shared web/API plumbing → services and models); only entry
points import the app factory. ``python scripts/import_graph.py`` prints the graph."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "import_graph.py"
spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
assert spec is not None and spec.loader is not None
graph_tool = importlib.util.module_from_spec(spec)
sys.modules["import_graph"] = graph_tool
spec.loader.exec_module(graph_tool)

# The domain areas' models and services refer to each other (one model of a
# person in groups, meetings, referrals...; groups belong to projects and name
# partners among their facilitators): a known circle between those packages,
# which must not grow. Any other circle fails.
KNOWN_DOMAIN_CYCLE = [
    "amal.consent",
    "amal.groups",
    "amal.meetings",
    "amal.outcomes",
    "amal.participants",
    "amal.projects",
    "amal.referrals",
    "amal.territories",
    "amal.wellbeing",
]


@pytest.fixture(scope="module")
def modules() -> dict[str, set[str]]:
    return graph_tool.module_graph(graph_tool.read_sources(None))


def test_no_module_cycle(modules: dict[str, set[str]]) -> None:
    assert graph_tool.cycles(modules) == []


def test_no_new_package_cycle(modules: dict[str, set[str]]) -> None:
    found = graph_tool.cycles(graph_tool.package_graph(modules))
    assert [c for c in found if c != KNOWN_DOMAIN_CYCLE] == []


def test_layers_import_downwards_only(modules: dict[str, set[str]]) -> None:
    assert graph_tool.upward_imports(modules) == []


def test_only_entry_points_import_the_factory(modules: dict[str, set[str]]) -> None:
    importers = {m for m, targets in modules.items() if "amal.app" in targets}
    assert importers <= graph_tool.ENTRY_POINTS


def test_the_checker_sees_a_cycle() -> None:
    """The tool itself: a view imported by a service is both a cycle and upward."""
    sources = {
        "amal": "",
        "amal.groups": "",
        "amal.groups.services": "from amal.groups.web import bp\n",
        "amal.groups.web": "from amal.groups import services\n",
        "amal.app": "def create_app():\n    from amal.groups.web import bp\n",
        "amal.db": "from amal.app import create_app\n",
    }
    graph = graph_tool.module_graph(sources)
    assert graph_tool.cycles(graph) == [["amal.groups.services", "amal.groups.web"]]
    assert ("amal.db", "amal.app") in graph_tool.upward_imports(graph)
    assert ("amal.groups.services", "amal.groups.web") in graph_tool.upward_imports(graph)
