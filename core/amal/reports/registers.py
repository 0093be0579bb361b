"""Attendance registers on paper (PDF): the signed registers a funder inspects,
one group per section, and the blank sign-in sheet a facilitator prints before
a meeting. They carry names, because signatures need them: every file made
here is audited naming everyone in it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.db import ITALY
from amal.groups.models import Enrolment, Group
from amal.meetings.models import Attendance, Meeting, MeetingStatus
from amal.participants.models import Participant
from amal.reports.engine import ReportResult
from amal.reports.vocabulary import italian
from amal.services import Context, use_case

PRESENCE_LABELS = {"present": "Presente", "absent": "Assente", "justified": "Assente giust."}
NOT_FILLED = "Registro non compilato"
NO_GROUP = "Incontri aperti (senza gruppo)"
SHEET_SUBTITLE = "Da stampare prima dell'incontro e far firmare ai presenti"


class RegisterPdf(FPDF):
    """A4 pages with a footer naming the section and the page ("Pagina 2 di 9")."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(latin1(title))
        self.alias_nb_pages()
        self.section = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, latin1(self.section), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 6, f"Pagina {self.page_no()} di {{nb}}", align="R")


@dataclass(frozen=True)
class Line:
    name: str
    presence: str  # "" on a sheet to fill in


@use_case
def sign_in_sheet(ctx: Context, meeting: Meeting) -> bytes:
    """The blank sign-in sheet of one meeting, to print beforehand: the members
    of its group on its date, with empty presence and signature boxes (and blank
    rows for whoever else comes)."""
    people = _members_on(ctx, [meeting])[meeting.id]
    names = _names(ctx, people)
    _audit(ctx, meeting.territory_code, names, sheet=meeting.id)
    pdf = RegisterPdf(f"Foglio firme - {_day(meeting.scheduled_on)}")
    pdf.section = meeting.group.name if meeting.group else NO_GROUP
    _page(
        pdf,
        "Foglio firme",
        SHEET_SUBTITLE,
        meeting,
        [Line(names[p], "") for p in _by_name(people, names)],
        None,
        # rows to write in whoever else comes (an open meeting has no members)
        blank_rows=5 if people else 20,
    )
    return bytes(pdf.output())


def registers_pdf(ctx: Context, result: ReportResult) -> bytes:
    """One section per group (then the meetings without a group), one page per
    meeting of the period (cancelled ones excepted), in the form funders
    inspect. A past meeting without a register says "Registro non compilato";
    a meeting still to come gets its members with a blank presence column."""
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
    lines: dict[int, dict[int, str]] = defaultdict(dict)
    for meeting_id, participant_id, presence in ctx.session.execute(
        select(Attendance.meeting_id, Attendance.participant_id, Attendance.presence).where(
            Attendance.meeting_id.in_([m.id for m in meetings])
        )
    ):
        lines[meeting_id][participant_id] = presence.value
    expected = _members_on(ctx, meetings)
    listed = {p for per in lines.values() for p in per} | {p for m in expected.values() for p in m}
    names = _names(ctx, listed)
    _audit(
        ctx,
        result.territory,
        names,
        report=result.definition.code,
        period=result.period.label,
    )
    today = result.today or result.generated_at.astimezone(ITALY).date()
    subtitle = (
        f"{result.territory_name} - {result.definition.title} - "
        f"finanziatore: {result.definition.funder}"
    )
    pdf = RegisterPdf(f"Registri presenze - {result.definition.title}")
    sections: dict[str, list[Meeting]] = defaultdict(list)
    for meeting in meetings:
        sections[meeting.group.name if meeting.group else NO_GROUP].append(meeting)
    # Groups by name, the meetings without a group last.
    for section in sorted(sections, key=lambda s: (s == NO_GROUP, s.casefold())):
        pdf.section = section
        for meeting in sections[section]:
            held = lines[meeting.id]
            if held:
                people = [Line(names[p], held[p]) for p in _by_name(held, names)]
                notice = None
            elif meeting.scheduled_on <= today:
                people, notice = [], NOT_FILLED
            else:
                members = expected[meeting.id]
                people = [Line(names[p], "") for p in _by_name(members, names)]
                notice = None
            first = meeting is sections[section][0]
            _page(
                pdf,
                "Registro presenze",
                subtitle,
                meeting,
                people,
                notice,
                bookmark=pdf.section if first else None,
            )
    if not meetings:
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.cell(0, 10, latin1(f"Nessun incontro nel periodo {result.period.label}."))
    return bytes(pdf.output())


def _members_on(ctx: Context, meetings: Sequence[Meeting]) -> dict[int, set[int]]:
    """Per meeting: the people enrolled in its group on its date (whatever happened later)."""
    enrolments = ctx.session.execute(
        select(
            Enrolment.group_id, Enrolment.participant_id, Enrolment.enrolled_on, Enrolment.ended_on
        ).where(Enrolment.group_id.in_({m.group_id for m in meetings if m.group_id}))
    ).all()
    return {
        m.id: {
            pid
            for gid, pid, start, end in enrolments
            if gid == m.group_id
            and start <= m.scheduled_on
            and (end is None or end >= m.scheduled_on)
        }
        for m in meetings
    }


def _names(ctx: Context, ids: Iterable[int]) -> dict[int, str]:
    return {
        pid: f"{last} {first}"
        for pid, first, last in ctx.session.execute(
            select(Participant.id, Participant.first_name, Participant.last_name).where(
                Participant.id.in_(set(ids))
            )
        )
    }


def _by_name(ids: Iterable[int], names: dict[int, str]) -> list[int]:
    return sorted(ids, key=lambda pid: names.get(pid, "").casefold())


def _audit(ctx: Context, territory: str, names: dict[int, str], **details: object) -> None:
    record(
        ctx,
        AuditAction.EXPORT,
        "register",
        None,
        territory_code=territory,
        ids=sorted(names),
        count=len(names),
        **details,
    )


def _day(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _page(
    pdf: RegisterPdf,
    title: str,
    subtitle: str,
    meeting: Meeting,
    people: list[Line],
    notice: str | None,
    *,
    blank_rows: int = 0,
    bookmark: str | None = None,
) -> None:
    pdf.add_page()
    if bookmark:
        pdf.start_section(latin1(bookmark))  # the PDF's outline: one entry per group
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    pdf.cell(0, 5, latin1(subtitle), new_x="LMARGIN", new_y="NEXT")
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
        ("Data", _day(meeting.scheduled_on)),
        ("Orario", f"{start:%H:%M} - {end:%H:%M}"),
        ("Luogo", meeting.location or "-"),
        ("Attività", activity),
        ("Gruppo", group.name if group else "-"),
        ("Facilitatore/i", facilitators or "-"),
    ]
    for label, value in details:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(32, 6, latin1(label))
        pdf.set_font("Helvetica", size=10)
        pdf.cell(0, 6, latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if notice:
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 14, latin1(notice), border=1, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 6, latin1("Nessuna presenza registrata per questo incontro."))
        return
    widths = (10, 80, 35, 65)
    pdf.set_font("Helvetica", "B", 10)
    for width, heading in zip(widths, ("N.", "Partecipante", "Presenza", "Firma"), strict=True):
        pdf.cell(width, 8, latin1(heading), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    for number, line in enumerate(people, start=1):
        cells = (str(number), line.name, PRESENCE_LABELS.get(line.presence, ""), "")
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 9, latin1(text), border=1)
        pdf.ln()
    for number in range(len(people) + 1, len(people) + blank_rows + 1):
        for width, text in zip(widths, (str(number), "", "", ""), strict=True):
            pdf.cell(width, 9, text, border=1)
        pdf.ln()
    if not people and not blank_rows:
        pdf.set_font("Helvetica", size=10)
        pdf.cell(0, 9, latin1("Nessun iscritto al gruppo in questa data."), border=1)
        pdf.ln()
    pdf.ln(8)
    pdf.cell(95, 6, latin1("Firma del facilitatore: ______________________"))
    pdf.cell(0, 6, latin1("Firma dell'operatore: ______________________"))


def latin1(text: str) -> str:
    """The PDF core fonts are Latin-1: Italian letters fit, typographic dashes do not."""
    text = text.replace("—", "-").replace("–", "-").replace("’", "'")
    return text.encode("latin-1", "replace").decode("latin-1")
