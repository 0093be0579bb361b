"""Project use cases: seeding from the territory plugin, the current project,
editing by the coordinator, and the progress figures of the project page."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import mean
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.db import ITALY
from amal.errors import DomainError
from amal.groups.models import Enrolment, Group, GroupStatus, GroupStatusChange
from amal.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus, Presence
from amal.plugins.manager import PluginHost
from amal.projects.models import Project
from amal.services import Context, fetch, use_case
from amal.territories.models import Partner
from amal.wellbeing.instruments import WHO5
from amal.wellbeing.models import Administration, Phase

COUNTS = (
    "target_groups",
    "min_people_per_group",
    "max_people_per_group",
    "meetings_per_group",
    "cycle_months",
    "people_reached",
)


def seed_projects(session: Session, plugins: PluginHost, territory: str) -> list[Project]:
    """Create the plugin's projects missing from the database (existing ones were
    perhaps edited: left alone), then put the territory's groups without a
    project into the project running when they started. Does not commit."""
    existing = set(session.scalars(select(Project.code).where(Project.territory_code == territory)))
    partners = {
        p.name: p
        for p in session.scalars(select(Partner).where(Partner.territory_code == territory))
    }
    created = []
    for definition in plugins.projects(territory):
        if definition.code in existing:
            continue
        project = Project(
            territory_code=territory,
            code=definition.code,
            title=definition.title,
            description=definition.description,
            start_on=definition.start_on,
            end_on=definition.end_on,
            target_groups=definition.target_groups,
            min_people_per_group=definition.min_people_per_group,
            max_people_per_group=definition.max_people_per_group,
            meetings_per_group=definition.meetings_per_group,
            cycle_months=definition.cycle_months,
            people_reached=definition.people_reached,
            extra_targets=[
                {
                    "code": t.code,
                    "label": t.label,
                    "value": t.value,
                    "meeting_kind": t.meeting_kind,
                }
                for t in definition.extra_targets
            ],
            funders=[partners[name] for name in definition.funders if name in partners],
        )
        session.add(project)
        created.append(project)
    session.flush()
    projects = session.scalars(
        select(Project).where(Project.territory_code == territory).order_by(Project.start_on)
    ).all()
    if projects:
        for group in session.scalars(
            select(Group).where(Group.territory_code == territory, Group.project_id.is_(None))
        ):
            day = group.start_date or group.created_at.astimezone(ITALY).date()
            group.project_id = _covering(projects, day).id
    return created


def _covering(projects: Sequence[Project], day: date) -> Project:
    """The project running on ``day``, else the last one started before it, else the first."""
    running = [p for p in projects if p.start_on <= day <= p.end_on]
    if running:
        return running[-1]
    started = [p for p in projects if p.start_on <= day]
    return started[-1] if started else projects[0]


def territory_projects(session: Session, territory: str) -> Sequence[Project]:
    return session.scalars(
        select(Project).where(Project.territory_code == territory).order_by(Project.start_on)
    ).all()


def current_project(session: Session, territory: str, today: date | None = None) -> Project | None:
    """The project new groups join by default: the one running today."""
    projects = territory_projects(session, territory)
    return _covering(projects, today or date.today()) if projects else None


def project_of(ctx: Context, territory: str, project_id: int) -> Project:
    project = fetch(ctx, Project, project_id)
    if project.territory_code != territory:
        raise DomainError("other_territory", "The project belongs to another territory")
    return project


@use_case
def update_project(
    ctx: Context,
    territory: str,
    project_id: int,
    *,
    funder_ids: Sequence[int] | None = None,
    extra_targets: Sequence[dict[str, Any]] | None = None,
    **fields: Any,
) -> Project:
    """Change a project's title, dates, funders (partners of the territory) and
    targets. Dates must be in order and counts not negative."""
    project = project_of(ctx, territory, project_id)
    allowed = {"title", "description", "start_on", "end_on", *COUNTS}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError("unknown_field", f"Unknown project fields: {sorted(unknown)}")
    if "title" in fields:
        fields["title"] = str(fields["title"]).strip()
        if not fields["title"]:
            raise DomainError("required_field", "A project needs a title", field="title")
    for name in COUNTS:
        if name in fields and (fields[name] is None or int(fields[name]) < 0):
            raise DomainError("invalid_target", f"{name} cannot be negative", field=name)
    start = fields.get("start_on", project.start_on)
    end = fields.get("end_on", project.end_on)
    if start is None or end is None or end < start:
        raise DomainError(
            "invalid_project_dates", "The project ends before it starts", field="end_on"
        )
    low = fields.get("min_people_per_group", project.min_people_per_group)
    high = fields.get("max_people_per_group", project.max_people_per_group)
    if not 0 < low <= high:
        raise DomainError(
            "invalid_target",
            "People per group: the minimum must be at least 1 and not above the maximum",
            field="min_people_per_group",
        )
    changed = {k: str(v) for k, v in fields.items() if getattr(project, k) != v}
    for name, value in fields.items():
        setattr(project, name, value)
    if funder_ids is not None:
        partners = ctx.session.scalars(
            select(Partner).where(Partner.id.in_(funder_ids), Partner.territory_code == territory)
        ).all()
        if len(partners) != len(set(funder_ids)):
            raise DomainError(
                "unknown_partner", "Funders must be partners of the territory", field="funder_ids"
            )
        project.funders = sorted(partners, key=lambda p: p.id)
        changed["funders"] = ", ".join(p.name for p in project.funders)
    if extra_targets is not None:
        known = {t["code"]: t for t in project.extra_targets}
        for item in extra_targets:
            if item.get("code") not in known or int(item.get("value", -1)) < 0:
                raise DomainError(
                    "invalid_target", f"Unknown or negative target {item!r}", field="extra_targets"
                )
            known[item["code"]] = {**known[item["code"]], "value": int(item["value"])}
        project.extra_targets = list(known.values())
    record(
        ctx,
        AuditAction.UPDATE,
        "project",
        project.id,
        territory_code=territory,
        changed=changed,
    )
    ctx.session.flush()
    return project


# --- Progress ------------------------------------------------------------------------


@dataclass
class Series:
    """Monthly points (first day of month, value) of one line or bar set."""

    label: str
    points: list[tuple[date, float]]


@dataclass
class GroupRow:
    id: int
    name: str
    status: GroupStatus
    members: int
    meetings_held: int
    meetings_planned: int
    first_meeting: date | None
    last_meeting: date | None
    who5_entry: float | None = None
    who5_latest: float | None = None

    @property
    def cycle_months(self) -> float | None:
        """Months from the first to the last group meeting in the calendar."""
        if self.first_meeting is None or self.last_meeting is None:
            return None
        return round((self.last_meeting - self.first_meeting).days / 30.44, 1)


@dataclass
class Progress:
    project: Project
    today: date
    months: list[date]
    groups_started: Series
    groups_planned: Series
    people_enrolled: Series
    meetings_held: Series
    meetings_planned: Series
    attendance: Series
    groups: list[GroupRow]
    extra: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    who5_pairs: int = 0
    who5_improved: int = 0

    @property
    def summary(self) -> list[tuple[str, float, float]]:
        """(label key, actual, target) for the headline figures."""
        p = self.project
        return [
            ("groups", _last(self.groups_started), p.target_groups),
            ("people", _last(self.people_enrolled), p.people_reached),
            ("meetings", _last(self.meetings_held), p.target_groups * p.meetings_per_group),
        ]


def _last(series: Series) -> float:
    return series.points[-1][1] if series.points else 0


def _month(day: date) -> date:
    return day.replace(day=1)


def _months(start: date, end: date) -> list[date]:
    months, current = [], _month(start)
    while current <= end:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _cumulative(
    label: str,
    months: list[date],
    days: list[date],
    counted: Sequence[tuple[date, int]] = (),
) -> Series:
    """Running totals per month of ``days`` (one event each) and of ``counted``
    (events per day, as the database counted them)."""
    per_month = Counter(_month(d) for d in days)
    for day, n in counted:
        per_month[_month(day)] += n
    total, points = 0, []
    before = sum(n for m, n in per_month.items() if m < months[0])
    total = before
    for month in months:
        total += per_month[month]
        points.append((month, float(total)))
    return Series(label, points)


def project_progress(session: Session, project: Project, today: date | None = None) -> Progress:
    """Progress against each target, month by month from the project's start to
    today (or its end). A fixed number of queries whatever the data size."""
    today = today or date.today()
    months = _months(project.start_on, min(max(today, project.start_on), project.end_on))
    groups = session.scalars(
        select(Group).where(Group.project_id == project.id).order_by(Group.start_date, Group.id)
    ).all()
    group_ids = [g.id for g in groups]
    # Counted by the day things happened, not the day they were typed in.
    started = list(
        session.scalars(
            select(GroupStatusChange.occurred_on).where(
                GroupStatusChange.group_id.in_(group_ids),
                GroupStatusChange.to_status == GroupStatus.ACTIVE,
            )
        )
    )
    planned_starts = [
        g.start_date for g in groups if g.start_date and g.status != GroupStatus.CANCELLED
    ]
    # Aggregated by the database, per day: rows bounded by the calendar, not
    # by the people or the register lines.
    first_enrolment = (
        select(func.min(Enrolment.enrolled_on).label("day"))
        .where(Enrolment.group_id.in_(group_ids))
        .group_by(Enrolment.participant_id)
        .subquery()
    )
    enrolled_days = session.execute(
        select(first_enrolment.c.day, func.count()).group_by(first_enrolment.c.day)
    ).all()
    members = dict(
        session.execute(
            select(Enrolment.group_id, func.count(Enrolment.id))
            .where(Enrolment.group_id.in_(group_ids), Enrolment.ended_at.is_(None))
            .group_by(Enrolment.group_id)
        ).all()
    )
    meetings = session.execute(
        select(Meeting.id, Meeting.group_id, Meeting.scheduled_on, Meeting.status).where(
            Meeting.group_id.in_(group_ids),
            Meeting.kind == MeetingKind.GROUP,
            Meeting.status != MeetingStatus.CANCELLED,
        )
    ).all()
    lines: dict[date, Counter[Presence]] = defaultdict(Counter)
    for day, presence, n in session.execute(
        select(Meeting.scheduled_on, Attendance.presence, func.count())
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Meeting.group_id.in_(group_ids), Meeting.kind == MeetingKind.GROUP)
        .group_by(Meeting.scheduled_on, Attendance.presence)
    ):
        lines[_month(day)][presence] += n
    rows = {
        g.id: GroupRow(g.id, g.name, g.status, members.get(g.id, 0), 0, 0, None, None)
        for g in groups
    }
    for _, group_id, day, status in meetings:
        row = rows[group_id]
        row.meetings_planned += 1
        row.meetings_held += status == MeetingStatus.HELD
        row.first_meeting = min(day, row.first_meeting or day)
        row.last_meeting = max(day, row.last_meeting or day)
    attendance = [
        (
            month,
            100 * lines[month][Presence.PRESENT] / sum(lines[month].values())
            if lines[month]
            else float("nan"),
        )
        for month in months
    ]
    progress = Progress(
        project=project,
        today=today,
        months=months,
        groups_started=_cumulative("avviati", months, started),
        groups_planned=_cumulative("in calendario", months, planned_starts),
        people_enrolled=_cumulative("iscritti", months, [], enrolled_days),
        meetings_held=_cumulative(
            "svolti", months, [d for _, _, d, s in meetings if s == MeetingStatus.HELD]
        ),
        meetings_planned=_cumulative("in calendario", months, [d for _, _, d, _ in meetings]),
        attendance=Series("presenza", attendance),
        groups=list(rows.values()),
        extra=_extra_targets(session, project, group_ids),
    )
    progress.who5_pairs, progress.who5_improved = _wellbeing(session, group_ids, rows)
    return progress


def _wellbeing(
    session: Session, group_ids: list[int], rows: dict[int, GroupRow]
) -> tuple[int, int]:
    """WHO-5 per group: mean at entry and at the latest later score (end, else
    midway) of the members with both. Returns (people with both, people improved)."""
    scores: dict[tuple[int, int], dict[Phase, int]] = defaultdict(dict)
    for group_id, participant_id, phase, score in session.execute(
        select(
            Enrolment.group_id,
            Administration.participant_id,
            Administration.phase,
            Administration.score,
        )
        .join(Enrolment, Enrolment.participant_id == Administration.participant_id)
        .where(Enrolment.group_id.in_(group_ids), Administration.instrument == WHO5.code)
    ):
        scores[(group_id, participant_id)][phase] = score
    per_group: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (group_id, _), phases in scores.items():
        later = phases.get(Phase.END, phases.get(Phase.MIDWAY))
        if Phase.ENTRY in phases and later is not None:
            per_group[group_id].append((phases[Phase.ENTRY], later))
    for group_id, pairs in per_group.items():
        rows[group_id].who5_entry = round(mean(e for e, _ in pairs), 1)
        rows[group_id].who5_latest = round(mean(x for _, x in pairs), 1)
    everyone = [pair for pairs in per_group.values() for pair in pairs]
    improved = sum(1 for e, x in everyone if x - e >= WHO5.meaningful_change)
    return len(everyone), improved


def _extra_targets(
    session: Session, project: Project, group_ids: list[int]
) -> list[tuple[dict[str, Any], int]]:
    """Plugin targets with a meeting kind: held meetings of that kind during the
    project, of its groups or open to the whole territory (no group)."""
    held = dict(
        session.execute(
            select(Meeting.kind, func.count())
            .where(
                Meeting.territory_code == project.territory_code,
                Meeting.status == MeetingStatus.HELD,
                Meeting.scheduled_on.between(project.start_on, project.end_on),
                Meeting.group_id.in_(group_ids) | Meeting.group_id.is_(None),
            )
            .group_by(Meeting.kind)
        ).all()
    )
    return [
        (
            target,
            held.get(MeetingKind(target["meeting_kind"]), 0) if target.get("meeting_kind") else -1,
        )
        for target in project.extra_targets
    ]
