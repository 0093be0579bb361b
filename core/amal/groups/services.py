"""Group use cases: create from the territory policy, facilitators over time,
enrol within capacity (checking a homogeneous group's company), start,
conclude, cancel, record needs, the composition of the members."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from amal.accounts.models import Role, TerritoryRole, User
from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.db import utcnow
from amal.errors import DomainError
from amal.events import event_date
from amal.groups.models import (
    Enrolment,
    Facilitation,
    FacilitatorRole,
    Group,
    GroupComposition,
    GroupNeed,
    GroupStatus,
    GroupStatusChange,
    MemberExit,
    WaitlistEntry,
)
from amal.participants.models import Participant, ParticipantStatus
from amal.participants.services import apply_transition
from amal.projects.models import Project
from amal.projects.services import current_project
from amal.services import Context, fetch, use_case
from amal.territories.models import Partner

if TYPE_CHECKING:
    from amal.meetings.models import Meeting

G = GroupStatus
GROUP_TRANSITIONS: dict[GroupStatus, frozenset[GroupStatus]] = {
    G.PLANNED: frozenset({G.FORMING, G.CANCELLED}),
    G.FORMING: frozenset({G.ACTIVE, G.CANCELLED}),
    G.ACTIVE: frozenset({G.CONCLUDED, G.CANCELLED}),
    G.CONCLUDED: frozenset(),
    G.CANCELLED: frozenset(),
}
ENROLLING = frozenset({G.PLANNED, G.FORMING})


@use_case
def create_group(
    ctx: Context,
    territory_code: str,
    name: str,
    *,
    composition: GroupComposition = GroupComposition.HETEROGENEOUS,
    company_of_origin: str = "",
    start_date: date | None = None,
    location: str = "",
    facilitator_ids: Sequence[int] = (),
    meetings: int | None = None,
    project_id: int | None = None,
) -> Group:
    """Create a planned group; size and plan come from the territory policy.
    ``meetings`` may raise the count up to the policy's maximum. The group joins
    ``project_id`` (a project of the territory), by default the current one."""
    policy = ctx.plugins.group_policy(territory_code)
    if not name.strip():
        raise DomainError("required_field", "A group needs a name", field="name")
    composition = GroupComposition(composition)
    if composition == GroupComposition.HOMOGENEOUS and not company_of_origin.strip():
        raise DomainError(
            "required_field",
            "A homogeneous group needs the company of origin",
            field="company_of_origin",
        )
    count = policy.meetings if meetings is None else meetings
    if not 1 <= count <= policy.max_meetings:
        raise DomainError(
            "too_many_meetings",
            f"This territory plans between 1 and {policy.max_meetings} meetings per group",
            field="meetings",
        )
    if project_id is None:
        project = current_project(ctx.session, territory_code)
    else:
        project = ctx.session.get(Project, project_id)
        if project is None or project.territory_code != territory_code:
            raise DomainError(
                "unknown_project", "No such project in this territory", field="project_id"
            )
    facilitators = _facilitators(ctx, territory_code, facilitator_ids)
    group = Group(
        territory_code=territory_code,
        project_id=project.id if project else None,
        name=name.strip(),
        composition=composition,
        company_of_origin=company_of_origin.strip(),
        start_date=start_date,
        location=location,
        min_size=policy.min_size,
        max_size=policy.max_size,
        planned_meetings=count,
        cadence_days=policy.cadence_days,
        meeting_minutes=policy.meeting_minutes,
        status=G.PLANNED,
    )
    group.history.append(
        GroupStatusChange(from_status=None, to_status=G.PLANNED, changed_by=ctx.actor)
    )
    ctx.session.add(group)
    ctx.session.flush()
    for user in facilitators:
        assign_facilitator(
            ctx, group.id, role=FacilitatorRole.FACILITATOR, user_id=user.id, from_on=start_date
        )
    return group


def _facilitators(ctx: Context, territory_code: str, user_ids: Sequence[int]) -> list[User]:
    """The active accounts with the facilitator role in this territory, each once.
    Any other id is refused with one error, whether or not the account exists,
    so that the answer tells nothing about accounts elsewhere."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return []
    found = {
        user.id: user
        for user in ctx.session.scalars(
            select(User)
            .join(TerritoryRole, TerritoryRole.user_id == User.id)
            .where(
                User.id.in_(wanted),
                User.is_active.is_(True),
                TerritoryRole.territory_code == territory_code,
                TerritoryRole.role == Role.FACILITATOR,
            )
        )
    }
    refused = [i for i in wanted if i not in found]
    if refused:
        raise DomainError(
            "invalid_facilitator",
            f"Not a facilitator of this territory: {', '.join(map(str, refused))}",
            field="facilitator_ids",
        )
    return [found[i] for i in wanted]


def _open(group: Group) -> list[Facilitation]:
    return [f for f in group.facilitations if f.to_on is None]


@use_case
def assign_facilitator(
    ctx: Context,
    group_id: int,
    *,
    role: FacilitatorRole | str,
    user_id: int | None = None,
    name: str = "",
    partner_id: int | None = None,
    from_on: date | None = None,
) -> Facilitation:
    """Add a facilitator, co-facilitator or mentor to a group from ``from_on``
    (default today; may be ahead, e.g. the group's first meeting). A staff user
    must hold a role in the group's territory and then sees the group; a person
    from a partner is recorded by name."""
    group = fetch(ctx, Group, group_id, for_update=True)
    if group.status in (G.CONCLUDED, G.CANCELLED):
        raise DomainError("group_closed", f"Group {group.name!r} is {group.status.value}")
    try:
        role = FacilitatorRole(role)
    except ValueError:
        raise DomainError("invalid_value", "Unknown facilitator role", field="role") from None
    user = None
    if user_id:
        # One answer whether the account does not exist or is elsewhere: the
        # refusal tells nothing about other territories' staff.
        user = ctx.session.get(User, user_id)
        in_territory = user is not None and ctx.session.scalar(
            select(TerritoryRole.id).where(
                TerritoryRole.user_id == user.id,
                TerritoryRole.territory_code == group.territory_code,
            )
        )
        if user is None or not in_territory or not user.is_active:
            raise DomainError(
                "not_staff_here", "The person has no active role in the group's territory"
            )
        if any(f.user_id == user.id for f in _open(group)):
            raise DomainError(
                "already_facilitating", f"{user.display_name} already facilitates this group"
            )
    elif not name.strip():
        raise DomainError("required_field", "Choose a staff member or write a name", field="name")
    if partner_id is not None:
        partner = fetch(ctx, Partner, partner_id)
        if partner.territory_code != group.territory_code:
            raise DomainError("not_found", "No such partner in this territory", field="partner_id")
    facilitation = Facilitation(
        user_id=user.id if user else None,
        name="" if user else name.strip(),
        partner_id=partner_id,
        role=role,
        from_on=from_on or date.today(),
        recorded_by=ctx.actor,
    )
    group.facilitations.append(facilitation)
    if user is not None and user not in group.facilitators:
        group.facilitators.append(user)  # the access rule: open assignments see the group
    ctx.session.flush()
    return facilitation


@use_case
def end_facilitation(
    ctx: Context, facilitation_id: int, *, to_on: date | None = None, reason: str = ""
) -> Facilitation:
    """A facilitator leaves the group on ``to_on`` (the day it happened)."""
    facilitation = fetch(ctx, Facilitation, facilitation_id, for_update=True)
    if facilitation.to_on is not None:
        raise DomainError("already_ended", "This assignment has already ended")
    group = fetch(ctx, Group, facilitation.group_id, for_update=True)
    facilitation.to_on = event_date(
        ctx,
        to_on,
        event="facilitation_end",
        entity="group_facilitation",
        entity_id=facilitation.id,
        not_before=facilitation.from_on,
        not_before_what="the start of the assignment",
        territory_code=group.territory_code,
    )
    facilitation.end_reason = reason.strip()
    if facilitation.user_id is not None and not any(
        f.user_id == facilitation.user_id for f in _open(group)
    ):
        group.facilitators = [u for u in group.facilitators if u.id != facilitation.user_id]
    return facilitation


def member_count(ctx: Context, group_id: int) -> int:
    return (
        ctx.session.scalar(
            select(func.count(Enrolment.id)).where(
                Enrolment.group_id == group_id, Enrolment.ended_at.is_(None)
            )
        )
        or 0
    )


LEGAL_FORMS = frozenset({"spa", "srl", "srls", "snc", "sas", "scarl", "scrl", "sc", "coop"})


def _company_key(text: str) -> str:
    """'Agile (ex Eutelia) S.p.A.' → 'agile ex eutelia': case, accents,
    punctuation and the legal form do not make two names differ."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", plain.lower().replace(".", "")).split()
    return " ".join(w for w in words if w not in LEGAL_FORMS)


def employer_matches(group: Group, participant: Participant) -> bool:
    """Whether a person's last employer fits a homogeneous group's company or crisis:
    one name contains the other ('Eutelia' fits 'Agile (ex Eutelia)')."""
    company, employer = (
        _company_key(group.company_of_origin),
        _company_key(participant.last_employer),
    )
    if not company or not employer:
        return False
    return f" {employer} " in f" {company} " or f" {company} " in f" {employer} "


def _check_place(
    ctx: Context, group: Group, participant: Participant, homogeneity_override: str
) -> str:
    """Refuse a person the (locked) group has no place for, or whose last
    employer does not fit a homogeneous group without the coordinator's reason;
    what the enrolment's reason adds about an override."""
    if member_count(ctx, group.id) >= group.max_size:
        raise DomainError(
            "group_full",
            f"Group {group.name!r} is full ({group.max_size} people): "
            "put the person on its waiting list",
            capacity=group.max_size,
            participant_id=participant.id,
        )
    if group.composition != GroupComposition.HOMOGENEOUS or employer_matches(group, participant):
        return ""
    if not homogeneity_override.strip():
        raise DomainError(
            "employer_mismatch",
            f"{participant.full_name}'s last employer "
            f"({participant.last_employer or 'not recorded'}) does not match the group's "
            f"company ({group.company_of_origin}): give a reason to enrol anyway",
            field="homogeneity_override",
            last_employer=participant.last_employer,
            company=group.company_of_origin,
        )
    record(
        ctx,
        AuditAction.UPDATE,
        "group",
        group.id,
        participant_id=participant.id,
        territory_code=group.territory_code,
        homogeneity_override=homogeneity_override.strip(),
    )
    return f" (azienda diversa: {homogeneity_override.strip()})"


@use_case(retries=3)
def enrol(
    ctx: Context,
    group_id: int,
    participant_id: int,
    *,
    enrolled_on: date | None = None,
    homogeneity_override: str = "",
) -> Enrolment:
    """Enrol an admitted participant on ``enrolled_on`` (default today; not before
    their admission). The group row is locked first, so that concurrent
    enrolments are serialised and capacity can never be exceeded; a conflict is
    retried while places may still be free.
    In a homogeneous group, a person whose last employer does not match the
    group's company is refused unless the coordinator gives a reason."""
    group = fetch(ctx, Group, group_id, for_update=True)
    if group.status not in ENROLLING:
        raise DomainError(
            "group_closed", f"Group {group.name!r} is {group.status.value}: enrolment is closed"
        )
    participant = fetch(ctx, Participant, participant_id, for_update=True)
    if participant.territory_code != group.territory_code:
        raise DomainError("other_territory", "Participant and group are in different territories")
    waiting = _waiting_entry(ctx, group.id, participant.id)
    if participant.status != ParticipantStatus.ADMITTED and not (
        participant.status == ParticipantStatus.WAITLISTED and waiting is not None
    ):
        raise DomainError(
            "not_admitted",
            f"Only admitted participants can be enrolled (this one is {participant.status.value})",
        )
    # The reason the record shows: "Gruppo <name>", unless the name already says so.
    named = group.name if group.name.lower().startswith("gruppo") else f"Gruppo {group.name}"
    reason = named + _check_place(ctx, group, participant, homogeneity_override)
    if participant.status == ParticipantStatus.WAITLISTED:
        apply_transition(
            ctx, participant, ParticipantStatus.ADMITTED, f"Posto libero: {reason}", enrolled_on
        )
    change = apply_transition(ctx, participant, ParticipantStatus.ENROLLED, reason, enrolled_on)
    if waiting is not None:
        waiting.ended_on = change.occurred_on
        waiting.end_reason = "Iscritto al gruppo"
    enrolment = Enrolment(
        group_id=group.id, participant_id=participant.id, enrolled_on=change.occurred_on
    )
    ctx.session.add(enrolment)
    if group.status == G.PLANNED:
        _move(ctx, group, G.FORMING, "Prima iscrizione", change.occurred_on, audit_backdate=False)
    return enrolment


def _waiting_entry(ctx: Context, group_id: int, participant_id: int) -> WaitlistEntry | None:
    return ctx.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.group_id == group_id,
            WaitlistEntry.participant_id == participant_id,
            WaitlistEntry.ended_on.is_(None),
        )
    )


@use_case(retries=3)
def add_to_waitlist(
    ctx: Context, group_id: int, participant_id: int, *, added_on: date | None = None
) -> WaitlistEntry:
    """Put an admitted person on a full group's waiting list (on ``added_on``,
    default today): they become waitlisted, and the first on the list is
    offered the next place that frees up (:func:`waiting_list`)."""
    group = fetch(ctx, Group, group_id, for_update=True)
    if group.status not in (G.PLANNED, G.FORMING, G.ACTIVE):
        raise DomainError("group_closed", f"Group {group.name!r} is {group.status.value}")
    participant = fetch(ctx, Participant, participant_id, for_update=True)
    if participant.territory_code != group.territory_code:
        raise DomainError("other_territory", "Participant and group are in different territories")
    if _waiting_entry(ctx, group.id, participant.id) is not None:
        raise DomainError("already_waiting", f"{participant.full_name} is already on the list")
    if member_count(ctx, group.id) < group.max_size:
        raise DomainError(
            "places_free", f"Group {group.name!r} has free places: enrol the person instead"
        )
    if participant.status not in (ParticipantStatus.ADMITTED, ParticipantStatus.WAITLISTED):
        raise DomainError(
            "not_admitted",
            f"Only admitted participants can wait for a place (this one is "
            f"{participant.status.value})",
        )
    day = added_on
    if participant.status == ParticipantStatus.ADMITTED:
        day = apply_transition(
            ctx, participant, ParticipantStatus.WAITLISTED, f"Lista d'attesa {group.name}", added_on
        ).occurred_on
    entry = WaitlistEntry(
        group_id=group.id,
        participant_id=participant.id,
        added_on=day or date.today(),
        added_by=ctx.actor,
    )
    ctx.session.add(entry)
    ctx.session.flush()
    record(
        ctx,
        AuditAction.CREATE,
        "group_waitlist",
        entry.id,
        participant_id=participant.id,
        territory_code=group.territory_code,
    )
    return entry


@use_case(retries=3)
def leave_waitlist(ctx: Context, entry_id: int, reason: str) -> WaitlistEntry:
    """Take someone off a waiting list (with the reason); with no other list
    left, they are admitted again, free to be enrolled elsewhere."""
    if not reason.strip():
        raise DomainError("reason_required", "Say why the person leaves the list", field="reason")
    entry = fetch(ctx, WaitlistEntry, entry_id, for_update=True)
    if entry.ended_on is not None:
        raise DomainError("already_ended", "This person already left the list")
    entry.ended_on = date.today()
    entry.end_reason = reason.strip()
    participant = fetch(ctx, Participant, entry.participant_id, for_update=True)
    others = ctx.session.scalar(
        select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.participant_id == participant.id,
            WaitlistEntry.ended_on.is_(None),
            WaitlistEntry.id != entry.id,
        )
    )
    if participant.status == ParticipantStatus.WAITLISTED and not others:
        apply_transition(ctx, participant, ParticipantStatus.ADMITTED, reason.strip())
    return entry


@dataclass(frozen=True)
class Waiting:
    """One person on a group's waiting list, and the place offered to them:
    ``offered_on`` is the day a place became free for them (None: still waiting)."""

    entry: WaitlistEntry
    participant: Participant
    offered_on: date | None


def waiting_list(ctx: Context, group_id: int) -> list[Waiting]:
    """The group's waiting list in order. Each free place is offered to the
    first still waiting, dated the day it freed up (the end of a membership
    after the person joined the list; the day they joined if a place was
    already free)."""
    group = fetch(ctx, Group, group_id)
    rows = ctx.session.execute(
        select(WaitlistEntry, Participant)
        .join(Participant, Participant.id == WaitlistEntry.participant_id)
        .where(WaitlistEntry.group_id == group_id, WaitlistEntry.ended_on.is_(None))
        .order_by(WaitlistEntry.added_on, WaitlistEntry.id)
    ).all()
    if not rows:
        return []
    free = max(0, group.max_size - member_count(ctx, group_id))
    freed = list(
        ctx.session.scalars(
            select(Enrolment.ended_on)
            .where(
                Enrolment.group_id == group_id,
                Enrolment.ended_on.is_not(None),
                Enrolment.ended_on >= rows[0][0].added_on,
            )
            .order_by(Enrolment.ended_on.desc())
            .limit(free)
        )
    )[::-1]
    result = []
    for index, (entry, participant) in enumerate(rows):
        offered = None
        if index < free:
            offered = max(freed[index], entry.added_on) if index < len(freed) else entry.added_on
        result.append(Waiting(entry, participant, offered))
    return result


@use_case(retries=3)
def remove_member(
    ctx: Context,
    group_id: int,
    participant_id: int,
    reason: str,
    *,
    ended_on: date | None = None,
    outcome: MemberExit | str = MemberExit.DROPPED_OUT,
    to_group_id: int | None = None,
    homogeneity_override: str = "",
) -> Enrolment | None:
    """Take someone out of a group on ``ended_on`` (default today), with the reason.

    ``dropped_out``: before the group starts the person goes back to admitted
    (free for another group); once they are active they drop out of the path.
    ``moved``: their membership ends here and starts in ``to_group_id`` (same
    territory, not concluded nor cancelled) the same day, in one transaction;
    the destination's capacity and composition are checked as for an enrolment,
    and the new enrolment is returned. An enrolled person moving into a group
    already under way becomes active there; an active one stays active.
    """
    try:
        outcome = MemberExit(outcome)
    except ValueError:
        raise DomainError("invalid_value", "Unknown way out of a group", field="outcome") from None
    if not reason.strip():
        raise DomainError("reason_required", "Taking a member out needs a reason", field="reason")
    reason = reason.strip()
    destination = None
    if outcome == MemberExit.MOVED:
        if to_group_id is None or to_group_id == group_id:
            raise DomainError(
                "required_field", "Choose the group the person moves to", field="to_group_id"
            )
        # Both rows locked, lower id first, so that two opposite moves cannot deadlock.
        locked = {i: fetch(ctx, Group, i, for_update=True) for i in sorted((group_id, to_group_id))}
        group, destination = locked[group_id], locked[to_group_id]
    else:
        group = fetch(ctx, Group, group_id, for_update=True)
    if group.status not in (*ENROLLING, G.ACTIVE):
        raise DomainError("group_closed", f"Group {group.name!r} is {group.status.value}")
    enrolment = ctx.session.scalar(
        select(Enrolment).where(
            Enrolment.group_id == group_id,
            Enrolment.participant_id == participant_id,
            Enrolment.ended_at.is_(None),
        )
    )
    if enrolment is None:
        raise DomainError("not_member", f"Participant {participant_id} is not in this group")
    participant = fetch(ctx, Participant, participant_id, for_update=True)
    if destination is None:
        if participant.status == ParticipantStatus.ACTIVE:
            # The transition ends every open membership on the day it records.
            apply_transition(ctx, participant, ParticipantStatus.DROPPED_OUT, reason, ended_on)
        else:
            change = apply_transition(
                ctx, participant, ParticipantStatus.ADMITTED, reason, ended_on
            )
            _end(enrolment, change.occurred_on, reason)
        return None
    return _move_member(
        ctx, group, destination, participant, enrolment, reason, ended_on, homogeneity_override
    )


def _end(enrolment: Enrolment, day: date, reason: str) -> None:
    enrolment.ended_at = utcnow()
    enrolment.ended_on = day
    enrolment.end_reason = reason


def _move_member(
    ctx: Context,
    group: Group,
    destination: Group,
    participant: Participant,
    enrolment: Enrolment,
    reason: str,
    moved_on: date | None,
    homogeneity_override: str,
) -> Enrolment:
    if destination.territory_code != group.territory_code:
        raise DomainError("other_territory", "The two groups are in different territories")
    if destination.status not in (*ENROLLING, G.ACTIVE):
        raise DomainError(
            "group_closed",
            f"Group {destination.name!r} is {destination.status.value}: enrolment is closed",
            field="to_group_id",
        )
    note = _check_place(ctx, destination, participant, homogeneity_override)
    day = event_date(
        ctx,
        moved_on,
        event="group_move",
        entity="enrolment",
        entity_id=enrolment.id,
        not_before=enrolment.enrolled_on,
        not_before_what="the enrolment in the group",
        participant_id=participant.id,
        territory_code=group.territory_code,
    )
    _end(enrolment, day, f"Spostato in «{destination.name}»: {reason}")
    moved = Enrolment(group_id=destination.id, participant_id=participant.id, enrolled_on=day)
    ctx.session.add(moved)
    text = f"Spostato da «{group.name}» a «{destination.name}»: {reason}{note}"
    if participant.status == ParticipantStatus.ENROLLED and destination.status == G.ACTIVE:
        apply_transition(ctx, participant, ParticipantStatus.ACTIVE, text, day)
    if destination.status == G.PLANNED:
        _move(ctx, destination, G.FORMING, "Prima iscrizione", day, audit_backdate=False)
    ctx.session.flush()
    record(
        ctx,
        AuditAction.UPDATE,
        "enrolment",
        moved.id,
        participant_id=participant.id,
        territory_code=group.territory_code,
        moved_from_group=group.id,
        moved_to_group=destination.id,
        moved_on=day.isoformat(),
    )
    return moved


@use_case
def start_group(
    ctx: Context, group_id: int, *, override_reason: str = "", started_on: date | None = None
) -> Group:
    """forming → active on ``started_on`` (default today); every member becomes
    active that day. Below the minimum size only with the coordinator's
    ``override_reason``."""
    group = fetch(ctx, Group, group_id, for_update=True)
    _refuse_illegal(group, G.ACTIVE)
    current = members(ctx, group.id)
    if len(current) < group.min_size and not override_reason.strip():
        raise DomainError(
            "below_minimum_size",
            f"Group {group.name!r} has {len(current)} members, fewer than its minimum "
            f"{group.min_size}: give a reason to start it anyway",
            members=len(current),
            minimum=group.min_size,
        )
    if not any(f.role == FacilitatorRole.FACILITATOR for f in _open(group)):
        raise DomainError(
            "facilitator_required", f"Group {group.name!r} has no facilitator: assign one first"
        )
    reason = override_reason.strip()
    group.started_on = _move(ctx, group, G.ACTIVE, reason, started_on)
    for participant in current:
        if participant.status == ParticipantStatus.ENROLLED:
            apply_transition(
                ctx, participant, ParticipantStatus.ACTIVE, f"Avvio {group.name}", group.started_on
            )
    return group


def planned_meetings(ctx: Context, group_id: int) -> list[Meeting]:
    """The group's meetings still to hold (planned, not cancelled), by date."""
    from amal.meetings.models import Meeting, MeetingStatus

    return list(
        ctx.session.scalars(
            select(Meeting)
            .where(Meeting.group_id == group_id, Meeting.status == MeetingStatus.PLANNED)
            .order_by(Meeting.scheduled_on, Meeting.id)
        )
    )


@use_case
def conclude_group(
    ctx: Context,
    group_id: int,
    *,
    concluded_on: date | None = None,
    reason: str = "",
    cancel_remaining: bool = False,
) -> Group:
    """active → concluded on ``concluded_on`` (default today; not before the start);
    members still active complete the path that day. A group with meetings
    still to hold is refused (``meetings_still_planned``) unless
    ``cancel_remaining``, which cancels them with ``reason`` (then required).
    A coordinator may reopen it for a while (:func:`reopen_group`)."""
    group = fetch(ctx, Group, group_id, for_update=True)
    remaining = planned_meetings(ctx, group.id)
    if remaining and not cancel_remaining:
        raise DomainError(
            "meetings_still_planned",
            f"Group {group.name!r} still has {len(remaining)} meetings to hold: "
            "confirm that they are cancelled, with the reason",
            meetings=len(remaining),
        )
    if remaining and not reason.strip():
        raise DomainError(
            "reason_required",
            "Cancelling the meetings still to hold needs a reason",
            field="reason",
        )
    group.concluded_on = _move(ctx, group, G.CONCLUDED, reason.strip(), concluded_on)
    from amal.meetings.models import MeetingStatus

    for meeting in remaining:
        meeting.status = MeetingStatus.CANCELLED
        meeting.cancel_reason = f"{CONCLUSION_CANCELS}{reason.strip()}"
    for participant in members(ctx, group.id):
        if participant.status == ParticipantStatus.ACTIVE:
            apply_transition(
                ctx,
                participant,
                ParticipantStatus.COMPLETED,
                f"Conclusione {group.name}",
                group.concluded_on,
            )
    return group


CONCLUSION_CANCELS = "Gruppo concluso: "  # how a conclusion marks the meetings it cancelled


def reopen_deadline(ctx: Context, group: Group) -> date | None:
    """The last day a concluded group may be reopened (None: it cannot be)."""
    if group.status != G.CONCLUDED or group.concluded_on is None:
        return None
    days = ctx.plugins.group_policy(group.territory_code).reopen_days
    concluded = max(
        (c.changed_at.date() for c in group.history if c.to_status == G.CONCLUDED),
        default=group.concluded_on,
    )
    return concluded + timedelta(days=days)


@use_case
def reopen_group(ctx: Context, group_id: int, reason: str, *, today: date | None = None) -> Group:
    """Undo a conclusion made by mistake, within the territory's ``reopen_days``
    of recording it: the group is active again, and so are the members the
    conclusion completed (unless something was recorded about them since:
    an outcome, another step), and the meetings it cancelled are planned
    again. The conclusion stays in both histories."""
    from amal.meetings.models import Meeting, MeetingStatus
    from amal.outcomes.models import Outcome
    from amal.participants.models import StatusChange

    if not reason.strip():
        raise DomainError("reason_required", "Reopening a group needs a reason", field="reason")
    group = fetch(ctx, Group, group_id, for_update=True)
    deadline = reopen_deadline(ctx, group)
    if deadline is None:
        raise DomainError("not_concluded", f"Group {group.name!r} is not concluded")
    if (today or date.today()) > deadline:
        raise DomainError(
            "reopen_too_late",
            f"Group {group.name!r} can be reopened until {deadline.isoformat()}",
            deadline=deadline.isoformat(),
        )
    completed = []
    for participant in members(ctx, group.id):
        last = participant.history[-1] if participant.history else None
        if participant.status != ParticipantStatus.COMPLETED or last is None:
            continue
        if last.reason != f"Conclusione {group.name}":
            continue
        if ctx.session.scalar(select(Outcome.id).where(Outcome.participant_id == participant.id)):
            raise DomainError(
                "outcome_recorded",
                f"An outcome of {participant.full_name} was recorded after the conclusion: "
                "the group cannot be reopened",
            )
        completed.append((participant, last))
    change = GroupStatusChange(
        from_status=G.CONCLUDED,
        to_status=G.ACTIVE,
        occurred_on=group.concluded_on,
        changed_by=ctx.actor,
        reason=f"Riapertura: {reason.strip()}",
    )
    group.history.append(change)
    group.status = G.ACTIVE
    group.concluded_on = None
    for meeting in ctx.session.scalars(
        select(Meeting).where(
            Meeting.group_id == group.id,
            Meeting.status == MeetingStatus.CANCELLED,
            Meeting.cancel_reason.startswith(CONCLUSION_CANCELS),
        )
    ):
        meeting.status = MeetingStatus.PLANNED
        meeting.cancel_reason = ""
        meeting.plan_note = f"{meeting.plan_note}\nRipristinato alla riapertura del gruppo".strip()
    for participant, last in completed:
        participant.status = ParticipantStatus.ACTIVE
        participant.history.append(
            StatusChange(
                from_status=ParticipantStatus.COMPLETED,
                to_status=ParticipantStatus.ACTIVE,
                occurred_on=last.occurred_on,
                changed_by=ctx.actor,
                reason=f"Riapertura {group.name}: {reason.strip()}",
            )
        )
    ctx.session.flush()
    record(
        ctx,
        AuditAction.TRANSITION,
        "group",
        group.id,
        territory_code=group.territory_code,
        from_status=G.CONCLUDED.value,
        to_status=G.ACTIVE.value,
        reason=reason.strip(),
        reopened_members=[p.id for p, _ in completed],
    )
    return group


@use_case
def cancel_group(
    ctx: Context, group_id: int, reason: str, *, cancelled_on: date | None = None
) -> Group:
    """Cancel a group on ``cancelled_on`` (default today); members not yet started
    go back to admitted, active ones withdraw."""
    if not reason.strip():
        raise DomainError("reason_required", "Cancelling a group needs a reason", field="reason")
    group = fetch(ctx, Group, group_id, for_update=True)
    day = _move(ctx, group, G.CANCELLED, reason, cancelled_on)
    for enrolment in [e for e in group.enrolments if e.ended_at is None]:
        enrolment.ended_at = utcnow()
        enrolment.ended_on = day
        enrolment.end_reason = reason
        if enrolment.participant.status == ParticipantStatus.ENROLLED:
            apply_transition(ctx, enrolment.participant, ParticipantStatus.ADMITTED, reason, day)
        elif enrolment.participant.status == ParticipantStatus.ACTIVE:
            apply_transition(
                ctx,
                enrolment.participant,
                ParticipantStatus.WITHDRAWN,
                f"Gruppo annullato: {reason}",
                day,
            )
    return group


@use_case
def update_group(
    ctx: Context,
    group_id: int,
    *,
    start_date: date | None = None,
    location: str | None = None,
    name: str | None = None,
) -> Group:
    """Change a group's name, first-meeting date and place. The date changes
    only before the plan exists (afterwards, the plan is regenerated or
    shifted); a new place applies to the meetings still planned. The old
    values go to the audit log."""
    from amal.meetings.models import Meeting, MeetingStatus

    group = fetch(ctx, Group, group_id, for_update=True)
    if group.status in (G.CONCLUDED, G.CANCELLED):
        raise DomainError("group_closed", f"Group {group.name!r} is {group.status.value}")
    meetings = ctx.session.scalars(select(Meeting).where(Meeting.group_id == group.id)).all()
    before = {"name": group.name, "start_date": group.start_date, "location": group.location}
    if name is not None and name.strip() != group.name:
        if not name.strip():
            raise DomainError("required_field", "A group needs a name", field="name")
        group.name = name.strip()
    if start_date is not None and start_date != group.start_date:
        if meetings:
            raise DomainError(
                "plan_exists",
                "The group already has a plan: move its meetings one by one",
                field="start_date",
            )
        group.start_date = start_date
    if location is not None and location.strip() != group.location:
        group.location = location.strip()
        for meeting in meetings:
            if meeting.status == MeetingStatus.PLANNED:
                meeting.location = group.location
    changed = {key: str(old) for key, old in before.items() if getattr(group, key) != old}
    if changed:
        record(
            ctx,
            AuditAction.UPDATE,
            "group",
            group.id,
            territory_code=group.territory_code,
            previous=changed,
        )
    return group


@use_case
def add_need(
    ctx: Context, group_id: int, topic: str, description: str = "", expressed_on: date | None = None
) -> GroupNeed:
    """Record a need the group expressed (facilitators do, from the group page);
    training meetings are then planned on it."""
    group = fetch(ctx, Group, group_id)
    if not topic.strip():
        raise DomainError("required_field", "A need needs a topic", field="topic")
    same = ctx.session.scalar(
        select(GroupNeed.id).where(
            GroupNeed.group_id == group.id,
            func.lower(GroupNeed.topic) == topic.strip().lower(),
            GroupNeed.expressed_on == (expressed_on or date.today()),
        )
    )
    if same is not None:
        # A form sent twice (or the same need typed by two facilitators) counts once.
        raise DomainError(
            "duplicate_need",
            f"The need {topic.strip()!r} is already recorded for this group on that day",
            field="topic",
        )
    need = GroupNeed(
        group_id=group.id,
        topic=topic.strip(),
        description=description.strip(),
        expressed_on=date.today(),
        recorded_by=ctx.actor,
    )
    ctx.session.add(need)
    ctx.session.flush()
    need.expressed_on = event_date(
        ctx,
        expressed_on,
        event="group_need",
        entity="group_need",
        entity_id=need.id,
        territory_code=group.territory_code,
    )
    return need


def members(ctx: Context, group_id: int) -> list[Participant]:
    """Current members, by name."""
    return list(
        ctx.session.scalars(
            select(Participant)
            .join(Enrolment, Enrolment.participant_id == Participant.id)
            .where(Enrolment.group_id == group_id, Enrolment.ended_at.is_(None))
            .order_by(Participant.last_name, Participant.first_name)
        )
    )


def _refuse_illegal(group: Group, to_status: GroupStatus) -> None:
    if to_status not in GROUP_TRANSITIONS[group.status]:
        raise DomainError(
            "illegal_transition",
            f"A group cannot go from {group.status.value} to {to_status.value}",
            from_status=group.status.value,
            to_status=to_status.value,
        )


def _move(
    ctx: Context,
    group: Group,
    to_status: GroupStatus,
    reason: str,
    occurred_on: date | None = None,
    *,
    audit_backdate: bool = True,
) -> date:
    """Move the group on ``occurred_on`` (not before its previous move); the day used.
    ``audit_backdate=False`` when the move follows from a person's step already
    checked and audited (the first enrolment makes the group forming)."""
    _refuse_illegal(group, to_status)
    # Creation (no from_status) is a recording, not an event: back-dated
    # enrolments into a group typed in today are the usual case.
    previous = max(
        (c.occurred_on for c in group.history if c.from_status is not None), default=None
    )
    day = (
        event_date(
            ctx,
            occurred_on,
            event=f"group_{to_status.value}",
            entity="group",
            entity_id=group.id,
            not_before=previous,
            not_before_what="the group's previous step",
            territory_code=group.territory_code,
        )
        if audit_backdate or occurred_on is None
        else occurred_on
    )
    change = GroupStatusChange(
        from_status=group.status,
        to_status=to_status,
        occurred_on=day,
        changed_by=ctx.actor,
        reason=reason,
    )
    group.status = to_status
    group.history.append(change)
    ctx.session.flush()
    record(
        ctx,
        AuditAction.TRANSITION,
        "group",
        group.id,
        territory_code=group.territory_code,
        from_status=change.from_status.value if change.from_status else None,
        to_status=to_status.value,
    )
    ctx.plugins.group_status_changed(group, change)
    return day


AGE_BANDS = (
    (0, 29, "<30"),
    (30, 39, "30-39"),
    (40, 49, "40-49"),
    (50, 59, "50-59"),
    (60, 200, "60+"),
)
MONTHS_BANDS = ((0, 5, "<6"), (6, 11, "6-11"), (12, 23, "12-23"), (24, 10_000, "24+"))


@dataclass(frozen=True)
class Mix:
    """How a group is made up, for the coordinator to balance it."""

    ages: list[tuple[str, int]]
    sectors: list[tuple[str, int]]
    months_out_of_work: list[tuple[str, int]]


def _band(value: int | None, bands: tuple[tuple[int, int, str], ...]) -> str:
    if value is None:
        return "?"
    return next(text for low, high, text in bands if low <= value <= high)


def composition_mix(people: Sequence[Participant], today: date | None = None) -> Mix:
    today = today or date.today()

    def age(p: Participant) -> int | None:
        if p.birth_date is None:
            return None
        b = p.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    def counted(values: list[str], order: list[str]) -> list[tuple[str, int]]:
        counts = Counter(values)
        return [(k, counts[k]) for k in order if counts[k]] + sorted(
            (k, n) for k, n in counts.items() if k not in order
        )

    return Mix(
        ages=counted([_band(age(p), AGE_BANDS) for p in people], [b[2] for b in AGE_BANDS]),
        sectors=sorted(
            Counter(p.sector.strip() or "?" for p in people).items(), key=lambda kv: (-kv[1], kv[0])
        ),
        months_out_of_work=counted(
            [_band(p.months_out_of_work, MONTHS_BANDS) for p in people],
            [b[2] for b in MONTHS_BANDS],
        ),
    )
