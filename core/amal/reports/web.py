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
from amal.db import get_session
from amal.errors import DomainError
from amal.meetings.models import Meeting
from amal.reports.engine import definitions, from_data, resolve, run_report, start_run
from amal.reports.jobs import request_run, resume_if_stale, wait_for
from amal.reports.models import ReportRun
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
WAIT_SECONDS = 3  # a run taking longer shows its progress, the page reloading itself
RULE_LINKS = {
    "meeting": ("groups.meeting", "meeting_id"),
    "participant": ("participants.show", "participant_id"),
    "group": ("groups.show", "group_id"),
}


def fix_link(violation, *, external: bool = False) -> str | None:
    """Where the coordinator fixes a violation (a full address for files)."""
    endpoint, argument = RULE_LINKS.get(violation.entity, (None, None))
    if endpoint is None:
        return None
    return url_for(endpoint, _external=external, **{argument: violation.entity_id})


def file_link(violation) -> str | None:
    return fix_link(violation, external=True)


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
    run = None
    if period and live and error is None:
        try:
            resolve(ctx, g.territory, code, period, date.today())
            run = _run_for(ctx, code, period)
            if run.status == "done":
                result = from_data(ctx.plugins, run.result or {}, run.as_of)
            elif run.status == "failed":
                error = run.error
            if result is not None and submission is not None:
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
        run=run,
        fix_link=fix_link,
        registers_allowed=personal,
    )


def _run_for(ctx, code: str, period: str) -> ReportRun:
    """The run the page shows: the one named in the address (the page reloading
    while it is computed), else a new one, waited for a moment so that a short
    report shows at once."""
    wanted = request.args.get("run", type=int)
    if wanted is not None:
        run = ctx.session.get(ReportRun, wanted)
        if run is None or run.territory_code != g.territory or run.report_code != code:
            abort(404)
        resume_if_stale(current_app, run)
        return run
    run = request_run(current_app, ctx, g.territory, code, period)
    return wait_for(current_app, ctx, run, WAIT_SECONDS)


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
        submission = submit_run(ctx, g.territory, run.id, justifications, link_of=file_link)
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
    """A run's figures as a file (the coordinator's working copy); without a
    run, the figures computed now."""
    if fmt not in MIME or code not in definitions(state(current_app).plugins, g.territory):
        abort(404)
    if fmt == "pdf" and not access.can(Permission.DOWNLOAD_REGISTERS):
        abort(403)  # registers carry names: not for aggregate-only roles
    ctx = request_context()
    run_id = request.args.get("run", type=int)
    try:
        if run_id is None:
            result = run_report(ctx, g.territory, code, request.args.get("period", ""))
        else:  # the figures of the run the page showed
            run = ctx.session.get(ReportRun, run_id)
            if run is None or run.territory_code != g.territory or run.report_code != code:
                abort(404)
            if run.status != "done":
                raise DomainError("run_failed", run.error or "The run is not finished")
            result = from_data(ctx.plugins, run.result or {}, run.as_of)
        content = export_report(ctx, result, fmt, file_link)
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


@bp.get("/meetings/<id:meeting_id>/sign-in.pdf")
@requires(Permission.RECORD_ATTENDANCE)
def sign_in(meeting_id: int):
    """The blank sign-in sheet of a meeting, printed before it (from the meeting page)."""
    meeting = access.get_visible(get_session(), Meeting, meeting_id)
    from amal.reports.registers import sign_in_sheet  # fpdf, when a sheet is asked for

    content = sign_in_sheet(request_context(), meeting)
    return Response(
        content,
        content_type=MIME["pdf"],
        headers={
            "Content-Disposition": (
                f"attachment; filename=foglio-firme-{meeting.scheduled_on:%Y-%m-%d}.pdf"
            )
        },
    )
