"""The attendance register as facilitators use it: Italian decimal comma,
nobody preselected, typed values kept after an error with the row named,
members of the day on past registers; meetings' dates that make sense."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from amal.errors import DomainError
from amal.groups.services import create_group, enrol, start_group
from amal.meetings.models import MeetingKind
from amal.meetings.services import (
    generate_plan,
    record_register,
    register_people,
    reschedule,
    schedule_meeting,
)
from amal.participants.models import ParticipantStatus as S
from amal.participants.services import change_status
from amal.services import Context
from amal.testing import csrf_token, staff_facilitator

T = "monza-brianza"
START = date(2026, 3, 2)


@pytest.fixture
def running(ctx: Context, person):
    """A group started on 02/03/2026 with three members and its plan."""
    group = create_group(
        ctx, T, "Gruppo Lissone", start_date=START,
        facilitator_ids=[staff_facilitator(ctx, T)],
    )  # fmt: skip
    people = [person(on=date(2026, 2, 1), last_name=name) for name in ("Alfa", "Beta", "Gamma")]
    for p in people:
        enrol(ctx, group.id, p.id, enrolled_on=date(2026, 2, 20))
    start_group(ctx, group.id, override_reason="Gruppo piccolo di prova", started_on=START)
    plan = [m for m in generate_plan(ctx, group.id) if m.kind == MeetingKind.GROUP]
    return group, people, plan


def checked(page: str, person_id: int) -> list[str]:
    return re.findall(rf'name="presence-{person_id}" value="(\w+)"[^>]*checked', page)


def test_hours_with_a_decimal_comma(ctx: Context, running) -> None:
    _, people, plan = running
    record_register(
        ctx, plan[0].id, {people[0].id: ("present", "1,5"), people[1].id: ("absent", "0,0")}
    )
    lines = {a.participant_id: a.hours for a in plan[0].attendance}
    assert lines == {people[0].id: Decimal("1.5"), people[1].id: Decimal(0)}
    with pytest.raises(DomainError) as bad:
        record_register(ctx, plan[0].id, {people[2].id: ("present", "un'ora")})
    assert bad.value.code == "invalid_hours" and bad.value.details["participant_id"] == people[2].id


def test_people_who_left_later_stay_on_past_registers(ctx: Context, running) -> None:
    _, people, plan = running
    change_status(ctx, people[2].id, S.DROPPED_OUT, "Nuovo lavoro", occurred_on=date(2026, 4, 1))
    before = [p.id for p in register_people(ctx, plan[0])]  # 02/03
    after = [p.id for p in register_people(ctx, plan[3])]  # 13/04
    assert people[2].id in before and people[2].id not in after
    record_register(ctx, plan[0].id, {p.id: ("present", None) for p in people})


def test_web_register(client, login, ctx: Context, running) -> None:
    _, people, plan = running
    alfa, beta, gamma = people
    change_status(ctx, gamma.id, S.DROPPED_OUT, "Nuovo lavoro", occurred_on=date(2026, 4, 1))
    login("coordinator", T)
    url = f"/t/{T}/groups/meetings/{plan[0].id}"
    page = client.get(url).get_data(as_text=True)
    assert gamma.full_name in page  # left after the meeting: still on its register
    assert all(checked(page, p.id) == [] for p in people)  # nobody preselected
    everyone = client.get(f"{url}?all_present=1").get_data(as_text=True)
    assert all(checked(everyone, p.id) == ["present"] for p in people)

    token = csrf_token(client, url)
    form = {"csrf_token": token, "form": "register", f"presence-{alfa.id}": "present",
            f"hours-{alfa.id}": "1,5", f"presence-{beta.id}": "absent"}  # fmt: skip
    unmarked = client.post(url, data=form).get_data(as_text=True)
    assert f"Segna la presenza di: {gamma.full_name}." in unmarked
    assert f'id="row-{gamma.id}-error"' in unmarked
    assert checked(unmarked, alfa.id) == ["present"] and checked(unmarked, beta.id) == ["absent"]
    assert 'value="1,5"' in unmarked  # what was typed is kept

    wrong = {**form, f"presence-{gamma.id}": "present", f"hours-{gamma.id}": "7"}
    refused = client.post(url, data=wrong).get_data(as_text=True)
    assert f"Riga {gamma.full_name}:" in refused and f'id="row-{gamma.id}-error"' in refused
    assert 'value="7"' in refused and 'value="1,5"' in refused

    saved = client.post(url, data={**wrong, f"hours-{gamma.id}": "2"})
    assert saved.status_code == 302
    again = client.get(url).get_data(as_text=True)
    assert 'value="1,5"' in again and checked(again, beta.id) == ["absent"]


def test_meeting_dates_in_services_and_web(client, login, ctx: Context, running) -> None:
    group, _, plan = running
    with pytest.raises(DomainError) as before:
        reschedule(ctx, plan[0].id, date(2026, 2, 23), "Anticipato")
    assert before.value.code == "meeting_before_group_start"
    with pytest.raises(DomainError) as order:
        reschedule(ctx, plan[2].id, plan[0].scheduled_on, "Sala")  # before meeting 2
    assert order.value.code == "meeting_out_of_order"
    june = next(m for m in plan if m.scheduled_on == date(2026, 6, 8))
    with pytest.raises(DomainError) as holiday:  # Festa della Repubblica
        reschedule(ctx, june.id, date(2026, 6, 2), "Sala")
    assert holiday.value.code == "meeting_on_holiday"
    with pytest.raises(DomainError) as training:
        schedule_meeting(ctx, T, MeetingKind.GROUP, date(2026, 2, 1), group_id=group.id)
    assert training.value.code == "meeting_before_group_start"

    login("coordinator", T)
    url = f"/t/{T}/groups/meetings/{june.id}"
    token = csrf_token(client, url)
    asked = client.post(
        f"{url}/reschedule",
        data={"csrf_token": token, "on": "2026-06-02", "reason": "Cena sociale"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "festivo" in asked and 'name="holiday_reason"' in asked
    assert 'value="Cena sociale"' in asked  # what was typed is kept
    done = client.post(
        f"{url}/reschedule",
        data={
            "csrf_token": token,
            "on": "2026-06-02",
            "reason": "Cena sociale",
            "holiday_reason": "Il gruppo ha scelto di incontrarsi",
        },
    )
    assert done.status_code == 302
    ctx.session.expire_all()
    assert june.scheduled_on == date(2026, 6, 2)
    assert "giorno festivo: Il gruppo ha scelto" in june.plan_note


def test_api_register_takes_decimal_hours(client, ctx: Context, running) -> None:
    from amal.accounts.models import Role
    from amal.accounts.services import create_token

    _, people, plan = running
    _, secret = create_token(ctx, "co", T, Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    register = client.put(
        f"/api/v1/territories/{T}/meetings/{plan[0].id}/register",
        headers=headers,
        json={"lines": [{"participant_id": people[0].id, "presence": "present", "hours": 1.5}]},
    )
    assert register.status_code == 200


def test_a_training_meeting_on_a_holiday_needs_a_reason_in_the_web(
    client, login, ctx: Context, running
) -> None:
    from amal.groups.services import add_need
    from amal.meetings.models import Meeting

    group, _, _ = running
    need = add_need(ctx, group.id, "Colloquio", expressed_on=date(2026, 3, 2))
    login("coordinator", T)
    url = f"/t/{T}/groups/{group.id}"
    form = {"csrf_token": csrf_token(client, url), "need_id": need.id, "on": "2026-06-02",
            "topic": "Simulazione di colloquio"}  # fmt: skip
    refused = client.post(f"{url}/training", data=form, follow_redirects=True)
    assert "festivo" in refused.get_data(as_text=True)
    client.post(f"{url}/training", data={**form, "holiday_reason": "Unica data del formatore"})
    training = ctx.session.scalars(
        select(Meeting).where(Meeting.kind == MeetingKind.TRAINING)
    ).all()
    assert [m.scheduled_on for m in training] == [date(2026, 6, 2)]
    assert "Unica data del formatore" in training[0].plan_note
