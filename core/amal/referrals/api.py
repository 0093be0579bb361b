"""The territory's referrals in the API: what is pending with which operator,
for how long, and the days each referral spent in each state."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import fields, validate
from sqlalchemy import func, select

from amal import access
from amal.access import Permission, requires
from amal.api import api_blueprint
from amal.api.schemas import StrictSchema
from amal.audit.services import record_read
from amal.referrals.models import ReferralStatus
from amal.referrals.services import (
    ReferralFilters,
    ReferralLine,
    overview_query,
    referral_overview,
)
from amal.web.context import request_context

bp = api_blueprint(
    "api_referrals",
    __name__,
    "/referrals",
    "Referrals of the territory: pending, with whom, how long",
)


class ReferralQuerySchema(StrictSchema):
    status = fields.Enum(ReferralStatus, by_value=True, load_default=None)
    service = fields.Str(load_default="", metadata={"description": "A catalogue service code"})
    operator = fields.Str(load_default="", metadata={"description": "The operator's name"})
    waiting_more_than = fields.Int(
        load_default=None,
        validate=validate.Range(min=0),
        metadata={"description": "Open referrals in their current state for more than N days"},
    )


class StateSpanSchema(StrictSchema):
    status = fields.Enum(ReferralStatus, by_value=True)
    days = fields.Int()


class ReferralLineSchema(StrictSchema):
    id = fields.Int()
    participant_id = fields.Int()
    participant_name = fields.Str()
    service_code = fields.Str()
    service_title = fields.Str()
    service_url = fields.Str()
    operator = fields.Str()
    status = fields.Enum(ReferralStatus, by_value=True)
    proposed_on = fields.Date()
    sent_on = fields.Date(allow_none=True)
    accepted_on = fields.Date(allow_none=True)
    started_on = fields.Date(allow_none=True)
    completed_on = fields.Date(allow_none=True)
    declined_on = fields.Date(allow_none=True)
    since = fields.Date(
        allow_none=True, metadata={"description": "The day it entered its current state"}
    )
    waiting_days = fields.Int(
        allow_none=True, metadata={"description": "Days in the current state (open referrals)"}
    )
    time_in_states = fields.List(
        fields.Nested(StateSpanSchema),
        metadata={"description": "Days spent in each state it went through, in order"},
    )


def _dump(line: ReferralLine) -> dict[str, Any]:
    r = line.referral
    return {
        **{
            name: getattr(r, name)
            for name in (
                "id",
                "participant_id",
                "service_code",
                "service_title",
                "service_url",
                "operator",
                "status",
                "proposed_on",
                "sent_on",
                "accepted_on",
                "started_on",
                "completed_on",
                "declined_on",
            )
        },
        "participant_name": r.participant.full_name,
        "since": line.since,
        "waiting_days": line.waiting_days,
        "time_in_states": [{"status": s, "days": d} for s, d in line.time_in_states],
    }


@bp.route("/")
class Referrals(MethodView):
    @requires(Permission.MANAGE_REFERRALS)
    @bp.arguments(ReferralQuerySchema, location="query")
    @bp.response(200, ReferralLineSchema(many=True))
    @bp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters):
        """The territory's referrals, oldest proposal first, filtered by status,
        service, operator or waiting longer than N days in the current state,
        with the days spent in each state. Audited: one entry naming the people."""
        ctx = request_context()
        today = date.today()
        filters = ReferralFilters(
            status=query["status"],
            service=query["service"],
            operator=query["operator"],
            waiting_more_than=query["waiting_more_than"],
        )
        scope = access.referrals()
        pagination_parameters.item_count = ctx.session.scalar(
            select(func.count()).select_from(overview_query(scope, filters, today).subquery())
        )
        lines = referral_overview(
            ctx,
            scope,
            filters,
            today=today,
            limit=pagination_parameters.page_size,
            offset=pagination_parameters.first_item,
        )
        record_read(
            ctx,
            "referral_list",
            [line.referral.participant_id for line in lines],
            territory_code=g.territory,
            query=filters.describe(),
        )
        return [_dump(line) for line in lines]
