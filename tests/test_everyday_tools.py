"""Everyday tools of issue 15: the blank sign-in sheet of a meeting, contacts on
the participant page, the case diary, the absence alert, the month calendar,
the printable member list, list exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from test_reports import pdf_pages

from amal import migrate
from amal.accounts.models import Role, User
from amal.accounts.services import authenticate, create_token, create_user
from amal.audit.models import AuditEntry
from amal.consent.services import erase_person, export_person
from amal.errors import DomainError
from amal.groups.models import Enrolment
from amal.groups.services import create_group, enrol, start_group
from amal.meetings.alerts import absence_streaks, absence_threshold
from amal.meetings.models import MeetingKind
from amal.meetings.services import generate_plan, record_register
from amal.participants import bulk, diary, importing
from amal.participants.models import DiaryEntry, DiaryRevision, Participant, ParticipantStatus
from amal.runtime import state
from amal.services import Context
from amal.testing import TEST_PASSWORD, csrf_token, staff_facilitator


def lecco_group(ctx: Context, person, size: int = 2, start: date | None = None):
    """A Lecco group starting in three weeks (its members enrolled today)."""
    group = create_group(
        ctx,
        "lecco",
        "Lario",
        start_date=start or date.today() + timedelta(days=21),
        facilitator_ids=[staff_facilitator(ctx, "lecco")],
    )
    members = [person("lecco") for _ in range(size)]
    for member in members:
        enrol(ctx, group.id, member.id)
    # Lecco's path opens with a territory-level information meeting: the group's own come after.
    return group, members, [m for m in generate_plan(ctx, group.id) if m.group_id == group.id]


def test_blank_sign_in_sheet_from_the_meeting_page(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    _, members, plan = lecco_group(ctx, person)
    page = client.get(f"/t/lecco/groups/meetings/{plan[0].id}").get_data(as_text=True)
    link = f"/t/lecco/reports/meetings/{plan[0].id}/sign-in.pdf"
    assert link in page and "foglio firme" in page
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    [text] = pdf_pages(response.data)
    assert "Foglio firme" in text and "Lario" in text and "Pagina 1 di 1" in text
    assert all(m.last_name in text for m in members)
    assert f"{plan[0].scheduled_on:%d/%m/%Y}" in text
    audit = ctx.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "register").order_by(AuditEntry.id.desc())
    ).first()
    assert audit is not None and sorted(audit.details["ids"]) == sorted(m.id for m in members)
    elsewhere = client.get(f"/t/monza-brianza/reports/meetings/{plan[0].id}/sign-in.pdf")
    assert elsewhere.status_code == 404


# --- Case diary ---------------------------------------------------------------------


def test_diary_entries_are_dated_corrected_with_history_exported_and_erased(ctx, person) -> None:
    someone = person("lecco", on=date(2026, 1, 10))
    entry = diary.add_entry(
        ctx, someone.id, "Telefonata: colloquio fissato", written_on=date(2026, 2, 1)
    )
    with pytest.raises(DomainError, match="future"):
        diary.add_entry(ctx, someone.id, "Domani", written_on=date.today() + timedelta(days=1))
    with pytest.raises(DomainError) as before:
        diary.add_entry(ctx, someone.id, "Prima di tutto", written_on=date(2025, 12, 1))
    assert before.value.code == "event_before_record"
    with pytest.raises(DomainError, match="needs some text"):
        diary.add_entry(ctx, someone.id, "   ")
    with pytest.raises(DomainError, match="at most 5000"):
        diary.add_entry(ctx, someone.id, "x" * 5001)

    diary.correct_entry(ctx, someone.id, entry.id, "Telefonata: colloquio fissato per il 5/2")
    diary.correct_entry(ctx, someone.id, entry.id, "Telefonata: colloquio fissato per il 5/2")
    [read] = diary.read_diary(ctx, someone.id)
    assert read.text.endswith("per il 5/2") and read.updated_by == "tester"
    assert [(r.old_text, r.old_written_on) for r in read.revisions] == [
        ("Telefonata: colloquio fissato", date(2026, 2, 1))
    ]  # the unchanged second save recorded nothing

    exported = export_person(ctx, someone.id)
    assert exported["diary"][0]["text"].endswith("per il 5/2")
    assert exported["diary_revisions"][0]["old_text"] == "Telefonata: colloquio fissato"
    erase_person(ctx, someone.id, "Richiesta n. 7")
    ctx.session.expire_all()
    assert ctx.session.get(DiaryEntry, entry.id).text == "[cancellato]"
    assert {r.old_text for r in ctx.session.scalars(select(DiaryRevision))} == {"[cancellato]"}


def test_diary_page_adds_and_corrects_notes(client, login, ctx, person) -> None:
    login("intake_operator", "lecco")
    someone = person("lecco")
    record = client.get(f"/t/lecco/participants/{someone.id}").get_data(as_text=True)
    assert f"/t/lecco/participants/{someone.id}/diary" in record and "Recapiti" in record
    page = f"/t/lecco/participants/{someone.id}/diary"
    token = csrf_token(client, page)
    empty = client.post(page, data={"text": "", "csrf_token": token})
    assert empty.status_code == 400
    client.post(
        page, data={"text": "Primo colloquio: cerca lavoro in logistica", "csrf_token": token}
    )
    [entry] = ctx.session.scalars(select(DiaryEntry).where(DiaryEntry.participant_id == someone.id))
    client.post(
        f"{page}/{entry.id}",
        data={
            "text": "Primo colloquio: logistica o magazzino",
            "written_on": "",
            "csrf_token": token,
        },
    )
    shown = client.get(page).get_data(as_text=True)
    assert "logistica o magazzino" in shown and "Versioni precedenti (1)" in shown
    assert "cerca lavoro in logistica" in shown  # the earlier version, in the history
    reads = ctx.session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "diary", AuditEntry.participant_id == someone.id
        )
    ).all()
    assert reads  # the diary is personal data: its reads are audited


def test_facilitators_do_not_see_the_diary(client, login, ctx, person) -> None:
    login("facilitator", "lecco")
    someone = person("lecco")
    assert client.get(f"/t/lecco/participants/{someone.id}/diary").status_code in (403, 404)


def test_diary_api(client, ctx, person) -> None:
    _, secret = create_token(ctx, "diario", "lecco", Role.INTAKE_OPERATOR)
    auth = {"Authorization": f"Bearer {secret}"}
    someone = person("lecco")
    url = f"/api/v1/territories/lecco/participants/{someone.id}/diary"
    created = client.post(url, json={"text": "Colloquio di accoglienza"}, headers=auth)
    assert created.status_code == 201, created.get_json()
    entry = created.get_json()
    assert entry["written_on"] == date.today().isoformat() and entry["revisions"] == []
    corrected = client.put(
        f"{url}/{entry['id']}", json={"text": "Colloquio di accoglienza svolto"}, headers=auth
    )
    assert corrected.status_code == 200
    assert corrected.get_json()["revisions"][0]["old_text"] == "Colloquio di accoglienza"
    future = client.post(url, json={"text": "x", "written_on": "2099-01-01"}, headers=auth)
    assert future.status_code in (400, 422) and future.mimetype == "application/problem+json"
    empty = client.post(url, json={"text": ""}, headers=auth)
    assert empty.status_code == 422
    [listed] = client.get(url, headers=auth).get_json()
    assert listed["text"] == "Colloquio di accoglienza svolto"
    missing = client.put(f"{url}/999", json={"text": "x"}, headers=auth)
    assert missing.status_code == 404


# --- Absence alert --------------------------------------------------------------------


def absent_world(ctx, person):
    """A running Lecco group from 2 March 2026 with three members and four held
    meetings: Anna present throughout; Bruno absent at the last three (one
    justified); Carla absent at the last two only."""
    names = ["Anna", "Bruno", "Carla"]
    members = [person("lecco", on=date(2026, 2, 1), last_name=n) for n in names]
    group = create_group(
        ctx,
        "lecco",
        "Lario",
        start_date=date(2026, 3, 2),
        facilitator_ids=[staff_facilitator(ctx, "lecco")],
    )
    for m in members:
        enrol(ctx, group.id, m.id, enrolled_on=date(2026, 2, 20))
    start_group(ctx, group.id, override_reason="Gruppo di prova", started_on=date(2026, 3, 1))
    # Lecco opens with an info meeting open to all: the alert counts group meetings
    plan = [m for m in generate_plan(ctx, group.id) if m.kind == MeetingKind.GROUP]
    anna, bruno, carla = (m.id for m in members)
    registers = [
        {anna: "present", bruno: "present", carla: "present"},
        {anna: "present", bruno: "absent", carla: "present"},
        {anna: "present", bruno: "justified", carla: "absent"},
        {anna: "present", bruno: "absent", carla: "absent"},
    ]
    for meeting, lines in zip(plan, registers, strict=False):
        record_register(ctx, meeting.id, {pid: (p, None) for pid, p in lines.items()})
    return group, members, plan


def test_absence_streaks_follow_the_policy(ctx, person) -> None:
    group, (anna, bruno, _), plan = absent_world(ctx, person)
    people = select(Participant).where(Participant.territory_code == "lecco")
    assert absence_threshold(ctx, "lecco") == 3  # the core's default policy
    [streak] = absence_streaks(ctx, "lecco", people, threshold=3)
    assert (streak.participant.id, streak.group.id) == (bruno.id, group.id)
    assert (streak.missed, streak.justified) == (3, 1)
    assert (streak.since, streak.last_present) == (plan[1].scheduled_on, plan[0].scheduled_on)
    two = absence_streaks(ctx, "lecco", people, threshold=2)
    assert [s.participant.last_name for s in two] == ["Bruno", "Carla"]
    nobody = select(Participant).where(Participant.id == anna.id)
    assert absence_streaks(ctx, "lecco", nobody, threshold=1) == []


def test_dashboard_lists_people_absent_in_a_row(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    _, (_, bruno, carla), _ = absent_world(ctx, person)
    page = client.get("/t/lecco/").get_data(as_text=True)
    section = page[page.index('id="absences"') :]
    assert "Assenti a più incontri di fila" in page
    assert bruno.full_name in section and "1 giustificate" in section
    assert carla.full_name not in section[: section.index("</table>")]
    audit = ctx.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "absence_alert")
    ).all()
    assert audit and audit[-1].details["ids"] == [bruno.id]


# --- Calendar, member list, exports ------------------------------------------------------


def test_month_calendar_shows_every_group_of_the_territory(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    _, _, plan = lecco_group(ctx, person, start=date(2026, 3, 2))
    other = create_group(ctx, "lecco", "Valmadrera", start_date=date(2026, 3, 4))
    generate_plan(ctx, other.id)
    page = client.get("/t/lecco/groups/calendar?month=2026-03").get_data(as_text=True)
    assert "marzo 2026" in page and "lunedì" in page
    assert "Lario" in page and "Valmadrera" in page
    assert f"/t/lecco/groups/meetings/{plan[0].id}" in page
    assert "?month=2026-04" in page and "?month=2026-02" in page  # next, previous
    empty = client.get("/t/lecco/groups/calendar?month=2031-01").get_data(as_text=True)
    assert "Nessun incontro in questo mese." in empty
    bad = client.get("/t/lecco/groups/calendar?month=marzo")
    assert bad.status_code == 400 and "AAAA-MM" in bad.get_data(as_text=True)
    assert client.get("/t/monza-brianza/groups/calendar").status_code == 404


def test_printable_member_list(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    group, members, _ = lecco_group(ctx, person)
    ctx.session.get(Participant, members[0].id).phone = "+39 333 1234567"
    ctx.session.commit()
    show = client.get(f"/t/lecco/groups/{group.id}").get_data(as_text=True)
    assert f"/t/lecco/groups/{group.id}/members" in show
    page = client.get(f"/t/lecco/groups/{group.id}/members").get_data(as_text=True)
    assert all(f"{m.last_name} {m.first_name}" in page for m in members)
    assert "+39 333 1234567" in page and "2 iscritti" in page and "Iscritto dal" in page
    audit = ctx.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "group_members")
    ).all()
    assert sorted(audit[-1].details["ids"]) == sorted(m.id for m in members)


def test_participant_list_exports_in_italian(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    group, members, _ = lecco_group(ctx, person)
    outsider = person("lecco", last_name="Esterno")
    page = client.get("/t/lecco/participants/").get_data(as_text=True)
    assert "/t/lecco/participants/export.csv" in page
    raw = client.get(f"/t/lecco/participants/export.csv?group={group.id}")
    assert raw.status_code == 200 and raw.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["N. scheda", "Cognome", "Nome"]
    assert sorted(r[1] for r in rows[1:]) == sorted(m.last_name for m in members)
    assert rows[1][4].count("/") == 2 and rows[1][5] == "iscritto"  # dd/mm/yyyy, Italian
    workbook = load_workbook(io.BytesIO(client.get("/t/lecco/participants/export.xlsx").data))
    sheet = workbook["Partecipanti"]
    assert sheet["A1"].value == "N. scheda" and sheet.max_row == len(members) + 2
    born = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == outsider.last_name)[4]
    assert born.is_date and born.number_format == "DD/MM/YYYY"
    audit = ctx.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "participant_list").order_by(AuditEntry.id)
    ).all()
    assert audit[-1].action.value == "export" and audit[-1].details["count"] == 3


# --- Usernames and roles ------------------------------------------------------------------


def test_usernames_are_case_insensitive(client, ctx) -> None:
    user = create_user(ctx, " L.Bianchi ", TEST_PASSWORD, roles=[("lecco", Role.COORDINATOR)])
    assert (user.username, user.display_name) == ("l.bianchi", "L.Bianchi")
    with pytest.raises(DomainError, match="already exists"):
        create_user(ctx, "l.BIANCHI", TEST_PASSWORD)
    assert authenticate(ctx, "L.BIANCHI", TEST_PASSWORD).id == user.id
    response = client.post(
        "/login",
        data={"username": "L.Bianchi", "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302  # logged in


def test_username_migration_lower_cases_and_separates_clashes(empty_app) -> None:
    from sqlalchemy import text

    migrate.upgrade(empty_app, "rec0004a1b2")
    engine = state(empty_app).engine
    with engine.begin() as connection:
        for user_id, name in [(1, "L.Bianchi"), (2, "l.bianchi"), (3, "Admin"), (4, "M.Rossi")]:
            connection.execute(
                text(
                    "INSERT INTO user_account (id, username, display_name, email, password_hash, "
                    "is_active, is_admin, created_at) VALUES "
                    f"({user_id}, '{name}', '', '', 'x', true, false, '2026-01-01 10:00:00')"
                )
            )
        connection.execute(text("UPDATE user_account SET username = 'm.rossi-x' WHERE id = 4"))
        connection.execute(
            text(
                "INSERT INTO user_account (id, username, display_name, email, password_hash, "
                "is_active, is_admin, created_at) VALUES "
                "(5, 'M.ROSSI-X', '', '', 'x', true, false, '2026-01-01 10:00:00')"
            )
        )
    migrate.upgrade(empty_app)
    with engine.connect() as connection:
        names = dict(connection.execute(text("SELECT id, username FROM user_account")).all())
    # the one already in lower case keeps the name; the other tells itself apart
    assert names == {1: "l.bianchi-1", 2: "l.bianchi", 3: "admin", 4: "m.rossi-x", 5: "m.rossi-x-5"}


def test_admin_removes_one_role_of_a_user(client, login, ctx) -> None:
    user = create_user(
        ctx,
        "operatrice",
        TEST_PASSWORD,
        roles=[("lecco", Role.COORDINATOR), ("lecco", Role.FACILITATOR)],
    )
    coordinator = next(r for r in user.roles if r.role == Role.COORDINATOR)
    coordinator_id, user_id = coordinator.id, user.id
    login(None, "lecco", is_admin=True)
    page = client.get("/admin/users").get_data(as_text=True)
    url = f"/admin/users/{user_id}/roles/{coordinator_id}/remove"
    assert url in page
    response = client.post(url, data={"csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 302
    ctx.session.expire_all()
    assert [r.role for r in ctx.session.get(User, user_id).roles] == [Role.FACILITATOR]
    again = client.post(url, data={"csrf_token": csrf_token(client, "/admin/users")})
    assert again.status_code == 404


def test_cli_removes_a_role(app, ctx, tmp_path, amal_database_url) -> None:
    from click.testing import CliRunner

    from amal.cli import cli

    create_user(ctx, "Facil", TEST_PASSWORD, roles=[("lecco", Role.FACILITATOR)])
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza", "lecco"]\n')
    env = {"AMAL_DATABASE_URL": amal_database_url, "AMAL_ENV": "testing"}
    base = ["--instance", str(tmp_path), "user", "remove-role", "FACIL", "--territory", "lecco"]
    runner = CliRunner()
    done = runner.invoke(cli, [*base, "--role", "facilitator"], env=env)
    assert done.exit_code == 0 and "removed from 'facil'" in done.output
    missing = runner.invoke(cli, [*base, "--role", "facilitator"], env=env)
    assert missing.exit_code == 1 and "has no role facilitator" in missing.output


# --- Bulk admission and enrolment ---------------------------------------------------------


def test_bulk_admission_is_all_or_nothing_naming_each_refusal(ctx, person) -> None:
    screened = [person("lecco", status=ParticipantStatus.SCREENED) for _ in range(3)]
    already = person("lecco")  # admitted: cannot be admitted again
    ids = [p.id for p in screened]
    with pytest.raises(DomainError) as refused:
        bulk.change_statuses(ctx, [*ids, already.id], ParticipantStatus.ADMITTED)
    assert list(refused.value.details["refusals"]) == [already.id]
    ctx.session.expire_all()
    assert {ctx.session.get(Participant, i).status for i in ids} == {ParticipantStatus.SCREENED}
    assert bulk.change_statuses(ctx, ids, ParticipantStatus.ADMITTED) == 3
    ctx.session.expire_all()
    assert {ctx.session.get(Participant, i).status for i in ids} == {ParticipantStatus.ADMITTED}


def test_bulk_enrolment_respects_capacity(ctx, person) -> None:
    group = create_group(ctx, "lecco", "Piccolo", start_date=date.today() + timedelta(days=30))
    group.max_size = 2
    ctx.session.commit()
    people = [person("lecco") for _ in range(3)]
    with pytest.raises(DomainError) as refused:
        bulk.enrol_many(ctx, group.id, [p.id for p in people])
    assert list(refused.value.details["refusals"]) == [people[2].id]
    assert ctx.session.scalars(select(Enrolment).where(Enrolment.group_id == group.id)).all() == []
    assert bulk.enrol_many(ctx, group.id, [p.id for p in people[:2]]) == 2


def test_bulk_admission_from_the_list(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    screened = [person("lecco", status=ParticipantStatus.SCREENED) for _ in range(2)]
    candidate = person("lecco", status=ParticipantStatus.CANDIDATE)
    page = client.get("/t/lecco/participants/").get_data(as_text=True)
    assert 'form="bulk-form"' in page
    token = csrf_token(client, "/t/lecco/participants/")
    ids = [str(p.id) for p in [*screened, candidate]]
    refused = client.post(
        "/t/lecco/participants/bulk-status",
        data={"ids": ids, "to_status": "admitted", "csrf_token": token},
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Nessuna modifica: 1 persone" in body
    assert f'id="refusal-{candidate.id}"' in body and 'id="refusal-' not in body.replace(
        f'id="refusal-{candidate.id}"', ""
    )
    assert body.count("checked") >= 3  # the selection is kept
    done = client.post(
        "/t/lecco/participants/bulk-status",
        data={"ids": ids[:2], "to_status": "admitted", "csrf_token": token},
    )
    assert done.status_code == 302
    ctx.session.expire_all()
    assert {ctx.session.get(Participant, p.id).status for p in screened} == {
        ParticipantStatus.ADMITTED
    }


def test_bulk_enrolment_from_the_group_page(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    group = create_group(ctx, "lecco", "Insieme", start_date=date.today() + timedelta(days=30))
    people = [person("lecco") for _ in range(3)]
    page = client.get(f"/t/lecco/groups/{group.id}").get_data(as_text=True)
    assert f"/t/lecco/groups/{group.id}/enrol-many" in page
    token = csrf_token(client, f"/t/lecco/groups/{group.id}")
    response = client.post(
        f"/t/lecco/groups/{group.id}/enrol-many",
        data={"ids": [str(p.id) for p in people], "csrf_token": token},
        follow_redirects=True,
    )
    assert "3 persone iscritte." in response.get_data(as_text=True)
    assert (
        len(ctx.session.scalars(select(Enrolment).where(Enrolment.group_id == group.id)).all()) == 3
    )


# --- Import from a spreadsheet ------------------------------------------------------------

GOOD_CSV = (
    "Cognome;Nome;Codice fiscale;Data di nascita;Telefono;Condizione lavorativa;Colore\n"
    "Verdi;Giulia;;03/04/1975;333 1234567;cassa integrazione;blu\n"
    "Neri;Paolo;;15/11/1968;;licenziato;\n"
)


def test_import_preview_saves_nothing_and_names_each_bad_row(ctx, person) -> None:
    known = person("lecco", last_name="Bianchi", birth_date=date(1970, 5, 5))
    bad = (
        GOOD_CSV
        + f"Bianchi;{known.first_name};;05/05/1970;;;\n"
        + ";Senza;;;;;\n"
        + "Verdi;Giulia;;03/04/1975;;;\n"  # twice in the file
        + "Rossi;Anna;;31/02/1980;;;\n"
        + "Blu;Marco;;;;disoccupato;\n"
    ).encode()
    before = ctx.session.scalar(select(func.count(Participant.id)))
    report = importing.preview(ctx, "lecco", "elenco.csv", bad)
    assert [r.number for r in report.rows if r.errors] == [4, 5, 6, 7, 8]
    problems = {r.number: " ".join(r.errors) for r in report.rows}
    assert f"scheda n. {known.id}" in problems[4] and "Cognome" in problems[5]
    assert "già registrato" in problems[6] and "Data di nascita" in problems[7]
    assert "Condizione lavorativa" in problems[8] and report.unknown_columns == ["Colore"]
    with pytest.raises(DomainError) as refused:
        importing.import_file(ctx, "lecco", "elenco.csv", bad)
    assert sorted(refused.value.details["rows"]) == [4, 5, 6, 7, 8]
    assert ctx.session.scalar(select(func.count(Participant.id))) == before


def test_import_registers_a_whole_right_file(ctx) -> None:
    report = importing.import_file(ctx, "lecco", "elenco.csv", GOOD_CSV.encode("cp1252"))
    giulia = ctx.session.get(Participant, report.rows[0].participant_id)
    assert (giulia.last_name, giulia.birth_date, giulia.phone) == (
        "Verdi",
        date(1975, 4, 3),
        "+393331234567",
    )
    assert giulia.status == ParticipantStatus.CANDIDATE
    assert giulia.employment_status.value == "redundancy_fund"


def test_import_page_checks_then_imports_an_xlsx(client, login, ctx) -> None:
    login("coordinator", "lecco")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Cognome", "Nome", "Data di nascita"])
    sheet.append(["Gialli", "Marta", date(1980, 6, 1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = "/t/lecco/participants/import"
    token = csrf_token(client, page)
    checked = client.post(
        page,
        data={
            "step": "preview",
            "file": (io.BytesIO(buffer.getvalue()), "lista.xlsx"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    body = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Tutte le 1 righe sono corrette." in body
    assert ctx.session.scalar(select(Participant).where(Participant.last_name == "Gialli")) is None
    content = re.search(r'name="content" value="([^"]+)"', body)[1]
    done = client.post(
        page,
        data={"step": "import", "filename": "lista.xlsx", "content": content, "csrf_token": token},
    )
    assert done.status_code == 302
    marta = ctx.session.scalar(select(Participant).where(Participant.last_name == "Gialli"))
    assert marta.birth_date == date(1980, 6, 1)
    wrong = client.post(
        page,
        data={"step": "preview", "file": (io.BytesIO(b"a;b\n1;2\n"), "x.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 400 and "almeno Cognome e Nome" in wrong.get_data(as_text=True)


def test_cli_imports_a_file_only_when_every_row_is_right(app, tmp_path, amal_database_url) -> None:
    from click.testing import CliRunner

    from amal.cli import cli

    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza", "lecco"]\n')
    env = {"AMAL_DATABASE_URL": amal_database_url, "AMAL_ENV": "testing"}
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(GOOD_CSV + ";Senza;;;;;\n", encoding="utf-8")
    good.write_text(GOOD_CSV, encoding="utf-8")
    run = ["--instance", str(tmp_path), "participant", "import", "lecco"]
    runner = CliRunner()
    refused = runner.invoke(cli, [*run, str(bad)], env=env)
    assert (
        refused.exit_code == 1
        and "row 4" in refused.output
        and "nothing imported" in refused.output
    )
    checked = runner.invoke(cli, [*run, str(good), "--check"], env=env)
    assert checked.exit_code == 0 and "nothing saved" in checked.output
    done = runner.invoke(cli, [*run, str(good)], env=env)
    assert done.exit_code == 0 and "Imported 2 candidates" in done.output


def test_absence_alert_in_the_api(client, ctx, person) -> None:
    _, (_, bruno, _), plan = absent_world(ctx, person)
    _, secret = create_token(ctx, "allarmi", "lecco", Role.COORDINATOR)
    response = client.get(
        "/api/v1/territories/lecco/participants/absences",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200
    [streak] = response.get_json()
    assert (streak["participant_id"], streak["missed"], streak["justified"]) == (bruno.id, 3, 1)
    assert streak["last_present"] == plan[0].scheduled_on.isoformat()
