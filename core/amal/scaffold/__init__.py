"""``amal territory new``: a new territory's plugin distribution and instance folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

import holidays

from amal.errors import DomainError

TEMPLATES = Path(__file__).parent / "templates"
CODE_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


@dataclass(frozen=True)
class NewTerritory:
    code: str
    name: str
    province: str
    region: str = "Lombardia"

    @property
    def package(self) -> str:
        return "amal_" + self.code.replace("-", "_")

    @property
    def distribution_folder(self) -> str:
        return f"amal-{self.code}"


def validate(territory: NewTerritory) -> None:
    if not CODE_PATTERN.fullmatch(territory.code):
        raise DomainError(
            "invalid_code",
            f"Territory code {territory.code!r} must be lowercase "
            "letters, digits and single hyphens, e.g. 'bergamo' or 'alto-lario'",
        )
    if territory.province not in holidays.Italy.subdivisions:
        raise DomainError(
            "invalid_province",
            f"{territory.province!r} is not an Italian "
            "province code (two letters, e.g. BG, MI, LC)",
        )
    for label, value in (("name", territory.name), ("region", territory.region)):
        if not value.strip() or any(c in value for c in '"\\\n'):
            raise DomainError(
                "invalid_name",
                f"The {label} must be non-empty, on one line, without double quotes or backslashes",
            )


def scaffold(territory: NewTerritory, root: Path) -> list[Path]:
    """Write ``plugins/amal-CODE/`` and ``territories/CODE/`` under ``root``.
    Refuses to overwrite anything. Returns the files written."""
    validate(territory)
    plugin_root = root / "plugins" / territory.distribution_folder
    instance_root = root / "territories" / territory.code
    for folder in (plugin_root, instance_root):
        if folder.exists():
            raise DomainError("already_exists", f"{folder} already exists")
    values = {
        "code": territory.code,
        "name": territory.name,
        "province": territory.province,
        "region": territory.region,
        "package": territory.package,
    }
    package = plugin_root / territory.package
    files = {
        plugin_root / "pyproject.toml": "pyproject.toml.tmpl",
        package / "__init__.py": "init.py.tmpl",
        package / "plugin.py": "plugin.py.tmpl",
        package / "data" / "partners.toml": "partners.toml.tmpl",
        package / "data" / "services.toml": "services.toml.tmpl",
        plugin_root / "tests" / f"test_{territory.package}_plugin.py": "test_plugin.py.tmpl",
        instance_root / "amal.toml": "amal.toml.tmpl",
    }
    for target, template in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        text = Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(values)
        target.write_text(text, encoding="utf-8")
    return list(files)
