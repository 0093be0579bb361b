"""Wiring the staff web app: sessions and login, CSRF, translations, security
headers, error pages, and the ``/t/<territory>/`` URL convention."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import Babel, get_locale
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from amal import access
from amal.accounts.models import User
from amal.api.problems import domain_problem, http_problem, is_api_request
from amal.app import state
from amal.db import get_session
from amal.errors import DomainError
from amal.web.errors import domain_message
from amal.web.labels import entity_label, field_label, label, word

LANGUAGES = ("it", "en")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return state(current_app).config.locale


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = get_session().get(User, int(user_id))
    return user if user is not None and user.is_active else None


def territory_blueprint(name: str, import_name: str, prefix: str = "") -> Blueprint:
    """A blueprint whose URLs start with ``/t/<territory>``; the territory must be
    hosted here, and ends up in ``g.territory`` for :mod:`amal.access`."""
    bp = Blueprint(name, import_name, url_prefix=f"/t/<territory>{prefix}")

    @bp.url_value_preprocessor
    def pull_territory(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        code = (values or {}).pop("territory", None)
        if code not in state(current_app).plugins.territories:
            abort(404)
        g.territory = code

    @bp.url_defaults
    def add_territory(_endpoint: str, values: dict[str, Any]) -> None:
        if "territory" not in values and "territory" in g:
            values["territory"] = g.territory

    @bp.before_request
    def login_first() -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    return bp


def init_web(app: Flask) -> None:
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "it")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def refuse_nul_characters() -> None:
        """PostgreSQL cannot store NUL in text: a form carrying one is refused."""
        if (
            request.method == "POST"
            and not is_api_request()
            and any("\x00" in value for value in request.form.values())
        ):
            abort(400)

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def layout_context() -> dict[str, Any]:
        amal = state(current_app)
        territory = g.get("territory")
        mine = access.territories_of(current_user) if current_user.is_authenticated else []
        return {
            "instance_name": amal.config.name,
            "branding": amal.config.branding,
            "territory": amal.plugins.territories.get(territory) if territory else None,
            "my_territories": [
                amal.plugins.territories[c] for c in mine if c in amal.plugins.territories
            ],
            "plugin_navigation": amal.plugins.navigation(territory) if territory else [],
            "can": access.can,
            "label": label,
            "field_label": field_label,
            "entity_label": entity_label,
            "word": word,
            "get_locale": get_locale,
            "P": access.Permission,
        }

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        if is_api_request():
            return http_problem(error)
        status = error.code or 500
        return render_template("error.html", status=status), status

    @app.errorhandler(DomainError)
    def unhandled_domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        if is_api_request():
            return domain_problem(error)
        return render_template("error.html", status=400, message=domain_message(error)), 400

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError):  # type: ignore[no-untyped-def]
        return render_template("error.html", status=400, csrf=True), 400

    @app.post("/lang/<code>")
    def set_language(code: str):  # type: ignore[no-untyped-def]
        if code in LANGUAGES:
            session["lang"] = code
        target = request.referrer or ""
        return redirect(target if target.startswith(request.host_url) else url_for("core.home"))


MAX_ID = 2**31 - 1  # the largest key both databases store as INTEGER


class IdConverter(IntegerConverter):
    """``<id:name>``: a record key, 1 to MAX_ID (larger numbers are a 404, not a crash)."""

    def __init__(self, url_map, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(url_map, min=1, max=MAX_ID)
