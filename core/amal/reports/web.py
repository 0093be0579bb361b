"""Report pages: the territory's funder reports, their figures and rule
violations for a period, submission to the funder, and the files to download.
Funder viewers see only submitted runs, never live figures or violations."""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import date

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from amal import access
from amal.access import Permission, requires
from amal.errors import DomainError
from amal.reports.engine import definitions, run_report, start_run
from amal.reports.outputs import export_report
from amal.reports.periods import parse_period, recent_periods
from amal.reports.submissions import (
    changes_since,
    download_file,
    get_submission,
    submission_for,
    submissions,
    submit_run,
)
from amal.runtime import state
from amal.web.context import request_context
from amal.web.errors import domain_message
from amal.web.setup import territory_blueprint

bp = territory_blueprint("reports", __name__, "/reports")
MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
RULE_LINKS = {
    "meeting": ("groups.meeting", "meeting_id"),
    "participant": ("participants.show", "participant_id"),
    "group": ("groups.show", "group_id"),
}


def fix_link(violation) -> str | None:
    """Where the coordinator fixes a violation."""
    endpoint, argument = RULE_LINKS.get(violation.entity, (None, None))
    return url_for(endpoint, **{argument: violation.entity_id}) if endpoint else None


@bp.get("/")
@requires(Permission.VIEW_REPORTS)
def index():
    reports = definitions(state(current_app).plugins, g.territory)
    sent = submissions(request_context(), g.territory)
    return render_template(
        "reports/index.html", reports=reports.values(), titles=reports, submissions=sent
    )


def _show(code: str, *, justifications: dict[str, str] | None = None, submit_error: str = ""):
    available = definitions(state(current_app).plugins, g.territory)
    if code not in available:
        abort(404)
    ctx = request_context()
    period = request.values.get("period", "").strip()
    live = access.can(Permission.RUN_REPORTS)
    result, error, changes = None, None, None
    submission = None
    if period:
        try:
            submission = submission_for(ctx, g.territory, code, period)
        except DomainError as exc:
            error = domain_message(exc)
    if period and live and error is None:
        try:
            result = run_report(ctx, g.territory, code, period)
            if submission is not None:
                changes = changes_since(ctx, submission)
        except DomainError as exc:
            error = domain_message(exc)
    if justifications is None and submission is not None:
        # a re-submission starts from the justifications already sent
        justifications = {v["key"]: v["justification"] for v in submission.violations}
    personal = access.can(Permission.DOWNLOAD_REGISTERS) and access.can(Permission.VIEW_GROUPS)
    definition = available[code]
    # Quarters and semesters are chosen from a list (what the funder expects,
    # never mistyped); a period asked for by URL stays selectable.
    choices = recent_periods(definition.period_kind, date.today())
    if period and choices and period.upper() not in {value for value, _p in choices}:
        # A period that does not parse gets no option: the error below says why.
        with suppress(DomainError):
            choices.insert(0, (period, parse_period(period, definition.period_kind)))
    return render_template(
        "reports/show.html",
        definition=definition,
        period=period,
        period_choices=choices,
        result=result,
        error=error,
        live=live,
        submission=submission,
        changes=changes,
        justifications=justifications or {},
        submit_error=submit_error,
        fix_link=fix_link,
        registers_allowed=personal,
    )


@bp.get("/<code>")
@requires(Permission.VIEW_REPORTS)
def show(code: str):
    return _show(code)


@bp.post("/<code>/submit")
@requires(Permission.SUBMIT_REPORTS)
def submit(code: str):
    """Run the report now and submit that run, with the justifications typed in."""
    if code not in definitions(state(current_app).plugins, g.territory):
        abort(404)
    period = request.form.get("period", "").strip()
    justifications = {
        key.removeprefix("justification-"): value
        for key, value in request.form.items()
        if key.startswith("justification-")
    }
    ctx = request_context()
    try:
        run = start_run(ctx, g.territory, code, period)
        if run.status != "done":
            raise DomainError("run_failed", run.error)
        submission = submit_run(ctx, g.territory, run.id, justifications)
    except DomainError as exc:
        return _show(code, justifications=justifications, submit_error=domain_message(exc)), 400
    flash(
        _("Report submitted to the funder (SHA-256 %(hash)s).", hash=submission.sha256[:12]),
        "success",
    )
    return redirect(url_for("reports.show", code=code, period=period))


@bp.get("/<code>/download.<fmt>")
@requires(Permission.RUN_REPORTS)
def download(code: str, fmt: str):
    """The live figures as a file (the coordinator's working copy)."""
    if fmt not in MIME or code not in definitions(state(current_app).plugins, g.territory):
        abort(404)
    if fmt == "pdf" and not access.can(Permission.DOWNLOAD_REGISTERS):
        abort(403)  # registers carry names: not for aggregate-only roles
    ctx = request_context()
    try:
        result = run_report(ctx, g.territory, code, request.args.get("period", ""))
        content = export_report(ctx, result, fmt)
    except DomainError as exc:
        return render_template("error.html", status=400, message=domain_message(exc)), 400
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{g.territory}-{code}-{request.args['period']}")
    return Response(
        content,
        content_type=MIME[fmt],  # already carries the charset where one applies
        headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"},
    )


@bp.get("/submissions/<id:submission_id>/download.<fmt>")
@requires(Permission.VIEW_REPORTS)
def download_submitted(submission_id: int, fmt: str):
    """A submitted file exactly as it was sent (what the funder downloads)."""
    if fmt not in MIME:
        abort(404)
    if fmt == "pdf" and not access.can(Permission.DOWNLOAD_REGISTERS):
        abort(403)
    try:
        submission = get_submission(request_context(), g.territory, submission_id)
        item = download_file(request_context(), submission, fmt)
    except DomainError:
        abort(404)
    label = f"{g.territory}-{submission.report_code}-{submission.period}"
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", label)
    return Response(
        item.content,
        content_type=MIME[fmt],
        headers={
            "Content-Disposition": f"attachment; filename={name}-inviato.{fmt}",
            "X-Content-SHA256": item.sha256,
        },
    )
