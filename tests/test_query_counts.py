"""Every page costs a bounded number of queries whatever the data size: the
same pages are counted with a small and with a larger territory."""

from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event

from amal.groups.services import create_group, enrol
from amal.meetings import info
from amal.meetings.models import Presence
from amal.meetings.services import generate_plan, record_register
from amal.referrals.services import propose_referral
from amal.runtime import state
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
