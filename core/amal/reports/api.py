"""Report runs in the API: ask for one for a period (202, computed in the
background), read its status, progress and figures, download its files."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, g, url_for
from flask.views import MethodView
from marshmallow import fields, validate
from sqlalchemy import select

from amal import access
from amal.access import Permission, requires
from amal.api import api_blueprint
from amal.api.schemas import StrictSchema
from amal.errors import DomainError
from amal.reports.engine import definitions, from_data
from amal.reports.jobs import request_run
from amal.reports.models import ReportRun, ReportSubmission
from amal.reports.outputs import export_report
from amal.reports.submissions import (
    changes_since,
    download_file,
    get_submission,
    submissions,
    submit_run,
)
from amal.reports.web import file_link
from amal.runtime import state
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
    status = fields.Str(
        dump_only=True,
        metadata={"description": "queued, running, done or failed (then see error)"},
    )
    progress = fields.Int(dump_only=True, metadata={"description": "percent computed"})
    error = fields.Str(dump_only=True)
    result = fields.Dict(dump_only=True, allow_none=True)
    as_of = fields.Date(
        dump_only=True, allow_none=True, metadata={"description": "the day computed for"}
    )
    attempts = fields.Int(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)


@bp.route("/")
class Definitions(MethodView):
    @requires(Permission.VIEW_REPORTS)
    @bp.response(200, DefinitionSchema(many=True))
    def get(self):
        return list(definitions(state(current_app).plugins, g.territory).values())


@bp.route("/<code>/runs")
class Runs(MethodView):
    @requires(Permission.RUN_REPORTS)
    @bp.arguments(RunRequestSchema)
    @bp.response(202, RunSchema, headers={"Location": {"schema": {"type": "string"}}})
    def post(self, data: dict[str, Any], code: str):
        """Ask for a run: it is queued and computed in the background. Follow
        ``Location`` (the run) until its status is done (figures in ``result``)
        or failed (the reason in ``error``, e.g. a period written in the wrong
        form). The same run is returned while one asked by the same user for
        the same period is still queued or running."""
        run = request_run(current_app, request_context(), g.territory, code, data["period"])
        location = url_for("api_reports.RunResource", territory=g.territory, run_id=run.id)
        return run, 202, {"Location": location}


class JustificationSchema(StrictSchema):
    key = fields.Str(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "The violation's key, as in the run's violations"},
    )
    text = fields.Str(required=True, validate=validate.Length(1, 2000))


class SubmitSchema(StrictSchema):
    justifications = fields.List(fields.Nested(JustificationSchema), load_default=list)


class SubmittedFileSchema(StrictSchema):
    format = fields.Str(dump_only=True)
    sha256 = fields.Str(dump_only=True)


class ChangeSchema(StrictSchema):
    table = fields.Str(dump_only=True)
    row = fields.Str(dump_only=True)
    column = fields.Str(dump_only=True)
    submitted = fields.Raw(dump_only=True, allow_none=True)
    current = fields.Raw(dump_only=True, allow_none=True)


class SubmissionSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    run_id = fields.Int(dump_only=True)
    report_code = fields.Str(dump_only=True)
    period = fields.Str(dump_only=True)
    period_start = fields.Date(dump_only=True)
    period_end = fields.Date(dump_only=True)
    result = fields.Dict(dump_only=True, metadata={"description": "The figures as submitted"})
    sha256 = fields.Str(dump_only=True)
    submitted_by = fields.Str(dump_only=True)
    submitted_at = fields.DateTime(dump_only=True)
    files = fields.List(fields.Nested(SubmittedFileSchema), dump_only=True)


class SubmissionDetailSchema(SubmissionSchema):
    violations = fields.List(
        fields.Dict(),
        dump_only=True,
        metadata={"description": "Violations sent, with their justification (coordinators)"},
    )
    changes_since_submission = fields.List(
        fields.Nested(ChangeSchema),
        dump_only=True,
        metadata={"description": "Figures that differ today (coordinators only)"},
    )


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
    def get(self, run_id: int):
        return _run(run_id)


@bp.route("/runs/<id:run_id>/<any(csv, xlsx, pdf):fmt>")
class RunDownload(MethodView):
    @requires(Permission.RUN_REPORTS)
    @bp.response(
        200,
        content_type="application/octet-stream",
        description="The file (csv, xlsx, or pdf attendance registers)",
    )
    def get(self, run_id: int, fmt: str):
        run = _run(run_id)
        if run.status == "failed":
            abort(409, f"The run failed: {run.error}")
        if run.status != "done":
            abort(409, "The run is not finished yet: see its status")
        if fmt == "pdf" and not access.can(Permission.DOWNLOAD_REGISTERS):
            abort(403, "Attendance registers carry names: not for this role")
        ctx = request_context()
        content = export_report(
            ctx, from_data(ctx.plugins, run.result or {}, run.as_of), fmt, file_link
        )
        return Response(
            content,
            content_type=MIME[fmt],  # already carries the charset where one applies
            headers={
                "Content-Disposition": f"attachment; filename={run.report_code}-{run.id}.{fmt}"
            },
        )


@bp.route("/runs/<id:run_id>/submission")
class RunSubmission(MethodView):
    @requires(Permission.SUBMIT_REPORTS)
    @bp.arguments(SubmitSchema)
    @bp.response(201, SubmissionSchema)
    def post(self, data: dict[str, Any], run_id: int):
        """Submit a run to the funder. 409 ``blocking_violations`` while a blocking
        violation has no justification (its keys in ``violations``); 409
        ``run_outdated`` when the data changed after the run."""
        run = _run(run_id)
        texts = {j["key"]: j["text"] for j in data["justifications"]}
        return submit_run(request_context(), g.territory, run.id, texts, link_of=file_link)


@bp.route("/submissions/")
class Submissions(MethodView):
    @requires(Permission.VIEW_REPORTS)
    @bp.response(200, SubmissionSchema(many=True))
    def get(self):
        """The current submission of every report and period (what the funder sees)."""
        return submissions(request_context(), g.territory)


def _submission(submission_id: int) -> ReportSubmission:
    try:
        return get_submission(request_context(), g.territory, submission_id)
    except DomainError:
        abort(404)


@bp.route("/submissions/<id:submission_id>")
class SubmissionResource(MethodView):
    @requires(Permission.VIEW_REPORTS)
    @bp.response(200, SubmissionDetailSchema)
    def get(self, submission_id: int):
        """A submission; coordinators also get its justifications and the figures
        changed since it was sent."""
        submission = _submission(submission_id)
        data = {name: getattr(submission, name) for name in SubmissionSchema().fields}
        if not access.can(Permission.RUN_REPORTS):
            return data  # funders: the figures as sent, no violations, no live data
        data["violations"] = submission.violations
        data["changes_since_submission"] = [
            vars(c) for c in changes_since(request_context(), submission)
        ]
        return data


@bp.route("/submissions/<id:submission_id>/<any(csv, xlsx, pdf):fmt>")
class SubmissionDownload(MethodView):
    @requires(Permission.VIEW_REPORTS)
    @bp.response(200, content_type="application/octet-stream", description="The file as submitted")
    def get(self, submission_id: int, fmt: str):
        submission = _submission(submission_id)
        if fmt == "pdf" and not access.can(Permission.DOWNLOAD_REGISTERS):
            abort(403, "Attendance registers carry names: not for this role")
        try:
            item = download_file(request_context(), submission, fmt)
        except DomainError:
            abort(404)
        return Response(
            item.content,
            mimetype=MIME[fmt],
            headers={
                "Content-Disposition": (
                    f"attachment; filename={submission.report_code}-inviato-{submission.id}.{fmt}"
                ),
                "X-Content-SHA256": item.sha256,
            },
        )
