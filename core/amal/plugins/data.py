"""Reading a territory plugin's data files (TOML), so that partners and the
service catalogue can be corrected by the territory without touching code."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from amal.errors import PluginError
from amal.plugins.definitions import (
    PartnerDefinition,
    PartnerRole,
    ProjectDefinition,
    ProjectTarget,
    RepresentativeDefinition,
    ServiceDefinition,
)


def _read(path: Path, table: str) -> list[dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PluginError(f"Cannot read plugin data file {path}: {exc}") from exc
    rows = data.get(table)
    if not isinstance(rows, list):
        raise PluginError(f"{path}: expected [[{table}]] entries")
    return rows


def load_partners(path: Path) -> list[PartnerDefinition]:
    """``[[partner]]`` entries with ``name``, ``role`` (a PartnerRole value),
    optional ``description``, ``website``, ``email``, ``phone``, ``address``,
    ``services_offered`` and ``[[partner.representative]]`` entries (``name``,
    optional ``position``, ``email``, ``phone``)."""
    partners = []
    for row in _read(path, "partner"):
        try:
            people = tuple(RepresentativeDefinition(**r) for r in row.get("representative", []))
            fields = {k: v for k, v in row.items() if k != "representative"}
            partners.append(
                PartnerDefinition(
                    **{**fields, "role": PartnerRole(row["role"]), "representatives": people}
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PluginError(f"{path}: bad partner entry {row!r}: {exc}") from exc
    return partners


def load_services(path: Path) -> list[ServiceDefinition]:
    """``[[service]]`` entries with ``code``, ``title``, ``programme``, ``url``,
    optional ``description``, ``operator``, ``operator_url``, ``url_kind``
    (what ``url`` points to, see :data:`amal.plugins.definitions.URL_KINDS`;
    ``none`` with an empty ``url`` when no public page was found),
    ``url_verified`` (false when the address was not checked) and
    ``url_source`` (where the address came from)."""
    services = []
    for row in _read(path, "service"):
        try:
            services.append(ServiceDefinition(**row))
        except (TypeError, ValueError) as exc:
            raise PluginError(f"{path}: bad service entry {row!r}: {exc}") from exc
    codes = [s.code for s in services]
    if len(codes) != len(set(codes)):
        raise PluginError(f"{path}: service codes must be unique")
    return services


def load_projects(path: Path) -> list[ProjectDefinition]:
    """``[[project]]`` entries with ``code``, ``title``, ``start_on``, ``end_on``
    (TOML dates), ``funders`` (partner names) and the target fields of
    :class:`ProjectDefinition`; ``[[project.target]]`` adds plugin targets
    (``code``, ``label``, ``value``, optional ``meeting_kind``)."""
    projects = []
    for row in _read(path, "project"):
        try:
            targets = tuple(ProjectTarget(**t) for t in row.pop("target", []))
            projects.append(
                ProjectDefinition(
                    **{**row, "funders": tuple(row.get("funders", ())), "extra_targets": targets}
                )
            )
        except (TypeError, ValueError) as exc:
            raise PluginError(f"{path}: bad project entry {row!r}: {exc}") from exc
    return projects
