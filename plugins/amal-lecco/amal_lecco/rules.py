"""Lecco's own rule check, from Valoriamo's practice: the path opens with an
information meeting open to all candidates, held before a group's first
meeting."""

from __future__ import annotations

from sqlalchemy import func, select

from amal.groups.models import Group
from amal.meetings.models import Meeting, MeetingKind, MeetingStatus
from amal.reports.indicators import Window
from amal.reports.rules import Violation


def info_meeting_first(window: Window) -> list[Violation]:
    """A group whose first group meeting falls in the period without a held info
    meeting (the group's own or one open to the whole territory) on or before it."""
    first = (
        select(Meeting.group_id, func.min(Meeting.scheduled_on).label("first_on"))
        .where(
            Meeting.territory_code == window.territory,
            Meeting.kind == MeetingKind.GROUP,
            Meeting.status != MeetingStatus.CANCELLED,
        )
        .group_by(Meeting.group_id)
        .subquery()
    )
    info = (
        select(Meeting.id)
        .where(
            Meeting.territory_code == window.territory,
            Meeting.kind == MeetingKind.INFO,
            Meeting.status == MeetingStatus.HELD,
            Meeting.scheduled_on <= first.c.first_on,
            (Meeting.group_id == first.c.group_id) | Meeting.group_id.is_(None),
        )
        .exists()
    )
    rows = window.session.execute(
        select(Group.id, Group.name, first.c.first_on)
        .join(first, first.c.group_id == Group.id)
        .where(
            first.c.first_on.between(window.period.start, window.period.end),
            first.c.first_on <= window.today,
            ~info,
        )
        .order_by(first.c.first_on, Group.id)
    ).all()
    return [
        Violation(
            "info_meeting_first",
            f"Il gruppo {name} ha iniziato il {first_on:%d/%m/%Y} senza un incontro "
            "informativo svolto prima del primo incontro",
            "group",
            group_id,
        )
        for group_id, name, first_on in rows
    ]
