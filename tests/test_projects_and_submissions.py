"""Projects (seeded from the plugins, edited by coordinators, with a progress
page), rule checks per funder with severity, submission and lock of report runs
(funders see only what was submitted)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.errors import DomainError
from amal.groups.models import Group
from amal.groups.services import create_group, enrol, start_group
from amal.meetings.models import MeetingKind, Presence
from amal.meetings.services import generate_plan, record_register
from amal.projects.models import Project
from amal.projects.services import current_project, project_progress, seed_projects, update_project
from amal.reports.engine import start_run
from amal.reports.submissions import changes_since, submit_run
from amal.services import Context
from amal.testing import csrf_token, finished_run, staff_facilitator
from amal.wellbeing.services import record_administration

TODAY = date(2026, 4, 15)


@pytest.fixture
def bearer(ctx: Context):  # type: ignore[no-untyped-def]
    def make(role: str, territory: str = "monza-brianza") -> dict[str, str]:
        _, secret = create_token(ctx, f"{role}-{territory}", territory, Role(role))
        return {"Authorization": f"Bearer {secret}"}

    return make


P, A = Presence.PRESENT, Presence.ABSENT


def test_projects_are_seeded_from_the_plugins(ctx: Context) -> None:
    monza = current_project(ctx.session, "monza-brianza", TODAY)
    assert monza is not None and monza.title == "Auto Mutuo Aiuto Lavoro - progetto pilota"
    assert (monza.start_on, monza.end_on) == (date(2026, 1, 1), date(2027, 6, 30))
    assert (monza.target_groups, monza.min_people_per_group, monza.max_people_per_group) == (
        6,
        10,
        15,
    )
    assert [f.name for f in monza.funders] == ["Provincia di Monza e Brianza", "Comune di Monza"]
    assert monza.extra_targets[0]["meeting_kind"] == "network"
    lecco = current_project(ctx.session, "lecco", TODAY)
    assert lecco is not None and (lecco.meetings_per_group, lecco.cycle_months) == (16, 10)
    # sync again: an edited project is left alone, no duplicate
    update_project(ctx, "monza-brianza", monza.id, title="Pilota modificato")
    seed_projects(ctx.session, ctx.plugins, "monza-brianza")
    ctx.session.commit()
    assert ctx.session.get(Project, monza.id).title == "Pilota modificato"


def test_groups_join_the_current_project_or_the_one_picked(ctx: Context) -> None:
    group = create_group(ctx, "monza-brianza", "Gruppo A")
    assert group.project.code == "amal-pilota"
    lecco = current_project(ctx.session, "lecco")
    with pytest.raises(DomainError) as error:
        create_group(ctx, "monza-brianza", "Gruppo B", project_id=lecco.id)
    assert error.value.code == "unknown_project"
    # an old group without project joins one when the territory is synchronised
    group.project_id = None
    ctx.session.commit()
    seed_projects(ctx.session, ctx.plugins, "monza-brianza")
    ctx.session.commit()
    assert ctx.session.get(Group, group.id).project.code == "amal-pilota"


def test_project_edit_refuses_bad_values(ctx: Context) -> None:
    project = current_project(ctx.session, "lecco")
    with pytest.raises(DomainError) as error:
        update_project(ctx, "lecco", project.id, end_on=date(2025, 1, 1))
    assert error.value.code == "invalid_project_dates"
    with pytest.raises(DomainError) as error:
        update_project(ctx, "lecco", project.id, min_people_per_group=20)
    assert error.value.code == "invalid_target"
    monza_partner = current_project(ctx.session, "monza-brianza").funders[0]
    with pytest.raises(DomainError) as error:
        update_project(ctx, "lecco", project.id, funder_ids=[monza_partner.id])
    assert error.value.code == "unknown_partner"
    updated = update_project(
        ctx,
        "lecco",
        project.id,
        target_groups=3,
        extra_targets=[{"code": "info_meetings", "value": 3}],
    )
    assert updated.target_groups == 3 and updated.extra_targets[0]["value"] == 3


def _group(ctx: Context, person, territory: str = "monza-brianza", size: int = 10):  # type: ignore[no-untyped-def]
    group = create_group(
        ctx,
        territory,
        "Gruppo Brianza",
        start_date=date(2026, 1, 13),
        facilitator_ids=[staff_facilitator(ctx, territory)],
    )
    members = [person(territory) for _ in range(size)]
    for m in members:
        enrol(ctx, group.id, m.id)
    start_group(ctx, group.id)
    return group, members, generate_plan(ctx, group.id)


def test_progress_counts_each_target(ctx: Context, person) -> None:
    group, members, plan = _group(ctx, person)
    for meeting in plan[:2]:
        record_register(
            ctx,
            meeting.id,
            {m.id: (A if i < 2 else P, None) for i, m in enumerate(members)},
            today=TODAY,
        )
    for m in members[:4]:
        record_administration(ctx, m.id, "who5", "entry", dict.fromkeys(range(1, 6), 2))
        record_administration(ctx, m.id, "who5", "end", dict.fromkeys(range(1, 6), 4))
    progress = project_progress(ctx.session, group.project, TODAY)
    assert progress.months[0] == date(2026, 1, 1) and progress.months[-1] == date(2026, 4, 1)
    # the start was recorded today (after TODAY): counted from the recording month for now
    assert progress.groups_started.points[-1][1] == 0
    now = project_progress(ctx.session, group.project)
    assert now.groups_started.points[-1][1] == 1
    assert progress.groups_planned.points[0][1] == 1  # first meeting 13/01/2026
    assert now.people_enrolled.points[-1][1] == 10
    assert progress.meetings_held.points[-1][1] == 2
    assert progress.meetings_planned.points[-1][1] == 8  # fortnightly, 13/01 to 21/04
    assert progress.attendance.points[0][1] == 80.0  # January: 16 of 20 lines present
    row = progress.groups[0]
    assert (row.members, row.meetings_held, row.meetings_planned) == (10, 2, 16)
    assert row.cycle_months == 6.9  # 13/01 to 11/08/2026, fortnightly
    assert (row.who5_entry, row.who5_latest) == (40, 80)
    assert (progress.who5_pairs, progress.who5_improved) == (4, 4)
    target, held = progress.extra[0]
    assert target["code"] == "network_meetings" and held == 0


def test_project_page_shows_charts_in_italian(client, login, ctx: Context, person) -> None:
    group, _, _ = _group(ctx, person)
    login("coordinator", "monza-brianza")
    page = client.get(f"/t/monza-brianza/projects/{group.project_id}").get_data(as_text=True)
    charts = page[page.index("<main") :]  # the layout's icons are SVG too
    assert charts.count("<svg") == 5 and "<script" not in charts
    assert "Gruppi avviati rispetto al previsto" in page and "01/01/2026" in page
    assert "Incontri del gruppo di coordinamento di rete" in page
    edit = f"/t/monza-brianza/projects/{group.project_id}/edit"
    response = client.post(
        edit,
        data={
            "csrf_token": csrf_token(client, edit),
            "title": "Pilota",
            "start_on": "2026-01-01",
            "end_on": "2025-06-30",
            "funders": [],
            "target_groups": "6",
            "min_people_per_group": "10",
            "max_people_per_group": "15",
            "meetings_per_group": "16",
            "cycle_months": "8",
            "people_reached": "75",
            "target-network_meetings": "4",
        },
    )
    assert "Il progetto termina prima di iniziare" in response.get_data(as_text=True)


# --- Rules per funder -------------------------------------------------------------------


def test_lecco_needs_an_info_meeting_before_the_first_group_meeting(ctx: Context, person) -> None:
    group, members, plan = _group(ctx, person, "lecco")
    info = next(m for m in plan if m.kind == MeetingKind.INFO)
    first_group = next(m for m in plan if m.kind == MeetingKind.GROUP)
    run = start_run(ctx, "lecco", "valoriamo-semestrale", "2026-S1")
    found = {(v["rule"], v["entity_id"], v["severity"]) for v in run.result["violations"]}
    assert ("info_meeting_first", group.id, "blocking") in found
    record_register(ctx, info.id, {m.id: (P, None) for m in members}, today=TODAY)
    assert info.scheduled_on < first_group.scheduled_on
    run = start_run(ctx, "lecco", "valoriamo-semestrale", "2026-S1")
    assert not [v for v in run.result["violations"] if v["rule"] == "info_meeting_first"]


def test_report_definitions_pick_rules_and_unknown_names_stop(ctx: Context) -> None:
    from amal.errors import PluginError
    from amal.reports.rules import pick_rules

    names = [r.name for r in pick_rules(ctx.plugins, "monza-brianza")]
    assert names[:4] == [
        "meeting_without_register",
        "participant_without_consent",
        "group_below_minimum",
        "register_hours_beyond_length",
    ]
    assert "register_signed_late" in names and "info_meeting_first" not in names
    assert [r.name for r in pick_rules(ctx.plugins, "lecco", ("info_meeting_first",))] == [
        "info_meeting_first"
    ]
    with pytest.raises(PluginError, match="register_signed_late"):
        pick_rules(ctx.plugins, "lecco", ("register_signed_late",))


# --- Submission and lock ----------------------------------------------------------------


def _violating_quarter(ctx: Context, person):  # type: ignore[no-untyped-def]
    """Q1 2026 with three meetings held and the rest of the quarter's meetings
    without register (blocking)."""
    group, members, plan = _group(ctx, person)
    for meeting in plan[:3]:
        record_register(ctx, meeting.id, {m.id: (P, None) for m in members}, today=TODAY)
    return group, members, plan


def test_submission_refused_then_justified_then_changed(ctx: Context, person) -> None:
    _, members, plan = _violating_quarter(ctx, person)
    run = start_run(ctx, "monza-brianza", "provincia-trimestrale", "2026-Q1")
    blocking = [v for v in run.result["violations"] if v["severity"] == "blocking"]
    assert blocking and all(v["rule"] == "meeting_without_register" for v in blocking)
    with pytest.raises(DomainError) as error:
        submit_run(ctx, "monza-brianza", run.id)
    assert error.value.code == "blocking_violations"
    assert set(error.value.details["violations"]) == {v["key"] for v in blocking}
    with pytest.raises(DomainError):  # too short to be a reason
        submit_run(ctx, "monza-brianza", run.id, {v["key"]: "ok" for v in blocking})
    reasons = {v["key"]: "Registro cartaceo in arrivo dal facilitatore" for v in blocking}
    submission = submit_run(ctx, "monza-brianza", run.id, reasons)
    assert len(submission.sha256) == 64
    assert {f.format for f in submission.files} == {"csv", "xlsx", "pdf"}
    assert all(v["justification"] for v in submission.violations if v["severity"] == "blocking")
    assert changes_since(ctx, submission) == []
    # a correction to the period after submission: the diff says what changed
    record_register(ctx, plan[3].id, {m.id: (P, None) for m in members}, today=TODAY)
    changes = changes_since(ctx, submission)
    held = [c for c in changes if c.row == "incontro di gruppo" and c.column == "Svolti"]
    assert held and (held[0].submitted, held[0].current) == (3, 4)
    # the old run no longer matches the data: it cannot be submitted
    with pytest.raises(DomainError) as error:
        submit_run(ctx, "monza-brianza", run.id, reasons)
    assert error.value.code == "run_outdated"
    again = start_run(ctx, "monza-brianza", "provincia-trimestrale", "2026-Q1")
    keys = {v["key"] for v in again.result["violations"] if v["severity"] == "blocking"}
    second = submit_run(
        ctx,
        "monza-brianza",
        again.id,
        {k: reasons.get(k, "Registro in arrivo dal facilitatore") for k in keys},
    )
    ctx.session.refresh(submission)
    assert submission.superseded_at is not None and second.superseded_at is None
    assert changes_since(ctx, second) == []


def test_funder_sees_only_submitted_runs(client, login, ctx: Context, person) -> None:
    _violating_quarter(ctx, person)
    base = "/t/monza-brianza/reports/provincia-trimestrale"
    login("funder_viewer", "monza-brianza")
    page = client.get(f"{base}?period=2026-Q1").get_data(as_text=True)
    assert "Nessun report è stato ancora inviato per questo periodo" in page
    assert "senza registro presenze" not in page and "Violazioni" not in page
    assert client.get(f"{base}/download.xlsx?period=2026-Q1").status_code == 403
    run = start_run(ctx, "monza-brianza", "provincia-trimestrale", "2026-Q1")
    reasons = {
        v["key"]: "Registro cartaceo in arrivo dal facilitatore"
        for v in run.result["violations"]
        if v["severity"] == "blocking"
    }
    submission = submit_run(ctx, "monza-brianza", run.id, reasons)
    page = client.get(f"{base}?period=2026-q1").get_data(as_text=True)
    assert submission.sha256 in page and "Incontri per tipo e stato" in page
    assert "Registro cartaceo" not in page and "senza registro presenze" not in page
    xlsx = client.get(f"/t/monza-brianza/reports/submissions/{submission.id}/download.xlsx")
    assert xlsx.status_code == 200 and xlsx.data == next(
        f.content for f in submission.files if f.format == "xlsx"
    )
    assert hashlib.sha256(xlsx.data).hexdigest() == xlsx.headers["X-Content-SHA256"]
    pdf = client.get(f"/t/monza-brianza/reports/submissions/{submission.id}/download.pdf")
    assert pdf.status_code == 403
    assert client.get("/t/monza-brianza/").status_code == 403  # no dashboard, no live violations


def test_api_submission(app, client, ctx: Context, person, bearer) -> None:  # type: ignore[no-untyped-def]
    _violating_quarter(ctx, person)
    api = "/api/v1/territories/monza-brianza/reports"
    coordinator = bearer("coordinator")
    asked = client.post(
        f"{api}/provincia-trimestrale/runs", headers=coordinator, json={"period": "2026-Q1"}
    )
    run = finished_run(app, client, asked, coordinator)
    refused = client.post(f"{api}/runs/{run['id']}/submission", headers=coordinator, json={})
    assert refused.status_code == 409 and refused.json["code"] == "blocking_violations"
    keys = [v["key"] for v in run["result"]["violations"] if v["severity"] == "blocking"]
    body = {"justifications": [{"key": k, "text": "Registro cartaceo in arrivo"} for k in keys]}
    funder = bearer("funder_viewer")
    assert (
        client.post(f"{api}/runs/{run['id']}/submission", headers=funder, json=body).status_code
        == 403
    )
    accepted = client.post(f"{api}/runs/{run['id']}/submission", headers=coordinator, json=body)
    assert accepted.status_code == 201, accepted.json
    listed = client.get(f"{api}/submissions/", headers=funder).json
    assert [s["id"] for s in listed] == [accepted.json["id"]]
    detail = client.get(f"{api}/submissions/{accepted.json['id']}", headers=funder).json
    assert "violations" not in detail and "changes_since_submission" not in detail
    full = client.get(f"{api}/submissions/{accepted.json['id']}", headers=coordinator).json
    assert full["changes_since_submission"] == [] and full["violations"]
    assert client.get(f"{api}/runs/{run['id']}", headers=funder).status_code == 403
    csv = client.get(f"{api}/submissions/{accepted.json['id']}/csv", headers=funder)
    assert csv.status_code == 200 and csv.headers["X-Content-SHA256"]


def test_api_projects(client, ctx: Context, bearer) -> None:  # type: ignore[no-untyped-def]
    api = "/api/v1/territories/lecco/projects"
    coordinator = bearer("coordinator", "lecco")
    (project,) = client.get(f"{api}/", headers=coordinator).json
    assert project["code"] == "valoriamo" and project["start_on"] == "2026-01-01"
    url = f"{api}/{project['id']}"
    etag = client.get(url, headers=coordinator).headers["ETag"]
    assert client.patch(url, headers=coordinator, json={"target_groups": 3}).status_code == 428
    bad = client.patch(
        url, headers={**coordinator, "If-Match": etag}, json={"end_on": "2025-01-01"}
    )
    assert bad.status_code == 422 and bad.json["code"] == "invalid_project_dates"
    done = client.patch(
        url,
        headers={**coordinator, "If-Match": etag},
        json={"target_groups": 3, "extra_targets": [{"code": "info_meetings", "value": 3}]},
    )
    assert done.status_code == 200 and done.json["target_groups"] == 3
    assert (
        client.patch(
            url, headers={**coordinator, "If-Match": etag}, json={"target_groups": 4}
        ).status_code
        == 412
    )
    funder = bearer("funder_viewer", "lecco")
    assert client.get(f"{api}/", headers=funder).status_code == 403
    groups = "/api/v1/territories/lecco/groups/"
    group = client.post(groups, headers=coordinator, json={"name": "Lario"})
    assert group.status_code == 201 and group.json["project_id"] == project["id"]
    wrong = client.post(groups, headers=coordinator, json={"name": "Altro", "project_id": 99999})
    assert wrong.status_code == 422 and wrong.json["code"] == "unknown_project"


def test_project_funders_must_be_partners(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from amal.app import create_app
    from amal.errors import PluginError
    from amal.plugins import ProjectDefinition, hookimpl

    class Stranger:
        @hookimpl
        def amal_projects(self, territory):  # type: ignore[no-untyped-def]
            if territory.code == "monza-brianza":
                return [
                    ProjectDefinition(
                        "x", "X", date(2026, 1, 1), date(2026, 12, 31), funders=("Nessuno",)
                    )
                ]
            return None

    with pytest.raises(PluginError, match=r"Project 'x' of territory 'monza-brianza'.*Nessuno"):
        create_app(
            tmp_path,
            config_overrides={"environment": "testing", "plugins": ["monza-brianza"]},
            extra_plugins=[("s", Stranger())],
        )
