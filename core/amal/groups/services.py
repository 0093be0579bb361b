"""Group use cases: create from the territory policy, enrol within capacity,
start, conclude, cancel, record needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select

from amal.accounts.models import Role, TerritoryRole, User
from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.db import utcnow
from amal.errors import DomainError
from amal.events import event_date
from amal.groups.models import (
    Enrolment,
    Group,
    GroupComposition,
    GroupNeed,
    GroupStatus,
    GroupStatusChange,
)
from amal.participants.models import Participant, ParticipantStatus
from amal.participants.services import apply_transition
from amal.projects.models import Project
from amal.projects.services import current_project
from amal.services import Context, fetch, use_case

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
    group.facilitators.extend(_facilitators(ctx, territory_code, facilitator_ids))
    group.history.append(
        GroupStatusChange(from_status=None, to_status=G.PLANNED, changed_by=ctx.actor)
    )
    ctx.session.add(group)
    ctx.session.flush()
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


def member_count(ctx: Context, group_id: int) -> int:
    return (
        ctx.session.scalar(
            select(func.count(Enrolment.id)).where(
                Enrolment.group_id == group_id, Enrolment.ended_at.is_(None)
            )
        )
        or 0
    )


@use_case(retries=3)
def enrol(
    ctx: Context, group_id: int, participant_id: int, *, enrolled_on: date | None = None
) -> Enrolment:
    """Enrol an admitted participant on ``enrolled_on`` (default today; not before
    their admission). The group row is locked first, so that concurrent
    enrolments are serialised and capacity can never be exceeded; a conflict is
    retried while places may still be free."""
    group = fetch(ctx, Group, group_id, for_update=True)
    if group.status not in ENROLLING:
        raise DomainError(
            "group_closed", f"Group {group.name!r} is {group.status.value}: enrolment is closed"
        )
    participant = fetch(ctx, Participant, participant_id, for_update=True)
    if participant.territory_code != group.territory_code:
        raise DomainError("other_territory", "Participant and group are in different territories")
    if participant.status != ParticipantStatus.ADMITTED:
        raise DomainError(
            "not_admitted",
            f"Only admitted participants can be enrolled (this one is {participant.status.value})",
        )
    if member_count(ctx, group.id) >= group.max_size:
        raise DomainError(
            "group_full",
            f"Group {group.name!r} is full ({group.max_size} people)",
            capacity=group.max_size,
        )
    change = apply_transition(
        ctx, participant, ParticipantStatus.ENROLLED, f"Gruppo {group.name}", enrolled_on
    )
    enrolment = Enrolment(
        group_id=group.id, participant_id=participant.id, enrolled_on=change.occurred_on
    )
    ctx.session.add(enrolment)
    if group.status == G.PLANNED:
        _move(ctx, group, G.FORMING, "Prima iscrizione", change.occurred_on, audit_backdate=False)
    return enrolment


@use_case
def remove_member(
    ctx: Context, group_id: int, participant_id: int, reason: str, *, ended_on: date | None = None
) -> None:
    """Take someone out of a group that has not started (on ``ended_on``, default
    today); they go back to admitted."""
    group = fetch(ctx, Group, group_id, for_update=True)
    if group.status not in ENROLLING:
        raise DomainError(
            "group_started",
            "Once a group has started, withdraw or drop out the participant instead",
        )
    enrolment = ctx.session.scalar(
        select(Enrolment).where(
            Enrolment.group_id == group_id,
            Enrolment.participant_id == participant_id,
            Enrolment.ended_at.is_(None),
        )
    )
    if enrolment is None:
        raise DomainError("not_member", f"Participant {participant_id} is not in this group")
    if not reason.strip():
        raise DomainError("reason_required", "Removing a member needs a reason", field="reason")
    change = apply_transition(
        ctx, enrolment.participant, ParticipantStatus.ADMITTED, reason, ended_on
    )
    enrolment.ended_at = utcnow()
    enrolment.ended_on = change.occurred_on
    enrolment.end_reason = reason.strip()


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
    reason = override_reason.strip()
    group.started_on = _move(ctx, group, G.ACTIVE, reason, started_on)
    for participant in current:
        if participant.status == ParticipantStatus.ENROLLED:
            apply_transition(
                ctx, participant, ParticipantStatus.ACTIVE, f"Avvio {group.name}", group.started_on
            )
    return group


@use_case
def conclude_group(ctx: Context, group_id: int, *, concluded_on: date | None = None) -> Group:
    """active → concluded on ``concluded_on`` (default today; not before the start);
    members still active complete the path that day."""
    group = fetch(ctx, Group, group_id, for_update=True)
    group.concluded_on = _move(ctx, group, G.CONCLUDED, "", concluded_on)
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
def add_need(
    ctx: Context, group_id: int, topic: str, description: str = "", expressed_on: date | None = None
) -> GroupNeed:
    group = fetch(ctx, Group, group_id)
    if not topic.strip():
        raise DomainError("required_field", "A need needs a topic", field="topic")
    need = GroupNeed(
        group_id=group.id,
        topic=topic.strip(),
        description=description,
        expressed_on=expressed_on or date.today(),
    )
    ctx.session.add(need)
    ctx.session.flush()
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
