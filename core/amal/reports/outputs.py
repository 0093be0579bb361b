"""The files a report produces, in Italian conventions: CSV (";", decimal
comma, UTF-8 BOM, as Italian Excel opens it) and XLSX (Italian sheet names,
numbers as numbers with Italian-looking formats, violations with their rule's
Italian title and a link to fix them) of the figures, aggregates only; PDF
attendance registers for signature (:mod:`amal.reports.registers`)."""

from __future__ import annotations

import io
from collections.abc import Callable

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.db import ITALY
from amal.errors import DomainError
from amal.plugins.definitions import Severity
from amal.reports.engine import ReportResult
from amal.reports.rules import Violation
from amal.services import Context, use_case
from amal.tabular import append, bold_row, cell, csv_bytes, sheet_name

# Where the coordinator fixes a violation (absolute address), if known.
LinkOf = Callable[[Violation], str | None]

# Short Italian sheet names (at most 31 characters) of the core's indicators;
# a plugin's indicator gets its title, cut to fit.
SHEET_NAMES = {
    "participants_by_status": "Partecipanti per stato",
    "participants_by_group": "Partecipanti per gruppo",
    "new_enrolments": "Nuove iscrizioni",
    "groups": "Gruppi",
    "meetings": "Incontri",
    "hours": "Ore",
    "attendance_rate": "Tasso di presenza",
    "min_presence": "Presenza minima",
    "wellbeing_change": "Benessere",
    "referrals": "Invii ai servizi",
    "outcomes": "Esiti occupazionali",
    "training_topics": "Incontri formativi",
    "info_meetings": "Incontri informativi",
    "network_meetings": "Coordinamento di rete",
}
ENTITY_LABELS = {
    "meeting": "Incontro",
    "participant": "Partecipante",
    "group": "Gruppo",
    "attendance": "Registro",
}
SEVERITY_LABELS = {Severity.BLOCKING: "Bloccante", Severity.WARNING: "Avviso"}


def _meta(result: ReportResult) -> list[tuple[str, object]]:
    definition = result.definition
    return [
        ("Report", definition.title),
        ("Ente finanziatore", definition.funder),
        ("Territorio", result.territory_name),
        (
            "Periodo",
            f"{result.period.label} ({result.period.start:%d/%m/%Y} - "
            f"{result.period.end:%d/%m/%Y})",
        ),
        ("Generato il", f"{result.generated_at.astimezone(ITALY):%d/%m/%Y %H:%M}"),
        ("Violazioni delle regole", len(result.violations)),
    ]


def _violation_rows(result: ReportResult, link_of: LinkOf | None) -> list[list[object]]:
    return [
        [
            SEVERITY_LABELS.get(v.severity, v.severity.value),
            result.rule_titles.get(v.rule, v.rule),
            v.message,
            f"{ENTITY_LABELS.get(v.entity, v.entity)} n. {v.entity_id}",
            (link_of(v) if link_of else None) or "",
        ]
        for v in sorted(result.violations, key=lambda v: v.severity != Severity.BLOCKING)
    ]


VIOLATION_COLUMNS = ["Gravità", "Regola", "Descrizione", "Oggetto", "Dove correggere"]


def to_csv(result: ReportResult, link_of: LinkOf | None = None) -> bytes:
    """One section per indicator, then the violations (:mod:`amal.tabular`)."""
    rows: list[list[object]] = [list(pair) for pair in _meta(result)]
    for table in result.tables:
        rows += [[], [table.title], list(table.columns), *map(list, table.rows)]
    rows += [[], ["Violazioni delle regole"], VIOLATION_COLUMNS]
    rows += _violation_rows(result, link_of)
    return csv_bytes(rows)


def to_xlsx(result: ReportResult, link_of: LinkOf | None = None) -> bytes:
    """A summary sheet, one sheet per indicator named in Italian, and the violations."""
    from openpyxl import Workbook  # when a file is asked for: not at every start

    workbook = Workbook()
    summary = workbook.active
    summary.title = "Riepilogo"
    for pair in _meta(result):
        append(summary, pair)
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 60
    used = {"riepilogo", "violazioni"}
    for table in result.tables:
        title = SHEET_NAMES.get(table.indicator, table.title)
        sheet = workbook.create_sheet(sheet_name(title, used))
        sheet.append([cell(table.title)])
        bold_row(sheet, 1)
        sheet.append([cell(c) for c in table.columns])
        bold_row(sheet, 2)
        for row in table.rows:
            append(sheet, row)
        sheet.column_dimensions["A"].width = 45
        for letter in "BCDEFGHIJ"[: max(len(table.columns) - 1, 0)]:
            sheet.column_dimensions[letter].width = 16
        sheet.freeze_panes = "A3"
    violations = workbook.create_sheet("Violazioni")
    violations.append(VIOLATION_COLUMNS)
    bold_row(violations, 1)
    for row in _violation_rows(result, link_of):
        violations.append([cell(v) for v in row])
        link = violations.cell(row=violations.max_row, column=len(row))
        if link.value:
            link.hyperlink = str(link.value)
            link.style = "Hyperlink"
    for letter, width in zip("ABCDE", (12, 40, 80, 18, 50), strict=True):
        violations.column_dimensions[letter].width = width
    violations.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@use_case
def export_report(
    ctx: Context, result: ReportResult, fmt: str, link_of: LinkOf | None = None
) -> bytes:
    """Render a report as a file that leaves AMAL (download, CLI), auditing it:
    figures name the report and period; registers also everyone named in them."""
    content = render(ctx, result, fmt, link_of)
    if fmt != "pdf":
        record(
            ctx,
            AuditAction.EXPORT,
            "report_run",
            None,
            territory_code=result.territory,
            report=result.definition.code,
            period=result.period.label,
            format=fmt,
        )
    return content


def render(ctx: Context, result: ReportResult, fmt: str, link_of: LinkOf | None = None) -> bytes:
    """The report as ``csv``, ``xlsx`` or ``pdf`` (registers), if its definition
    offers it; ``link_of`` gives each violation the address where it is fixed."""
    if fmt not in result.definition.formats:
        raise DomainError(
            "format_not_offered",
            f"Report {result.definition.code!r} is produced as "
            f"{', '.join(result.definition.formats)}, not {fmt}",
        )
    if fmt == "csv":
        return to_csv(result, link_of)
    if fmt == "xlsx":
        return to_xlsx(result, link_of)
    from amal.reports.registers import registers_pdf  # fpdf, when a file is asked for

    return registers_pdf(ctx, result)
