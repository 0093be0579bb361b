"""Hook implementations for Monza e Brianza (see amal.plugins.hookspecs).

The holiday calendar needs nothing here: the core's default for province MB
already adds Monza's patron saint, San Giovanni Battista (24 June).
"""

from __future__ import annotations

from pathlib import Path

from amal.plugins import (
    GroupPolicy,
    PartnerDefinition,
    ProjectDefinition,
    ReportDefinition,
    RuleCheck,
    ServiceDefinition,
    Severity,
    TerritoryDefinition,
    hookimpl,
)
from amal.plugins.data import load_partners, load_projects, load_services
from amal_monza_brianza.rules import register_signed_late

CODE = "monza-brianza"
DATA = Path(__file__).parent / "data"


@hookimpl
def amal_territories() -> list[TerritoryDefinition]:
    return [
        TerritoryDefinition(
            code=CODE, name="Provincia di Monza e Brianza", region="Lombardia", province="MB"
        )
    ]


@hookimpl
def amal_group_policy(territory: TerritoryDefinition) -> GroupPolicy | None:
    if territory.code != CODE:
        return None
    # Fortnightly meetings; the pilot allowed up to 18 when the coordinator sees fit.
    return GroupPolicy(
        min_size=10,
        max_size=15,
        meetings=16,
        max_meetings=18,
        cadence_days=14,
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
            "register_signed_late",
            "Registro firmato dal facilitatore entro 7 giorni",
            register_signed_late,
            Severity.WARNING,
        )
    ]


@hookimpl
def amal_service_catalogue(territory: TerritoryDefinition) -> list[ServiceDefinition] | None:
    return load_services(DATA / "services.toml") if territory.code == CODE else None


@hookimpl
def amal_report_definitions(territory: TerritoryDefinition) -> list[ReportDefinition] | None:
    if territory.code != CODE:
        return None
    return [
        ReportDefinition(
            code="provincia-trimestrale",
            title="Relazione trimestrale di attività",
            funder="Provincia di Monza e Brianza",
            period_kind="quarter",
            indicators=(
                "participants_by_status",
                "participants_by_group",
                "new_enrolments",
                "groups",
                "meetings",
                "hours",
                "attendance_rate",
                "min_presence",
                "network_meetings",
            ),
            formats=("csv", "xlsx", "pdf"),
            min_presence=0.7,
        ),
        ReportDefinition(
            code="provincia-finale",
            title="Relazione finale di progetto",
            funder="Provincia di Monza e Brianza",
            period_kind="project",
            indicators=(
                "participants_by_status",
                "groups",
                "meetings",
                "hours",
                "attendance_rate",
                "min_presence",
                "wellbeing_change",
                "referrals",
                "outcomes",
                "network_meetings",
            ),
            formats=("csv", "xlsx", "pdf"),
            min_presence=0.7,
        ),
        ReportDefinition(
            code="comune-monza-semestrale",
            title="Sintesi semestrale per il Comune di Monza",
            funder="Comune di Monza",
            period_kind="semester",
            indicators=("participants_by_status", "groups", "meetings", "hours"),
            formats=("csv", "xlsx"),
            # The Comune checks registers and consent only; group sizes are the Provincia's.
            rules=("meeting_without_register", "participant_without_consent"),
        ),
    ]
