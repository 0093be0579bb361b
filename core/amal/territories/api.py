"""The territory's partners and its catalogue of employment services."""

from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from marshmallow import fields
from sqlalchemy import select

from amal.access import Permission, requires
from amal.api import api_blueprint
from amal.api.schemas import StrictSchema
from amal.plugins.definitions import PartnerRole
from amal.runtime import state
from amal.territories.models import Partner
from amal.web.context import request_context

bp = api_blueprint("api_territory", __name__, "", "The territory's partners and services")


class PartnerSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)
    role = fields.Enum(PartnerRole, by_value=True, dump_only=True)
    description = fields.Str(dump_only=True)
    website = fields.Str(dump_only=True)
    email = fields.Str(dump_only=True)
    phone = fields.Str(dump_only=True)
    address = fields.Str(dump_only=True)
    services_offered = fields.Str(dump_only=True)


class ServiceSchema(StrictSchema):
    code = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)
    programme = fields.Str(dump_only=True)
    url = fields.Str(dump_only=True)
    description = fields.Str(dump_only=True)
    operator = fields.Str(dump_only=True)
    url_kind = fields.Str(
        dump_only=True,
        metadata={
            "description": "What url points to: service (its own page), programme (the "
            "programme's regional page), operator_programme (the operator's page for the "
            "programme), operator (only the operator's site), none (no page found, url empty)"
        },
    )
    url_verified = fields.Bool(dump_only=True)
    operator_url = fields.Str(dump_only=True)
    url_source = fields.Str(dump_only=True, metadata={"description": "Where the address came from"})


@bp.route("/partners")
class Partners(MethodView):
    @requires(Permission.VIEW_REPORTS)
    @bp.response(200, PartnerSchema(many=True))
    def get(self):
        return request_context().session.scalars(
            select(Partner).where(Partner.territory_code == g.territory).order_by(Partner.id)
        )


@bp.route("/services")
class Services(MethodView):
    @requires(Permission.MANAGE_REFERRALS)
    @bp.response(200, ServiceSchema(many=True))
    def get(self):
        """The Dote Lavoro / GOL services participants can be referred to."""
        return state(current_app).plugins.service_catalogue(g.territory)
