"""The files a report produces, in Italian conventions: CSV (";", decimal
comma, UTF-8 BOM, as Italian Excel opens it) and XLSX (Italian sheet names,
numbers as numbers with Italian-looking formats, violations with their rule's
Italian title and a link to fix them) of the figures, aggregates only; PDF
attendance registers for signature (:mod:`amal.reports.registers`)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.db import ITALY
from amal.errors import DomainError
from amal.plugins.definitions import Severity
from amal.reports.engine import ReportResult
from amal.reports.indicators import Share
from amal.reports.registers import registers_pdf
from amal.reports.rules import Violation
from amal.services import Context, use_case

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
}
ENTITY_LABELS = {
    "meeting": "Incontro",
    "participant": "Partecipante",
    "group": "Gruppo",
    "attendance": "Registro",
}
SEVERITY_LABELS = {Severity.BLOCKING: "Bloccante", Severity.WARNING: "Avviso"}
# Number formats are stored locale-free; Excel in Italian shows 1.234,5 and 86,7%.
FORMATS = {"int": "#,##0", "decimal": "#,##0.0#", "share": "0.0%", "date": "DD/MM/YYYY"}


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
    """One section per indicator, then the violations; ";" between fields, decimal
    comma, dates dd/mm/yyyy and a UTF-8 BOM, as Excel in Italian opens it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for key, value in _meta(result):
        writer.writerow([_text(key), _text(value)])
    for table in result.tables:
        writer.writerow([])
        writer.writerow([_text(table.title)])
        writer.writerow([_text(c) for c in table.columns])
        writer.writerows([_text(v) for v in row] for row in table.rows)
    writer.writerow([])
    writer.writerow(["Violazioni delle regole"])
    writer.writerow(VIOLATION_COLUMNS)
    writer.writerows([_text(v) for v in row] for row in _violation_rows(result, link_of))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(result: ReportResult, link_of: LinkOf | None = None) -> bytes:
    """A summary sheet, one sheet per indicator named in Italian, and the violations."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = "Riepilogo"
    for row in _meta(result):
        _append(summary, row)
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 60
    used = {"riepilogo", "violazioni"}
    for table in result.tables:
        sheet = workbook.create_sheet(_unique(SHEET_NAMES.get(table.indicator, table.title), used))
        sheet.append([_cell(table.title)])
        sheet["A1"].font = Font(bold=True)
        sheet.append([_cell(c) for c in table.columns])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            _append(sheet, row)
        sheet.column_dimensions["A"].width = 45
        for letter in "BCDEFGHIJ"[: max(len(table.columns) - 1, 0)]:
            sheet.column_dimensions[letter].width = 16
        sheet.freeze_panes = "A3"
    violations = workbook.create_sheet("Violazioni")
    violations.append(VIOLATION_COLUMNS)
    for cell in violations[1]:
        cell.font = Font(bold=True)
    for row in _violation_rows(result, link_of):
        violations.append([_cell(v) for v in row])
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


def _append(sheet: Worksheet, row: tuple[object, ...] | list[object]) -> None:
    sheet.append([_cell(v) for v in row])
    for cell, value in zip(sheet[sheet.max_row], row, strict=False):
        kind = _kind(value)
        if kind:
            cell.number_format = FORMATS[kind]


def _kind(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Share):
        return "share"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float | Decimal):
        return "int" if value == int(value) else "decimal"
    if isinstance(value, date):
        return "date"
    return None


# A spreadsheet reads a cell starting with one of these as a formula (OWASP
# "CSV injection"): such text gets a leading apostrophe and stays text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """An XLSX cell: numbers and dates as themselves (the format makes them
    Italian); text without the control characters XLSX cannot hold (old data
    may have them) and never a formula."""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        # A lone "-" (no figure) cannot compute anything: kept readable.
        return "'" + text if text.startswith(FORMULA_PREFIXES) and text != "-" else text
    if isinstance(value, Share):
        return float(value)
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _text(value: object) -> str:
    """A CSV field as Italian Excel reads it: 1,5 and 86,7% and 20/03/2026."""
    if isinstance(value, Share):
        return f"{100 * value:.1f}%".replace(".", ",")
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", ",")
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(_cell(value))


def _unique(name: str, used: set[str]) -> str:
    """A valid sheet name (at most 31 characters, none of []:*?/\\) not yet taken."""
    base = re.sub(r"[\[\]:*?/\\]", "-", ILLEGAL_CHARACTERS_RE.sub("", name)).strip("' ")[:31]
    base = base or "Tabella"
    candidate, n = base, 2
    while candidate.casefold() in used:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.casefold())
    return candidate


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
    return registers_pdf(ctx, result)
