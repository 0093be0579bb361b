"""Report pages: the territory's funder reports, their figures and rule
violations for a period, and the files to download."""

from __future__ import annotations

import re

from flask import Response, abort, current_app, g, render_template, request, url_for

from amal import access
from amal.access import Permission, requires
from amal.app import state
from amal.errors import DomainError
from amal.reports.engine import definitions, run_report
from amal.reports.outputs import export_report
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


def fix_link(violation) -> str | None:  # type: ignore[no-untyped-def]
    """Where the coordinator fixes a violation."""
    endpoint, argument = RULE_LINKS.get(violation.entity, (None, None))
    return url_for(endpoint, **{argument: violation.entity_id}) if endpoint else None


@bp.get("/")
@requires(Permission.RUN_REPORTS)
def index():  # type: ignore[no-untyped-def]
    reports = definitions(state(current_app).plugins, g.territory).values()
    return render_template("reports/index.html", reports=reports)


@bp.get("/<code>")
@requires(Permission.RUN_REPORTS)
def show(code: str):  # type: ignore[no-untyped-def]
    available = definitions(state(current_app).plugins, g.territory)
    if code not in available:
        abort(404)
    period = request.args.get("period", "").strip()
    result, error = None, None
    if period:
        try:
            result = run_report(request_context(), g.territory, code, period)
        except DomainError as exc:
            error = domain_message(exc)
    personal = access.can(Permission.DOWNLOAD_REGISTERS) and access.can(Permission.VIEW_GROUPS)
    return render_template(
        "reports/show.html",
        definition=available[code],
        period=period,
        result=result,
        error=error,
        fix_link=fix_link,
        registers_allowed=personal,
    )


@bp.get("/<code>/download.<fmt>")
@requires(Permission.RUN_REPORTS)
def download(code: str, fmt: str):  # type: ignore[no-untyped-def]
    if fmt not in MIME:
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
        mimetype=MIME[fmt],
        headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"},
    )
