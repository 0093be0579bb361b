"""Report runs in the API: start one for a period, read its status and figures,
download its files."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, g
from flask.views import MethodView
from marshmallow import fields, validate
from sqlalchemy import select

from amal import access
from amal.access import Permission, requires
from amal.api import api_blueprint
from amal.api.schemas import StrictSchema
from amal.app import state
from amal.reports.engine import definitions, run_report, start_run
from amal.reports.models import ReportRun
from amal.reports.outputs import export_report
from amal.web.context import request_context

bp = api_blueprint("api_reports", __name__, "/reports", "Funding reports and their runs")
MIME = {
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class DefinitionSchema(StrictSchema):
    code = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)
    funder = fields.Str(dump_only=True)
    period_kind = fields.Str(dump_only=True)
    indicators = fields.List(fields.Str(), dump_only=True)
    formats = fields.List(fields.Str(), dump_only=True)


class RunRequestSchema(StrictSchema):
    period = fields.Str(
        required=True, validate=validate.Length(1, 40), metadata={"example": "2026-Q1"}
    )


class RunSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    report_code = fields.Str(dump_only=True)
    period = fields.Str(dump_only=True)
    status = fields.Str(dump_only=True, metadata={"description": "done or failed"})
    error = fields.Str(dump_only=True)
    result = fields.Dict(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


@bp.route("/")
class Definitions(MethodView):
    @requires(Permission.RUN_REPORTS)
    @bp.response(200, DefinitionSchema(many=True))
    def get(self):  # type: ignore[no-untyped-def]
        return list(definitions(state(current_app).plugins, g.territory).values())


@bp.route("/<code>/runs")
class Runs(MethodView):
    @requires(Permission.RUN_REPORTS)
    @bp.arguments(RunRequestSchema)
    @bp.response(201, RunSchema)
    def post(self, data: dict[str, Any], code: str):  # type: ignore[no-untyped-def]
        """Start a run: it is computed at once and kept (status done, or failed
        with the reason, e.g. a period written in the wrong form)."""
        return start_run(request_context(), g.territory, code, data["period"])


def _run(run_id: int) -> ReportRun:
    run = request_context().session.scalar(
        select(ReportRun).where(ReportRun.id == run_id, ReportRun.territory_code == g.territory)
    )
    if run is None:
        abort(404)
    return run


@bp.route("/runs/<id:run_id>")
class RunResource(MethodView):
    @requires(Permission.RUN_REPORTS)
    @bp.response(200, RunSchema)
    def get(self, run_id: int):  # type: ignore[no-untyped-def]
        return _run(run_id)


@bp.route("/runs/<id:run_id>/<any(csv, xlsx, pdf):fmt>")
class RunDownload(MethodView):
    @requires(Permission.RUN_REPORTS)
    @bp.response(
        200,
        content_type="application/octet-stream",
        description="The file (csv, xlsx, or pdf attendance registers)",
    )
    def get(self, run_id: int, fmt: str):  # type: ignore[no-untyped-def]
        run = _run(run_id)
        if run.status != "done":
            abort(409, f"The run failed: {run.error}")
        if fmt == "pdf" and not access.can(Permission.DOWNLOAD_REGISTERS):
            abort(403, "Attendance registers carry names: not for this role")
        ctx = request_context()
        result = run_report(ctx, g.territory, run.report_code, run.period)
        content = export_report(ctx, result, fmt)
        return Response(
            content,
            mimetype=MIME[fmt],
            headers={
                "Content-Disposition": f"attachment; filename={run.report_code}-{run.id}.{fmt}"
            },
        )
