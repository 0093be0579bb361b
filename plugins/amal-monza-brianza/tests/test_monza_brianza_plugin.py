"""Tests of the Monza e Brianza plugin, on the fixtures shipped by amal.testing."""

from datetime import date
from pathlib import Path

import pytest

import amal_monza_brianza
from amal.groups.services import create_group
from amal.meetings.services import generate_plan
from amal.plugins import PartnerRole
from amal.plugins.data import load_services
from amal.services import Context
from amal.territories.models import Partner


@pytest.fixture
def amal_plugins() -> list[str]:
    return ["monza-brianza"]


def test_territory_and_policy(ctx: Context) -> None:
    territory = ctx.plugins.territory("monza-brianza")
    assert (territory.province, territory.region) == ("MB", "Lombardia")
    policy = ctx.plugins.group_policy("monza-brianza")
    assert (policy.min_size, policy.max_size, policy.meetings, policy.max_meetings) == (
        10,
        15,
        16,
        18,
    )


def test_partners_from_the_seeds_are_set_up(ctx: Context) -> None:
    roles = {p.name: p.role for p in ctx.session.query(Partner).all()}
    assert roles["Provincia di Monza e Brianza"] == PartnerRole.FUNDER
    assert roles["Comune di Monza"] == PartnerRole.CO_FUNDER
    assert roles["AFOL Monza e Brianza"] == PartnerRole.LEAD
    assert [n for n, r in roles.items() if r == PartnerRole.TRADE_UNION] == [
        "CGIL Brianza",
        "CISL Brianza",
        "UIL Brianza",
    ]


def test_service_catalogue_says_where_every_service_links(ctx: Context) -> None:
    services = ctx.plugins.service_catalogue("monza-brianza")
    assert {s.code for s in services} >= {"gol-1", "gol-2", "gol-3", "gol-4", "gol-5"}
    assert all(s.operator and s.url_source for s in services)
    assert all(s.url.startswith("https://") or s.url_kind == "none" for s in services)


def test_san_giovanni_moves_a_meeting(ctx: Context) -> None:
    group = create_group(ctx, "monza-brianza", "G", start_date=date(2026, 6, 10))
    dates = [m.scheduled_on for m in generate_plan(ctx, group.id)]
    assert date(2026, 6, 24) not in dates and date(2026, 7, 1) in dates


def test_register_signed_late_is_a_warning(ctx: Context) -> None:
    from datetime import timedelta

    from amal.consent.models import ConsentPurpose
    from amal.consent.services import publish_notice, record_consents
    from amal.groups.services import enrol
    from amal.meetings.models import Presence
    from amal.meetings.services import record_register
    from amal.participants.models import ParticipantStatus
    from amal.participants.services import change_status, register_candidate
    from amal.reports.indicators import Window
    from amal.reports.periods import Period
    from amal.reports.rules import check_rules, pick_rules

    today = date.today()
    group = create_group(ctx, "monza-brianza", "Gruppo Lissone", start_date=today)
    publish_notice(ctx, "monza-brianza", "1.0", "Informativa privacy")
    member = register_candidate(
        ctx, "monza-brianza", first_name="Anna", last_name="Rossi", birth_date=date(1970, 3, 1)
    )
    record_consents(ctx, member.id, tuple(ConsentPurpose))
    change_status(ctx, member.id, ParticipantStatus.SCREENED)
    change_status(ctx, member.id, ParticipantStatus.ADMITTED)
    enrol(ctx, group.id, member.id)
    plan = generate_plan(ctx, group.id)
    on_time, late = plan[0], plan[1]
    on_time.scheduled_on = today - timedelta(days=3)
    late.scheduled_on = today - timedelta(days=20)
    ctx.session.commit()
    for meeting in (on_time, late):
        record_register(ctx, meeting.id, {member.id: (Presence.PRESENT, None)})
    window = Window(
        ctx.session, "monza-brianza", Period(today - timedelta(days=30), today, ""), today
    )
    checks = [
        c for c in pick_rules(ctx.plugins, "monza-brianza") if c.name == "register_signed_late"
    ]
    found = check_rules(window, checks)
    assert [v.entity_id for v in found] == [late.id]
    assert found[0].severity == "warning" and not found[0].blocking
    assert f"firmato il {today:%d/%m/%Y}" in found[0].message


def test_pilot_project_is_declared(ctx: Context) -> None:
    (project,) = ctx.plugins.projects("monza-brianza")
    assert (project.start_on, project.end_on) == (date(2026, 1, 1), date(2027, 6, 30))
    assert project.target_groups == 6 and project.extra_targets[0].meeting_kind == "network"


def test_service_links_say_what_they_point_to() -> None:
    """No service links to the operator's home page as if it were the service's,
    and no address is written that was not found: the Dote Unica Lavoro services
    link the region's page of the call, the GOL paths (no page found) link nothing."""
    services = load_services(Path(amal_monza_brianza.__file__).parent / "data" / "services.toml")
    for service in services:
        assert service.url != service.operator_url or not service.url, service.code
        if service.programme == "GOL":
            assert (service.url, service.url_kind, service.url_verified) == ("", "none", False)
        else:
            assert service.url == "https://ue.regione.lombardia.it/bando/RLW12023031023"
            assert service.url_kind == "programme" and service.url_verified, service.code
        assert "2026-12-03" in service.url_source, service.code
