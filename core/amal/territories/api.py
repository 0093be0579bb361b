"""The territory's partners and its catalogue of employment services."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g
from flask.views import MethodView
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from amal.access import Permission, requires
from amal.api import api_blueprint
from amal.api.schemas import StrictSchema
from amal.errors import NotFound
from amal.plugins.definitions import PartnerRole
from amal.runtime import state
from amal.territories.models import Partner
from amal.territories.services import (
    add_partner,
    add_representative,
    partner_in,
    remove_representative,
    update_partner,
)
from amal.web.context import request_context

bp = api_blueprint("api_territory", __name__, "", "The territory's partners and services")


class RepresentativeSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(1, 200))
    position = fields.Str(load_default="", validate=validate.Length(max=200))
    email = fields.Str(load_default="", validate=validate.Length(max=254))
    phone = fields.Str(load_default="", validate=validate.Length(max=40))


class PartnerSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(1, 200))
    role = fields.Enum(PartnerRole, by_value=True, required=True)
    description = fields.Str(load_default="")
    website = fields.Str(load_default="", validate=validate.Length(max=500))
    email = fields.Str(load_default="", validate=validate.Length(max=254))
    phone = fields.Str(load_default="", validate=validate.Length(max=40))
    address = fields.Str(load_default="", validate=validate.Length(max=300))
    services_offered = fields.Str(load_default="")
    representatives = fields.List(fields.Nested(RepresentativeSchema), dump_only=True)
    updated_by = fields.Str(dump_only=True)


class PartnerUpdateSchema(PartnerSchema):
    """Only the fields given change (loaded with ``partial=True``)."""


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


def _partner(partner_id: int) -> Partner:
    try:
        return partner_in(request_context(), g.territory, partner_id)
    except NotFound:
        abort(404)


@bp.route("/partners")
class Partners(MethodView):
    @requires(Permission.VIEW_REPORTS)
    @bp.response(200, PartnerSchema(many=True))
    def get(self):
        """The partners directory, with each partner's representatives."""
        return request_context().session.scalars(
            select(Partner)
            .where(Partner.territory_code == g.territory)
            .options(selectinload(Partner.representatives))
            .order_by(Partner.id)
        )

    @requires(Permission.MANAGE_TERRITORY)
    @bp.arguments(PartnerSchema)
    @bp.response(201, PartnerSchema)
    def post(self, data: dict[str, Any]):
        """Add a partner (409 duplicate_partner when the name is taken)."""
        return add_partner(request_context(), g.territory, **data)


@bp.route("/partners/<id:partner_id>")
class PartnerResource(MethodView):
    @requires(Permission.VIEW_REPORTS)
    @bp.response(200, PartnerSchema)
    def get(self, partner_id: int):
        return _partner(partner_id)

    @requires(Permission.MANAGE_TERRITORY)
    @bp.arguments(PartnerUpdateSchema(partial=True))
    @bp.response(200, PartnerSchema)
    def patch(self, data: dict[str, Any], partner_id: int):
        """Correct a partner: the fields given change, the others stay."""
        return update_partner(request_context(), g.territory, _partner(partner_id).id, **data)


@bp.route("/partners/<id:partner_id>/representatives")
class Representatives(MethodView):
    @requires(Permission.MANAGE_TERRITORY)
    @bp.arguments(RepresentativeSchema)
    @bp.response(201, RepresentativeSchema)
    def post(self, data: dict[str, Any], partner_id: int):
        """Add a person who speaks for the partner."""
        return add_representative(request_context(), g.territory, _partner(partner_id).id, **data)


@bp.route("/partners/<id:partner_id>/representatives/<id:person_id>")
class Representative(MethodView):
    @requires(Permission.MANAGE_TERRITORY)
    @bp.response(204)
    def delete(self, partner_id: int, person_id: int):
        """Remove a representative from the partner."""
        try:
            remove_representative(
                request_context(), g.territory, _partner(partner_id).id, person_id
            )
        except NotFound:
            abort(404)


@bp.route("/services")
class Services(MethodView):
    @requires(Permission.MANAGE_REFERRALS)
    @bp.response(200, ServiceSchema(many=True))
    def get(self):
        """The Dote Lavoro / GOL services participants can be referred to."""
        return state(current_app).plugins.service_catalogue(g.territory)
