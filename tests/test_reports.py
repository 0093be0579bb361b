import csv
import io
import re
import zlib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from amal.app import create_app
from amal.consent.models import ConsentPurpose
from amal.consent.services import withdraw_consent
from amal.errors import DomainError, PluginError
from amal.groups.services import add_need, create_group, enrol, start_group
from amal.meetings.models import MeetingKind, Presence
from amal.meetings.services import cancel_meeting, generate_plan, record_register, schedule_meeting
from amal.participants.models import ParticipantStatus as S
from amal.plugins import ReportDefinition, hookimpl
from amal.reports.engine import run_report
from amal.reports.indicators import Share
from amal.reports.outputs import render
from amal.reports.periods import parse_period
from amal.services import Context
from amal.testing import staff_facilitator
from amal.wellbeing.services import record_administration

TODAY = date(2026, 4, 15)
P, A, J = Presence.PRESENT, Presence.ABSENT, Presence.JUSTIFIED


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026-Q1", "quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-q4", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-S1", "semester", date(2026, 1, 1), date(2026, 6, 30)),
        ("2025-S2", "semester", date(2025, 7, 1), date(2025, 12, 31)),
        ("2026-02-01..2026-02-28", "custom", date(2026, 2, 1), date(2026, 2, 28)),
    ],
)
def test_periods(text, kind, start, end) -> None:
    period = parse_period(text, kind, TODAY)
    assert (period.start, period.end) == (start, end)


def test_project_period_is_the_current_projects_dates(ctx: Context) -> None:
    period = run_report(ctx, "monza-brianza", "provincia-finale", "project", today=TODAY).period
    assert (period.start, period.end) == (date(2026, 1, 1), date(2027, 6, 30))
    assert period.label == "progetto Auto Mutuo Aiuto Lavoro - progetto pilota"
    with pytest.raises(DomainError, match="no project"):
        parse_period("project", "project", TODAY)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("2026-S1", "quarter", "YYYY-Qn"),
        ("2026-Q5", "quarter", "YYYY-Qn"),
        ("2026-03-01..2026-02-01", "custom", "ends before it starts"),
        ("2026-02-30..2026-03-01", "custom", "Invalid date"),
    ],
)
def test_bad_periods_say_what_is_expected(text, kind, message) -> None:
    with pytest.raises(DomainError, match=message):
        parse_period(text, kind, TODAY)


@pytest.fixture
def q1(ctx: Context, person):
    """A Monza group of 10 from 13 January 2026 (fortnightly Tuesdays). In Q1:
    meetings 1-3 held, 4 without register, 5 cancelled, 6 without register."""
    group = create_group(
        ctx,
        "monza-brianza",
        "Gruppo Q1",
        start_date=date(2026, 1, 13),
        facilitator_ids=[staff_facilitator(ctx, "monza-brianza")],
    )
    members = [person() for _ in range(10)]
    for m in members:
        enrol(ctx, group.id, m.id)
    start_group(ctx, group.id)
    plan = generate_plan(ctx, group.id)
    registers = [
        {},  # everyone present
        {1: A, 2: A, 3: J},
        {0: A},
    ]
    for meeting, exceptions in zip(plan, registers, strict=False):
        record_register(
            ctx,
            meeting.id,
            {m.id: (exceptions.get(i, P), None) for i, m in enumerate(members)},
            today=TODAY,
        )
    cancel_meeting(ctx, plan[4].id, "Sala non disponibile")
    return group, members, plan


def shown(value):
    """A figure as the pages show it: shares and days as text ("86.7%", "20/03/2026")."""
    return str(value) if isinstance(value, Share | date) else value


def table(result, name):
    return {
        shown(row[0]): tuple(map(shown, row[1:])) if len(row) > 2 else shown(row[1])
        for row in next(t for t in result.tables if t.indicator == name).rows
    }


def test_quarterly_figures_match_hand_counts(ctx: Context, q1) -> None:
    result = run_report(ctx, "monza-brianza", "provincia-trimestrale", "2026-Q1", today=TODAY)
    meetings = table(result, "meetings")
    assert meetings["incontro di gruppo"] == (2, 3, 1)  # planned (not registered), held, cancelled
    hours = table(result, "hours")
    assert hours["Ore di facilitazione"] == 6  # 3 held × 2 hours
    assert hours["Ore di presenza dei partecipanti"] == (10 + 7 + 9) * 2
    rate = table(result, "attendance_rate")
    assert (
        rate["Righe di registro"],
        rate["Presenze"],
        rate["Assenze giustificate"],
        rate["Assenze"],
        rate["Tasso di presenza"],
    ) == (30, 26, 1, 3, "86.7%")
    presence = table(result, "min_presence")
    assert presence["Persone con registro nel periodo"] == 10
    assert presence["Persone che raggiungono la soglia"] == 6  # 2 of 3 is below 70%
    assert presence["Quota"] == "60.0%"
    # the people were registered today, after the quarter: none counted at its end
    assert table(result, "participants_by_status") == {}


def test_rule_violations_are_found(ctx: Context, q1, person) -> None:
    _group, _members, plan = q1
    plan[2].duration_minutes = 60  # now the 2-hour lines exceed the meeting's length
    lapsed = person(status=S.SCREENED)
    withdraw_consent(ctx, lapsed.id, ConsentPurpose.PROCESSING, reason="Revocato")
    small = create_group(
        ctx, "monza-brianza", "Piccolo", facilitator_ids=[staff_facilitator(ctx, "monza-brianza")]
    )
    for _ in range(3):
        enrol(ctx, small.id, person().id)
    start_group(ctx, small.id, override_reason="Avvio sperimentale")
    ctx.session.commit()
    result = run_report(ctx, "monza-brianza", "provincia-trimestrale", "2026-Q1", today=TODAY)
    found = {(v.rule, v.entity, v.entity_id) for v in result.violations}
    assert ("meeting_without_register", "meeting", plan[3].id) in found
    assert ("meeting_without_register", "meeting", plan[5].id) in found
    assert ("participant_without_consent", "participant", lapsed.id) in found
    assert ("group_below_minimum", "group", small.id) in found
    assert ("register_hours_beyond_length", "meeting", plan[2].id) in found
    assert ("meeting_without_register", "meeting", plan[4].id) not in found  # cancelled
    # Monza's own rule: the three registers were typed in today, months after the meetings
    late = {v.entity_id: v for v in result.violations if v.rule == "register_signed_late"}
    assert set(late) == {plan[0].id, plan[1].id, plan[2].id}
    assert not any(v.blocking for v in late.values())
    assert "oltre i 7 giorni previsti dalla Provincia" in late[plan[0].id].message
    assert len(found) == 8
    assert sum(v.rule == "register_hours_beyond_length" for v in result.violations) == 9


def test_wellbeing_and_project_report(ctx: Context, q1) -> None:
    _, members, _ = q1
    base = dict.fromkeys(range(1, 6), 2)  # 40
    record_administration(ctx, members[0].id, "who5", "entry", base, administered_on=TODAY)
    record_administration(
        ctx,
        members[0].id,
        "who5",
        "end",
        base | {1: 5},  # 52: +12
        administered_on=TODAY,
    )
    record_administration(ctx, members[1].id, "who5", "entry", base, administered_on=TODAY)
    record_administration(
        ctx,
        members[1].id,
        "who5",
        "end",
        base | {1: 4},  # 48: +8
        administered_on=TODAY,
    )
    result = run_report(ctx, "monza-brianza", "provincia-finale", "project")
    who5 = table(result, "wellbeing_change")["Indice di benessere WHO-5"]
    assert who5 == (2, 40, 50, 10, 1, "50.0%", 2, 1)
    assert table(result, "participants_by_status") == {"attivo": 10}


def test_lecco_reports_use_other_indicators_and_periods(ctx: Context, person) -> None:
    group = create_group(
        ctx,
        "lecco",
        "Lario",
        start_date=date(2026, 2, 2),
        facilitator_ids=[staff_facilitator(ctx, "lecco")],
    )
    members = [person("lecco") for _ in range(10)]
    for m in members:
        enrol(ctx, group.id, m.id)
    start_group(ctx, group.id)
    generate_plan(ctx, group.id)
    need = add_need(ctx, group.id, "Scrivere il curriculum")
    schedule_meeting(
        ctx,
        "lecco",
        MeetingKind.TRAINING,
        date(2026, 3, 20),
        group_id=group.id,
        topic=need.topic,
        need_ids=[need.id],
    )
    result = run_report(ctx, "lecco", "valoriamo-semestrale", "2026-S1", today=TODAY)
    assert [t.indicator for t in result.tables][:2] == ["info_meetings", "participants_by_status"]
    assert list(table(result, "info_meetings")) == ["02/02/2026"]
    assert table(result, "training_topics")["20/03/2026"] == (
        "Lario",
        "Scrivere il curriculum",
        "previsto",
        0,
    )
    with pytest.raises(DomainError, match=r"YYYY-MM-DD\.\.YYYY-MM-DD"):
        run_report(ctx, "lecco", "valoriamo-valutazione", "2026-S1")
    with pytest.raises(DomainError, match="available: valoriamo-semestrale"):
        run_report(ctx, "lecco", "provincia-trimestrale", "2026-Q1")


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page of a PDF made by fpdf2 (one compressed content
    stream per page, text shown with the Tj operator)."""
    pages = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            content = zlib.decompress(stream).decode("latin-1")
        except zlib.error:
            continue
        blocks = [
            "".join(re.findall(r"\((.*?)(?<!\\)\) ?Tj", block))
            for block in re.findall(r"BT(.*?)ET", content, re.S)
        ]
        if any(blocks):
            text = " ".join(b for b in blocks if b)
            pages.append(text.replace("\\(", "(").replace("\\)", ")"))
    return pages


def test_files_carry_figures_without_names_and_registers_with_them(ctx: Context, q1) -> None:
    _, members, _plan = q1
    result = run_report(ctx, "monza-brianza", "provincia-trimestrale", "2026-Q1", today=TODAY)
    names = [m.last_name for m in members]

    raw = render(ctx, result, "csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert ["Tasso di presenza", "86,7%"] in rows  # decimal comma
    assert ["Quota", "60,0%"] in rows and ["Soglia di presenza", "70%"] in rows
    assert ["Ente finanziatore", "Provincia di Monza e Brianza"] in rows
    header = rows.index(["Gravità", "Regola", "Descrizione", "Oggetto", "Dove correggere"])
    assert rows[header + 1][:2] == ["Bloccante", "Incontro senza registro presenze"]
    assert not any(name in text for name in names)
    assert not re.search(r"\d\.\d", text.replace("2026", ""))  # no decimal point anywhere

    workbook = load_workbook(io.BytesIO(render(ctx, result, "xlsx")))
    assert workbook.sheetnames == [
        "Riepilogo",
        "Partecipanti per stato",
        "Partecipanti per gruppo",
        "Nuove iscrizioni",
        "Gruppi",
        "Incontri",
        "Ore",
        "Tasso di presenza",
        "Presenza minima",
        "Coordinamento di rete",
        "Violazioni",
    ]
    rate = {r[0].value: r[1] for r in workbook["Tasso di presenza"].iter_rows(min_row=3)}
    assert rate["Presenze"].value == 26 and rate["Presenze"].number_format == "#,##0"
    share = rate["Tasso di presenza"]
    assert share.value == pytest.approx(26 / 30) and share.number_format == "0.0%"
    assert workbook["Ore"]["B3"].value == 6 and workbook["Ore"]["B3"].data_type == "n"
    assert workbook["Riepilogo"]["B6"].value == 5  # violations, a number
    violations = list(workbook["Violazioni"].iter_rows(min_row=2, values_only=True))
    assert len(violations) == len(result.violations) == 5  # 2 missing, 3 late registers
    severity, rule, message, subject, link = violations[0]
    assert (severity, rule) == ("Bloccante", "Incontro senza registro presenze")
    assert "senza registro presenze" in message and subject.startswith("Incontro n. ")
    assert link is None  # no address known outside the web
    cells = " ".join(str(c) for ws in workbook for r in ws.iter_rows(values_only=True) for c in r)
    assert not any(name in cells for name in names)
    assert not re.search(r"meeting|participant|_", cells)  # no internal codes
    linked = load_workbook(
        io.BytesIO(render(ctx, result, "xlsx", lambda v: f"https://amal.example/m/{v.entity_id}"))
    )
    first = linked["Violazioni"]["E2"]
    assert first.hyperlink.target == first.value and first.value.startswith("https://amal.")

    pdf = render(ctx, result, "pdf")
    assert pdf.startswith(b"%PDF")
    pages = pdf_pages(pdf)
    assert len(pages) == 5  # six Q1 meetings, one cancelled
    assert [p.count("Registro non compilato") for p in pages] == [0, 0, 0, 1, 1]
    assert all(f"Pagina {n} di 5" in p for n, p in enumerate(pages, start=1))
    assert all(p.count("Gruppo Q1") == 2 for p in pages)  # the details and the footer
    assert all(members[0].last_name in p for p in pages[:3])
    assert b"/Outlines" in pdf  # one bookmark per group


def test_registers_one_section_per_group(ctx: Context, q1, person) -> None:
    """Two groups: every page of the first, then every page of the second, whatever
    the dates; a meeting still to come is a sheet to sign, not "non compilato"."""
    other = create_group(
        ctx,
        "monza-brianza",
        "Arcore",
        start_date=date(2026, 1, 20),
        facilitator_ids=[staff_facilitator(ctx, "monza-brianza")],
    )
    newcomer = person()
    enrol(ctx, other.id, newcomer.id)
    start_group(ctx, other.id, override_reason="Gruppo di prova")
    generate_plan(ctx, other.id)
    result = run_report(ctx, "monza-brianza", "provincia-trimestrale", "2026-Q1", today=TODAY)
    pages = pdf_pages(render(ctx, result, "pdf"))
    sections = [("Arcore" if "Arcore" in p else "Q1") for p in pages]
    assert sections == sorted(sections) and sections.count("Q1") == 5  # Arcore first
    early = run_report(
        ctx, "monza-brianza", "provincia-trimestrale", "2026-Q1", today=date(2026, 1, 25)
    )
    upcoming = [p for p in pdf_pages(render(ctx, early, "pdf")) if "Arcore" in p]
    assert "Registro non compilato" not in upcoming[-1] and "Firma" in upcoming[-1]


def test_format_must_be_offered(ctx: Context) -> None:
    result = run_report(ctx, "monza-brianza", "comune-monza-semestrale", "2026-S1")
    with pytest.raises(DomainError, match="produced as csv, xlsx, not pdf"):
        render(ctx, result, "pdf")


def test_unknown_indicator_stops_startup_naming_the_report(tmp_path: Path) -> None:
    class Broken:
        @hookimpl
        def amal_report_definitions(self, territory):
            return [ReportDefinition("x", "X", "Comune di Monza", "quarter", ("happiness",))]

    with pytest.raises(PluginError, match=r"Report 'x' of territory 'monza-brianza'.*happiness"):
        create_app(
            tmp_path,
            config_overrides={"environment": "testing", "plugins": ["monza-brianza"]},
            extra_plugins=[("b", Broken())],
        )


def test_cli_report_run(app, q1, tmp_path: Path, amal_database_url: str) -> None:
    from amal.cli import cli

    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza", "lecco"]\n')
    env = {"AMAL_DATABASE_URL": amal_database_url, "AMAL_ENV": "testing"}
    runner = CliRunner()
    out = tmp_path / "q1.xlsx"
    result = runner.invoke(
        cli,
        [
            "--instance",
            str(tmp_path),
            "report",
            "run",
            "monza-brianza",
            "provincia-trimestrale",
            "--period",
            "2026-Q1",
            "--format",
            "xlsx",
            "--out",
            str(out),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Rule violations: 5" in result.output and out.stat().st_size > 1000
    bad = runner.invoke(
        cli,
        [
            "--instance",
            str(tmp_path),
            "report",
            "run",
            "monza-brianza",
            "provincia-trimestrale",
            "--period",
            "Q1",
            "--out",
            str(out),
        ],
        env=env,
    )
    assert bad.exit_code == 1 and "write the period as YYYY-Qn" in bad.output
