"""What a running app holds, below the factory: every layer may import this
module, nothing here imports the web, the API or the areas.

The factory (:mod:`amal.app`) builds an :class:`AmalState` and keeps it in
``app.extensions["amal"]``; views, the CLI and the tests read it with
:func:`state` and build service contexts with :func:`service_context`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from amal import db
from amal.config import InstanceConfig
from amal.plugins.manager import PluginHost
from amal.services import Context


@dataclass(frozen=True)
class AmalState:
    """What the app keeps in ``app.extensions["amal"]``."""

    config: InstanceConfig
    plugins: PluginHost
    engine: Engine
    session_factory: sessionmaker[Session]
    # sessions for report computations: on a read-only replica where one is configured
    report_session_factory: sessionmaker[Session] | None = None

    def report_sessions(self) -> sessionmaker[Session]:
        return self.report_session_factory or self.session_factory


def state(app: Flask) -> AmalState:
    return app.extensions["amal"]


def service_context(app: Flask, actor: str, session: Session | None = None) -> Context:
    """A service context on the app's database (the request session by default)."""
    amal = state(app)
    return Context(session=session or db.get_session(), actor=actor, plugins=amal.plugins)
