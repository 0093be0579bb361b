import threading

import pytest
from sqlalchemy import func, select

from amal.errors import DomainError
from amal.groups.models import Enrolment, GroupComposition, GroupStatus
from amal.groups.services import (
    cancel_group,
    conclude_group,
    create_group,
    enrol,
    member_count,
    remove_member,
    start_group,
)
from amal.participants.models import Participant
from amal.participants.models import ParticipantStatus as S
from amal.runtime import state
from amal.services import Context
from amal.testing import staff_facilitator


def full_group(ctx, person, n=10, territory="monza-brianza"):  # type: ignore[no-untyped-def]
    group = create_group(
        ctx, territory, "Gruppo", facilitator_ids=[staff_facilitator(ctx, territory)]
    )
    members = [person(territory) for _ in range(n)]
    for m in members:
        enrol(ctx, group.id, m.id)
    return group, members


def test_group_copies_the_territory_policy(ctx: Context) -> None:
    monza = create_group(ctx, "monza-brianza", "A", meetings=18)
    assert (
        monza.min_size,
        monza.max_size,
        monza.planned_meetings,
        monza.cadence_days,
        monza.meeting_minutes,
    ) == (10, 15, 18, 14, 120)
    with pytest.raises(DomainError, match="between 1 and 16") as error:
        create_group(ctx, "lecco", "B", meetings=18)  # Lecco keeps 16
    assert error.value.code == "too_many_meetings"


def test_homogeneous_group_needs_the_company(ctx: Context) -> None:
    with pytest.raises(DomainError, match="company of origin"):
        create_group(ctx, "lecco", "Ex Agile", composition=GroupComposition.HOMOGENEOUS)
    group = create_group(
        ctx, "lecco", "Ex Agile", composition="homogeneous", company_of_origin="Agile"
    )
    assert group.composition == GroupComposition.HOMOGENEOUS


def test_enrolment_moves_people_and_the_group_along(ctx: Context, person) -> None:
    group, members = full_group(ctx, person, n=2)
    assert group.status == GroupStatus.FORMING
    assert {m.status for m in members} == {S.ENROLLED}


def test_only_admitted_people_of_the_same_territory_enrol(ctx: Context, person) -> None:
    group = create_group(ctx, "monza-brianza", "G")
    with pytest.raises(DomainError) as error:
        enrol(ctx, group.id, person(status=S.SCREENED).id)
    assert error.value.code == "not_admitted"
    with pytest.raises(DomainError) as error:
        enrol(ctx, group.id, person("lecco").id)
    assert error.value.code == "other_territory"


def test_capacity_is_never_exceeded(ctx: Context, person) -> None:
    group, _ = full_group(ctx, person, n=15)
    extra = person()
    with pytest.raises(DomainError, match="is full \\(15 people\\)"):
        enrol(ctx, group.id, extra.id)
    assert member_count(ctx, group.id) == 15
    ctx.session.refresh(extra)
    assert extra.status == S.ADMITTED  # nothing half-written


@pytest.mark.parametrize("amal_database_url", ["postgresql"], indirect=True)
def test_capacity_holds_under_concurrent_enrolment(app, ctx: Context, person) -> None:
    group, _ = full_group(ctx, person, n=12)
    waiting = [person().id for _ in range(8)]
    ctx.session.commit()
    amal = state(app)
    barrier = threading.Barrier(len(waiting))
    outcomes: list[str] = []

    def attempt(participant_id: int) -> None:
        with amal.session_factory() as session:
            worker = Context(session, f"worker-{participant_id}", amal.plugins)
            barrier.wait()
            try:
                enrol(worker, group.id, participant_id)
                outcomes.append("enrolled")
            except DomainError as exc:
                outcomes.append(exc.code)

    threads = [threading.Thread(target=attempt, args=(pid,)) for pid in waiting]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["enrolled"] * 3 + ["group_full"] * 5
    ctx.session.expire_all()
    active = ctx.session.scalar(
        select(func.count(Enrolment.id)).where(
            Enrolment.group_id == group.id, Enrolment.ended_at.is_(None)
        )
    )
    assert active == 15
    enrolled_people = ctx.session.scalar(
        select(func.count(Participant.id)).where(Participant.status == S.ENROLLED)
    )
    assert enrolled_people == 15


def test_start_below_minimum_needs_an_override_reason(ctx: Context, person) -> None:
    group, members = full_group(ctx, person, n=8)
    with pytest.raises(DomainError, match="fewer than its minimum 10") as error:
        start_group(ctx, group.id)
    assert error.value.code == "below_minimum_size"
    assert group.status == GroupStatus.FORMING
    start_group(ctx, group.id, override_reason="Due persone arrivano al secondo incontro")
    assert group.status == GroupStatus.ACTIVE
    assert group.history[-1].reason == "Due persone arrivano al secondo incontro"
    assert {m.status for m in members} == {S.ACTIVE}


def test_conclusion_completes_active_members_only(ctx: Context, person) -> None:
    from amal.participants.services import change_status

    group, members = full_group(ctx, person)
    start_group(ctx, group.id)
    change_status(ctx, members[0].id, S.WITHDRAWN, "Trasferito")
    conclude_group(ctx, group.id)
    assert members[0].status == S.WITHDRAWN
    assert {m.status for m in members[1:]} == {S.COMPLETED}
    with pytest.raises(DomainError, match="from concluded to active"):
        start_group(ctx, group.id)


def test_enrolment_closes_once_the_group_started(ctx: Context, person) -> None:
    group, _ = full_group(ctx, person)
    start_group(ctx, group.id)
    with pytest.raises(DomainError) as error:
        enrol(ctx, group.id, person().id)
    assert error.value.code == "group_closed"


def test_removing_a_member_before_start_readmits_them(ctx: Context, person) -> None:
    group, members = full_group(ctx, person, n=3)
    remove_member(ctx, group.id, members[0].id, "Orari incompatibili")
    assert members[0].status == S.ADMITTED
    assert member_count(ctx, group.id) == 2


def test_cancelling_releases_members(ctx: Context, person) -> None:
    group, members = full_group(ctx, person, n=3)
    with pytest.raises(DomainError, match="needs a reason"):
        cancel_group(ctx, group.id, "")
    cancel_group(ctx, group.id, "Sede non disponibile")
    assert group.status == GroupStatus.CANCELLED
    assert {m.status for m in members} == {S.ADMITTED}
    assert member_count(ctx, group.id) == 0
