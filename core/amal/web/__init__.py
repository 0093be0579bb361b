"""Core web pages: the home page (which sends each user where they work) and
the health check. The staff pages live in each area's ``web.py``."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from amal import access
from amal.accounts.models import Role
from amal.app import state
from amal.db import get_session
from amal.groups.models import GroupStatus
from amal.outcomes.models import Situation
from amal.participants.models import ParticipantStatus
from amal.regional import SMALL_CELL, compare, people_chart
from amal.web.labels import label

bp = Blueprint("core", __name__)


@bp.get("/")
def home():  # type: ignore[no-untyped-def]
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
def health():  # type: ignore[no-untyped-def]
    get_session().execute(text("SELECT 1"))
    return jsonify(status="ok")


@bp.get("/regional")
def regional():  # type: ignore[no-untyped-def]
    """Territories side by side for a regional viewer: anonymised aggregates
    (see amal.regional for what is hidden and why)."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    hosted = state(current_app).plugins.territories
    covered = {
        c: hosted[c].name if c in hosted else c
        for c in access.territories_of(current_user)
        if Role.REGIONAL_VIEWER in access.roles_in(current_user, c)
    }
    if not covered:
        return render_template("error.html", status=404), 404
    columns = compare(get_session(), covered)
    people_labels = {s: label(s) for s in ParticipantStatus}
    return render_template(
        "regional.html",
        columns=columns,
        group_statuses=list(GroupStatus),
        people_statuses=list(ParticipantStatus),
        situations=list(Situation),
        chart=people_chart(columns, people_labels),
        small_cell=SMALL_CELL,
    )
