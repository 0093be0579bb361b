"""Errors of the API as ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import jsonify, request
from werkzeug.exceptions import HTTPException, Unauthorized

from amal.errors import DomainError

PREFIX = "/api/v1"
PROBLEM = "application/problem+json"
# Domain errors about the request's content; the others are conflicts with the
# record's current state (409).
UNPROCESSABLE = {
    "required_field",
    "reason_required",
    "incomplete_answers",
    "answer_out_of_range",
    "unknown_item",
    "unknown_field",
    "unknown_service",
    "unknown_instrument",
    "contract_type_required",
    "contract_type_not_applicable",
    "needs_required",
    "weak_password",
    "start_date_required",
    "too_many_meetings",
    "not_in_register",
    "empty_register",
    "format_not_offered",
    "event_in_future",
    "event_before_record",
    "unknown_partner",
    "unknown_project",
    "empty_fiscal_code",
    "fiscal_code_is_vat",
    # Date sense (amal.dates)
    "birth_date_in_future",
    "too_young",
    "fiscal_code_mismatch",
    "questionnaire_in_future",
    "phase_out_of_order",
    "meeting_before_group_start",
    "meeting_out_of_order",
    "meeting_on_holiday",
    "unknown_meeting",
}


def problem(status: int, detail: str = "", **extra: Any):
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    return response


def unavailable_problem(detail: str):
    response = problem(503, detail, code="database_unavailable")
    response.headers["Retry-After"] = "30"
    return response


def is_api_request() -> bool:
    return request.path.startswith(PREFIX + "/")


def http_problem(error: HTTPException):
    data = getattr(error, "data", None) or {}
    extra: dict[str, Any] = {}
    if "messages" in data:  # webargs: field errors by location
        extra["errors"] = data["messages"]
    detail = data.get("message") or (error.description if error.code != 500 else "")
    response = problem(error.code or 500, detail, **extra)
    if isinstance(error, Unauthorized):
        response.headers["WWW-Authenticate"] = 'Bearer realm="amal"'
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


# Domain errors meaning that what the URL names does not exist here.
NOT_FOUND = {"not_found", "unknown_report"}


def domain_problem(error: DomainError):
    if error.code in NOT_FOUND:
        return problem(404, error.message, code=error.code)
    if error.code == "concurrent_change" and request.headers.get("If-Match"):
        # The client's copy (its ETag) was current when checked, stale when written.
        return problem(412, error.message, code=error.code)
    status = 422 if error.code in UNPROCESSABLE or error.code.startswith("invalid_") else 409
    details = {k: v for k, v in error.details.items() if isinstance(v, str | int | list)}
    return problem(status, error.message, code=error.code, **details)
