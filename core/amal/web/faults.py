"""The database is down (or does not answer in time): every page answers a
clear 503 in Italian, every API call a problem+json 503, both with
``Retry-After``; nothing else changes, and the next request after the database
returns works again (the pool checks connections before use). One handler for
the whole app, web and API."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, make_response, render_template

from amal.api.problems import is_api_request, problem
from amal.db import DATABASE_UNAVAILABLE
from amal.web.setup import login_manager

log = logging.getLogger(__name__)
RETRY_AFTER = "30"  # seconds


def database_unavailable(error: Exception) -> Response:
    log.error("database unavailable: %s", type(error).__name__)
    # Nothing after this may need the database (the layout, the response
    # headers): the user counts as anonymous for the rest of the request.
    g._login_user = login_manager.anonymous_user()
    if is_api_request():
        response = problem(
            503,
            "The database is not reachable right now; try again shortly.",
            code="database_unavailable",
        )
    else:
        response = make_response(render_template("unavailable.html"), 503)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def init_database_faults(app: Flask) -> None:
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, database_unavailable)
