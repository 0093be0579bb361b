"""The network coordination group: members over time, meetings with the
organisations' register, minutes (text and file), decisions followed up at the
next meeting, and the figures the funders' reports take from it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from amal.audit.models import AuditAction, AuditEntry
from amal.consent import personal_data
from amal.errors import DomainError
from amal.meetings.models import MeetingStatus
from amal.network.models import DecisionStatus, FollowUpOutcome
from amal.network.services import (
    PresenceLine,
    add_decision,
    add_member,
    attach_minutes_file,
    bodies,
    change_representative,
    create_body,
    decisions_to_follow,
    end_membership,
    follow_up_decision,
    members_on,
    minutes_path,
    next_meeting,
    record_organisations_register,
    schedule_network_meeting,
    update_network_meeting,
)
from amal.projects.services import territory_projects
from amal.reports.engine import start_run
from amal.services import Context
from amal.territories.services import add_representative, directory

MB = "monza-brianza"
PDF = b"%PDF-1.4\n% verbale\n"


def _partner(ctx: Context, name: str):  # type: ignore[no-untyped-def]
    return next(p for p in directory(ctx, MB) if p.name == name)


@pytest.fixture
def body(ctx: Context):  # type: ignore[no-untyped-def]
    project = territory_projects(ctx.session, MB)[0]
    return create_body(ctx, MB, project.id)


def test_one_body_per_project_with_members_over_time(ctx: Context, body) -> None:
    afol = _partner(ctx, "AFOL Monza e Brianza")
    anna = add_representative(ctx, MB, afol.id, name="Anna Sala")
    luca = add_representative(ctx, MB, afol.id, name="Luca Neri")
    with pytest.raises(DomainError) as refused:
        create_body(ctx, MB, body.project_id)
    assert refused.value.code == "network_exists"
    member = add_member(ctx, MB, body.id, afol.id, representative_id=anna.id,
                        joined_on=date(2026, 1, 10))  # fmt: skip
    with pytest.raises(DomainError) as twice:
        add_member(ctx, MB, body.id, afol.id)
    assert twice.value.code == "already_member"
    successor = change_representative(ctx, MB, member.id, luca.id, on=date(2026, 3, 1))
    assert (member.left_on, successor.joined_on) == (date(2026, 3, 1), date(2026, 3, 1))
    assert successor.representative_name == "Luca Neri"
    assert [m.representative_name for m in members_on(ctx.session, body.id, date(2026, 2, 1))] == [
        "Anna Sala"
    ]
    assert [m.representative_name for m in members_on(ctx.session, body.id, date(2026, 3, 2))] == [
        "Luca Neri"
    ]
    with pytest.raises(DomainError) as early:
        end_membership(ctx, MB, successor.id, date(2026, 2, 1), "Uscita")
    assert early.value.code == "event_before_record"
    with pytest.raises(DomainError) as future:
        add_member(ctx, MB, body.id, _partner(ctx, "CGIL Brianza").id,
                   joined_on=date.today() + timedelta(days=1))  # fmt: skip
    assert future.value.code == "event_in_future"
    end_membership(ctx, MB, successor.id, date(2026, 4, 1), "Fine della convenzione")
    assert members_on(ctx.session, body.id, date(2026, 4, 2)) == []
    assert [b.id for _, b in bodies(ctx.session, MB) if b] == [body.id]
    # Another territory's body is not found from this one.
    with pytest.raises(DomainError):
        add_member(ctx, "lecco", body.id, afol.id)


def test_register_makes_the_meeting_held_and_decisions_follow_up(ctx: Context, body) -> None:
    afol, cgil = _partner(ctx, "AFOL Monza e Brianza"), _partner(ctx, "CGIL Brianza")
    first = schedule_network_meeting(ctx, MB, body.id, date(2026, 2, 5),
                                     location="Sede della Provincia",
                                     agenda="1. Avvio dei gruppi")  # fmt: skip
    second = schedule_network_meeting(ctx, MB, body.id, date(2026, 4, 2))
    future = schedule_network_meeting(ctx, MB, body.id, date.today() + timedelta(days=30))
    with pytest.raises(DomainError) as early:
        record_organisations_register(ctx, MB, future.id, {afol.id: PresenceLine()})
    assert early.value.code == "event_in_future"
    with pytest.raises(DomainError) as empty:
        record_organisations_register(ctx, MB, first.id, {})
    assert empty.value.code == "empty_register"

    record_organisations_register(
        ctx, MB, first.id,
        {afol.id: PresenceLine(represented_by="Anna Sala"), cgil.id: PresenceLine()},
    )  # fmt: skip
    assert first.meeting.status == MeetingStatus.HELD
    assert sorted(p.partner.name for p in first.presences) == ["AFOL Monza e Brianza",
                                                               "CGIL Brianza"]  # fmt: skip
    backdated = ctx.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.BACKDATE, AuditEntry.entity == "network_meeting"
        )
    ).all()
    assert backdated, "a register of a past day is audited as back-dated"

    with pytest.raises(DomainError) as no_owner:
        add_decision(ctx, MB, first.id, "Volantino per i centri per l'impiego")
    assert no_owner.value.code == "owner_required"
    flyer = add_decision(ctx, MB, first.id, "Volantino per i centri per l'impiego",
                         owner_partner_id=afol.id, due_on=date(2026, 3, 31))  # fmt: skip
    unions = add_decision(ctx, MB, first.id, "Presentare il progetto alle RSU",
                          owner_person="Marco Bassi (CGIL)")  # fmt: skip

    # The next meeting lists both open decisions.
    assert next_meeting(ctx.session, first).id == second.id
    assert [d.id for d in decisions_to_follow(ctx.session, second)] == [flyer.id, unions.id]
    with pytest.raises(DomainError) as same:
        follow_up_decision(ctx, MB, flyer.id, first.id, "done")
    assert same.value.code == "not_a_later_meeting"
    with pytest.raises(DomainError) as why:
        follow_up_decision(ctx, MB, unions.id, second.id, "dropped")
    assert why.value.code == "reason_required"
    follow_up_decision(ctx, MB, flyer.id, second.id, FollowUpOutcome.DONE, on=date(2026, 4, 2))
    follow_up_decision(ctx, MB, unions.id, second.id, "carried_over", note="Dopo l'estate")
    assert (flyer.status, flyer.closed_on) == (DecisionStatus.DONE, date(2026, 4, 2))
    assert unions.status == DecisionStatus.OPEN
    # The meeting that followed them up still shows both; the one after, only the open one.
    assert {d.id for d in decisions_to_follow(ctx.session, second)} == {flyer.id, unions.id}
    assert [d.id for d in decisions_to_follow(ctx.session, future)] == [unions.id]
    with pytest.raises(DomainError) as closed:
        follow_up_decision(ctx, MB, flyer.id, future.id, "dropped", note="x")
    assert closed.value.code == "decision_closed"

    update_network_meeting(
        ctx, MB, first.id, minutes="Presenti AFOL e CGIL. Marco Bassi relaziona."
    )
    assert first.minutes.startswith("Presenti")


def test_minutes_file_stored_under_the_instance_files(ctx: Context, body, tmp_path: Path) -> None:
    meeting = schedule_network_meeting(ctx, MB, body.id, date(2026, 2, 5))
    root = tmp_path / "files" / "network"
    for name, content, code in [
        ("verbale.exe", b"MZ", "file_type"),
        ("verbale.pdf", b"not a pdf", "file_type"),
        ("verbale.pdf", b"", "file_empty"),
        ("verbale.pdf", b"%PDF-" + b"0" * (2 * 1024 * 1024), "file_too_large"),
    ]:
        with pytest.raises(DomainError) as refused:
            attach_minutes_file(ctx, MB, meeting.id, name, content, root)
        assert refused.value.code == code
    attach_minutes_file(ctx, MB, meeting.id, "../../Verbale 5 febbraio.pdf", PDF, root)
    assert meeting.minutes_file_name == "Verbale_5_febbraio.pdf"
    first = minutes_path(meeting, root)
    assert first is not None and first.parent == root and first.read_bytes() == PDF
    attach_minutes_file(ctx, MB, meeting.id, "verbale.txt", b"Verbale rivisto", root)
    assert not first.exists(), "the replaced file is removed"
    assert [p.name for p in root.iterdir()] == [meeting.minutes_file]


def test_erasure_redacts_full_names_in_minutes_only(ctx: Context, body, person) -> None:
    giulia = person(MB, first_name="Giulia", last_name="Bianchi")
    meeting = schedule_network_meeting(ctx, MB, body.id, date(2026, 2, 5))
    update_network_meeting(
        ctx, MB, meeting.id, minutes="Giulia Bianchi ha trovato lavoro. Giulia (AFOL) relaziona."
    )
    found = personal_data.mentions(ctx.session, giulia)
    assert [(m["table"], m["field"]) for m in found] == [("network_meeting", "minutes")]
    assert personal_data.redact_mentions(ctx.session, giulia) == 1
    assert meeting.minutes == "[cancellato] ha trovato lavoro. Giulia (AFOL) relaziona."


def test_reports_count_held_network_meetings_and_organisations(ctx: Context, body) -> None:
    afol, cgil = _partner(ctx, "AFOL Monza e Brianza"), _partner(ctx, "CGIL Brianza")
    held = schedule_network_meeting(ctx, MB, body.id, date(2026, 2, 5))
    schedule_network_meeting(ctx, MB, body.id, date(2026, 3, 5))  # planned, not held
    record_organisations_register(ctx, MB, held.id, {afol.id: PresenceLine(),
                                                     cgil.id: PresenceLine()})  # fmt: skip
    run = start_run(ctx, MB, "provincia-trimestrale", "2026-Q1")
    tables = {t["indicator"]: t for t in run.result["tables"]}
    network = tables["network_meetings"]
    assert network["rows"] == [["05/02/2026", 2, "AFOL Monza e Brianza, CGIL Brianza"]]
    meetings = {r[0]: r for r in tables["meetings"]["rows"]}
    assert meetings["coordinamento di rete"][1:] == [1, 1, 0]
    # The project's target "network coordination meetings" counts the held one.
    from amal.projects.services import project_progress

    progress = project_progress(ctx.session, body.project, date.today())
    assert [(t["code"], n) for t, n in progress.extra] == [("network_meetings", 1)]


def test_backup_carries_the_uploaded_minutes(empty_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from amal import migrate
    from amal.backup import create_backup
    from amal.network.services import minutes_root
    from amal.runtime import state
    from amal.territories.services import sync_territories

    amal = state(empty_app)
    with empty_app.app_context():
        migrate.upgrade(empty_app)
    with amal.session_factory() as session:
        sync_territories(session, amal.plugins)
        ctx = Context(session, "tester", amal.plugins)
        body = create_body(ctx, MB, territory_projects(session, MB)[0].id)
        meeting = schedule_network_meeting(ctx, MB, body.id, date(2026, 2, 5))
        root = minutes_root(amal.config.instance_path)
        attach_minutes_file(ctx, MB, meeting.id, "verbale.pdf", PDF, root)
        stored = meeting.minutes_file
    manifest = create_backup(empty_app, tmp_path / "backup.tar.gz")
    assert list(manifest["files"]) == [f"network/{stored}"]


def test_api_from_table_to_follow_up(app, client, ctx: Context) -> None:  # type: ignore[no-untyped-def]
    from amal.accounts.models import Role
    from amal.accounts.services import create_token

    _, secret = create_token(ctx, "rete", MB, Role.COORDINATOR)
    _, reader = create_token(ctx, "lettura", MB, Role.INTAKE_OPERATOR)
    auth = {"Authorization": f"Bearer {secret}"}
    api = f"/api/v1/territories/{MB}/network"
    afol = _partner(ctx, "AFOL Monza e Brianza")
    project = territory_projects(ctx.session, MB)[0]

    body = client.post(f"{api}/", headers=auth, json={"project_id": project.id})
    assert body.status_code == 201, body.json
    again = client.post(f"{api}/", headers=auth, json={"project_id": project.id})
    assert again.status_code == 409 and again.json["code"] == "network_exists"
    body_id = body.json["id"]
    member = client.post(f"{api}/{body_id}/members", headers=auth,
                         json={"partner_id": afol.id, "joined_on": "2026-01-12"})  # fmt: skip
    assert member.status_code == 201 and member.json["partner_name"] == afol.name
    first = client.post(f"{api}/{body_id}/meetings", headers=auth,
                        json={"scheduled_on": "2026-02-05", "agenda": "Avvio"})  # fmt: skip
    second = client.post(f"{api}/{body_id}/meetings", headers=auth,
                         json={"scheduled_on": "2026-03-05"})  # fmt: skip
    assert first.status_code == 201 and first.json["status"] == "planned"
    first_id, second_id = first.json["id"], second.json["id"]
    lines = [{"partner_id": afol.id, "represented_by": "Anna"}]
    register = client.put(f"{api}/meetings/{first_id}/register", headers=auth,
                          json={"lines": lines})  # fmt: skip
    assert register.status_code == 200, register.json
    assert register.json["status"] == "held" and register.json["organisations_present"] == 1
    decision = client.post(f"{api}/meetings/{first_id}/decisions", headers=auth,
                           json={"text": "Volantino", "owner_partner_id": afol.id,
                                 "due_on": "2026-03-01"})  # fmt: skip
    assert decision.status_code == 201, decision.json
    shown = client.get(f"{api}/meetings/{second_id}", headers=auth).json
    assert [d["text"] for d in shown["decisions_to_follow"]] == ["Volantino"]
    follow = client.post(f"{api}/decisions/{decision.json['id']}/follow-ups", headers=auth,
                         json={"network_meeting_id": second_id, "outcome": "done"})  # fmt: skip
    assert follow.status_code == 201, follow.json
    assert follow.json["on"] == "2026-03-05"
    detail = client.get(f"{api}/{body_id}", headers=auth).json
    assert detail["open_decisions"] == [] and len(detail["members"]) == 1

    # Partner staff read the table, but do not write it.
    reading = {"Authorization": f"Bearer {reader}"}
    assert client.get(f"{api}/meetings/{first_id}", headers=reading).status_code == 200
    refused = client.patch(f"{api}/meetings/{first_id}", headers=reading, json={"minutes": "x"})
    assert refused.status_code == 403
    # Another territory's meeting is not found.
    other = client.get(f"/api/v1/territories/lecco/network/meetings/{first_id}", headers=auth)
    assert other.status_code in {403, 404}


def test_web_pages_read_only_for_partner_staff(app, client, login, ctx: Context, body) -> None:  # type: ignore[no-untyped-def]
    meeting = schedule_network_meeting(
        ctx, MB, body.id, date(2026, 2, 5), agenda="Avvio dei gruppi"
    )
    login("intake_operator", MB)
    page = client.get(f"/t/{MB}/network/meetings/{meeting.id}").get_data(as_text=True)
    assert "Avvio dei gruppi" in page and "Salva il registro delle organizzazioni" not in page
    assert client.get(f"/t/{MB}/network/").status_code == 200
    login("facilitator", MB)
    assert client.get(f"/t/{MB}/network/").status_code == 403
    login("coordinator", MB)
    page = client.get(f"/t/{MB}/network/meetings/{meeting.id}").get_data(as_text=True)
    assert "Salva il registro delle organizzazioni" in page
    # The calendar's meeting page sends a coordination meeting to its own page.
    moved = client.get(f"/t/{MB}/groups/meetings/{meeting.meeting_id}")
    assert moved.status_code == 302
    assert moved.headers["Location"].endswith(f"/network/meetings/{meeting.id}")


def test_cli_lists_the_demo_tables(tmp_path: Path, amal_database_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from amal.cli import cli

    (tmp_path / "amal.toml").write_text(
        '[instance]\nname = "Test"\nplugins = ["monza-brianza", "lecco"]\n', encoding="utf-8"
    )
    monkeypatch.setenv("AMAL_DATABASE_URL", amal_database_url)
    monkeypatch.delenv("AMAL_SECRET_KEY", raising=False)

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--instance", str(tmp_path), *args])

    assert run("init", "--generate-password").exit_code == 0
    assert run("demo").exit_code == 0
    listed = run("network", "list", MB)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0] == (
        "monza-brianza amal-pilota: Gruppo di coordinamento di rete - "
        "Auto Mutuo Aiuto Lavoro - progetto pilota"
    )
    assert "AFOL Monza e Brianza" in lines[1] and "CGIL Brianza" in lines[1]
    assert [line.split()[1].rstrip(",") for line in lines[2:5]] == ["held", "held", "planned"]
    assert lines[5] == "  open decisions: 2"
    unknown = run("network", "list", "nowhere")
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_network_pages_cost_the_same_queries_as_the_table_grows(
    app, client, login, ctx: Context, body
) -> None:  # type: ignore[no-untyped-def]
    from test_query_counts import counting

    partners = directory(ctx, MB)

    days = iter(range(100))

    def grow(n: int) -> int:
        """n more meetings, each with every partner present and two decisions;
        returns the last one (it follows up every earlier open decision)."""
        for _ in range(n):
            day = date(2026, 2, 1) + timedelta(next(days))
            meeting = schedule_network_meeting(ctx, MB, body.id, day)
            lines = {p.id: PresenceLine(represented_by=f"Referente {day}") for p in partners}
            record_organisations_register(ctx, MB, meeting.id, lines)
            for owner in partners[:2]:
                add_decision(ctx, MB, meeting.id, f"Decisione del {day}",
                             owner_partner_id=owner.id, due_on=date(2026, 6, 1))  # fmt: skip
        return meeting.id

    def costs(meeting_id: int) -> list[int]:
        pages = [f"/t/{MB}/network/", f"/t/{MB}/network/{body.id}",
                 f"/t/{MB}/network/meetings/{meeting_id}"]  # fmt: skip
        found = []
        for page in pages:
            with counting(app) as statements:
                assert client.get(page).status_code == 200, page
            found.append(len(statements))
        return found

    login("coordinator", MB)
    for partner in partners:
        add_member(ctx, MB, body.id, partner.id, joined_on=date(2026, 1, 10))
    before = costs(grow(2))
    after = costs(grow(6))
    assert after == before


def test_cancel_and_correct_in_the_web(app, client, login, ctx: Context, body) -> None:  # type: ignore[no-untyped-def]
    afol, cgil = _partner(ctx, "AFOL Monza e Brianza"), _partner(ctx, "CGIL Brianza")
    held = schedule_network_meeting(ctx, MB, body.id, date(2026, 2, 5))
    planned = schedule_network_meeting(ctx, MB, body.id, date.today() + timedelta(days=7))
    decision = add_decision(ctx, MB, held.id, "Volantino", owner_partner_id=afol.id)
    login("coordinator", MB)
    from amal.testing import csrf_token

    token = csrf_token(client, f"/t/{MB}/network/meetings/{held.id}")
    base = f"/t/{MB}/network"
    client.post(f"{base}/decisions/{decision.id}/edit", data={
        "csrf_token": token, "network_meeting_id": held.id, "text": "Volantino e manifesto",
        "owner_partner_id": cgil.id, "owner_person": "", "due_on": "2026-03-01"})  # fmt: skip
    ctx.session.expire_all()
    assert (decision.text, decision.owner_partner_id) == ("Volantino e manifesto", cgil.id)
    assert decision.due_on == date(2026, 3, 1)
    entry = ctx.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "network_decision")
        .order_by(AuditEntry.id.desc())
    ).first()  # fmt: skip
    assert entry.details["before"] == {"owner_partner_id": afol.id, "due_on": None}
    assert "Volantino" not in str(entry.details), "free text stays out of the audit log"

    reason = {"csrf_token": token, "reason": "Sala non disponibile"}
    unconfirmed = client.post(f"{base}/meetings/{planned.id}/cancel", data=reason)
    assert unconfirmed.status_code == 302
    ctx.session.expire_all()
    assert planned.meeting.status == MeetingStatus.PLANNED
    client.post(f"{base}/meetings/{planned.id}/cancel", data={
        "csrf_token": token, "reason": "Sala non disponibile", "confirm": "yes"})  # fmt: skip
    ctx.session.expire_all()
    assert planned.meeting.status == MeetingStatus.CANCELLED
    page = client.get(f"{base}/meetings/{planned.id}").get_data(as_text=True)
    assert "annullato" in page and "Sala non disponibile" in page
