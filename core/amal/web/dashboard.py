"""The territory dashboard: what needs doing today."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, g, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from amal import access
from amal.access import Permission, requires
from amal.audit.services import record_read
from amal.db import get_session
from amal.groups.models import GroupStatus
from amal.meetings.alerts import absence_streaks, absence_threshold
from amal.meetings.models import Meeting, MeetingStatus
from amal.outcomes.services import FollowUpsOverview, follow_ups_overview
from amal.participants.models import ParticipantStatus
from amal.referrals.models import Referral, ReferralStatus
from amal.reports.indicators import Window
from amal.reports.periods import Period
from amal.reports.rules import check_rules, pick_rules
from amal.runtime import state
from amal.web.context import request_context
from amal.web.setup import territory_blueprint

bp = territory_blueprint("dashboard", __name__)


@bp.get("/")
@requires(Permission.VIEW_DASHBOARD)
def show():
    session = get_session()
    today = date.today()
    people = access.participants().subquery()
    by_status = dict(
        session.execute(select(people.c.status, func.count()).group_by(people.c.status)).all()
    )
    groups = access.groups().subquery()
    groups_by_status = dict(
        session.execute(select(groups.c.status, func.count()).group_by(groups.c.status)).all()
    )
    next_meetings = session.scalars(
        access.meetings()
        .where(
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.scheduled_on.between(today, today + timedelta(days=14)),
        )
        .order_by(Meeting.scheduled_on)
        .limit(10)
        # The group's name in the same query: not one more per meeting.
        .options(joinedload(Meeting.group))
    ).all()
    pending_referrals = session.scalar(
        select(func.count()).select_from(
            access.referrals()
            .where(Referral.status.in_([ReferralStatus.PROPOSED, ReferralStatus.SENT]))
            .subquery()
        )
    )
    ctx = request_context()
    due = FollowUpsOverview(0, [], [])
    if access.can(Permission.VIEW_PARTICIPANTS):
        due = follow_ups_overview(ctx, g.territory, access.participants(), today=today)
        # The list names people: one audit entry for the page, naming those shown.
        record_read(
            ctx,
            "follow_up_list",
            [d.participant.id for d in due.first],
            territory_code=g.territory,
            total=due.total,
        )
    absences = []
    if access.can(Permission.VIEW_PARTICIPANTS):
        threshold = absence_threshold(ctx, g.territory)
        absences = absence_streaks(ctx, g.territory, access.participants(), threshold=threshold)
        record_read(
            ctx,
            "absence_alert",
            [s.participant.id for s in absences],
            territory_code=g.territory,
            threshold=threshold,
        )
    violations = []
    if access.can(Permission.RUN_REPORTS):
        year = Period(date(today.year, 1, 1), today, str(today.year))
        checks = pick_rules(state(current_app).plugins, g.territory)
        violations = check_rules(Window(session, g.territory, year, today), checks)
    return render_template(
        "dashboard/show.html",
        to_screen=by_status.get(ParticipantStatus.CANDIDATE, 0),
        waitlisted=by_status.get(ParticipantStatus.WAITLISTED, 0),
        forming=groups_by_status.get(GroupStatus.FORMING, 0),
        active=groups_by_status.get(GroupStatus.ACTIVE, 0),
        next_meetings=next_meetings,
        pending_referrals=pending_referrals,
        violations=violations,
        follow_ups=due.first,
        follow_ups_total=due.total,
        follow_ups_per_week=due.per_week,
        absences=absences,
        this_week=today - timedelta(days=today.weekday()),
    )
