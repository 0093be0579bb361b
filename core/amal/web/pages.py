"""Core web pages: the home page (which sends each user where they work) and
the health and readiness checks. The staff pages live in each area's ``web.py``."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from amal import access, migrate
from amal.accounts.models import Role
from amal.db import get_session
from amal.runtime import state
from amal.stats import instance_counts

log = logging.getLogger(__name__)
bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    hosted = state(current_app).plugins.territories
    for code in access.territories_of(current_user):
        if code not in hosted:
            continue
        roles = access.roles_in(current_user, code)
        if roles & access.PERSONAL_DATA_ROLES:
            return redirect(url_for("dashboard.show", territory=code))
        if Role.FUNDER_VIEWER in roles:
            return redirect(url_for("reports.index", territory=code))
        if Role.REGIONAL_VIEWER in roles:
            return redirect(url_for("core.regional"))
    if current_user.is_admin:
        return redirect(url_for("accounts.users"))
    return render_template("no_roles.html")


@bp.get("/healthz")
def health():
    """Liveness: the process answers (no database: a database outage must not
    get healthy workers restarted)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def ready():
    """Readiness: the database answers and its schema is at every head, so a
    proxy or orchestrator sends traffic here."""
    try:
        get_session().execute(text("SELECT 1"))
        current = migrate.is_up_to_date(current_app)
    except SQLAlchemyError:
        log.warning("readiness: database unreachable", exc_info=True)
        return jsonify(status="unavailable", database="unreachable"), 503
    if not current:
        return jsonify(status="unavailable", database="ok", migrations="pending"), 503
    return jsonify(status="ready", database="ok", migrations="current")


SMALL_CELL = 5  # counts below this are hidden on cross-territory pages


@bp.get("/regional")
def regional():
    """Anonymised aggregates across the territories a regional viewer covers;
    small cells are suppressed so no person can be singled out."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    covered = [
        c
        for c in access.territories_of(current_user)
        if Role.REGIONAL_VIEWER in access.roles_in(current_user, c)
    ]
    if not covered:
        return render_template("error.html", status=404), 404
    counts = instance_counts(get_session())
    hosted = state(current_app).plugins.territories
    rows = []
    for code in covered:
        figures = counts.get(code, {})
        rows.append(
            (
                hosted[code].name if code in hosted else code,
                {
                    table: {status: (n if n >= SMALL_CELL else None) for status, n in per.items()}
                    for table, per in figures.items()
                },
            )
        )
    return render_template("regional.html", rows=rows, small_cell=SMALL_CELL)
