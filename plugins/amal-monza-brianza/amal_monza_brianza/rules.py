"""Monza e Brianza's own rule check, from the Provincia's practice with
registers of funded activities: a meeting's register is filled in and signed
by the facilitator within a few days, not reconstructed weeks later."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from amal.groups.models import Group
from amal.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus
from amal.reports.indicators import Window
from amal.reports.periods import ITALY
from amal.reports.rules import Violation

REGISTER_DAYS = 7  # the Provincia's term for a signed register


def register_signed_late(window: Window) -> list[Violation]:
    """A held group or training meeting of the period whose register was first
    recorded more than ``REGISTER_DAYS`` days after the meeting."""
    rows = window.session.execute(
        select(Meeting.id, Meeting.scheduled_on, Group.name, func.min(Attendance.recorded_at))
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .outerjoin(Group, Group.id == Meeting.group_id)
        .where(
            Meeting.territory_code == window.territory,
            Meeting.status == MeetingStatus.HELD,
            Meeting.kind.in_([MeetingKind.GROUP, MeetingKind.TRAINING]),
            Meeting.scheduled_on.between(window.period.start, window.period.end),
        )
        .group_by(Meeting.id, Meeting.scheduled_on, Group.name)
        .order_by(Meeting.scheduled_on, Meeting.id)
    ).all()
    late = []
    for meeting_id, day, group, recorded_at in rows:
        signed = recorded_at.astimezone(ITALY).date()
        if signed > day + timedelta(days=REGISTER_DAYS):
            late.append(
                Violation(
                    "register_signed_late",
                    f"Registro dell'incontro del {day:%d/%m/%Y}"
                    f"{f' ({group})' if group else ''} firmato il {signed:%d/%m/%Y}, "
                    f"oltre i {REGISTER_DAYS} giorni previsti dalla Provincia",
                    "meeting",
                    meeting_id,
                )
            )
    return late
