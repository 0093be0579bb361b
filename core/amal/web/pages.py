"""Core web pages: the home page (which sends each user where they work) and
the health and readiness checks. The staff pages live in each area's ``web.py``."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from amal import access, migrate
from amal.accounts.models import Role
from amal.db import get_session
from amal.groups.models import GroupStatus
from amal.outcomes.models import Situation
from amal.participants.models import ParticipantStatus
from amal.regional import SMALL_CELL, compare, people_chart
from amal.runtime import state
from amal.web.labels import label

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


# Bootstrap Italia's primary blue: instances without a colour of their own.
DEFAULT_COLOUR = "#0066cc"
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def shade(colour: str, factor: float) -> str:
    """``colour`` darkened by ``factor`` (0.8 = 20% darker), as #rrggbb."""
    channels = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c * factor):02x}" for c in channels)


@bp.get("/branding.css")
def branding():
    """The instance's colour (``[branding] color`` in amal.toml) applied to
    Bootstrap Italia's header and primary buttons: a stylesheet, because the CSP
    allows no inline style. Only a #rrggbb colour is used (anything else would
    be CSS injection): the others fall back to the kit's blue."""
    configured = str(state(current_app).config.branding.get("color", ""))
    colour = configured if HEX_COLOUR.fullmatch(configured) else DEFAULT_COLOUR
    dark, darker = shade(colour, 0.85), shade(colour, 0.7)
    css = render_template("branding.css", colour=colour, dark=dark, darker=darker)
    response = Response(css, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


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


@bp.get("/regional")
def regional():
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
