"""Open information meetings of a territory: not tied to a group, open to the
candidates (invited from the territory's list) and to the public (walk-ins,
recorded by name only). Its register says who came; a walk-in who wants to
join registers as a candidate from the meeting without retyping the name, and
the visit becomes the first step of their history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.errors import DomainError
from amal.meetings.models import (
    Attendance,
    InfoInvitation,
    InfoWalkIn,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Presence,
)
from amal.meetings.services import INFO_INVITEES, record_register, schedule_meeting
from amal.participants.models import Participant
from amal.participants.services import intake
from amal.services import Context, fetch, use_case

# What a walk-in who registers told us: the register keeps nothing else.
HEARD_FROM = "Incontro informativo"


def open_meetings(ctx: Context, territory_code: str, limit: int = 100) -> list[Meeting]:
    """The territory's information meetings, latest first."""
    return list(
        ctx.session.scalars(
            select(Meeting)
            .where(
                Meeting.territory_code == territory_code,
                Meeting.kind == MeetingKind.INFO,
                Meeting.group_id.is_(None),
            )
            .order_by(Meeting.scheduled_on.desc(), Meeting.id.desc())
            .limit(limit)
        )
    )


def info_meeting(ctx: Context, meeting_id: int, *, for_update: bool = False) -> Meeting:
    meeting = fetch(ctx, Meeting, meeting_id, for_update=for_update)
    if meeting.kind != MeetingKind.INFO or meeting.group_id is not None:
        raise DomainError("not_info_meeting", "Not an open information meeting of the territory")
    return meeting


@use_case
def schedule_info_meeting(
    ctx: Context,
    territory_code: str,
    on: date,
    *,
    starts_at: time = time(17, 0),
    duration_minutes: int = 120,
    location: str = "",
    topic: str = "",
) -> Meeting:
    """An open information meeting of the territory (never on one of its holidays)."""
    return schedule_meeting(
        ctx,
        territory_code,
        MeetingKind.INFO,
        on,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location.strip(),
        topic=topic.strip() or "Incontro informativo",
    )


@use_case
def invite(ctx: Context, meeting_id: int, participant_ids: Iterable[int]) -> list[InfoInvitation]:
    """Invite candidates not yet in a group (candidate, screened, waiting list,
    admitted) of the meeting's territory; those already invited are left as they are."""
    meeting = info_meeting(ctx, meeting_id, for_update=True)
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError("meeting_cancelled", "The meeting was cancelled")
    wanted = list(dict.fromkeys(participant_ids))
    if not wanted:
        raise DomainError("required_field", "Choose whom to invite", field="participant_ids")
    people = {
        p.id: p
        for p in ctx.session.scalars(
            select(Participant).where(
                Participant.id.in_(wanted),
                Participant.territory_code == meeting.territory_code,
                Participant.status.in_(INFO_INVITEES),
                Participant.erased_at.is_(None),
            )
        )
    }
    refused = [i for i in wanted if i not in people]
    if refused:
        raise DomainError(
            "not_invitable",
            f"Not a candidate of this territory free to come: {', '.join(map(str, refused))}",
            field="participant_ids",
        )
    already = set(
        ctx.session.scalars(
            select(InfoInvitation.participant_id).where(InfoInvitation.meeting_id == meeting.id)
        )
    )
    invitations = [
        InfoInvitation(
            meeting_id=meeting.id, participant_id=i, invited_on=date.today(), invited_by=ctx.actor
        )
        for i in wanted
        if i not in already
    ]
    ctx.session.add_all(invitations)
    ctx.session.flush()
    return invitations


@use_case
def add_walk_in(
    ctx: Context, meeting_id: int, name: str, *, today: date | None = None
) -> InfoWalkIn:
    """Someone from the public came: their name only. The meeting took place, so
    it counts as held."""
    meeting = info_meeting(ctx, meeting_id, for_update=True)
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError("meeting_cancelled", "A cancelled meeting has no register")
    if meeting.scheduled_on > (today or date.today()):
        raise DomainError("meeting_in_future", "Walk-ins are recorded once the meeting took place")
    name = " ".join(name.split())
    if not name:
        raise DomainError("required_field", "Write the person's name", field="name")
    if len(name) > 200:
        raise DomainError("invalid_value", "The name is too long", field="name")
    walk_in = InfoWalkIn(meeting_id=meeting.id, name=name, recorded_by=ctx.actor)
    ctx.session.add(walk_in)
    meeting.status = MeetingStatus.HELD
    ctx.session.flush()
    record(
        ctx,
        AuditAction.CREATE,
        "info_walk_in",
        walk_in.id,
        territory_code=meeting.territory_code,
    )
    return walk_in


@use_case
def record_info_register(
    ctx: Context, meeting_id: int, presences: dict[int, Presence | str]
) -> Meeting:
    """Who of the invited came (present, absent, justified), in one transaction."""
    meeting = info_meeting(ctx, meeting_id)
    invited = set(
        ctx.session.scalars(
            select(InfoInvitation.participant_id).where(InfoInvitation.meeting_id == meeting.id)
        )
    )
    others = sorted(set(presences) - invited)
    if others:
        raise DomainError(
            "not_in_register",
            f"Not invited to this meeting: {', '.join(map(str, others))}",
            participant_id=others[0],
        )
    return record_register(ctx, meeting.id, {i: (p, None) for i, p in presences.items()})


def split_name(name: str) -> tuple[str, str]:
    """'Maria Grazia Colombo' → ('Maria Grazia', 'Colombo'): the last word as the
    surname, which the intake form lets the operator correct."""
    words = name.split()
    if len(words) < 2:
        return name.strip(), ""
    return " ".join(words[:-1]), words[-1]


@use_case
def register_walk_in(
    ctx: Context,
    walk_in_id: int,
    consents: Sequence[Any],
    *,
    registered_on: date | None = None,
    **fields: Any,
) -> Participant:
    """Register a walk-in as a candidate without retyping: the name comes from the
    register (``fields`` correct or complete it, as the intake takes them); the
    walk-in is linked to the new record and their presence at the meeting becomes
    a step of their history."""
    walk_in = fetch(ctx, InfoWalkIn, walk_in_id, for_update=True)
    if walk_in.participant_id is not None:
        raise DomainError(
            "walk_in_registered", f"Already registered as participant {walk_in.participant_id}"
        )
    meeting = walk_in.meeting
    first, last = split_name(walk_in.name)
    known = {"first_name": first, "last_name": last, "heard_from": HEARD_FROM}
    given = {k: v for k, v in fields.items() if v not in (None, "")}
    participant = intake(
        ctx, meeting.territory_code, consents, registered_on=registered_on, **{**known, **given}
    )
    walk_in.participant_id = participant.id
    ctx.session.add(
        Attendance(
            meeting_id=meeting.id,
            participant_id=participant.id,
            presence=Presence.PRESENT,
            hours=Decimal(meeting.duration_minutes) / 60,
            recorded_by=ctx.actor,
        )
    )
    ctx.session.flush()
    return participant


@dataclass(frozen=True)
class RegisterLine:
    participant: Participant
    presence: Presence | None


@dataclass(frozen=True)
class InfoRegister:
    meeting: Meeting
    invited: list[RegisterLine]
    walk_ins: list[InfoWalkIn]

    @property
    def came(self) -> int:
        return sum(line.presence == Presence.PRESENT for line in self.invited) + len(self.walk_ins)


def info_register(ctx: Context, meeting_id: int) -> InfoRegister:
    """The meeting's invited candidates with their presence, and its walk-ins
    (one who registered later stays a walk-in, linked to the new record)."""
    meeting = info_meeting(ctx, meeting_id)
    presence = dict(
        ctx.session.execute(
            select(Attendance.participant_id, Attendance.presence).where(
                Attendance.meeting_id == meeting.id
            )
        ).all()
    )
    invited = ctx.session.scalars(
        select(Participant)
        .join(InfoInvitation, InfoInvitation.participant_id == Participant.id)
        .where(InfoInvitation.meeting_id == meeting.id)
        .order_by(Participant.last_name, Participant.first_name)
    ).all()
    walk_ins = ctx.session.scalars(
        select(InfoWalkIn).where(InfoWalkIn.meeting_id == meeting.id).order_by(InfoWalkIn.id)
    ).all()
    return InfoRegister(
        meeting,
        [RegisterLine(p, presence.get(p.id)) for p in invited],
        list(walk_ins),
    )


def invitable(ctx: Context, meeting: Meeting, limit: int = 500) -> list[Participant]:
    """The territory's candidates not yet in a group and not yet invited."""
    invited = select(InfoInvitation.participant_id).where(InfoInvitation.meeting_id == meeting.id)
    return list(
        ctx.session.scalars(
            select(Participant)
            .where(
                Participant.territory_code == meeting.territory_code,
                Participant.status.in_(INFO_INVITEES),
                Participant.erased_at.is_(None),
                Participant.id.not_in(invited),
            )
            .order_by(Participant.last_name, Participant.first_name)
            .limit(limit)
        )
    )
