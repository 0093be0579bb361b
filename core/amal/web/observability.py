"""One JSON log line per request (the access log), with a request id that the
response carries back in ``X-Request-Id`` (taken from the proxy when it sends
a sane one, e.g. nginx's ``$request_id``).

Logged: request id, method, endpoint name (not the path: a query string may
hold a searched name), status, duration, the staff user's or API token's id,
the territory. Never a name, a tax code or an address."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("amal.request")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def init_request_log(app: Flask) -> None:
    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:  # a request refused before our before_request ran
            return response
        response.headers["X-Request-Id"] = g.request_id
        # The user as already loaded by the request (no extra query for static files).
        user = g.get("_login_user")
        token = g.get("api_principal")
        log.info(
            "request",
            extra={
                "request_id": g.request_id,
                "method": request.method,
                "endpoint": request.endpoint,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": getattr(user, "id", None),
                "token_id": getattr(token, "token_id", None),
                "territory": g.get("territory"),
            },
        )
        return response
