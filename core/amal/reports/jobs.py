"""Report runs as background jobs: asked for by the web, the API or the CLI
(a run ``queued``), computed by a job (``running``, its progress in percent),
kept with their figures (``done``) or the reason (``failed``).

Computed once: a job performed again (its worker killed, the queue retrying)
finds its run finished and stops, or finds it still running (the killed
attempt left nothing else: the result is written in one statement) and
computes it again for the same day. When two attempts race, the first result
written is the run's; the other is dropped.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from amal import jobs
from amal.db import utcnow
from amal.errors import DomainError
from amal.reports.engine import as_data, definitions, run_report
from amal.reports.models import ReportRun
from amal.runtime import state
from amal.services import Context, use_case

JOB = "report_run"
UNFINISHED = ("queued", "running")
STALE_AFTER = timedelta(minutes=5)


@use_case
def _new_run(ctx: Context, territory: str, report_code: str, period: str) -> ReportRun:
    available = definitions(ctx.plugins, territory)
    if report_code not in available:
        raise DomainError(
            "unknown_report",
            f"Territory {territory!r} has no report {report_code!r}; "
            f"available: {', '.join(sorted(available)) or 'none'}",
        )
    today = date.today()
    waiting = ctx.session.scalar(
        select(ReportRun)
        .where(
            ReportRun.territory_code == territory,
            ReportRun.report_code == report_code,
            ReportRun.period == period,
            ReportRun.created_by == ctx.actor,
            ReportRun.as_of == today,
            ReportRun.status.in_(UNFINISHED),
        )
        .order_by(ReportRun.id.desc())
        .limit(1)
    )
    if waiting is not None:
        return waiting  # asked twice (a page reloaded): one run
    run = ReportRun(
        territory_code=territory,
        report_code=report_code,
        period=period,
        status="queued",
        created_by=ctx.actor,
        as_of=today,
        progress=0,
        attempts=0,
    )
    ctx.session.add(run)
    ctx.session.flush()
    return run


def request_run(
    app: Flask, ctx: Context, territory: str, report_code: str, period: str
) -> ReportRun:
    """Ask for a run of a report for a period: kept as ``queued`` and handed to
    the job queue. An unknown report is refused at once."""
    run = _new_run(ctx, territory, report_code, period)
    if run.status == "queued":
        jobs.enqueue(app, JOB, {"run_id": run.id}, lock=f"report-run-{run.id}")
    return run


def resume_if_stale(app: Flask, run: ReportRun) -> None:
    """The in-process queue dies with its process: a run still unfinished long
    after it was asked for (or started) is handed to this process's thread
    again. (The database queue finds such jobs itself, by the heartbeats.)"""
    since = run.started_at or run.created_at
    if not run.finished and jobs.queue_kind(app) == "thread" and utcnow() - since > STALE_AFTER:
        jobs.enqueue(app, JOB, {"run_id": run.id})


def wait_for(app: Flask, ctx: Context, run: ReportRun, seconds: float) -> ReportRun:
    """The run, once finished or after ``seconds`` (a short report is shown at
    once, a long one with its progress)."""
    deadline = time.monotonic() + seconds
    while not run.finished and time.monotonic() < deadline:
        time.sleep(0.05)
        ctx.session.refresh(run)
    return run


def _set(app: Flask, run_id: int, **values: Any) -> bool:
    """Write to a run still unfinished, in its own transaction; False when
    another attempt already finished it."""
    with state(app).session_factory() as session:
        changed = session.execute(
            update(ReportRun)
            .where(ReportRun.id == run_id, ReportRun.status.in_(UNFINISHED))
            .values(**values)
        ).rowcount
        session.commit()
    return bool(changed)


@jobs.job(
    JOB,
    give_up=lambda app, args, error: _set(
        app,
        args["run_id"],
        status="failed",
        error=f"internal error ({type(error).__name__}): see the log",
        finished_at=utcnow(),
    ),
)
def perform_run(app: Flask, args: dict[str, Any]) -> None:
    run_id = int(args["run_id"])
    amal = state(app)
    with amal.session_factory() as session:
        run = session.get(ReportRun, run_id)
        if run is None or run.finished:
            return
        attempts = run.attempts + 1
    if not _set(app, run_id, status="running", attempts=attempts, started_at=utcnow(), progress=0):
        return
    with amal.report_sessions()() as session:
        ctx = Context(session, run.created_by, amal.plugins)
        try:
            result = run_report(
                ctx,
                run.territory_code,
                run.report_code,
                run.period,
                today=run.as_of,
                progress=lambda percent: _set(app, run_id, progress=min(percent, 99)),
            )
        except DomainError as error:
            _set(app, run_id, status="failed", error=error.message, finished_at=utcnow())
            return
        data = as_data(result)
    _set(app, run_id, status="done", result=data, progress=100, finished_at=utcnow())
