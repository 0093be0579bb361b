"""Absence alerts: the current members of running groups who missed their
group's last N meetings in a row (N from the territory's group policy,
``absence_alert``), so that someone calls them before they drop out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select

from amal.groups.models import Enrolment, Group, GroupStatus
from amal.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus, Presence
from amal.participants.models import Participant
from amal.services import Context


@dataclass(frozen=True)
class AbsenceStreak:
    participant: Participant
    group: Group
    missed: int  # consecutive group meetings missed, the latest first
    justified: int  # of which justified
    since: date  # the first meeting of the streak
    last_present: date | None  # the latest meeting they attended in this group


def absence_threshold(ctx: Context, territory: str) -> int:
    return ctx.plugins.group_policy(territory).absence_alert


def absence_streaks(
    ctx: Context, territory: str, people: Select[tuple[Participant]], *, threshold: int
) -> list[AbsenceStreak]:
    """Current members (of ``people``, the caller's scope) of the territory's
    running groups whose register says absent, justified or not, at each of
    their group's last ``threshold`` or more held meetings. Longest streaks
    first. Four queries whatever the data size."""
    visible = people.with_only_columns(Participant.id).scalar_subquery()
    members = ctx.session.execute(
        select(Enrolment.participant_id, Enrolment.group_id)
        .join(Group, Group.id == Enrolment.group_id)
        .where(
            Group.territory_code == territory,
            Group.status == GroupStatus.ACTIVE,
            Enrolment.ended_on.is_(None),
            Enrolment.participant_id.in_(visible),
        )
    ).all()
    if not members:
        return []
    current = set(members)
    lines = ctx.session.execute(
        select(
            Attendance.participant_id, Meeting.group_id, Meeting.scheduled_on, Attendance.presence
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Meeting.group_id.in_({gid for _, gid in current}),
            Meeting.kind == MeetingKind.GROUP,
            Meeting.status == MeetingStatus.HELD,
            Attendance.participant_id.in_({pid for pid, _ in current}),
        )
        .order_by(Meeting.scheduled_on.desc(), Meeting.id.desc())
    ).all()
    streaks: dict[tuple[int, int], list] = {}
    done: set[tuple[int, int]] = set()
    for participant_id, group_id, day, presence in lines:
        key = (participant_id, group_id)
        if key not in current or key in done:
            continue
        missed, justified, since, _ = streaks.get(key, (0, 0, day, None))
        if presence == Presence.PRESENT:
            streaks[key] = (missed, justified, since, day)
            done.add(key)
        else:
            streaks[key] = (missed + 1, justified + (presence == Presence.JUSTIFIED), day, None)
    alerting = {k: v for k, v in streaks.items() if v[0] >= threshold}
    if not alerting:
        return []
    people_by_id = {
        p.id: p
        for p in ctx.session.scalars(
            select(Participant).where(Participant.id.in_({pid for pid, _ in alerting}))
        )
    }
    groups_by_id = {
        grp.id: grp
        for grp in ctx.session.scalars(
            select(Group).where(Group.id.in_({gid for _, gid in alerting}))
        )
    }
    found = [
        AbsenceStreak(people_by_id[pid], groups_by_id[gid], missed, justified, since, present)
        for (pid, gid), (missed, justified, since, present) in alerting.items()
    ]
    return sorted(found, key=lambda s: (-s.missed, s.participant.last_name, s.participant.id))
