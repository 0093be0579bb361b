"""Core web pages. The staff UI proper (login, roles, every flow) builds on this."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import text

from amal.app import state
from amal.db import get_session
from amal.stats import instance_counts

bp = Blueprint("core", __name__)


@bp.get("/")
def home() -> str:
    amal = state(current_app)
    counts = instance_counts(get_session())
    return render_template(
        "home.html",
        instance_name=amal.config.name,
        territories=list(amal.plugins.territories.values()),
        counts=counts,
    )


@bp.get("/healthz")
def health():  # type: ignore[no-untyped-def]
    get_session().execute(text("SELECT 1"))
    return jsonify(status="ok")
