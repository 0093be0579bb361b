"""kill -9 in the middle of every multi-row write leaves nothing half-written
(PostgreSQL). A real worker process (tests/kill9_worker.py) performs the write
on a list of targets and is killed with SIGKILL at random moments, many times;
then a last worker finishes the list, and the invariants are checked: plans
whole, registers whole, no group over capacity, an intake with all its
consents, report runs complete, erasures complete, an audit entry iff the
change."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from amal.audit.models import AuditAction, AuditEntry
from amal.consent.models import Consent, ConsentPurpose
from amal.consent.services import current_notice, publish_notice, record_consents
from amal.groups.models import Enrolment, Group
from amal.groups.services import create_group, enrol
from amal.meetings.models import Attendance, Meeting, MeetingStatus
from amal.meetings.services import generate_plan
from amal.participants.models import Participant, ParticipantStatus, StatusChange
from amal.participants.services import change_status, register_candidate
from amal.reports.models import ReportRun
from amal.runtime import state
from amal.services import Context

WORKER = Path(__file__).with_name("kill9_worker.py")
KILLS = int(os.environ.get("AMAL_KILL9_KILLS", "6"))  # per write; more for a soak
TERRITORY = "monza-brianza"


@pytest.fixture
def pg_app(app: Flask, amal_database_url: str) -> Flask:
    if amal_database_url.startswith("sqlite"):
        pytest.skip("kill -9 tests run on PostgreSQL (the production database)")
    return app


@pytest.fixture
def ctx_of(pg_app: Flask):
    amal = state(pg_app)
    session = amal.session_factory()
    yield Context(session, "tester", amal.plugins)
    session.close()


def ensure_notice(ctx: Context) -> None:
    if current_notice(ctx.session, TERRITORY) is None:
        publish_notice(ctx, TERRITORY, "1.0", "Informativa")


def admitted(ctx: Context, n: int, prefix: str) -> list[int]:
    ensure_notice(ctx)
    ids = []
    for i in range(n):
        p = register_candidate(
            ctx,
            TERRITORY,
            first_name=f"{prefix}{i}",
            last_name="Prova",
            birth_date=date(1980, 1, 1),
        )
        record_consents(ctx, p.id, list(ConsentPurpose))
        change_status(ctx, p.id, ParticipantStatus.SCREENED)
        change_status(ctx, p.id, ParticipantStatus.ADMITTED)
        ids.append(p.id)
    return ids


def kill_repeatedly(
    app: Flask, url: str, op: str, targets: list[int], args: tuple[str, ...] = ()
) -> None:
    """Kill workers at random moments KILLS times, then let one finish."""
    instance = str(state(app).config.instance_path)
    command = [sys.executable, str(WORKER), instance, url, op, *args, "--"]
    remaining = list(targets)
    rng = random.Random(f"{op}-{len(targets)}")
    inside = 0
    for _ in range(KILLS):
        if not remaining:
            break
        worker = subprocess.Popen(
            [*command, *map(str, remaining)], stdout=subprocess.PIPE, text=True
        )
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.02, 0.6))
        worker.send_signal(signal.SIGKILL)
        output = worker.communicate()[0].split()
        assert worker.returncode == -signal.SIGKILL
        done = {int(output[i + 1]) for i in range(len(output) - 1) if output[i] == "done"}
        inside += bool(output) and output[-2] == "start"
        remaining = [t for t in remaining if t not in done]
    finished = subprocess.run(
        [*command, *map(str, remaining)], capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr
    print(
        f"\n[kill -9] {op}: {KILLS} kills, {inside} during an operation, "
        f"{len(targets)} targets, invariants checked after"
    )


def audit_count(ctx: Context, action: AuditAction, entity: str) -> Counter[int]:
    rows = ctx.session.scalars(
        select(AuditEntry.entity_id).where(AuditEntry.action == action, AuditEntry.entity == entity)
    )
    return Counter(rows)


def test_plan_generation(pg_app, ctx_of, amal_database_url) -> None:
    start = date.today() + timedelta(days=30)
    groups = [create_group(ctx_of, TERRITORY, f"K{i}", start_date=start).id for i in range(20)]
    kill_repeatedly(pg_app, amal_database_url, "plan", groups)
    ctx_of.session.expire_all()
    policy = ctx_of.plugins.group_policy(TERRITORY)
    for group in ctx_of.session.scalars(select(Group).where(Group.id.in_(groups))):
        count = ctx_of.session.scalar(select(func.count()).where(Meeting.group_id == group.id))
        assert count == group.planned_meetings + int(policy.opening_info_meeting), group.name


def test_whole_attendance_register(pg_app, ctx_of, amal_database_url) -> None:
    members = admitted(ctx_of, 10, "Reg")
    group = create_group(ctx_of, TERRITORY, "Registro", start_date=date.today() - timedelta(400))
    for pid in members:
        enrol(ctx_of, group.id, pid)
    meetings = [m.id for m in generate_plan_now(ctx_of, group.id)]
    kill_repeatedly(pg_app, amal_database_url, "register", meetings)
    ctx_of.session.expire_all()
    audits = audit_count(ctx_of, AuditAction.UPDATE, "attendance_register")
    for meeting in ctx_of.session.scalars(select(Meeting).where(Meeting.id.in_(meetings))):
        lines = ctx_of.session.scalar(
            select(func.count()).where(Attendance.meeting_id == meeting.id)
        )
        assert meeting.status == MeetingStatus.HELD
        assert lines == len(members)
        assert audits[meeting.id] == 1  # an audit entry iff the register


def generate_plan_now(ctx: Context, group_id: int) -> list[Meeting]:
    """The group's plan, all in the past (registers can be recorded)."""
    return [
        m
        for m in generate_plan(ctx, group_id)
        if m.scheduled_on <= date.today() and m.group_id == group_id
    ]


def test_enrolment_never_over_capacity(pg_app, ctx_of, amal_database_url) -> None:
    group = create_group(ctx_of, TERRITORY, "Capienza")
    people = admitted(ctx_of, group.max_size + 6, "Cap")
    kill_repeatedly(pg_app, amal_database_url, "enrol", people, (str(group.id),))
    ctx_of.session.expire_all()
    enrolled = set(
        ctx_of.session.scalars(
            select(Enrolment.participant_id).where(Enrolment.group_id == group.id)
        )
    )
    assert len(enrolled) == group.max_size  # filled, never beyond
    for participant in ctx_of.session.scalars(
        select(Participant).where(Participant.id.in_(people))
    ):
        to_enrolled = ctx_of.session.scalar(
            select(func.count()).where(
                StatusChange.participant_id == participant.id,
                StatusChange.to_status == ParticipantStatus.ENROLLED,
            )
        )
        is_member = participant.id in enrolled
        assert (participant.status == ParticipantStatus.ENROLLED) == is_member
        assert to_enrolled == int(is_member)


def test_intake_with_consents(pg_app, ctx_of, amal_database_url) -> None:
    ensure_notice(ctx_of)
    kill_repeatedly(pg_app, amal_database_url, "intake", list(range(1, 41)))
    ctx_of.session.expire_all()
    people = ctx_of.session.scalars(
        select(Participant).where(Participant.first_name.like("Kill%"))
    ).all()
    assert len(people) == 40
    created = audit_count(ctx_of, AuditAction.CREATE, "participant")
    for person in people:
        purposes = ctx_of.session.scalars(
            select(Consent.purpose).where(Consent.participant_id == person.id)
        ).all()
        assert sorted(purposes) == sorted(ConsentPurpose)
        assert created[person.id] == 1
    existing = set(ctx_of.session.scalars(select(Participant.id)))
    assert set(created) <= existing  # no audit entry for a participant that is not there


def test_report_runs(pg_app, ctx_of, amal_database_url) -> None:
    admitted(ctx_of, 3, "Rep")
    kill_repeatedly(
        pg_app,
        amal_database_url,
        "report",
        list(range(1, 16)),
        ("provincia-trimestrale", "2026-Q1"),
    )
    ctx_of.session.expire_all()
    runs = ctx_of.session.scalars(select(ReportRun)).all()
    assert len(runs) >= 15
    assert [(r.status, r.error) for r in runs if r.status != "done" or not r.result] == []


def test_erasure(pg_app, ctx_of, amal_database_url) -> None:
    people = admitted(ctx_of, 25, "Era")
    kill_repeatedly(pg_app, amal_database_url, "erase", people)
    ctx_of.session.expire_all()
    erased = audit_count(ctx_of, AuditAction.ERASE, "participant")
    for person in ctx_of.session.scalars(select(Participant).where(Participant.id.in_(people))):
        assert person.erased_at is not None
        assert person.first_name == "—" and person.birth_date is None
        assert erased[person.id] == 1
