"""The loaded plugins, read-only (what ``amal plugins`` shows)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from amal.api import authenticate
from amal.api.problems import PREFIX
from amal.api.schemas import StrictSchema
from amal.runtime import state

bp = Blueprint(
    "api_plugins",
    __name__,
    url_prefix=f"{PREFIX}/plugins",
    description="Plugins loaded by this instance",
)
bp.before_request(authenticate)


class PluginSchema(StrictSchema):
    name = fields.Str(dump_only=True)
    version = fields.Str(dump_only=True)
    distribution = fields.Str(dump_only=True)
    hooks = fields.List(fields.Str(), dump_only=True)


@bp.route("/")
class Plugins(MethodView):
    @bp.response(200, PluginSchema(many=True))
    def get(self):
        return state(current_app).plugins.describe()
