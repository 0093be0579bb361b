"""Meeting use cases: the group's plan around holidays, one-off meetings,
rescheduling, cancellation and attendance registers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import case, func, select

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.dates import check_meeting_date
from amal.errors import DomainError
from amal.groups.models import Enrolment, Group, GroupNeed, GroupStatus
from amal.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus, Presence
from amal.participants.models import Participant, ParticipantStatus
from amal.services import Context, fetch, use_case

WEEK = timedelta(days=7)
# Who an info meeting is for: everyone not yet in a group nor closed.
INFO_INVITEES = (
    ParticipantStatus.CANDIDATE,
    ParticipantStatus.SCREENED,
    ParticipantStatus.WAITLISTED,
    ParticipantStatus.ADMITTED,
)


@dataclass(frozen=True)
class PlannedDate:
    on: date
    note: str  # why it is not the regular date; empty when it is


def plan_dates(
    start: date, count: int, cadence_days: int, holidays: Mapping[date, str]
) -> list[PlannedDate]:
    """``count`` dates every ``cadence_days`` from ``start``; a date on a holiday
    moves to the same weekday of the following week (again if needed), and so
    does a date the previous, moved meeting has reached. Every moved date says why."""
    planned: list[PlannedDate] = []
    for index in range(count):
        regular = start + timedelta(days=index * cadence_days)
        day, reasons = regular, []
        while day in holidays or (planned and day <= planned[-1].on):
            if day in holidays:
                reasons.append(f"festività {day:%d/%m/%Y} ({holidays[day]})")
            else:
                reasons.append(
                    f"l'incontro precedente è stato spostato al {planned[-1].on:%d/%m/%Y}"
                )
            day += WEEK
        note = f"Spostato dal {regular:%d/%m/%Y}: {'; '.join(reasons)}" if reasons else ""
        planned.append(PlannedDate(day, note))
    return planned


def plan_for(
    start: date,
    meetings: int,
    cadence_days: int,
    holidays: Mapping[date, str],
    *,
    opening_info_meeting: bool,
) -> list[tuple[MeetingKind, PlannedDate]]:
    """A group's plan: with ``opening_info_meeting`` an info meeting on the start
    date, then the group meetings one cadence apart; every date, the info
    meeting's included, avoids the territory's holidays."""
    kinds = [MeetingKind.INFO] * opening_info_meeting + [MeetingKind.GROUP] * meetings
    return list(zip(kinds, plan_dates(start, len(kinds), cadence_days, holidays), strict=True))


# How long before a group's first meeting an open information meeting still
# opens its path (a policy with ``opening_info_meeting``).
INFO_MEETING_REACH = timedelta(days=60)
INFO_TOPIC = "Incontro informativo aperto ai candidati e al pubblico"


@use_case
def generate_plan(
    ctx: Context, group_id: int, *, replace: bool = False, start_date: date | None = None
) -> list[Meeting]:
    """Create the group's meetings from its start date (``start_date`` sets a
    new one), count and cadence, every date avoiding the territory's holidays
    (a moved meeting says why).

    With the territory policy's ``opening_info_meeting`` the group's path opens
    with the territory's open information meeting (not tied to the group: open
    to every candidate and to the public): one already planned or held in the
    60 days up to the start date is used, and the group meetings begin on the
    start date (one cadence later if the info meeting is that very day);
    without one, the plan schedules it on the start date and the group meetings
    follow one cadence later. The returned list starts with that info meeting.
    An existing plan is replaced only with ``replace`` and only while none of
    its meetings has a register.
    """
    group = fetch(ctx, Group, group_id, for_update=True)
    if group.status in (GroupStatus.CONCLUDED, GroupStatus.CANCELLED):
        raise DomainError("group_closed", f"Group {group.name!r} is {group.status.value}")
    if start_date is not None and start_date != group.start_date:
        previous = group.start_date
        group.start_date = start_date
        record(
            ctx,
            AuditAction.UPDATE,
            "group",
            group.id,
            territory_code=group.territory_code,
            previous={"start_date": str(previous)},
        )
    if group.start_date is None:
        raise DomainError(
            "start_date_required", "Set the group's start date first", field="start_date"
        )
    existing = ctx.session.scalars(
        select(Meeting).where(
            Meeting.group_id == group.id, Meeting.kind.in_([MeetingKind.GROUP, MeetingKind.INFO])
        )
    ).all()
    if existing:
        if not replace:
            raise DomainError("plan_exists", "The group already has a plan: replace it explicitly")
        if any(m.status == MeetingStatus.HELD for m in existing):
            raise DomainError("plan_started", "Meetings already held: reschedule them one by one")
        for meeting in existing:
            ctx.session.delete(meeting)
        ctx.session.flush()

    policy = ctx.plugins.group_policy(group.territory_code)
    start = group.start_date
    holidays = ctx.plugins.holidays(group.territory_code, {start.year + y for y in range(3)})
    info = (
        open_info_meeting_before(ctx, group.territory_code, start)
        if (policy.opening_info_meeting)
        else None
    )
    meetings: list[Meeting] = [info] if info is not None else []
    sequence = 0
    for kind, planned in plan_for(
        start,
        group.planned_meetings,
        group.cadence_days,
        holidays,
        opening_info_meeting=policy.opening_info_meeting
        and (info is None or info.scheduled_on == start),
    ):
        if kind == MeetingKind.INFO:
            if info is None:
                info = _new_meeting(group, kind, None, planned.on, planned.note, INFO_TOPIC)
                info.group_id = None  # the territory's, open to every candidate
                meetings.append(info)
        else:
            sequence += 1
            meetings.append(_new_meeting(group, kind, sequence, planned.on, planned.note))
    ctx.session.add_all(meetings)
    ctx.session.flush()
    return meetings


def open_info_meeting_before(ctx: Context, territory_code: str, start: date) -> Meeting | None:
    """The territory's latest open information meeting, planned or held, in the
    60 days up to ``start`` (included)."""
    return ctx.session.scalars(
        select(Meeting)
        .where(
            Meeting.territory_code == territory_code,
            Meeting.kind == MeetingKind.INFO,
            Meeting.group_id.is_(None),
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.scheduled_on.between(start - INFO_MEETING_REACH, start),
        )
        .order_by(Meeting.scheduled_on.desc(), Meeting.id.desc())
        .limit(1)
    ).first()


def refuse_holiday(ctx: Context, territory_code: str, on: date, field: str = "on") -> None:
    """Information meetings avoid the territory's holidays (national and patron saint)."""
    holidays = ctx.plugins.holidays(territory_code, {on.year})
    if on in holidays:
        raise DomainError(
            "holiday",
            f"{on:%d/%m/%Y} is a holiday in this territory ({holidays[on]})",
            field=field,
            holiday=holidays[on],
            on=on.isoformat(),
        )


def _new_meeting(
    group: Group, kind: MeetingKind, sequence: int | None, on: date, note: str, topic: str = ""
) -> Meeting:
    return Meeting(
        territory_code=group.territory_code,
        group_id=group.id,
        kind=kind,
        sequence=sequence,
        scheduled_on=on,
        duration_minutes=group.meeting_minutes,
        location=group.location,
        plan_note=note,
        topic=topic,
    )


@use_case
def schedule_meeting(
    ctx: Context,
    territory_code: str,
    kind: MeetingKind,
    on: date,
    *,
    group_id: int | None = None,
    starts_at: time = time(17, 0),
    duration_minutes: int = 120,
    location: str = "",
    topic: str = "",
    need_ids: Sequence[int] = (),
    holiday_reason: str = "",
) -> Meeting:
    """A one-off meeting: info (territory-wide), training (for a group's needs),
    network (stakeholders) or an extra group meeting. Not before its group's
    start; on a holiday only with ``holiday_reason`` (:mod:`amal.dates`)."""
    ctx.plugins.territory(territory_code)
    kind = MeetingKind(kind)
    if duration_minutes <= 0:
        raise DomainError("invalid_value", "Duration must be positive", field="duration_minutes")
    group = fetch(ctx, Group, group_id) if group_id is not None else None
    if group is not None and group.territory_code != territory_code:
        raise DomainError("other_territory", "The group belongs to another territory")
    if kind in (MeetingKind.GROUP, MeetingKind.TRAINING) and group is None:
        raise DomainError(
            "group_required", f"A {kind.value} meeting belongs to a group", field="group_id"
        )
    if kind == MeetingKind.INFO:
        refuse_holiday(ctx, territory_code, on)
    if kind == MeetingKind.TRAINING and not need_ids:
        raise DomainError(
            "needs_required", "A training meeting answers at least one group need", field="need_ids"
        )
    holidays = ctx.plugins.holidays(territory_code, {on.year})
    check_meeting_date(
        on,
        group_start=group.start_date if group is not None else None,
        holidays=holidays,
        holiday_reason=holiday_reason,
    )
    meeting = Meeting(
        plan_note=f"Giorno festivo ({holidays[on]}): {holiday_reason.strip()}"
        if on in holidays
        else "",
        territory_code=territory_code,
        group_id=group_id,
        kind=kind,
        scheduled_on=on,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location,
        topic=topic,
    )
    for need_id in need_ids:
        need = fetch(ctx, GroupNeed, need_id)
        if need.group_id != group_id:
            raise DomainError("other_group", f"Need {need_id} belongs to another group")
        meeting.needs.append(need)
    ctx.session.add(meeting)
    ctx.session.flush()
    return meeting


@use_case
def reschedule(
    ctx: Context,
    meeting_id: int,
    on: date,
    reason: str,
    starts_at: time | None = None,
    *,
    holiday_reason: str = "",
) -> Meeting:
    """Move a planned meeting to ``on``, with the reason kept in its note. A
    group's meeting stays after the group's start and between the plan's
    previous and next meeting (to move several, :func:`shift_plan`); a holiday
    needs ``holiday_reason``."""
    meeting = _planned(ctx, meeting_id)
    if not reason.strip():
        raise DomainError("reason_required", "Rescheduling needs a reason", field="reason")
    if meeting.kind == MeetingKind.INFO:
        refuse_holiday(ctx, meeting.territory_code, on)
    previous = following = None
    group = meeting.group
    if group is not None and meeting.kind == MeetingKind.GROUP and meeting.sequence:
        siblings = ctx.session.execute(
            select(Meeting.sequence, Meeting.scheduled_on).where(
                Meeting.group_id == group.id,
                Meeting.kind == MeetingKind.GROUP,
                Meeting.status != MeetingStatus.CANCELLED,
                Meeting.id != meeting.id,
            )
        ).all()
        previous = max((d for n, d in siblings if n and n < meeting.sequence), default=None)
        following = min((d for n, d in siblings if n and n > meeting.sequence), default=None)
    check_meeting_date(
        on,
        group_start=group.start_date if group is not None else None,
        holidays=ctx.plugins.holidays(meeting.territory_code, {on.year}),
        previous=previous,
        following=following,
        holiday_reason=holiday_reason,
    )
    note = f"Spostato dal {meeting.scheduled_on:%d/%m/%Y}: {reason.strip()}"
    if on in ctx.plugins.holidays(meeting.territory_code, {on.year}):
        note += f" (giorno festivo: {holiday_reason.strip()})"
    meeting.plan_note = f"{meeting.plan_note}\n{note}".strip()
    meeting.scheduled_on = on
    if starts_at is not None:
        meeting.starts_at = starts_at
    return meeting


@use_case
def shift_plan(
    ctx: Context, group_id: int, from_sequence: int, days: int, reason: str
) -> list[Meeting]:
    """Move group meeting ``from_sequence`` and every later planned one by
    ``days`` (negative: earlier), in one transaction. Each moved date avoids
    the territory's holidays (to the same weekday of the following week, as
    the plan does) and stays after the meeting before it and the group's
    start; each keeps the reason in its note."""
    if not reason.strip():
        raise DomainError("reason_required", "Shifting the plan needs a reason", field="reason")
    if days == 0:
        raise DomainError("invalid_value", "Shift by at least one day", field="days")
    group = fetch(ctx, Group, group_id, for_update=True)
    if group.status in (GroupStatus.CONCLUDED, GroupStatus.CANCELLED):
        raise DomainError("group_closed", f"Group {group.name!r} is {group.status.value}")
    plan = ctx.session.scalars(
        select(Meeting)
        .where(Meeting.group_id == group.id, Meeting.kind == MeetingKind.GROUP)
        .order_by(Meeting.sequence, Meeting.id)
    ).all()
    moving = [m for m in plan if (m.sequence or 0) >= from_sequence]
    if not moving or moving[0].sequence != from_sequence:
        raise DomainError(
            "unknown_meeting", f"The plan has no meeting {from_sequence}", field="from_meeting"
        )
    if any(m.status == MeetingStatus.HELD for m in moving):
        raise DomainError(
            "plan_started",
            "A meeting from there on was already held: shift from a later one",
            field="from_meeting",
        )
    before = [
        m.scheduled_on
        for m in plan
        if (m.sequence or 0) < from_sequence and m.status != MeetingStatus.CANCELLED
    ]
    previous = max(before, default=None)
    first = moving[0].scheduled_on + timedelta(days=days)
    holidays = ctx.plugins.holidays(group.territory_code, {first.year + y for y in range(-1, 3)})
    for meeting in [m for m in moving if m.status == MeetingStatus.PLANNED]:
        regular = meeting.scheduled_on + timedelta(days=days)
        day, reasons = regular, []
        while day in holidays or (previous is not None and day <= previous):
            if day in holidays:
                reasons.append(f"festività {day:%d/%m/%Y} ({holidays[day]})")
            day += WEEK
        check_meeting_date(day, group_start=group.start_date, holidays={})
        note = f"Spostato dal {meeting.scheduled_on:%d/%m/%Y}: {reason.strip()}"
        if reasons:
            note += f"; poi al {day:%d/%m/%Y}: {'; '.join(reasons)}"
        meeting.plan_note = f"{meeting.plan_note}\n{note}".strip()
        meeting.scheduled_on = day
        previous = day
    ctx.session.flush()
    record(
        ctx,
        AuditAction.UPDATE,
        "meeting_plan",
        group.id,
        territory_code=group.territory_code,
        from_meeting=from_sequence,
        days=days,
        reason=reason.strip(),
    )
    return list(moving)


@use_case
def cancel_meeting(ctx: Context, meeting_id: int, reason: str) -> Meeting:
    meeting = _planned(ctx, meeting_id)
    if not reason.strip():
        raise DomainError("reason_required", "Cancelling needs a reason", field="reason")
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason.strip()
    return meeting


def _planned(ctx: Context, meeting_id: int) -> Meeting:
    meeting = fetch(ctx, Meeting, meeting_id, for_update=True)
    if meeting.status != MeetingStatus.PLANNED:
        raise DomainError(
            "meeting_not_planned", f"Meeting {meeting_id} is {meeting.status.value}, not planned"
        )
    return meeting


@use_case
def save_notes(ctx: Context, meeting_id: int, notes: str) -> Meeting:
    """The facilitators' notes of a meeting (seen by facilitators and coordinators only)."""
    meeting = fetch(ctx, Meeting, meeting_id, for_update=True)
    meeting.facilitator_notes = notes
    return meeting


def info_meeting_invitees(ctx: Context, meeting_id: int) -> list[Participant]:
    """Everyone an info meeting is for: the territory's candidates not yet in a group."""
    meeting = fetch(ctx, Meeting, meeting_id)
    if meeting.kind != MeetingKind.INFO:
        raise DomainError("not_info_meeting", "Only info meetings have open invitations")
    return list(
        ctx.session.scalars(
            select(Participant)
            .where(
                Participant.territory_code == meeting.territory_code,
                Participant.status.in_(INFO_INVITEES),
                Participant.erased_at.is_(None),
            )
            .order_by(Participant.last_name, Participant.first_name)
        )
    )


# --- Attendance ------------------------------------------------------------------------


@use_case
def record_register(
    ctx: Context,
    meeting_id: int,
    lines: Mapping[int, tuple[Presence | str, Decimal | float | str | None]],
    *,
    today: date | None = None,
) -> Meeting:
    """Record (or correct) a meeting's attendance register in one transaction:
    ``{participant_id: (presence, hours)}``. Hours default to the meeting's length
    for those present and must be 0 for those absent. The meeting becomes held."""
    meeting = fetch(ctx, Meeting, meeting_id, for_update=True)
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError("meeting_cancelled", "A cancelled meeting has no register")
    if meeting.scheduled_on > (today or date.today()):
        raise DomainError("meeting_in_future", "The register is recorded after the meeting")
    if not lines:
        raise DomainError("empty_register", "The register has no lines")
    allowed = _register_people(ctx, meeting)
    max_hours = Decimal(meeting.duration_minutes) / 60
    existing = {a.participant_id: a for a in meeting.attendance}
    for participant_id, (presence, hours) in lines.items():
        if participant_id not in allowed:
            raise DomainError(
                "not_in_register",
                f"Participant {participant_id} does not belong to this meeting",
                participant_id=participant_id,
            )
        try:
            presence = Presence(presence)
        except ValueError:
            raise DomainError(
                "invalid_value", f"Unknown presence {presence!r}", participant_id=participant_id
            ) from None
        amount = _hours(hours, presence, max_hours, participant_id)
        line = existing.get(participant_id)
        if line is None:
            line = Attendance(
                meeting=meeting,
                participant_id=participant_id,
                presence=presence,
                hours=amount,
                recorded_by=ctx.actor,
            )
            ctx.session.add(line)
        else:
            line.presence, line.hours, line.recorded_by = presence, amount, ctx.actor
    meeting.status = MeetingStatus.HELD
    ctx.session.flush()
    record(
        ctx,
        AuditAction.UPDATE,
        "attendance_register",
        meeting.id,
        territory_code=meeting.territory_code,
        lines=len(lines),
    )
    return meeting


def parse_hours(value: object) -> Decimal | None:
    """Hours as typed: ``"1,5"`` (Italian decimal comma) or ``"1.5"`` or a number;
    empty is ``None``. Raises :class:`InvalidOperation` for anything else."""
    if value is None:
        return None
    text = str(value).strip().replace(",", ".")
    if not text:
        return None
    hours = Decimal(text)
    if not hours.is_finite():
        raise InvalidOperation(text)
    return hours


def _hours(value: object, presence: Presence, max_hours: Decimal, participant_id: int) -> Decimal:
    try:
        typed = parse_hours(value)
    except InvalidOperation:
        raise DomainError(
            "invalid_hours", f"Hours {value!r} is not a number", participant_id=participant_id
        ) from None
    if presence != Presence.PRESENT:
        if typed is not None and typed != 0:
            raise DomainError(
                "invalid_hours",
                "Hours must be 0 for someone not present",
                participant_id=participant_id,
            )
        return Decimal(0)
    if typed is None:
        return max_hours
    hours = typed
    if not Decimal(0) < hours <= max_hours:
        raise DomainError(
            "invalid_hours",
            f"Hours must be between 0 and the meeting's length ({max_hours})",
            participant_id=participant_id,
        )
    return hours


def register_people(ctx: Context, meeting: Meeting) -> list[Participant]:
    """Who is on a group meeting's register: everyone who had not left the
    group before the meeting's day (also those who left or dropped out after
    it), and anyone already recorded on it; by name."""
    if meeting.group_id is None:
        return []
    on_the_day = select(Enrolment.participant_id).where(
        Enrolment.group_id == meeting.group_id,
        (Enrolment.ended_on.is_(None) & Enrolment.ended_at.is_(None))
        | (Enrolment.ended_on >= meeting.scheduled_on),
    )
    recorded = select(Attendance.participant_id).where(Attendance.meeting_id == meeting.id)
    return list(
        ctx.session.scalars(
            select(Participant)
            .where(Participant.id.in_(on_the_day) | Participant.id.in_(recorded))
            .order_by(Participant.last_name, Participant.first_name)
        )
    )


def _register_people(ctx: Context, meeting: Meeting) -> set[int]:
    """Who may appear in the register: the group's members (also those who left
    after the meeting), or any of the territory's participants for info and
    network meetings."""
    if meeting.group_id is None or meeting.kind == MeetingKind.INFO:
        return set(
            ctx.session.scalars(
                select(Participant.id).where(Participant.territory_code == meeting.territory_code)
            )
        )
    return set(
        ctx.session.scalars(
            select(Enrolment.participant_id).where(Enrolment.group_id == meeting.group_id)
        )
    )


@dataclass(frozen=True)
class AttendanceRate:
    held: int  # register lines (held meetings the person was expected at)
    present: int
    justified: int

    @property
    def rate(self) -> float:
        return self.present / self.held if self.held else 0.0


def _rate(ctx: Context, *conditions) -> AttendanceRate:
    held, present, justified = ctx.session.execute(
        select(
            func.count(Attendance.id),
            func.coalesce(func.sum(case((Attendance.presence == Presence.PRESENT, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((Attendance.presence == Presence.JUSTIFIED, 1), else_=0)), 0
            ),
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Meeting.status == MeetingStatus.HELD, Meeting.kind == MeetingKind.GROUP, *conditions)
    ).one()
    return AttendanceRate(int(held), int(present), int(justified))


def participant_attendance(ctx: Context, participant_id: int) -> AttendanceRate:
    """Presence at the group meetings held while the person was a member."""
    return _rate(ctx, Attendance.participant_id == participant_id)


def group_attendance(ctx: Context, group_id: int) -> AttendanceRate:
    return _rate(ctx, Meeting.group_id == group_id)
