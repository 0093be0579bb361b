"""The application factory: an entry point (with the CLI, the WSGI module and
:mod:`amal.testing`). Nothing below imports it; what views and services need
from the running app lives in :mod:`amal.runtime`."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import Flask

from amal import db
from amal.config import load_config
from amal.consent.personal_data import check_plugin_declarations as check_personal_data_declarations
from amal.errors import ConfigError
from amal.ids import IdConverter
from amal.plugins.manager import PluginHost
from amal.reports.engine import check_definitions as check_report_definitions
from amal.runtime import AmalState
from amal.web.blueprints import register_web
from amal.web.observability import init_request_log


def create_app(
    instance_path: str | os.PathLike[str] | None = None,
    *,
    config_overrides: dict[str, Any] | None = None,
    extra_plugins: Iterable[tuple[str, object]] = (),
    create_database: bool = False,
    require_secret: bool = True,
) -> Flask:
    """Build a Flask app for the instance folder ``instance_path``.

    ``require_secret=False`` (the CLI) lets commands that sign no session run
    without the instance's secret; serving the web still needs it.

    Raises :class:`~amal.errors.ConfigError` or :class:`~amal.errors.PluginError`
    with a message for the operator when the instance cannot start.
    ``create_database`` lets a missing SQLite file be created (``amal init``).
    """
    config = load_config(instance_path, config_overrides)
    secret_key = config.secret_key
    if not secret_key:
        if config.is_production and require_secret:
            raise ConfigError(
                f"No secret key for the instance in {config.instance_path}: run "
                f"'amal --instance {config.instance_path} init' or set AMAL_SECRET_KEY."
            )
        secret_key = secrets.token_urlsafe(32)  # development: valid for this process only

    plugins = PluginHost(config.plugins, territories=config.territories, extra=extra_plugins)
    check_report_definitions(plugins)
    check_personal_data_declarations(plugins)

    app = Flask("amal", instance_path=str(config.instance_path), instance_relative_config=True)
    app.config.update(
        SECRET_KEY=secret_key,
        TESTING=config.environment == "testing",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.is_production,
        AMAL_INSTANCE_NAME=config.name,
        # Bodies beyond this are refused (413) before anything reads them.
        MAX_CONTENT_LENGTH=config.max_content_length,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.session_timeout_minutes),
    )
    engine = db.make_engine(
        config.database_url,
        connect_timeout=config.connect_timeout,
        statement_timeout=config.statement_timeout,
        create_missing=create_database,
    )
    report_engine = (
        db.make_engine(
            config.report_database_url,
            connect_timeout=config.connect_timeout,
            statement_timeout=config.statement_timeout,
        )
        if config.report_database_url
        else None
    )
    app.extensions["amal"] = AmalState(
        config=config,
        plugins=plugins,
        engine=engine,
        session_factory=db.make_session_factory(engine),
        report_session_factory=db.make_session_factory(report_engine) if report_engine else None,
    )
    app.teardown_appcontext(db.close_session)

    app.url_map.converters["id"] = IdConverter
    init_request_log(app)  # first: its clock and request id cover every other hook
    register_web(app)
    for blueprint in plugins.manager.hook.amal_blueprints(app=app):
        for bp in blueprint or []:
            app.register_blueprint(bp)
    for command in plugins.cli_commands():
        app.cli.add_command(command)
    return app
