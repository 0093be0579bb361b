"""Hook implementations for Lecco / Valmadrera (see amal.plugins.hookspecs).

The core's holiday calendar for province LC already adds Lecco's patron saint,
San Nicolò (6 December). The help desk (``amal_lecco.sportello``) brings its own
pages, menu entry, tables, migration branch and report indicator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

from amal.plugins import (
    GroupPolicy,
    NavigationEntry,
    PartnerDefinition,
    PersonalTable,
    ProjectDefinition,
    ReportDefinition,
    RuleCheck,
    ServiceDefinition,
    Severity,
    TerritoryDefinition,
    hookimpl,
)
from amal.plugins.data import load_partners, load_projects, load_services
from amal_lecco.rules import info_meeting_first
from amal_lecco.sportello import services as sportello
from amal_lecco.sportello import web as sportello_web

CODE = "lecco"
DATA = Path(__file__).parent / "data"


@hookimpl
def amal_territories() -> list[TerritoryDefinition]:
    return [
        TerritoryDefinition(
            code=CODE, name="Lecco - Sportello di Valmadrera", region="Lombardia", province="LC"
        )
    ]


@hookimpl
def amal_group_policy(territory: TerritoryDefinition) -> GroupPolicy | None:
    if territory.code != CODE:
        return None
    # An info meeting open to all candidates opens the path; then 16 fortnightly
    # group meetings, with training meetings added from the group's needs.
    return GroupPolicy(
        meetings=16,
        max_meetings=16,
        cadence_days=14,
        opening_info_meeting=True,
        follow_up_months=(3, 6, 12),
    )


@hookimpl
def amal_partners(territory: TerritoryDefinition) -> list[PartnerDefinition] | None:
    return load_partners(DATA / "partners.toml") if territory.code == CODE else None


@hookimpl
def amal_projects(territory: TerritoryDefinition) -> list[ProjectDefinition] | None:
    return load_projects(DATA / "projects.toml") if territory.code == CODE else None


@hookimpl
def amal_rule_checks(territory: TerritoryDefinition) -> list[RuleCheck] | None:
    if territory.code != CODE:
        return None
    return [
        RuleCheck(
            "info_meeting_first",
            "Incontro informativo prima del primo incontro di gruppo",
            info_meeting_first,
            Severity.BLOCKING,
        )
    ]


@hookimpl
def amal_service_catalogue(territory: TerritoryDefinition) -> list[ServiceDefinition] | None:
    return load_services(DATA / "services.toml") if territory.code == CODE else None


@hookimpl
def amal_report_definitions(territory: TerritoryDefinition) -> list[ReportDefinition] | None:
    if territory.code != CODE:
        return None
    # Valoriamo reports on the sportello's activity by semester and, for the
    # evaluation, on any range the project asks for: training built on needs,
    # info meetings and referrals matter more here than hours.
    return [
        ReportDefinition(
            code="valoriamo-semestrale",
            title="Monitoraggio semestrale dello sportello",
            funder="Progetto Valoriamo",
            period_kind="semester",
            indicators=(
                "info_meetings",
                "participants_by_status",
                "meetings",
                "training_topics",
                "attendance_rate",
                "referrals",
                "network_meetings",
                sportello.contacts_indicator.name,
            ),
            formats=("csv", "xlsx"),
        ),
        ReportDefinition(
            code="valoriamo-valutazione",
            title="Valutazione degli esiti",
            funder="Progetto Valoriamo",
            period_kind="custom",
            indicators=("participants_by_group", "min_presence", "wellbeing_change", "outcomes"),
            formats=("xlsx", "pdf"),
            min_presence=0.6,
            meeting_kinds=("group", "training", "info"),
        ),
    ]


# --- The help desk -------------------------------------------------------------------


@hookimpl
def amal_blueprints(app: Flask) -> list[Blueprint]:
    return [sportello_web.bp]


@hookimpl
def amal_navigation(territory: TerritoryDefinition) -> list[NavigationEntry] | None:
    if territory.code != CODE:
        return None
    return [
        NavigationEntry(
            "lecco_sportello.index", "Sportello", roles=("coordinator", "intake_operator")
        )
    ]


@hookimpl
def amal_migration_locations() -> list[Path]:
    return [Path(__file__).parent / "migrations"]


@hookimpl
def amal_indicators() -> dict[str, Any]:
    return {sportello.contacts_indicator.name: sportello.contacts_indicator}


@hookimpl
def amal_personal_data() -> list[PersonalTable]:
    # A visitor's contact and appointment belong to the participant their visit
    # became; visitors who never did are erased from the help desk's pages.
    return sportello.PERSONAL_DATA
