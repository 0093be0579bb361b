"""Submitting a report run to the funder: refused while blocking violations
remain unjustified; frozen once sent (figures, files, SHA-256 hash); later
corrections show as changes since submission until it is sent again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.db import utcnow
from amal.errors import DomainError
from amal.projects.services import current_project
from amal.reports.engine import as_data, definitions, run_report
from amal.reports.models import ReportRun, ReportSubmission, SubmissionFile
from amal.reports.outputs import LinkOf, render
from amal.reports.periods import parse_period, project_period
from amal.services import Context, fetch, use_case

MIN_JUSTIFICATION = 10  # characters: a reason a funder can read, not "ok"


@dataclass(frozen=True)
class Change:
    """One figure that differs from the submitted one."""

    table: str
    row: str
    column: str
    submitted: Any
    current: Any


def _digest(result: Mapping[str, Any], files: Sequence[tuple[str, bytes]]) -> str:
    """Hash of the figures (canonical JSON, without the run's timestamp) and of each file."""
    figures = {k: v for k, v in result.items() if k != "generated_at"}
    hasher = hashlib.sha256(json.dumps(figures, sort_keys=True, default=str).encode())
    for fmt, content in files:
        hasher.update(fmt.encode() + hashlib.sha256(content).digest())
    return hasher.hexdigest()


@use_case
def submit_run(
    ctx: Context,
    territory: str,
    run_id: int,
    justifications: Mapping[str, str] | None = None,
    *,
    today: date | None = None,
    link_of: LinkOf | None = None,
) -> ReportSubmission:
    """Submit run ``run_id``. Its figures must still be today's (else run it
    again); every blocking violation needs a justification of at least
    ``MIN_JUSTIFICATION`` characters, keyed by the violation's ``key``. The
    submission replaces the previous one of the same report and period."""
    run = fetch(ctx, ReportRun, run_id, for_update=True)
    if run.territory_code != territory:
        raise DomainError("other_territory", "The run belongs to another territory")
    if run.status != "done" or run.result is None:
        raise DomainError("run_failed", f"The run failed and cannot be submitted: {run.error}")
    result = run_report(ctx, territory, run.report_code, run.period, today=today)
    live = as_data(result)
    if live["tables"] != run.result["tables"] or live["violations"] != run.result["violations"]:
        raise DomainError(
            "run_outdated", "The data changed after this run: run the report again and submit it"
        )
    justifications = {k: (v or "").strip() for k, v in (justifications or {}).items()}
    missing = [
        v.key
        for v in result.violations
        if v.blocking and len(justifications.get(v.key, "")) < MIN_JUSTIFICATION
    ]
    if missing:
        raise DomainError(
            "blocking_violations",
            f"{len(missing)} blocking rule violations: fix them or justify each one "
            f"(at least {MIN_JUSTIFICATION} characters)",
            violations=missing,
        )
    files = [(fmt, render(ctx, result, fmt, link_of)) for fmt in result.definition.formats]
    now = utcnow()
    for previous in _current(
        ctx, territory, run.report_code, result.period.start, result.period.end
    ):
        previous.superseded_at = now
    submission = ReportSubmission(
        territory_code=territory,
        run_id=run.id,
        report_code=run.report_code,
        period=run.period,
        period_start=result.period.start,
        period_end=result.period.end,
        result=live,
        violations=[
            {
                "key": v.key,
                "rule": v.rule,
                "message": v.message,
                "severity": v.severity.value,
                "justification": justifications.get(v.key, ""),
            }
            for v in result.violations
        ],
        sha256=_digest(live, files),
        submitted_by=ctx.actor,
        submitted_at=now,
        files=[
            SubmissionFile(format=fmt, content=content, sha256=hashlib.sha256(content).hexdigest())
            for fmt, content in files
        ],
    )
    ctx.session.add(submission)
    ctx.session.flush()
    record(
        ctx,
        AuditAction.CREATE,
        "report_submission",
        submission.id,
        territory_code=territory,
        report=run.report_code,
        period=run.period,
        sha256=submission.sha256,
        justified=sorted(k for k, v in justifications.items() if v),
    )
    return submission


def _current(
    ctx: Context, territory: str, report_code: str, start: date, end: date
) -> Sequence[ReportSubmission]:
    return ctx.session.scalars(
        select(ReportSubmission).where(
            ReportSubmission.territory_code == territory,
            ReportSubmission.report_code == report_code,
            ReportSubmission.period_start == start,
            ReportSubmission.period_end == end,
            ReportSubmission.superseded_at.is_(None),
        )
    ).all()


def submissions(
    ctx: Context, territory: str, report_code: str | None = None, *, current_only: bool = True
) -> Sequence[ReportSubmission]:
    """The territory's submissions, newest first (current ones only by default)."""
    query = select(ReportSubmission).where(ReportSubmission.territory_code == territory)
    if report_code:
        query = query.where(ReportSubmission.report_code == report_code)
    if current_only:
        query = query.where(ReportSubmission.superseded_at.is_(None))
    return ctx.session.scalars(
        query.order_by(ReportSubmission.period_start.desc(), ReportSubmission.id.desc())
    ).all()


def submission_for(
    ctx: Context, territory: str, report_code: str, period_text: str
) -> ReportSubmission | None:
    """The current submission of a report for a period written as the funder
    names it (any spelling of the same dates: 2026-q1 is 2026-Q1)."""
    definition = definitions(ctx.plugins, territory).get(report_code)
    if definition is None:
        return None
    project = current_project(ctx.session, territory)
    period = parse_period(
        period_text,
        definition.period_kind,
        project=project_period(project.title, project.start_on, project.end_on)
        if project
        else None,
    )
    matches = _current(ctx, territory, report_code, period.start, period.end)
    return max(matches, key=lambda s: s.id) if matches else None


def get_submission(ctx: Context, territory: str, submission_id: int) -> ReportSubmission:
    submission = fetch(ctx, ReportSubmission, submission_id)
    if submission.territory_code != territory:
        raise DomainError("not_found", f"ReportSubmission {submission_id} not found")
    return submission


def changes_since(
    ctx: Context, submission: ReportSubmission, *, today: date | None = None
) -> list[Change]:
    """The figures of the period today that differ from the submitted ones."""
    live = as_data(
        run_report(
            ctx, submission.territory_code, submission.report_code, submission.period, today=today
        )
    )
    return diff(submission.result, live)


def diff(submitted: Mapping[str, Any], current: Mapping[str, Any]) -> list[Change]:
    """Cell by cell, rows matched by their first column within each table."""
    changes = []
    before = {t["indicator"]: t for t in submitted["tables"]}
    for table in current["tables"]:
        old = before.get(table["indicator"], {"rows": [], "columns": table["columns"]})
        old_rows = {str(r[0]): r for r in old["rows"]}
        new_rows = {str(r[0]): r for r in table["rows"]}
        for label in list(old_rows) + [k for k in new_rows if k not in old_rows]:
            a, b = old_rows.get(label), new_rows.get(label)
            for index, column in enumerate(table["columns"][1:], start=1):
                x = a[index] if a else None
                y = b[index] if b else None
                if x != y:
                    changes.append(Change(table["title"], label, column, x, y))
    return changes


def file_of(submission: ReportSubmission, fmt: str) -> SubmissionFile:
    for item in submission.files:
        if item.format == fmt:
            return item
    raise DomainError("format_not_offered", f"The submission has no {fmt} file")


@use_case
def download_file(ctx: Context, submission: ReportSubmission, fmt: str) -> SubmissionFile:
    """A submitted file leaving AMAL again (web, API), audited like any report
    download (the attendance registers carry names)."""
    item = file_of(submission, fmt)
    record(
        ctx,
        AuditAction.EXPORT,
        "report_submission",
        submission.id,
        territory_code=submission.territory_code,
        report=submission.report_code,
        period=submission.period,
        format=fmt,
    )
    return item
