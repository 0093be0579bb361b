"""Groups as the territories run them: facilitators over time, no start without
one, homogeneous groups checked against the last employer, the mix shown."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.errors import DomainError
from amal.groups.models import FacilitatorRole, GroupComposition
from amal.groups.services import (
    assign_facilitator,
    composition_mix,
    create_group,
    end_facilitation,
    enrol,
    start_group,
)
from amal.participants.models import ParticipantStatus as S
from amal.services import Context
from amal.territories.services import directory


def test_facilitators_change_over_time_and_access_follows(ctx: Context) -> None:
    code = "monza-brianza"
    anna = create_user(ctx, "anna", "pw-123456789", roles=[(code, Role.FACILITATOR)])
    bruno = create_user(ctx, "bruno", "pw-123456789", roles=[(code, Role.FACILITATOR)])
    group = create_group(ctx, code, "G", start_date=date(2026, 1, 12), facilitator_ids=[anna.id])
    aeris = directory(ctx, code)[0]
    mentor = assign_facilitator(ctx, group.id, role=FacilitatorRole.MENTOR, name="Luisa Sala",
                                partner_id=aeris.id, from_on=date(2026, 1, 12))  # fmt: skip
    second = assign_facilitator(
        ctx, group.id, role="co_facilitator", user_id=bruno.id, from_on=date(2026, 2, 9)
    )
    assert {u.username for u in group.facilitators} == {"anna", "bruno"}
    with pytest.raises(DomainError) as twice:
        assign_facilitator(ctx, group.id, role="facilitator", user_id=bruno.id)
    assert twice.value.code == "already_facilitating"
    with pytest.raises(DomainError) as before:
        end_facilitation(ctx, group.facilitations[0].id, to_on=date(2026, 1, 1))
    assert before.value.code == "event_before_record"
    end_facilitation(ctx, group.facilitations[0].id, to_on=date(2026, 3, 2), reason="Maternità")
    assert [u.username for u in group.facilitators] == ["bruno"]  # Anna no longer sees it
    history = [(f.person, f.role, f.from_on, f.to_on) for f in group.facilitations]
    assert history == [
        ("anna", FacilitatorRole.FACILITATOR, date(2026, 1, 12), date(2026, 3, 2)),
        ("Luisa Sala", FacilitatorRole.MENTOR, date(2026, 1, 12), None),
        ("bruno", FacilitatorRole.CO_FACILITATOR, date(2026, 2, 9), None),
    ]
    assert mentor.partner_id == aeris.id and second.to_on is None
    with pytest.raises(DomainError) as future:
        end_facilitation(ctx, second.id, to_on=date.today() + timedelta(days=1))
    assert future.value.code == "event_in_future"


def test_a_group_cannot_start_without_a_facilitator(ctx: Context, person) -> None:
    group = create_group(ctx, "monza-brianza", "Senza")
    for _ in range(10):
        enrol(ctx, group.id, person().id)
    with pytest.raises(DomainError) as refused:
        start_group(ctx, group.id)
    assert refused.value.code == "facilitator_required"
    mentor = assign_facilitator(ctx, group.id, role="mentor", name="Solo mentore")
    with pytest.raises(DomainError):
        start_group(ctx, group.id)  # a mentor alone does not run the group
    end_facilitation(ctx, mentor.id)
    assign_facilitator(ctx, group.id, role="facilitator", name="Carla Ferri (Aeris)")
    start_group(ctx, group.id)


def test_homogeneous_group_warns_on_another_employer(ctx: Context, person) -> None:
    group = create_group(ctx, "lecco", "Agile", composition=GroupComposition.HOMOGENEOUS,
                         company_of_origin="Agile (ex Eutelia)")  # fmt: skip
    same = person("lecco", last_employer="EUTELIA S.p.A.")
    enrol(ctx, group.id, same.id)  # case, punctuation and legal form do not matter
    pastry = person("lecco", last_employer="Pasticceria Rossi")
    with pytest.raises(DomainError) as warned:
        enrol(ctx, group.id, pastry.id)
    assert warned.value.code == "employer_mismatch"
    assert warned.value.details["last_employer"] == "Pasticceria Rossi"
    assert pastry.status == S.ADMITTED
    enrol(ctx, group.id, pastry.id, homogeneity_override="Moglie di un ex dipendente Eutelia")
    assert pastry.status == S.ENROLLED
    assert "Moglie di un ex dipendente Eutelia" in pastry.history[-1].reason


def test_heterogeneous_mix(ctx: Context, person) -> None:
    people = [
        person(birth_date=date(2000, 5, 1), sector="Commercio", months_out_of_work=3),
        person(birth_date=date(1970, 5, 1), sector="Metalmeccanico", months_out_of_work=30),
        person(birth_date=date(1968, 1, 1), sector="Metalmeccanico", months_out_of_work=14),
    ]
    mix = composition_mix(people, today=date(2026, 6, 1))
    assert mix.ages == [("<30", 1), ("50-59", 2)]
    assert mix.sectors == [("Metalmeccanico", 2), ("Commercio", 1)]
    assert mix.months_out_of_work == [("<6", 1), ("12-23", 1), ("24+", 1)]


def test_coordinator_edits_date_and_place_then_cancels(app, client, login, ctx) -> None:
    from amal.groups.models import Group, GroupStatus
    from amal.meetings.services import generate_plan
    from amal.testing import csrf_token

    group = create_group(ctx, "monza-brianza", "G", start_date=date(2026, 1, 12), location="Sala A")
    login("coordinator", "monza-brianza")
    page = f"/t/monza-brianza/groups/{group.id}"
    token = csrf_token(client, page)
    client.post(f"{page}/edit", data={"start_date": "2026-01-19", "location": "Sala B",
                                      "csrf_token": token})  # fmt: skip
    ctx.session.expire_all()
    edited = ctx.session.get(Group, group.id)
    assert (edited.start_date, edited.location) == (date(2026, 1, 19), "Sala B")
    plan = generate_plan(ctx, group.id)
    refused = client.post(f"{page}/edit", data={"start_date": "2026-02-02", "csrf_token": token},
                          follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "Il gruppo ha già un calendario degli incontri." in refused
    client.post(f"{page}/edit", data={"location": "Biblioteca", "csrf_token": token})
    ctx.session.expire_all()
    from amal.meetings.models import Meeting

    locations = {ctx.session.get(Meeting, m.id).location for m in plan}
    assert locations == {"Biblioteca"}
    confirmed = {"reason": "", "csrf_token": token, "confirm": "1"}
    no_reason = client.post(f"{page}/cancel", data=confirmed,
                            follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "Indica il motivo" in no_reason
    client.post(f"{page}/cancel", data={"reason": "Troppo pochi iscritti", "csrf_token": token,
                                        "confirm": "1"})  # fmt: skip
    ctx.session.expire_all()
    cancelled = ctx.session.get(Group, group.id)
    assert cancelled.status == GroupStatus.CANCELLED
    assert cancelled.history[-1].reason == "Troppo pochi iscritti"
