"""The territory's referrals: what is pending with which operator, and for how
long, with the days each referral spent in each state."""

from __future__ import annotations

from datetime import date

from flask import g, render_template, request
from sqlalchemy.orm import joinedload

from amal import access
from amal.access import Permission, requires
from amal.audit.services import record_read
from amal.referrals.models import Referral, ReferralStatus
from amal.referrals.services import entered_on, time_in_states, waiting_days
from amal.web.context import request_context
from amal.web.labels import choices
from amal.web.setup import territory_blueprint

bp = territory_blueprint("referrals", __name__, "/referrals")
LIMIT = 500


@bp.get("/")
@requires(Permission.MANAGE_REFERRALS)
def index():
    ctx = request_context()
    today = date.today()
    status = request.args.get("status", "")
    service = request.args.get("service", "")
    operator = request.args.get("operator", "")
    waiting = request.args.get("waiting", type=int)
    query = access.referrals()
    if status in {s.value for s in ReferralStatus}:
        query = query.where(Referral.status == ReferralStatus(status))
    if service:
        query = query.where(Referral.service_code == service)
    if operator:
        query = query.where(Referral.operator == operator)
    rows = ctx.session.scalars(
        query.options(joinedload(Referral.participant))
        .order_by(Referral.proposed_on, Referral.id)
        .limit(LIMIT)
    ).all()
    if waiting is not None:
        # Days in the current state come from the step dates, so this filter runs here.
        rows = [r for r in rows if (days := waiting_days(r, today)) is not None and days > waiting]
    catalogue = ctx.plugins.service_catalogue(g.territory)
    record_read(
        ctx,
        "referral_list",
        {r.participant_id for r in rows},
        territory_code=g.territory,
        query={"status": status, "service": service, "operator": operator, "waiting": waiting},
    )
    return render_template(
        "referrals/index.html",
        rows=[
            (r, waiting_days(r, today), time_in_states(r, today), entered_on(r, r.status))
            for r in rows
        ],
        statuses=choices(ReferralStatus),
        services=catalogue,
        catalogue={s.code: s for s in catalogue},
        operators=sorted({s.operator for s in catalogue if s.operator}),
        status=status,
        service=service,
        operator=operator,
        waiting=waiting,
        limit=LIMIT,
    )
