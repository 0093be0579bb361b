"""Wiring the staff web app: sessions and login, CSRF, translations, security
headers, error pages, and the ``/t/<territory>/`` URL convention."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from babel.numbers import get_decimal_symbol
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_login import LoginManager, current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import pass_context
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix

from amal import access
from amal.accounts.models import User
from amal.accounts.services import session_is_live
from amal.api.problems import domain_problem, http_problem, is_api_request, unavailable_problem
from amal.db import DatabaseMissing, get_session, is_unavailable
from amal.errors import DomainError
from amal.ids import MAX_ID
from amal.ratelimit import LoginThrottle, make_storage
from amal.runtime import service_context, state
from amal.text import has_forbidden
from amal.web.errors import domain_message
from amal.web.labels import entity_label, field_label, label, word
from amal.web.once import once_field
from amal.wellbeing.instruments import INSTRUMENTS

LANGUAGES = ("it", "en")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

HSTS = "max-age=31536000; includeSubDomains"

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
    """The logged-in user, if their server-side session is still live (not
    logged out, not ended by a password change or deactivation, not idle)."""
    user = get_session().get(User, int(user_id))
    session_id = session.get("sid")
    if user is None or not user.is_active or not isinstance(session_id, str):
        return None
    timeout = current_app.permanent_session_lifetime
    ctx = service_context(current_app, user.username)
    return user if session_is_live(ctx, session_id, user.id, timeout) else None


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


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with nesting beyond Python's recursion limit read as invalid
    JSON (a 400) instead of a crash."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


DECIMAL_TEXT = re.compile(r"-?\d+\.\d+%?")


def figure(value: Any) -> Any:
    """A report's figure in the reader's conventions: 146,00 and 83,0% in
    Italian (the figures are computed once, as text or numbers, for every reader)."""
    symbol = get_decimal_symbol(get_locale())
    if isinstance(value, (float, Decimal)):
        return str(value).replace(".", symbol)
    if isinstance(value, str) and DECIMAL_TEXT.fullmatch(value):
        return value.replace(".", symbol)
    return value


def instrument_name(code: str) -> str:
    """A questionnaire's name for its stored code ("who5" is no word to show)."""
    return INSTRUMENTS[code].name if code in INSTRUMENTS else code


@pass_context
def forms_with_errors(context: Any) -> list[FlaskForm]:
    """The page's forms that came back with errors, whatever the view named
    them: the layout lists their errors at the top (error_summary)."""
    return [v for v in context.get_all().values() if isinstance(v, FlaskForm) and v.errors]


def init_web(app: Flask) -> None:
    app.json = JSONProvider(app)
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
    amal = state(app)
    if amal.config.proxy_hops:
        # Behind a reverse proxy the client is in X-Forwarded-For: login limits
        # count per real address, not per proxy.
        hops = amal.config.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.extensions["amal_login_throttle"] = LoginThrottle(
        make_storage(amal.engine, amal.config.ratelimit_storage)
    )

    @app.before_request
    def refuse_hostile_input():
        """Forms with control characters are refused (see amal.text); JSON too
        deeply nested to parse is a 400, not a crash."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if is_api_request():
            if request.is_json and request.content_length != 0:
                # Parsed here, where nesting too deep becomes a 400, before
                # the schemas parse it again.
                request.get_json()
            return None
        if any(has_forbidden(k) or has_forbidden(v) for k, v in request.form.items(multi=True)):
            message = _("The text contains control characters that cannot be stored.")
            return render_template("error.html", status=400, message=message), 400
        return None

    production = amal.config.is_production

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if production:  # served over TLS (SECURITY.md): browsers must never use plain HTTP
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        # Personal data must not stay in caches: every API answer (tokens see
        # people) and every page a logged-in user gets.
        if is_api_request() or current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response

    app.jinja_env.globals["forms_with_errors"] = forms_with_errors
    app.jinja_env.globals["figure"] = figure  # a global: imported macros see it

    @app.context_processor
    def layout_context() -> dict[str, Any]:
        amal = state(current_app)
        territory = g.get("territory")
        mine = access.territories_of(current_user) if current_user.is_authenticated else []
        hosted = [amal.plugins.territories[c] for c in mine if c in amal.plugins.territories]
        # Pages outside a territory (admin) keep the menu of the user's first territory.
        menu_territory = territory or (hosted[0].code if hosted else None)
        return {
            "instance_name": amal.config.name,
            "branding": amal.config.branding,
            "territory": amal.plugins.territories.get(territory) if territory else None,
            "my_territories": hosted,
            "plugin_navigation": _navigation(amal.plugins, menu_territory),
            "can": access.can,
            "label": label,
            "field_label": field_label,
            "entity_label": entity_label,
            "word": word,
            "get_locale": get_locale,
            "P": access.Permission,
            "instrument_name": instrument_name,
            "once_field": once_field,
        }

    def _navigation(plugins, territory: str | None) -> list[dict[str, str]]:
        """Plugins' menu entries for this territory that the user's roles there
        may see, with their URL (in that territory when the page is a territory's)."""
        if not territory or not current_user.is_authenticated:
            return []
        mine = {role.value for role in access.roles_in(current_user, territory)}
        entries = []
        for entry in plugins.navigation(territory):
            if entry.roles and not mine & set(entry.roles):
                continue
            takes = any(
                "territory" in rule.arguments
                for rule in current_app.url_map.iter_rules(entry.endpoint)
            )
            url = url_for(entry.endpoint, **({"territory": territory} if takes else {}))
            entries.append({"endpoint": entry.endpoint, "label": entry.label, "url": url})
        return entries

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if is_api_request():
            response = http_problem(error)
        else:
            status = error.code or 500
            response = make_response(render_template("error.html", status=status), status)
        # e.g. Allow on 405, Retry-After: the exception's own headers, not its body's type.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(DomainError)
    def unhandled_domain_error(error: DomainError):
        if is_api_request():
            return domain_problem(error)
        status = 409 if error.code == "concurrent_change" else 400
        return render_template("error.html", status=status, message=domain_message(error)), status

    @app.errorhandler(DBAPIError)
    @app.errorhandler(DatabaseMissing)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error: Exception):
        """The database is down, too slow (timeouts), locked or read-only: 503,
        never a stack trace. The page is rendered without the context processors
        (whose menu would query the database again)."""
        if isinstance(error, DBAPIError) and not is_unavailable(error):
            current_app.logger.exception("database error", exc_info=error)
            return http_error(InternalServerError())
        current_app.logger.warning("database unavailable: %s", error)
        # Nothing after this may need the database (the response headers ask
        # who is logged in): the user counts as anonymous for the rest of it.
        g._login_user = login_manager.anonymous_user()
        if is_api_request():
            return unavailable_problem("The database is unavailable or did not answer in time.")
        page = current_app.jinja_env.get_template("unavailable.html").render(
            instance_name=current_app.config["AMAL_INSTANCE_NAME"]
        )
        return page, 503, {"Retry-After": "30"}

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError):
        return render_template("error.html", status=400, csrf=True), 400

    @app.post("/lang/<code>")
    def set_language(code: str):
        if code in LANGUAGES:
            session["lang"] = code
        target = request.referrer or ""
        return redirect(target if target.startswith(request.host_url) else url_for("core.home"))


def record_id(text: str) -> int:
    """``request.args.get(name, type=record_id)``: a record key from a query
    string; anything else (words, 0, beyond MAX_ID) reads as absent."""
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"{value} is not a record key")
    return value
