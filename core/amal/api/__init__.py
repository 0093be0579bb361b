"""The JSON API under ``/api/v1`` for partner IT (flask-smorest: marshmallow
schemas are the wire format and the OpenAPI document at once).

Every call carries ``Authorization: Bearer <token>``. A token belongs to one
territory and one role, and goes through the same :mod:`amal.access` rules as
a staff user of that role. Errors are ``application/problem+json`` (RFC 9457).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from flask import Flask, abort, current_app, g, render_template, request
from flask_smorest import Api, pagination
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import prepare_response
from marshmallow import INCLUDE, Schema, fields, validate
from werkzeug.exceptions import Unauthorized

from amal.accounts.models import Role
from amal.accounts.services import token_for_secret
from amal.api.problems import PREFIX, PROBLEM
from amal.ids import MAX_ID, IdConverter
from amal.runtime import service_context, state

MAX_PAGE = 1_000_000  # far beyond any list here; keeps the row offset in range
_smorest_page_schema = pagination._pagination_parameters_schema_factory


def _bounded_page_schema(def_page: int, def_page_size: int, def_max_page_size: int) -> type:
    """flask-smorest bounds the page number from below only; a huge page number
    overflowed the database's row offset."""

    class PaginationParametersSchema(
        _smorest_page_schema(def_page, def_page_size, def_max_page_size)
    ):
        page = fields.Integer(load_default=def_page, validate=validate.Range(1, MAX_PAGE))

    return PaginationParametersSchema


# flask-smorest offers no setting for this: its factory is replaced, once, here.
pagination._pagination_parameters_schema_factory = _bounded_page_schema

PAGINATION_HEADER = {
    "description": (
        "Pagination metadata as a JSON object in text, e.g. "
        '{"total": 42, "total_pages": 5, "first_page": 1, "last_page": 5, "page": 1, '
        '"next_page": 2}'
    ),
    "schema": {"type": "string"},
}


class ApiBlueprint(SmorestBlueprint):
    def _document_pagination_metadata(self, spec: Any, resp_doc: dict[str, Any]) -> None:
        """The header is text holding JSON (what HTTP headers carry), and the
        OpenAPI document says so, so clients and the schema agree."""
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = PAGINATION_HEADER


@dataclass(frozen=True)
class TokenRole:
    territory_code: str
    role: Role


@dataclass(frozen=True)
class TokenPrincipal:
    """An API token seen as a user of :mod:`amal.access`."""

    token_id: int
    name: str
    roles: list[TokenRole] = field(default_factory=list)
    is_authenticated: bool = True
    is_admin: bool = False
    id: None = None  # not a person: facilitates no group

    @property
    def username(self) -> str:
        return f"token:{self.name}"


class ProblemSchema(Schema):
    """RFC 9457 problem details; ``errors`` holds field errors (422), ``code``
    the domain error's stable code (409/422)."""

    class Meta:
        unknown = INCLUDE

    type = fields.Str()
    title = fields.Str(required=True)
    status = fields.Int(required=True)
    detail = fields.Str()
    code = fields.Str()
    errors = fields.Dict()


class AmalApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Errors are handled once for the whole app (amal.web.setup), so that
        web pages get HTML and the API gets problem+json."""

    def _register_responses(self) -> None:
        """Document every error response as problem+json (what the app sends)."""
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (problem details)", "schema": ProblemSchema}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def authenticate() -> None:
    """Turn the bearer token into ``g.api_principal`` or refuse with 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    token = None
    if scheme.lower() == "bearer" and secret:
        token = token_for_secret(service_context(current_app, "api"), secret.strip())
    if token is None:
        raise Unauthorized("A valid bearer token is required (amal token create).")
    g.api_principal = TokenPrincipal(
        token.id, token.name, [TokenRole(token.territory_code, token.role)]
    )


def api_blueprint(name: str, import_name: str, prefix: str, description: str) -> ApiBlueprint:
    """A blueprint under ``/api/v1/territories/<territory>``: token required,
    territory hosted here (else 404), ``g.territory`` set for :mod:`amal.access`."""
    bp = ApiBlueprint(
        name,
        import_name,
        url_prefix=f"{PREFIX}/territories/<territory>{prefix}",
        description=description,
    )

    @bp.url_value_preprocessor
    def pull_territory(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.territory = (values or {}).pop("territory", None)

    @bp.before_request
    def check() -> None:
        authenticate()
        if g.territory not in state(current_app).plugins.territories:
            abort(404)

    return bp


def init_api(app: Flask, blueprints: list[ApiBlueprint]) -> list[ApiBlueprint]:
    """Register the API and its blueprints (the core's and the plugins');
    returns every blueprint registered, which the web exempts from CSRF
    (a bearer token is no ambient credential)."""
    app.config.update(
        API_TITLE="AMAL API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": __doc__},
            "security": [{"bearerAuth": []}],
        },
    )
    api = AmalApi(app)
    api.register_converter(
        IdConverter, lambda _converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    )
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "amal token create"}
    )
    plugin_blueprints = state(app).plugins.manager.hook.amal_api_blueprints(api=api)
    registered = [*blueprints, *[b for bps in plugin_blueprints for b in bps or []]]
    for blueprint in registered:
        api.register_blueprint(blueprint)

    @app.get(f"{PREFIX}/")
    def api_docs():
        """A browsable page of the OpenAPI document (no JavaScript needed)."""
        return render_template("api/docs.html", spec=api.spec.to_dict())

    return registered
