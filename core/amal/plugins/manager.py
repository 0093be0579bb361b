"""Building the plugin manager of one app, and a typed facade over its hooks.

One manager per app (never a module global): built-in plugins from an explicit
tuple, then the entry points the instance enables by name. Anything wrong stops
start-up with a :class:`PluginError` naming the plugin.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import pluggy

from amal.errors import PluginError
from amal.plugins import hookspecs
from amal.plugins.definitions import (
    GroupPolicy,
    NavigationEntry,
    PartnerDefinition,
    PersonalTable,
    ProjectDefinition,
    ReportDefinition,
    RuleCheck,
    ServiceDefinition,
    TerritoryDefinition,
)

ENTRY_POINT_GROUP = "amal"

# Core features that are themselves plugins, in registration order.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "amal.plugins.defaults",
    "amal.participants.eligibility",
)


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    distribution: str
    module: str
    hooks: tuple[str, ...]
    builtin: bool


def installed_entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


class PluginHost:
    """The plugins of one app and one method per hook call.

    ``enabled`` is the instance's allow-list of entry-point names;
    ``extra`` registers ready-made plugin objects (tests, embedding).
    """

    def __init__(
        self,
        enabled: Sequence[str] = (),
        *,
        territories: Sequence[str] = (),
        extra: Iterable[tuple[str, object]] = (),
    ) -> None:
        self.manager = pluggy.PluginManager("amal")
        self.manager.add_hookspecs(hookspecs)
        self._entry_points: dict[str, EntryPoint] = {}
        for module_name in BUILTIN_PLUGINS:
            self._register(module_name, importlib.import_module(module_name))

        available = installed_entry_points()
        for name in enabled:
            entry_point = available.get(name)
            if entry_point is None:
                known = ", ".join(sorted(available)) or "none"
                raise PluginError(
                    f"Plugin {name!r} is enabled in the instance configuration but not "
                    f"installed. Install its distribution (pip install -e plugins/<folder>) "
                    f"or remove it from 'plugins' in amal.toml. Installed plugins: {known}."
                )
            try:
                plugin = entry_point.load()
            except Exception as exc:
                raise PluginError(
                    f"Plugin {name!r} ({entry_point.value}) failed to import: {exc!r}"
                ) from exc
            self._entry_points[name] = entry_point
            self._register(name, plugin)
        for name, plugin in extra:
            self._register(name, plugin)
        self._check_unknown_hooks()
        self.territories = self._collect_territories(territories)

    # --- loading ------------------------------------------------------------------

    def _register(self, name: str, plugin: object) -> None:
        try:
            self.manager.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(
                f"Plugin {name!r} has a hook implementation that does not match the "
                f"specification: {exc}. See amal.plugins.hookspecs for each hook's arguments."
            ) from exc
        except ValueError as exc:  # pluggy: name already registered
            raise PluginError(f"Plugin {name!r} is registered twice: {exc}") from exc

    def _check_unknown_hooks(self) -> None:
        for hook_name, caller in vars(self.manager.hook).items():
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if not impl.optionalhook:
                    raise PluginError(
                        f"Plugin {impl.plugin_name!r} implements {hook_name!r}, which is not "
                        f"an AMAL hook. Check the spelling against amal.plugins.hookspecs "
                        f"or remove the @hookimpl marker."
                    )

    def _collect_territories(self, wanted: Sequence[str]) -> dict[str, TerritoryDefinition]:
        defined: dict[str, TerritoryDefinition] = {}
        owner: dict[str, str] = {}
        for impl in self.manager.hook.amal_territories.get_hookimpls():
            for territory in impl.function() or []:
                if not isinstance(territory, TerritoryDefinition):
                    raise PluginError(
                        f"Plugin {impl.plugin_name!r}: amal_territories must return "
                        f"TerritoryDefinition objects, got {territory!r}"
                    )
                if territory.code in defined:
                    raise PluginError(
                        f"Territory {territory.code!r} is defined by both "
                        f"{owner[territory.code]!r} and {impl.plugin_name!r}"
                    )
                defined[territory.code] = territory
                owner[territory.code] = impl.plugin_name
        missing = [code for code in wanted if code not in defined]
        if missing:
            raise PluginError(
                f"Territory {', '.join(map(repr, missing))} is configured but no enabled "
                f"plugin defines it. Defined: {', '.join(sorted(defined)) or 'none'}. "
                f"Enable the territory's plugin in amal.toml."
            )
        return {code: defined[code] for code in (wanted or sorted(defined))}

    # --- description (``amal plugins``) -----------------------------------------------

    def describe(self) -> list[PluginInfo]:
        infos = []
        for name, plugin in self.manager.list_name_plugin():
            entry_point = self._entry_points.get(name)
            dist = entry_point.dist if entry_point else None
            hooks = sorted(caller.name for caller in self.manager.get_hookcallers(plugin) or [])
            infos.append(
                PluginInfo(
                    name=name,
                    version=dist.version if dist else _core_version(),
                    distribution=dist.name if dist else "amal",
                    module=getattr(plugin, "__name__", type(plugin).__name__),
                    hooks=tuple(hooks),
                    builtin=entry_point is None,
                )
            )
        return infos

    # --- hook calls ---------------------------------------------------------------------

    def territory(self, code: str) -> TerritoryDefinition:
        try:
            return self.territories[code]
        except KeyError:
            raise PluginError(f"Territory {code!r} is not hosted by this instance") from None

    def group_policy(self, code: str) -> GroupPolicy:
        return self.manager.hook.amal_group_policy(territory=self.territory(code))

    def holidays(self, code: str, years: Iterable[int]) -> dict[date, str]:
        merged: dict[date, str] = {}
        results = self.manager.hook.amal_holidays(
            territory=self.territory(code), years=sorted(set(years))
        )
        for result in reversed(results):  # core defaults first, plugins refine
            merged.update(result or {})
        return merged

    def partners(self, code: str) -> list[PartnerDefinition]:
        return _flatten(self.manager.hook.amal_partners(territory=self.territory(code)))

    def eligibility_problems(self, participant: Any) -> list[str]:
        territory = self.territory(participant.territory_code)
        return _flatten(
            self.manager.hook.amal_eligibility_problems(
                participant=participant, territory=territory
            )
        )

    def service_catalogue(self, code: str) -> list[ServiceDefinition]:
        return _flatten(self.manager.hook.amal_service_catalogue(territory=self.territory(code)))

    def report_definitions(self, code: str) -> list[ReportDefinition]:
        return _flatten(self.manager.hook.amal_report_definitions(territory=self.territory(code)))

    def rule_checks(self, code: str) -> list[RuleCheck]:
        return _flatten(self.manager.hook.amal_rule_checks(territory=self.territory(code)))

    def projects(self, code: str) -> list[ProjectDefinition]:
        return _flatten(self.manager.hook.amal_projects(territory=self.territory(code)))

    def indicators(self) -> dict[str, Any]:
        """Plugins' report indicators by name (see ``amal_indicators``); a name
        two plugins use stops start-up (clashes with the core's are checked by
        :func:`amal.reports.engine.available_indicators`)."""
        found: dict[str, Any] = {}
        for impl in self.manager.hook.amal_indicators.get_hookimpls():
            for name, indicator in (impl.function() or {}).items():
                if name in found:
                    raise PluginError(
                        f"Plugin {impl.plugin_name!r}: indicator {name!r} is already defined"
                    )
                found[name] = indicator
        return found

    def personal_tables(self) -> list[PersonalTable]:
        """Plugins' declarations of where their tables hold participants' data
        (see ``amal_personal_data``); a table declared twice stops start-up."""
        found: dict[str, PersonalTable] = {}
        for impl in self.manager.hook.amal_personal_data.get_hookimpls():
            for declared in impl.function() or []:
                if not isinstance(declared, PersonalTable):
                    raise PluginError(
                        f"Plugin {impl.plugin_name!r}: amal_personal_data must return "
                        f"PersonalTable objects, got {declared!r}"
                    )
                if declared.table in found:
                    raise PluginError(
                        f"Plugin {impl.plugin_name!r}: table {declared.table!r} is already "
                        f"declared in amal_personal_data"
                    )
                found[declared.table] = declared
        return list(found.values())

    def navigation(self, code: str) -> list[NavigationEntry]:
        return _flatten(self.manager.hook.amal_navigation(territory=self.territory(code)))

    def cli_commands(self) -> list[Any]:
        return _flatten(self.manager.hook.amal_cli_commands())

    def migration_locations(self) -> list[Path]:
        return [Path(p) for p in _flatten(self.manager.hook.amal_migration_locations())]

    def participant_status_changed(self, participant: Any, change: Any) -> None:
        self.manager.hook.amal_participant_status_changed(participant=participant, change=change)

    def group_status_changed(self, group: Any, change: Any) -> None:
        self.manager.hook.amal_group_status_changed(group=group, change=change)


def _flatten(results: Iterable[list[Any] | None]) -> list[Any]:
    return [item for result in results if result for item in result]


def _core_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("amal")
    except PackageNotFoundError:
        return "unknown"
