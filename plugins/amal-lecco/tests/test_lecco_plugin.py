"""Tests of the Lecco / Valmadrera plugin, on the fixtures shipped by amal.testing."""

from datetime import date, timedelta

import pytest

from amal.groups.services import create_group
from amal.meetings.models import MeetingKind
from amal.meetings.services import generate_plan
from amal.plugins import PartnerRole
from amal.services import Context
from amal.territories.models import Partner


@pytest.fixture
def amal_plugins() -> list[str]:
    return ["lecco"]


def test_policy_opens_with_an_info_meeting(ctx: Context) -> None:
    policy = ctx.plugins.group_policy("lecco")
    assert policy.opening_info_meeting and policy.meetings == policy.max_meetings == 16
    group = create_group(ctx, "lecco", "G", start_date=date(2026, 3, 2))
    plan = generate_plan(ctx, group.id)
    assert plan[0].kind == MeetingKind.INFO
    assert sum(m.kind == MeetingKind.GROUP for m in plan) == 16
    # info meeting, then 16 fortnightly meetings (training meetings come on top,
    # which is how the project reaches 8-10 months in all)
    assert plan[1].scheduled_on == date(2026, 3, 16)
    assert plan[-1].scheduled_on >= date(2026, 3, 16) + timedelta(days=15 * 14)


def test_partners(ctx: Context) -> None:
    roles = {p.name: p.role for p in ctx.session.query(Partner).all()}
    assert roles["Cooperativa sociale Aeris"] == PartnerRole.MENTOR
    assert roles["Consorzio Mestieri"] == PartnerRole.EMPLOYMENT_OPERATOR
    assert "Comune di Valmadrera" in roles and "Cooperativa sociale L'Arcobaleno" in roles


def test_san_nicolo_moves_a_meeting(ctx: Context) -> None:
    group = create_group(ctx, "lecco", "G", start_date=date(2027, 11, 8))
    dates = [m.scheduled_on for m in generate_plan(ctx, group.id)]
    assert date(2027, 12, 6) not in dates and date(2027, 12, 13) in dates


def test_group_needs_an_info_meeting_first(ctx: Context) -> None:
    from amal.reports.indicators import Window
    from amal.reports.periods import Period
    from amal.reports.rules import check_rules, pick_rules

    group = create_group(ctx, "lecco", "Lario", start_date=date(2026, 2, 2))
    plan = generate_plan(ctx, group.id)
    info = next(m for m in plan if m.kind == MeetingKind.INFO)
    window = Window(
        ctx.session, "lecco", Period(date(2026, 1, 1), date(2026, 6, 30), ""), date(2026, 7, 1)
    )
    checks = pick_rules(ctx.plugins, "lecco", ("info_meeting_first",))
    (violation,) = check_rules(window, checks)
    assert violation.entity_id == group.id and violation.blocking
    assert "senza un incontro informativo" in violation.message
    info.status = info.status.HELD  # as a recorded register makes it
    ctx.session.commit()
    assert check_rules(window, checks) == []


def test_valoriamo_project_is_declared(ctx: Context) -> None:
    (project,) = ctx.plugins.projects("lecco")
    assert (project.meetings_per_group, project.cycle_months) == (16, 10)
    assert {t.meeting_kind for t in project.extra_targets} == {"info", "training"}


def test_services_link_the_pages_found() -> None:
    """GOL paths link Mestieri Lombardia's own GOL page (the operator's page on
    the programme), Dote Unica Lavoro the region's page of the call; each says
    where its address came from."""
    from pathlib import Path

    import amal_lecco
    from amal.plugins.data import load_services

    services = load_services(Path(amal_lecco.__file__).parent / "data" / "services.toml")
    kinds = {(s.programme, s.url_kind, s.url) for s in services}
    assert kinds == {
        ("GOL", "operator_programme", "https://www.mestierilombardia.it/programma-gol"),
        ("Dote Unica Lavoro", "programme", "https://ue.regione.lombardia.it/bando/RLW12023031023"),
    }
    assert all(s.url_verified and "2026-12-03" in s.url_source for s in services)
