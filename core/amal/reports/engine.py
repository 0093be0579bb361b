"""Running a funder's report: figures, rule violations and files."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from amal.db import utcnow
from amal.errors import DomainError, PluginError
from amal.plugins.definitions import ReportDefinition, Severity
from amal.plugins.manager import PluginHost
from amal.projects.services import current_project
from amal.reports.indicators import INDICATORS, Indicator, Scope, Table
from amal.reports.models import ReportRun
from amal.reports.periods import Period, parse_period, project_period
from amal.reports.rules import Violation, check_rules, pick_rules
from amal.services import Context, use_case
from amal.tabular import Day, Share


@dataclass(frozen=True)
class ReportResult:
    definition: ReportDefinition
    territory: str
    territory_name: str
    period: Period
    generated_at: datetime
    tables: list[Table]
    violations: list[Violation] = field(default_factory=list)
    rule_titles: dict[str, str] = field(default_factory=dict)
    today: date | None = None  # the day the figures were computed for


def definitions(plugins: PluginHost, territory: str) -> dict[str, ReportDefinition]:
    return {d.code: d for d in plugins.report_definitions(territory)}


def available_indicators(plugins: PluginHost) -> dict[str, Indicator]:
    """The core's indicators and the enabled plugins' own (which may not reuse
    a core name)."""
    own = plugins.indicators()
    clashes = sorted(set(own) & set(INDICATORS))
    if clashes:
        raise PluginError(f"Plugin indicators {clashes} are already defined by the core")
    return {**INDICATORS, **own}


def check_definitions(plugins: PluginHost) -> None:
    """Called at start-up: every report of every hosted territory must name known
    indicators and rules and one of the territory's partners as funder; every
    project's funders must be partners too."""
    known = available_indicators(plugins)
    for code in plugins.territories:
        partners = {p.name for p in plugins.partners(code)}
        seen: set[str] = set()
        for definition in plugins.report_definitions(code):
            where = f"Report {definition.code!r} of territory {code!r}"
            if definition.code in seen:
                raise PluginError(f"{where} is defined twice")
            seen.add(definition.code)
            unknown = [i for i in definition.indicators if i not in known]
            if unknown:
                raise PluginError(
                    f"{where} asks for unknown indicators {unknown}; "
                    f"known: {', '.join(sorted(known))}"
                )
            if partners and definition.funder not in partners:
                raise PluginError(f"{where}: funder {definition.funder!r} is not a partner")
            pick_rules(plugins, code, definition.rules)  # names unknown rules
        for project in plugins.projects(code):
            strangers = [name for name in project.funders if partners and name not in partners]
            if strangers:
                raise PluginError(
                    f"Project {project.code!r} of territory {code!r}: funders {strangers} "
                    "are not partners of the territory"
                )


def resolve(
    ctx: Context, territory: str, report_code: str, period_text: str, today: date
) -> tuple[ReportDefinition, Period]:
    """The report and the period it is asked for: refused at once (unknown
    report, period written in the wrong form) before anything is computed."""
    available = definitions(ctx.plugins, territory)
    definition = available.get(report_code)
    if definition is None:
        raise DomainError(
            "unknown_report",
            f"Territory {territory!r} has no report {report_code!r}; "
            f"available: {', '.join(sorted(available)) or 'none'}",
        )
    project = current_project(ctx.session, territory, today)
    period = parse_period(
        period_text,
        definition.period_kind,
        today,
        project_period(project.title, project.start_on, project.end_on) if project else None,
    )
    return definition, period


def run_report(
    ctx: Context,
    territory: str,
    report_code: str,
    period_text: str,
    *,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReportResult:
    """Compute a report's figures and rule violations for a period (reads only);
    ``progress(percent)`` is told after each table."""
    territory_definition = ctx.plugins.territory(territory)
    today = today or date.today()
    definition, period = resolve(ctx, territory, report_code, period_text, today)
    scope = Scope(ctx.session, territory, period, today, definition)
    known = available_indicators(ctx.plugins)
    rules = pick_rules(ctx.plugins, territory, definition.rules)
    steps = len(definition.indicators) + 1  # the tables, then the rules
    tables = []
    for done, name in enumerate(definition.indicators, start=1):
        tables.append(known[name](scope))
        if progress:
            progress(100 * done // steps)
    violations = check_rules(scope, rules)
    return ReportResult(
        definition,
        territory,
        territory_definition.name,
        period,
        utcnow(),
        tables,
        violations,
        {check.name: check.title for check in rules},
        today,
    )


def from_data(plugins: PluginHost, data: dict[str, Any], today: date | None = None) -> ReportResult:
    """A stored run's result back as the engine gave it (for its page and
    files), computed for ``today`` (the run's day)."""
    territory = data["territory"]
    return ReportResult(
        definitions(plugins, territory)[data["report"]],
        territory,
        plugins.territory(territory).name,
        Period(
            date.fromisoformat(data["period"]["start"]),
            date.fromisoformat(data["period"]["end"]),
            data["period"]["label"],
        ),
        datetime.fromisoformat(data["generated_at"]),
        [
            Table(
                t["indicator"],
                t["title"],
                tuple(t["columns"]),
                [tuple(_typed(v) for v in r) for r in t["rows"]],
            )
            for t in data["tables"]
        ],
        [
            Violation(v["rule"], v["message"], v["entity"], v["entity_id"], Severity(v["severity"]))
            for v in data["violations"]
        ],
        {check.name: check.title for check in pick_rules(plugins, territory, None)},
        today,
    )


_SHARE = re.compile(r"(\d+(?:\.(\d+))?)%")
_DAY = re.compile(r"(\d{2})/(\d{2})/(\d{4})")


def _typed(value: object) -> object:
    """A stored cell back as the indicator gave it: the JSON keeps percentages
    and dates as pages show them ("86.7%", "20/03/2026"), files need them as a
    number and a date."""
    if not isinstance(value, str):
        return value
    if share := _SHARE.fullmatch(value):
        return Share(float(share[1]) / 100, len(share[2] or ""))
    if day := _DAY.fullmatch(value):
        return Day(int(day[3]), int(day[2]), int(day[1]))
    return value


def as_data(result: ReportResult) -> dict[str, object]:
    """The result as JSON-ready data (numbers stay numbers)."""

    def cell(value: object) -> object:
        if isinstance(value, Share | date):
            return str(value)  # as pages show them: "86.7%", "20/03/2026"
        return (
            float(value)
            if hasattr(value, "as_integer_ratio") and not isinstance(value, int | float)
            else value
        )

    return {
        "report": result.definition.code,
        "title": result.definition.title,
        "funder": result.definition.funder,
        "territory": result.territory,
        "period": {
            "label": result.period.label,
            "start": result.period.start.isoformat(),
            "end": result.period.end.isoformat(),
        },
        "generated_at": result.generated_at.isoformat(),
        "tables": [
            {
                "indicator": t.indicator,
                "title": t.title,
                "columns": list(t.columns),
                "rows": [[cell(v) for v in row] for row in t.rows],
            }
            for t in result.tables
        ],
        "violations": [
            {
                "rule": v.rule,
                "message": v.message,
                "entity": v.entity,
                "entity_id": v.entity_id,
                "severity": v.severity.value,
                "key": v.key,
            }
            for v in result.violations
        ],
    }


@use_case
def start_run(ctx: Context, territory: str, report_code: str, period: str) -> ReportRun:
    """Compute a report now and keep the result (a failed run keeps its reason)."""
    try:
        data = as_data(run_report(ctx, territory, report_code, period))
    except DomainError as error:
        if error.code == "unknown_report":
            raise
        run = ReportRun(
            territory_code=territory,
            report_code=report_code,
            period=period,
            status="failed",
            error=error.message,
            created_by=ctx.actor,
        )
    else:
        run = ReportRun(
            territory_code=territory,
            report_code=report_code,
            period=period,
            status="done",
            result=data,
            created_by=ctx.actor,
        )
    ctx.session.add(run)
    ctx.session.flush()
    return run
