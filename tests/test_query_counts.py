"""Every page costs a bounded number of queries whatever the data size: the
same pages are counted with a small and with a larger territory. The second
test takes every GET page and API read of the URL map (like
tests/test_access_matrix.py), so a new page with an N+1 fails it."""

from contextlib import contextmanager
from datetime import date, time, timedelta

import pytest
from sqlalchemy import event

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.groups.services import create_group, enrol
from amal.meetings import info
from amal.meetings.models import Presence
from amal.meetings.services import generate_plan, record_register
from amal.referrals.services import propose_referral
from amal.reports.engine import definitions, start_run
from amal.reports.submissions import submit_run
from amal.runtime import state
from amal.territories.services import directory
from amal.testing import csrf_token
from amal.wellbeing.services import record_administration


@contextmanager
def counting(app):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = state(app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def build(ctx, person, members: int):
    group = create_group(ctx, "lecco", f"Gruppo {members}", start_date=date(2026, 1, 12))
    people = [person("lecco") for _ in range(members)]
    plan = generate_plan(ctx, group.id)
    info.invite(ctx, plan[0].id, [p.id for p in people])  # Lecco's opening info meeting
    info.add_walk_in(ctx, plan[0].id, f"Passante {members}")
    for p in people:
        enrol(ctx, group.id, p.id)
    for meeting in plan[:3]:
        record_register(ctx, meeting.id, {p.id: (Presence.PRESENT, None) for p in people})
    for p in people:
        record_administration(ctx, p.id, "who5", "entry", dict.fromkeys(range(1, 6), 2))
        record_administration(ctx, p.id, "who5", "end", dict.fromkeys(range(1, 6), 4))
        propose_referral(ctx, p.id, "gol-1")
    return group, people, plan


PAGES = [
    "/t/lecco/",
    "/t/lecco/participants/",
    "/t/lecco/participants/{person}",
    "/t/lecco/groups/",
    "/t/lecco/groups/{group}",
    "/t/lecco/groups/meetings/{meeting}",
    "/t/lecco/info-meetings/",
    "/t/lecco/info-meetings/{info}",
    "/t/lecco/reports/valoriamo-semestrale?period=2026-S1",
    "/t/lecco/audit/",
    "/t/lecco/projects/{project}",
    "/t/lecco/groups/calendar?month=2026-02",
    "/t/lecco/groups/{group}/members",
    "/t/lecco/participants/{person}/diary",
]


def page_costs(app, client, group, people, plan) -> dict[str, int]:
    costs = {}
    for page in PAGES:
        url = page.format(
            person=people[0].id,
            group=group.id,
            meeting=plan[1].id,
            project=group.project_id,
            info=plan[0].id,
        )
        with counting(app) as statements:
            assert client.get(url).status_code == 200, url
        costs[page] = len(statements)
    return costs


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_pages_cost_the_same_queries_when_the_territory_grows(
    app, client, login, ctx, person
) -> None:
    login("coordinator", "lecco")
    before = page_costs(app, client, *build(ctx, person, 2))
    for _ in range(3):
        build(ctx, person, 12)  # 36 more people, 3 more groups, registers, scores, referrals
    after = page_costs(app, client, *build(ctx, person, 12))
    assert after == before


# Pages not counted, and why (every other GET route of the URL map is).
NOT_COUNTED = {
    "static": "files, no database",
    "lecco_sportello.contact": "the help desk's contacts are not grown by this test",
    "lecco_sportello.candidate": "the help desk's contacts are not grown by this test",
    "api_reports.RunResource": "a run's stored result: one row read by id",
    "api_reports.RunDownload": "a run's stored result: one row read by id",
    "core.regional": "regional viewers only (tests/test_regional.py)",
    "network.download_minutes": "an uploaded file: one meeting read by id",
}
# Home sends on to the territory; readiness is 503 without Alembic (test_access_matrix).
STATUS = {"core.home": 302, "core.ready": 503}
PERIODS = {
    "quarter": "2026-Q1",
    "semester": "2026-S1",
    "project": "project",
    "custom": "2026-01-01..2026-06-30",
}


def world_of(ctx, person, members: int) -> dict:
    """A group of ``members`` with registers, scores and referrals (build), and
    a report submitted over them: the ids every route needs."""
    group, people, plan = build(ctx, person, members)
    # Groups starting in a few days: the dashboard's and calendars' next meetings.
    for number in range(members // 4 + 1):
        soon = create_group(
            ctx, "lecco", f"Gruppo {members}-{number}", start_date=date.today() + timedelta(days=3)
        )
        generate_plan(ctx, soon.id)
    report = next(iter(definitions(ctx.plugins, "lecco").values()))
    period = PERIODS[report.period_kind]
    run = start_run(ctx, "lecco", report.code, period)
    reasons = {v["key"]: "Giustificazione di prova" for v in run.result["violations"]}
    submission = submit_run(ctx, "lecco", run.id, reasons)
    extra = _more_records(ctx, group, people, plan)
    return {
        **extra,
        "territory": "lecco",
        "participant_id": people[0].id,
        "group_id": group.id,
        "meeting_id": plan[1].id,
        "project_id": group.project_id,
        "partner_id": directory(ctx, "lecco")[0].id,
        "submission_id": submission.id,
        "code": report.code,
        "period": period,
        "instrument": "who5",
        "fmt": "csv",
    }


def _more_records(ctx, group, people, plan) -> dict:
    """A diary note, the project's coordination group with a meeting and a
    decision, a help-desk appointment and contact: the ids of their pages."""
    from sqlalchemy import select

    from amal.network.models import NetworkBody
    from amal.network.services import (
        PresenceLine,
        add_decision,
        add_member,
        create_body,
        record_organisations_register,
        schedule_network_meeting,
    )
    from amal.participants import diary
    from amal.wellbeing.models import Administration
    from amal_lecco.sportello.services import book_appointment, record_contact

    entry = diary.add_entry(ctx, people[0].id, "Telefonata")
    partners = directory(ctx, "lecco")
    body = ctx.session.scalar(
        select(NetworkBody).where(NetworkBody.project_id == group.project_id)
    ) or create_body(ctx, "lecco", group.project_id)
    # Each world seats one more organisation at the table.
    partner = partners[len(body.members) % len(partners)]
    member = add_member(ctx, "lecco", body.id, partner.id, joined_on=date(2026, 1, 12))
    # Two meetings: the second follows up the first's decisions (every world's).
    for day in (date(2026, 1, 20), date(2026, 2, 3)):
        network_meeting = schedule_network_meeting(ctx, "lecco", body.id, day)
        record_organisations_register(
            ctx, "lecco", network_meeting.id, {partner.id: PresenceLine()}
        )
        decision = add_decision(ctx, "lecco", network_meeting.id, "Decisione", owner_person="Ente")
    appointment = book_appointment(
        ctx, "lecco", scheduled_on=date.today(), at=time(10), first_name="Luca", last_name="Sala"
    )
    contact = record_contact(
        ctx, "lecco", first_name="Marta", last_name="Colombo", reason="Gruppi", outcome=None,
        contacted_on=date.today(),
    )  # fmt: skip
    administration = ctx.session.scalar(
        select(Administration.id).where(Administration.participant_id == people[0].id).limit(1)
    )
    return {
        "info_meeting_id": plan[0].id,  # Lecco's path opens with the information meeting
        "entry_id": entry.id,
        "body_id": body.id,
        "member_id": member.id,
        "network_meeting_id": network_meeting.id,
        "decision_id": decision.id,
        "appointment_id": appointment.id,
        "contact_id": contact.id,
        "administration_id": administration,
        "facilitation_id": group.facilitations[0].id if group.facilitations else 1,
        "person_id": 1,
        "walk_in_id": 1,
        "transfer_id": 1,
        "run_id": 1,
        "user_id": 1,
        "token_id": 1,
        "slot_id": 1,
        "role_id": 1,
    }


def every_page(app, ids: dict) -> dict[str, str]:
    """endpoint -> URL of every GET route of the URL map, with ``ids``."""
    urls = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_COUNTED:
            continue
        # An information meeting is a meeting of the territory, not of the group.
        own = {"meeting_id": ids["info_meeting_id"]} if "/info-meetings/" in rule.rule else {}
        values = {k: own.get(k, ids.get(k)) for k in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        if rule.endpoint.startswith("reports.") and "code" in rule.arguments:
            path += f"?period={ids['period']}"
        urls[rule.endpoint] = path
    return urls


def costs_of(app, client, urls: dict[str, str], headers: dict) -> dict[str, int]:
    costs = {}
    for endpoint, url in urls.items():
        # Counted the second time: a first call's one-off work (a token's
        # last use noted, caches) is not the page's.
        client.get(url, headers=headers if "/api/" in url else {})
        with counting(app) as statements:
            response = client.get(url, headers=headers if "/api/" in url else {})
        expected = STATUS.get(endpoint, 200)
        assert response.status_code == expected, f"{endpoint} {url}: {response.status_code}"
        costs[endpoint] = len(statements)
    return costs


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_every_page_and_api_read_costs_the_same_queries_at_any_size(
    app, client, login, ctx, person
) -> None:
    login("coordinator", "lecco", is_admin=True)
    _, secret = create_token(ctx, "counts", "lecco", Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    small = every_page(app, world_of(ctx, person, 2))
    before = costs_of(app, client, small, headers)
    for _ in range(2):
        build(ctx, person, 12)  # more people, groups, registers, scores, referrals
    large = every_page(app, world_of(ctx, person, 12))
    after = costs_of(app, client, large, headers)
    grown = {e: (before[e], after[e]) for e in before if after[e] != before[e]}
    assert grown == {}, f"queries grow with the data (small, large): {grown}"
    assert len(before) > 50, "the URL map's pages were not all found"


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_saving_a_register_costs_the_same_queries_for_2_or_12_people(
    app, client, login, ctx, person
) -> None:
    login("coordinator", "lecco")
    costs = []
    for members in (2, 12):
        _, people, plan = build(ctx, person, members)
        url = f"/t/lecco/groups/meetings/{plan[1].id}"
        form = {"form": "register", "csrf_token": csrf_token(client, url)}
        form.update({f"presence-{p.id}": "absent" for p in people})  # every line changes
        with counting(app) as statements:
            assert client.post(url, data=form).status_code == 302
        costs.append(len(statements))
    assert costs[0] == costs[1]
