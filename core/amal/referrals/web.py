"""The territory's referrals: what is pending with which operator, and for how
long, with the days each referral spent in each state."""

from __future__ import annotations

from flask import g, render_template, request

from amal import access
from amal.access import Permission, requires
from amal.audit.services import record_read
from amal.referrals.models import ReferralStatus
from amal.referrals.services import OVERVIEW_LIMIT, ReferralFilters, referral_overview
from amal.web.context import request_context
from amal.web.labels import choices
from amal.web.setup import territory_blueprint

bp = territory_blueprint("referrals", __name__, "/referrals")


@bp.get("/")
@requires(Permission.MANAGE_REFERRALS)
def index():
    ctx = request_context()
    status = request.args.get("status", "")
    waiting = request.args.get("waiting", type=int)
    filters = ReferralFilters(
        status=ReferralStatus(status) if status in {s.value for s in ReferralStatus} else None,
        service=request.args.get("service", ""),
        operator=request.args.get("operator", ""),
        waiting_more_than=waiting if waiting is None or waiting >= 0 else None,
    )
    lines = referral_overview(ctx, access.referrals(), filters)
    catalogue = ctx.plugins.service_catalogue(g.territory)
    record_read(
        ctx,
        "referral_list",
        {line.referral.participant_id for line in lines},
        territory_code=g.territory,
        query=filters.describe(),
    )
    return render_template(
        "referrals/index.html",
        rows=[(x.referral, x.waiting_days, x.time_in_states, x.since) for x in lines],
        statuses=choices(ReferralStatus),
        services=catalogue,
        catalogue={s.code: s for s in catalogue},
        operators=sorted({s.operator for s in catalogue if s.operator}),
        status=filters.status.value if filters.status else "",
        service=filters.service,
        operator=filters.operator,
        waiting=filters.waiting_more_than,
        limit=OVERVIEW_LIMIT,
    )
