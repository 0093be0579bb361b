from datetime import date, timedelta
from decimal import Decimal

import pytest

from amal.errors import DomainError
from amal.groups.services import add_need, create_group, enrol, start_group
from amal.meetings.models import MeetingKind, MeetingStatus, Presence
from amal.meetings.services import (
    cancel_meeting,
    generate_plan,
    group_attendance,
    info_meeting_invitees,
    participant_attendance,
    plan_dates,
    record_register,
    reschedule,
    schedule_meeting,
)
from amal.participants.models import ParticipantStatus as S
from amal.services import Context
from amal.testing import staff_facilitator


def plan(ctx: Context, territory: str, start: date):
    group = create_group(ctx, territory, "G", start_date=start)
    return [m for m in generate_plan(ctx, group.id) if m.kind == MeetingKind.GROUP]


@pytest.mark.parametrize(
    ("territory", "start", "holiday", "moved_to", "name"),
    [
        ("monza-brianza", date(2025, 4, 11), date(2025, 4, 25), date(2025, 5, 2), "Liberazione"),
        ("monza-brianza", date(2025, 4, 17), date(2025, 5, 1), date(2025, 5, 8), "Lavoro"),
        ("monza-brianza", date(2026, 5, 19), date(2026, 6, 2), date(2026, 6, 9), "Repubblica"),
        ("monza-brianza", date(2026, 6, 10), date(2026, 6, 24), date(2026, 7, 1), "Giovanni"),
        # Lecco opens with an info meeting: group meetings start 14 days later.
        ("lecco", date(2027, 11, 8), date(2027, 12, 6), date(2027, 12, 13), "Nicola"),
    ],
)
def test_plan_skips_holidays_to_the_next_same_weekday(
    ctx: Context, territory, start, holiday, moved_to, name
) -> None:
    meetings = plan(ctx, territory, start)
    dates = [m.scheduled_on for m in meetings]
    assert len(meetings) == 16
    assert holiday not in dates
    second = meetings[1]
    assert second.scheduled_on == moved_to and moved_to.weekday() == holiday.weekday()
    assert f"{holiday:%d/%m/%Y}" in second.plan_note and name in second.plan_note
    # the plan keeps its fortnightly rhythm after the move; only moved dates carry a note
    first = meetings[0].scheduled_on
    assert meetings[2].scheduled_on == first + timedelta(days=28)
    for index, meeting in enumerate(meetings):
        regular = meeting.scheduled_on == first + timedelta(days=14 * index)
        assert (meeting.plan_note == "") is regular


@pytest.mark.parametrize(
    ("start", "holiday", "only_in"),
    [
        (date(2026, 6, 10), date(2026, 6, 24), "monza-brianza"),  # San Giovanni, Monza
        (date(2027, 11, 22), date(2027, 12, 6), "lecco"),
    ],  # San Nicolò, Lecco
)
def test_patron_saints_differ_between_territories(ctx, start, holiday, only_in) -> None:
    for territory in ("monza-brianza", "lecco"):
        dates = [m.scheduled_on for m in plan(ctx, territory, start)]
        assert (holiday in dates) is (territory != only_in)


def test_lecco_plan_opens_with_an_info_meeting(ctx: Context) -> None:
    start = date(2026, 3, 3)
    lecco = generate_plan(ctx, create_group(ctx, "lecco", "L", start_date=start).id)
    monza = generate_plan(ctx, create_group(ctx, "monza-brianza", "M", start_date=start).id)
    assert [m.kind for m in lecco][:2] == [MeetingKind.INFO, MeetingKind.GROUP]
    assert lecco[0].scheduled_on == start and lecco[1].scheduled_on == start + timedelta(days=14)
    assert len(lecco) == 17
    assert {m.kind for m in monza} == {MeetingKind.GROUP} and len(monza) == 16
    assert monza[0].scheduled_on == start


def test_weekly_cadence_never_doubles_up_after_a_move() -> None:
    holidays = {date(2026, 4, 25): "Festa della Liberazione"}
    dates = [p.on for p in plan_dates(date(2026, 4, 18), 4, 7, holidays)]
    assert dates == [date(2026, 4, 18), date(2026, 5, 2), date(2026, 5, 9), date(2026, 5, 16)]


def test_plan_needs_a_start_and_is_replaced_only_explicitly(ctx: Context) -> None:
    group = create_group(ctx, "lecco", "G")
    with pytest.raises(DomainError) as error:
        generate_plan(ctx, group.id)
    assert error.value.code == "start_date_required"
    group.start_date = date(2026, 9, 1)
    generate_plan(ctx, group.id)
    with pytest.raises(DomainError) as error:
        generate_plan(ctx, group.id)
    assert error.value.code == "plan_exists"
    assert len(generate_plan(ctx, group.id, replace=True)) == 17


def started_group(ctx, person, start=date(2026, 1, 13)):  # type: ignore[no-untyped-def]
    group = create_group(
        ctx,
        "monza-brianza",
        "G",
        start_date=start,
        facilitator_ids=[staff_facilitator(ctx, "monza-brianza")],
    )
    members = [person() for _ in range(10)]
    for m in members:
        enrol(ctx, group.id, m.id)
    start_group(ctx, group.id)
    return group, members, generate_plan(ctx, group.id)


def test_register_makes_a_meeting_held_in_one_transaction(ctx: Context, person) -> None:
    _group, members, meetings = started_group(ctx, person)
    first = meetings[0]
    lines = {m.id: (Presence.PRESENT, None) for m in members}
    lines[members[0].id] = (Presence.ABSENT, 0)
    lines[members[1].id] = (Presence.JUSTIFIED, None)
    lines[members[2].id] = (Presence.PRESENT, "1.5")
    record_register(ctx, first.id, lines)
    assert first.status == MeetingStatus.HELD
    hours = {a.participant_id: a.hours for a in first.attendance}
    assert hours[members[2].id] == Decimal("1.5") and hours[members[3].id] == Decimal(2)
    assert hours[members[0].id] == 0


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ((Presence.PRESENT, "2.5"), "invalid_hours"),  # beyond the 2-hour meeting
        ((Presence.ABSENT, 2), "invalid_hours"),
        (("maybe", None), "invalid_value"),
    ],
)
def test_bad_register_lines_write_nothing(ctx: Context, person, line, code) -> None:
    _group, members, meetings = started_group(ctx, person)
    lines = {m.id: (Presence.PRESENT, None) for m in members}
    lines[members[-1].id] = line
    with pytest.raises(DomainError) as error:
        record_register(ctx, meetings[0].id, lines)
    assert error.value.code == code
    ctx.session.refresh(meetings[0])
    assert meetings[0].status == MeetingStatus.PLANNED and meetings[0].attendance == []


def test_register_refuses_outsiders_future_and_cancelled_meetings(ctx, person) -> None:
    _group, members, meetings = started_group(ctx, person, start=date.today() + timedelta(days=3))
    outsider = person()
    with pytest.raises(DomainError) as error:
        record_register(
            ctx,
            meetings[0].id,
            {outsider.id: (Presence.PRESENT, None)},
            today=meetings[0].scheduled_on,
        )
    assert error.value.code == "not_in_register"
    with pytest.raises(DomainError) as error:
        record_register(ctx, meetings[0].id, {members[0].id: (Presence.PRESENT, None)})
    assert error.value.code == "meeting_in_future"
    cancel_meeting(ctx, meetings[1].id, "Sala inagibile")
    with pytest.raises(DomainError) as error:
        record_register(
            ctx,
            meetings[1].id,
            {members[0].id: (Presence.PRESENT, None)},
            today=meetings[1].scheduled_on,
        )
    assert error.value.code == "meeting_cancelled"


def test_attendance_rates(ctx: Context, person) -> None:
    group, members, meetings = started_group(ctx, person)
    for index, meeting in enumerate(meetings[:4]):
        record_register(
            ctx,
            meeting.id,
            {
                m.id: (
                    Presence.ABSENT if (m is members[0] and index % 2) else Presence.PRESENT,
                    None,
                )
                for m in members
            },
        )
    rate = participant_attendance(ctx, members[0].id)
    assert (rate.held, rate.present, rate.rate) == (4, 2, 0.5)
    assert group_attendance(ctx, group.id).rate == pytest.approx(38 / 40)


def test_reschedule_and_cancel_keep_the_reason(ctx: Context, person) -> None:
    _group, _, meetings = started_group(ctx, person)
    moved = reschedule(
        ctx, meetings[3].id, meetings[3].scheduled_on + timedelta(days=1), "Sciopero dei trasporti"
    )
    assert "Sciopero dei trasporti" in moved.plan_note
    with pytest.raises(DomainError, match="needs a reason"):
        cancel_meeting(ctx, meetings[4].id, " ")
    cancel_meeting(ctx, meetings[4].id, "Facilitatore malato")
    with pytest.raises(DomainError) as error:
        reschedule(ctx, meetings[4].id, date(2026, 12, 1), "x")
    assert error.value.code == "meeting_not_planned"


def test_training_meetings_answer_the_group_needs(ctx: Context, person) -> None:
    group, _, _ = started_group(ctx, person)
    need = add_need(ctx, group.id, "Prepararsi al colloquio")
    with pytest.raises(DomainError) as error:
        schedule_meeting(
            ctx, "monza-brianza", MeetingKind.TRAINING, date(2026, 3, 1), group_id=group.id
        )
    assert error.value.code == "needs_required"
    training = schedule_meeting(
        ctx,
        "monza-brianza",
        MeetingKind.TRAINING,
        date(2026, 3, 1),
        group_id=group.id,
        need_ids=[need.id],
        topic=need.topic,
    )
    assert training.needs == [need]
    other = create_group(ctx, "monza-brianza", "Altro")
    with pytest.raises(DomainError) as error:
        schedule_meeting(
            ctx,
            "monza-brianza",
            MeetingKind.TRAINING,
            date(2026, 3, 1),
            group_id=other.id,
            need_ids=[need.id],
        )
    assert error.value.code == "other_group"


def test_info_meetings_invite_all_candidates(ctx: Context, person) -> None:
    candidates = [person(status=S.CANDIDATE), person(status=S.SCREENED), person()]
    started_group(ctx, person)  # ten people in a group: not invited
    person("lecco")  # another territory: not invited
    info = schedule_meeting(ctx, "monza-brianza", MeetingKind.INFO, date(2026, 2, 2))
    assert {p.id for p in info_meeting_invitees(ctx, info.id)} == {c.id for c in candidates}
