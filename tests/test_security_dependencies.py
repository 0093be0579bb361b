"""The application install is pinned (constraints.txt), so that the versions in
use are known and can be audited (SECURITY.md, "Dependencies")."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            assert pinned, f"constraints.txt: {line!r} is not pinned with =="
            found[canonical(name)] = pinned.strip()
    return found


# Extras that `make install` leaves out (installed by their own make target).
ON_DEMAND = {"load"}  # make load


def declared(*, installed_only: bool = False) -> set[str]:
    names = set()
    for pyproject in [ROOT / "pyproject.toml", *ROOT.glob("plugins/*/pyproject.toml")]:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        requirements = list(project.get("dependencies", []))
        for extra, extra_requirements in project.get("optional-dependencies", {}).items():
            if not (installed_only and extra in ON_DEMAND):
                requirements += extra_requirements
        for requirement in requirements:
            name = canonical(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0])
            if name != "amal":
                names.add(name)
    return names


def test_every_declared_dependency_is_pinned_and_installed_at_that_version() -> None:
    pinned = pins()
    missing = sorted(declared() - pinned.keys())
    assert not missing, f"add to constraints.txt: {missing}"
    for name in declared(installed_only=True):
        assert version(name) == pinned[name], f"{name}: installed {version(name)}"
