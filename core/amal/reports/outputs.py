"""The files a report produces: CSV and XLSX of the figures (aggregates only),
PDF attendance registers for signature (names, because signatures need them)."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.db import ITALY
from amal.errors import DomainError
from amal.groups.models import Enrolment, Group
from amal.meetings.models import Attendance, Meeting, MeetingStatus
from amal.participants.models import Participant
from amal.reports.engine import ReportResult
from amal.reports.vocabulary import italian
from amal.services import Context, use_case

if TYPE_CHECKING:
    from fpdf import FPDF

# The control characters an XLSX cell cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE,
# spelled out: importing openpyxl for it would slow every process start).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
PRESENCE_LABELS = {"present": "Presente", "absent": "Assente", "justified": "Assente giust."}


def _meta(result: ReportResult) -> list[tuple[str, str]]:
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
        ("Violazioni delle regole", str(len(result.violations))),
    ]


def to_csv(result: ReportResult) -> bytes:
    """One section per indicator; semicolons and a BOM so Italian Excel opens it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for key, value in _meta(result):
        writer.writerow([_cell(key), _cell(value)])
    for table in result.tables:
        writer.writerow([])
        writer.writerow([_cell(table.title)])
        writer.writerow([_cell(c) for c in table.columns])
        writer.writerows([_cell(v) for v in row] for row in table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(result: ReportResult) -> bytes:
    # Imported when a file is asked for: every process start would pay for them.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    summary = workbook.active
    summary.title = "Riepilogo"
    for row in _meta(result):
        summary.append([_cell(v) for v in row])
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 60
    for index, table in enumerate(result.tables, start=1):
        sheet = workbook.create_sheet(_sheet_title(f"{index}. {table.indicator}"))
        sheet.append([_cell(table.title)])
        sheet["A1"].font = Font(bold=True)
        sheet.append([_cell(c) for c in table.columns])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
        sheet.column_dimensions["A"].width = 45
    violations = workbook.create_sheet("Violazioni")
    violations.append(["Regola", "Descrizione", "Oggetto", "Numero"])
    for v in result.violations:
        violations.append([_cell(x) for x in (v.rule, v.message, v.entity, v.entity_id)])
    violations.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# A spreadsheet reads a cell starting with one of these as a formula (OWASP
# "CSV injection"): such text gets a leading apostrophe and stays text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A cell safe for CSV and XLSX: numbers as numbers; text without the control
    characters XLSX cannot hold (old data may have them) and never a formula."""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        # A lone "-" (no figure) cannot compute anything: kept readable.
        return "'" + text if text.startswith(FORMULA_PREFIXES) and text != "-" else text
    if hasattr(value, "as_integer_ratio") and not isinstance(value, int):
        return float(value)  # Decimal
    return value


def _sheet_title(text: str) -> str:
    """Sheet names: at most 31 characters, none of []:*?/\\ nor control characters."""
    return re.sub(r"[\[\]:*?/\\]", "-", ILLEGAL_CHARACTERS_RE.sub("", text))[:31]


# --- Attendance registers ---------------------------------------------------------------


def registers_pdf(ctx: Context, result: ReportResult) -> bytes:
    """One page per meeting of the period (cancelled ones excepted), in the form
    funders inspect: date, times, place, activity, facilitators, and each
    participant with presence and a signature box. Meetings not yet held get a
    blank presence column to fill in on the day."""
    meetings = ctx.session.scalars(
        select(Meeting)
        .options(selectinload(Meeting.group).selectinload(Group.facilitators))
        .where(
            Meeting.territory_code == result.territory,
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.kind.in_(result.definition.meeting_kinds),
            Meeting.scheduled_on.between(result.period.start, result.period.end),
        )
        .order_by(Meeting.scheduled_on, Meeting.id)
    ).all()
    meeting_ids = [m.id for m in meetings]
    lines: dict[int, dict[int, str]] = defaultdict(dict)
    for meeting_id, participant_id, presence in ctx.session.execute(
        select(Attendance.meeting_id, Attendance.participant_id, Attendance.presence).where(
            Attendance.meeting_id.in_(meeting_ids)
        )
    ):
        lines[meeting_id][participant_id] = presence.value
    enrolments = ctx.session.execute(
        select(
            Enrolment.group_id, Enrolment.participant_id, Enrolment.enrolled_on, Enrolment.ended_on
        ).where(Enrolment.group_id.in_({m.group_id for m in meetings if m.group_id}))
    ).all()
    people_ids = {pid for per in lines.values() for pid in per} | {e[1] for e in enrolments}
    # The registers carry names: the download is audited naming everyone in them.
    record(
        ctx,
        AuditAction.EXPORT,
        "register",
        None,
        territory_code=result.territory,
        ids=sorted(people_ids),
        count=len(people_ids),
        report=result.definition.code,
        period=result.period.label,
    )
    names = {
        pid: f"{last} {first}"
        for pid, first, last in ctx.session.execute(
            select(Participant.id, Participant.first_name, Participant.last_name).where(
                Participant.id.in_(people_ids)
            )
        )
    }

    from fpdf import FPDF  # when a file is asked for, as openpyxl

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(_latin1(f"Registri presenze - {result.definition.title}"))
    for meeting in meetings:
        expected = lines[meeting.id] or {
            pid: ""
            for gid, pid, start, end in enrolments
            if gid == meeting.group_id and _member_on(meeting, start, end)
        }
        people = sorted(expected, key=lambda pid: names.get(pid, ""))
        _register_page(pdf, result, meeting, [(names.get(p, "?"), expected[p]) for p in people])
    if not meetings:
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.cell(0, 10, _latin1(f"Nessun incontro nel periodo {result.period.label}."))
    return bytes(pdf.output())


def _member_on(meeting: Meeting, start: date, end: date | None) -> bool:
    return start <= meeting.scheduled_on and (end is None or end >= meeting.scheduled_on)


def _register_page(
    pdf: FPDF, result: ReportResult, meeting: Meeting, people: list[tuple[str, str]]
) -> None:
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1("Registro presenze"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    pdf.cell(
        0,
        5,
        _latin1(
            f"{result.territory_name} - {result.definition.title} - "
            f"finanziatore: {result.definition.funder}"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    start = meeting.starts_at
    end = (
        datetime.combine(meeting.scheduled_on, start) + timedelta(minutes=meeting.duration_minutes)
    ).time()
    group = meeting.group
    facilitators = ", ".join(u.display_name for u in group.facilitators) if group else ""
    activity = italian(meeting.kind).capitalize()
    if meeting.sequence:
        activity += f" n. {meeting.sequence}"
    if meeting.topic:
        activity += f" - {meeting.topic}"
    details = [
        ("Data", f"{meeting.scheduled_on:%d/%m/%Y}"),
        ("Orario", f"{start:%H:%M} - {end:%H:%M}"),
        ("Luogo", meeting.location or "-"),
        ("Attività", activity),
        ("Gruppo", group.name if group else "-"),
        ("Facilitatore/i", facilitators or "-"),
    ]
    for label, value in details:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(32, 6, _latin1(label))
        pdf.set_font("Helvetica", size=10)
        pdf.cell(0, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (10, 80, 35, 65)
    pdf.set_font("Helvetica", "B", 10)
    for width, title in zip(widths, ("N.", "Partecipante", "Presenza", "Firma"), strict=True):
        pdf.cell(width, 8, _latin1(title), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    for number, (name, presence) in enumerate(people, start=1):
        cells = (str(number), name, PRESENCE_LABELS.get(presence, ""), "")
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 9, _latin1(text), border=1)
        pdf.ln()
    pdf.ln(8)
    pdf.cell(95, 6, _latin1("Firma del facilitatore: ______________________"))
    pdf.cell(0, 6, _latin1("Firma dell'operatore: ______________________"))


def _latin1(text: str) -> str:
    """The PDF core fonts are Latin-1: Italian letters fit, typographic dashes do not."""
    text = text.replace("—", "-").replace("–", "-").replace("’", "'")
    return text.encode("latin-1", "replace").decode("latin-1")


@use_case
def export_report(ctx: Context, result: ReportResult, fmt: str) -> bytes:
    """Render a report as a file that leaves AMAL (download, CLI), auditing it:
    figures name the report and period; registers also everyone named in them."""
    content = render(ctx, result, fmt)
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


def render(ctx: Context, result: ReportResult, fmt: str) -> bytes:
    """The report as ``csv``, ``xlsx`` or ``pdf`` (registers), if its definition offers it."""
    if fmt not in result.definition.formats:
        raise DomainError(
            "format_not_offered",
            f"Report {result.definition.code!r} is produced as "
            f"{', '.join(result.definition.formats)}, not {fmt}",
        )
    if fmt == "csv":
        return to_csv(result)
    if fmt == "xlsx":
        return to_xlsx(result)
    return registers_pdf(ctx, result)
