"""``amal demo --scale N``: bulk regional data that the app then works with as
with data typed in (same shapes, sequences moved past the written ids)."""

import json
from collections import Counter
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from amal.cli import cli
from amal.groups.models import Enrolment
from amal.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus
from amal.outcomes.services import _last_end_for, follow_ups_due, follow_ups_overview
from amal.participants.models import Participant, ParticipantStatus, StatusChange
from amal.participants.services import register_candidate
from amal.reports.engine import definitions, run_report
from amal.scale import generate
from tests.test_cli import instance  # noqa: F401 (the fixture)


def run(folder: Path, *args: str):
    return CliRunner().invoke(cli, ["--instance", str(folder), *args])


def test_scale_fills_the_territories_with_coherent_years_of_data(
    instance: Path,  # noqa: F811 (the fixture)
) -> None:
    run(instance, "init", "--generate-password")
    result = run(instance, "demo", "--scale", "600")
    assert result.exit_code == 0, result.output
    assert "600 participants" in result.output
    stats = json.loads(run(instance, "stats", "--json").output)
    for territory in ("monza-brianza", "lecco"):
        people = stats[territory]["participants"]
        assert sum(people.values()) == 300
        assert {"candidate", "active", "completed", "dropped_out"} <= set(people)
        assert {"active", "concluded"} <= set(stats[territory]["groups"])
        assert stats[territory]["meetings"]["held"] > 100
    # Nothing goes into territories that hold people already.
    again = run(instance, "demo", "--scale", "10")
    assert again.exit_code == 1 and "without participants" in again.output


def test_scale_data_works_with_the_services_and_the_reports(ctx) -> None:
    result = generate(ctx, 400, seed=3)
    session = ctx.session
    assert result.people == session.scalar(select(func.count(Participant.id))) == 400
    assert result.attendance == session.scalar(select(func.count(Attendance.id))) > 1000
    # Held group meetings have a register; their lines are the group's members.
    held_without_lines = session.scalar(
        select(func.count(Meeting.id)).where(
            Meeting.kind == MeetingKind.GROUP,
            Meeting.status == MeetingStatus.HELD,
            ~Meeting.id.in_(select(Attendance.meeting_id)),
        )
    )
    assert held_without_lines == 0
    strangers = session.scalar(
        select(func.count(Attendance.id))
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Meeting.kind == MeetingKind.GROUP,
            ~select(Enrolment.id)
            .where(
                Enrolment.group_id == Meeting.group_id,
                Enrolment.participant_id == Attendance.participant_id,
            )
            .exists(),
        )
    )
    assert strangers == 0
    # Every status a person holds is the last step of their history.
    last_step = (
        select(StatusChange.to_status)
        .where(StatusChange.participant_id == Participant.id)
        .order_by(StatusChange.occurred_on.desc(), StatusChange.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    assert session.scalar(select(func.count()).where(Participant.status != last_step)) == 0
    dropped = session.scalar(
        select(func.count(Participant.id)).where(
            Participant.status == ParticipantStatus.DROPPED_OUT
        )
    )
    assert dropped > 0
    # The ids continue after the bulk rows (PostgreSQL's sequences were moved on).
    newcomer = register_candidate(ctx, "lecco", first_name="Nuova", last_name="Persona")
    assert newcomer.id > max(
        session.scalars(select(Participant.id).where(Participant.id != newcomer.id))
    )
    for code in ("lecco", "monza-brianza"):
        for definition in definitions(ctx.plugins, code).values():
            period = {"quarter": "2025-Q2", "semester": "2025-S1", "project": "project"}.get(
                definition.period_kind, "2025-01-01..2025-12-31"
            )
            report = run_report(ctx, code, definition.code, period)
            assert report.tables


def test_the_dashboards_follow_ups_are_counted_in_sql_as_listed_in_python(ctx) -> None:
    """The dashboard's overview (counted by the database per end day) agrees with
    the full list (computed from every row), on years of scale data."""
    generate(ctx, 400, seed=5)
    for code in ("lecco", "monza-brianza"):
        people = select(Participant).where(Participant.territory_code == code)
        due = follow_ups_due(ctx, code, people, today=date.today())
        overview = follow_ups_overview(ctx, code, people, today=date.today())
        assert overview.total == len(due) > 30
        assert overview.per_week == sorted(Counter(d.week for d in due).items())
        assert [(d.participant.id, d.month) for d in overview.first] == [
            (d.participant.id, d.month) for d in due[:30]
        ]


def test_the_last_end_day_of_a_follow_up_clamps_at_month_ends() -> None:
    # Jan 29, 30 and 31 + 1 month are all Feb 28 (2026 is not a leap year).
    assert _last_end_for(date(2026, 2, 28), 1) == date(2026, 1, 31)
    assert _last_end_for(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert _last_end_for(date(2026, 6, 15), 3) == date(2026, 3, 15)
