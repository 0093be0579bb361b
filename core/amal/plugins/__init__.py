"""AMAL's plugin system (pluggy, project name ``amal``).

Plugins import :data:`hookimpl` from here and the value types from
:mod:`amal.plugins.definitions`; :mod:`amal.plugins.hookspecs` documents every hook.
"""

import pluggy

from amal.plugins.definitions import (
    GroupPolicy,
    NavigationEntry,
    PartnerDefinition,
    PartnerRole,
    PersonalTable,
    ProjectDefinition,
    ProjectTarget,
    ReportDefinition,
    RepresentativeDefinition,
    RuleCheck,
    ServiceDefinition,
    Severity,
    TerritoryDefinition,
)

hookimpl = pluggy.HookimplMarker("amal")

__all__ = [
    "GroupPolicy",
    "NavigationEntry",
    "PartnerDefinition",
    "PartnerRole",
    "PersonalTable",
    "ProjectDefinition",
    "ProjectTarget",
    "ReportDefinition",
    "RepresentativeDefinition",
    "RuleCheck",
    "ServiceDefinition",
    "Severity",
    "TerritoryDefinition",
    "hookimpl",
]
