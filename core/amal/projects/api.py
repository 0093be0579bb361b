"""Projects in the API: list, read with progress figures, and update (coordinators)."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from flask.views import MethodView
from marshmallow import fields, validate

from amal.access import Permission, requires
from amal.api import api_blueprint
from amal.api.schemas import StrictSchema
from amal.errors import DomainError
from amal.projects.services import project_of, territory_projects, update_project
from amal.web.context import request_context

bp = api_blueprint("api_projects", __name__, "/projects", "Projects: dates, funders, targets")


class TargetSchema(StrictSchema):
    code = fields.Str(required=True)
    label = fields.Str(dump_only=True)
    value = fields.Int(required=True, validate=validate.Range(min=0))
    meeting_kind = fields.Str(dump_only=True, allow_none=True)


class FunderSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)


class ProjectSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    code = fields.Str(dump_only=True)
    title = fields.Str(validate=validate.Length(1, 200))
    description = fields.Str()
    start_on = fields.Date()
    end_on = fields.Date()
    funders = fields.List(fields.Nested(FunderSchema), dump_only=True)
    funder_ids = fields.List(fields.Int(), load_only=True)
    target_groups = fields.Int(validate=validate.Range(min=0))
    min_people_per_group = fields.Int(validate=validate.Range(min=1))
    max_people_per_group = fields.Int(validate=validate.Range(min=1))
    meetings_per_group = fields.Int(validate=validate.Range(min=0))
    cycle_months = fields.Int(validate=validate.Range(min=0))
    people_reached = fields.Int(validate=validate.Range(min=0))
    extra_targets = fields.List(fields.Nested(TargetSchema))


class ProjectUpdateSchema(ProjectSchema):
    """The fields a PATCH may change (all optional)."""


def _project(project_id: int):
    try:
        return project_of(request_context(), g.territory, project_id)
    except DomainError:
        abort(404)


@bp.route("/")
class Projects(MethodView):
    @requires(Permission.MANAGE_GROUPS)
    @bp.response(200, ProjectSchema(many=True))
    def get(self):
        return territory_projects(request_context().session, g.territory)


@bp.route("/<id:project_id>")
class ProjectResource(MethodView):
    @requires(Permission.MANAGE_GROUPS)
    @bp.etag
    @bp.response(200, ProjectSchema)
    def get(self, project_id: int):
        return _project(project_id)

    @requires(Permission.MANAGE_PROJECTS)
    @bp.etag
    @bp.arguments(ProjectUpdateSchema(partial=True))
    @bp.response(200, ProjectSchema)
    def patch(self, data: dict[str, Any], project_id: int):
        """Change dates, funders (partner ids of the territory) and targets. Send
        the ETag of your copy in If-Match: a stale copy gets 412."""
        project = _project(project_id)
        bp.check_etag(project, ProjectSchema)
        funder_ids = data.pop("funder_ids", None)
        extra = data.pop("extra_targets", None)
        return update_project(
            request_context(),
            g.territory,
            project.id,
            funder_ids=funder_ids,
            extra_targets=extra,
            **data,
        )
