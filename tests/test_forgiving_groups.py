"""Forgiving group forms: a conclusion that says what it cancels and can be
undone for a while; name, place and first-meeting date corrected; the plan
regenerated or its rest shifted (holidays avoided, reasons kept)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.audit.models import AuditEntry
from amal.errors import DomainError
from amal.groups.models import GroupStatus
from amal.groups.services import (
    conclude_group,
    create_group,
    enrol,
    reopen_group,
    start_group,
    update_group,
)
from amal.meetings.models import MeetingKind, MeetingStatus
from amal.meetings.services import generate_plan, record_register, shift_plan
from amal.participants.models import ParticipantStatus as S
from amal.services import Context
from amal.testing import csrf_token, staff_facilitator

T = "monza-brianza"
START = date(2026, 3, 2)
API = f"/api/v1/territories/{T}"


@pytest.fixture
def running(ctx: Context, person):
    group = create_group(
        ctx, T, "Gruppo Seregno", start_date=START, facilitator_ids=[staff_facilitator(ctx, T)]
    )
    people = [person(on=date(2026, 2, 1)) for _ in range(2)]
    for p in people:
        enrol(ctx, group.id, p.id, enrolled_on=date(2026, 2, 20))
    start_group(ctx, group.id, override_reason="Prova", started_on=START)
    plan = [m for m in generate_plan(ctx, group.id) if m.kind == MeetingKind.GROUP]
    return group, people, plan


def test_conclusion_says_what_it_cancels_and_can_be_undone(ctx: Context, running) -> None:
    group, people, plan = running
    record_register(ctx, plan[0].id, {p.id: ("present", None) for p in people})
    with pytest.raises(DomainError) as refused:
        conclude_group(ctx, group.id, concluded_on=date(2026, 3, 20))
    assert (
        refused.value.code == "meetings_still_planned" and refused.value.details["meetings"] == 15
    )
    with pytest.raises(DomainError) as no_reason:
        conclude_group(ctx, group.id, concluded_on=date(2026, 3, 20), cancel_remaining=True)
    assert no_reason.value.code == "reason_required"
    conclude_group(
        ctx, group.id, concluded_on=date(2026, 3, 20), cancel_remaining=True,
        reason="Il gruppo ha deciso di chiudere",
    )  # fmt: skip
    assert {m.status for m in plan[1:]} == {MeetingStatus.CANCELLED}
    assert "Il gruppo ha deciso di chiudere" in plan[1].cancel_reason
    assert {p.status for p in people} == {S.COMPLETED}
    with pytest.raises(DomainError) as late:
        reopen_group(ctx, group.id, "Errore", today=date.today() + timedelta(days=31))
    assert late.value.code == "reopen_too_late"
    reopen_group(ctx, group.id, "Concluso per errore")
    assert group.status == GroupStatus.ACTIVE and group.concluded_on is None
    assert {p.status for p in people} == {S.ACTIVE}
    assert {m.status for m in plan[1:]} == {MeetingStatus.PLANNED}  # planned again
    assert people[0].history[-1].reason.startswith("Riapertura Gruppo Seregno")
    assert [c.to_status for c in group.history][-2:] == [GroupStatus.CONCLUDED, GroupStatus.ACTIVE]


def test_shift_the_rest_of_the_plan(ctx: Context, running) -> None:
    group, people, plan = running
    # 08/06/2026 + ... : meeting 7 is on 25/05; one week later is 01/06, then 15/06
    # for meeting 8 would be 15/06 — shift by 1 week from meeting 7.
    before = [m.scheduled_on for m in plan]
    assert before[6] == date(2026, 5, 25)
    moved = shift_plan(ctx, group.id, 7, 8, "Sala chiusa per lavori")
    assert [m.sequence for m in moved] == list(range(7, 17))
    assert [m.scheduled_on for m in plan[:6]] == before[:6]
    # 25/05 + 8 days is 02/06, Festa della Repubblica: the same weekday a week later
    assert plan[6].scheduled_on == date(2026, 6, 9)
    assert "festività 02/06/2026" in plan[6].plan_note
    assert plan[7].scheduled_on == before[7] + timedelta(days=8)
    assert all("Sala chiusa per lavori" in m.plan_note for m in plan[6:])
    days = [m.scheduled_on for m in plan]
    assert days == sorted(days) and len(set(days)) == len(days)
    record_register(ctx, plan[0].id, {p.id: ("present", None) for p in people})
    with pytest.raises(DomainError) as held:
        shift_plan(ctx, group.id, 1, 7, "x")
    assert held.value.code == "plan_started"
    with pytest.raises(DomainError, match="reason"):
        shift_plan(ctx, group.id, 3, 7, " ")


def test_corrections_of_name_place_and_date(ctx: Context) -> None:
    group = create_group(ctx, T, "Grupo Monza")
    update_group(ctx, group.id, name="Gruppo Monza", location="Sala civica")
    audit = ctx.session.scalars(select(AuditEntry).where(AuditEntry.entity == "group")).all()
    assert any((a.details or {}).get("previous", {}).get("name") == "Grupo Monza" for a in audit)
    update_group(ctx, group.id, start_date=date(2026, 9, 7))
    generate_plan(ctx, group.id)
    with pytest.raises(DomainError):
        update_group(ctx, group.id, start_date=date(2026, 9, 14))
    plan = generate_plan(ctx, group.id, replace=True, start_date=date(2026, 9, 14))
    assert plan[0].scheduled_on == date(2026, 9, 14) and group.start_date == date(2026, 9, 14)


def test_web_conclusion_confirmation_first_date_and_shift(
    client, login, ctx: Context, running
) -> None:
    group, _, plan = running
    login("coordinator", T)
    url = f"/t/{T}/groups/{group.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Incontri ancora da tenere: 16." in page
    token = csrf_token(client, url)
    unconfirmed = client.post(
        f"{url}/conclude",
        data={"csrf_token": token, "reason": "Fine", "cancel_remaining": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Spunta la conferma" in unconfirmed
    assert group.status == GroupStatus.ACTIVE
    shifted = client.post(
        f"{url}/shift",
        data={"csrf_token": token, "from_meeting": "3", "amount": "2", "unit": "weeks",
              "reason": "Ferie del facilitatore"},
    )  # fmt: skip
    assert shifted.status_code == 302
    ctx.session.expire_all()
    assert plan[2].scheduled_on == date(2026, 3, 30) + timedelta(days=14)
    client.post(
        f"{url}/conclude",
        data={"csrf_token": token, "reason": "Fine", "cancel_remaining": "1", "confirm": "1"},
    )
    ctx.session.expire_all()
    assert group.status == GroupStatus.CONCLUDED
    page = client.get(url).get_data(as_text=True)
    assert "Riapri il gruppo" in page

    undated = create_group(ctx, T, "Senza data")
    page = client.get(f"/t/{T}/groups/{undated.id}").get_data(as_text=True)
    assert 'id="first-meeting"' in page
    client.post(
        f"/t/{T}/groups/{undated.id}/edit",
        data={"csrf_token": token, "start_date": "2026-09-07"},
    )
    ctx.session.expire_all()
    assert undated.start_date == date(2026, 9, 7)


def test_api_conclude_reopen_shift_and_patch(client, ctx: Context, running) -> None:
    group, _, _ = running
    _, secret = create_token(ctx, "co", T, Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    refused = client.post(f"{API}/groups/{group.id}/conclude", headers=headers, json={})
    assert refused.status_code == 409 and refused.json["code"] == "meetings_still_planned"
    shifted = client.post(
        f"{API}/groups/{group.id}/shift",
        headers=headers,
        json={"from_meeting": 2, "days": 7, "reason": "Sala occupata"},
    )
    assert shifted.status_code == 200 and len(shifted.json) == 15
    assert "Sala occupata" in shifted.json[0]["plan_note"]
    done = client.post(
        f"{API}/groups/{group.id}/conclude",
        headers=headers,
        json={"cancel_remaining": True, "reason": "Chiusura anticipata"},
    )
    assert done.status_code == 200 and done.json["status"] == "concluded"
    reopened = client.post(
        f"{API}/groups/{group.id}/reopen", headers=headers, json={"reason": "Errore"}
    )
    assert reopened.status_code == 200 and reopened.json["status"] == "active"
    etag = client.get(f"{API}/groups/{group.id}", headers=headers).headers["ETag"]
    renamed = client.patch(
        f"{API}/groups/{group.id}",
        headers={**headers, "If-Match": etag},
        json={"name": "Gruppo Seregno 2026"},
    )
    assert renamed.status_code == 200 and renamed.json["name"] == "Gruppo Seregno 2026"
