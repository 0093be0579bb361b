"""pytest fixtures for AMAL and its plugins (registered through the ``pytest11``
entry point, so a plugin's own test suite gets them by installing ``amal``).

Every database fixture runs twice: on a fresh SQLite file and on a fresh
PostgreSQL schema. The PostgreSQL leg skips, with the reason, when no server
answers at ``AMAL_TEST_POSTGRES_URL`` (default: database ``test`` on
127.0.0.1:5432); set ``AMAL_TEST_REQUIRE_POSTGRES=1`` (CI does) to fail instead.

Override ``amal_plugins`` / ``amal_territories`` in a ``conftest.py`` to choose
what the test instance enables; by default every installed plugin is enabled.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from stdnum.it import codicefiscale

from amal.app import create_app
from amal.db import Base
from amal.plugins.manager import installed_entry_points
from amal.runtime import state
from amal.services import Context
from amal.territories.services import sync_territories

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def valid_fiscal_code(stem: str) -> str:
    """A valid codice fiscale from its first 15 characters (adds the check character)."""
    return stem + codicefiscale.calc_check_digit(stem)


def postgres_url() -> str:
    return os.environ.get("AMAL_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(postgres_url())
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except ImportError as exc:
        return f"psycopg is not installed ({exc})"
    except OperationalError as exc:
        return (
            f"PostgreSQL unreachable at {make_url(postgres_url()).render_as_string()}: {exc.orig}"
        )
    return None


@pytest.fixture(scope="session")
def _postgres_available() -> str | None:
    return _postgres_problem()


@pytest.fixture(params=BACKENDS)
def amal_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _postgres_available: str | None
) -> Iterator[str]:
    """A clean, empty database for one test: a SQLite file or a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'amal.sqlite'}"
        return
    if _postgres_available:
        if os.environ.get("AMAL_TEST_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here: {_postgres_available}")
        pytest.skip(_postgres_available)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def amal_plugins() -> list[str]:
    """Entry-point names the test instance enables (default: all installed)."""
    return sorted(installed_entry_points())


@pytest.fixture
def amal_territories() -> list[str]:
    """Territory codes the test instance hosts (default: all its plugins define)."""
    return []


@pytest.fixture
def empty_app(
    tmp_path: Path, amal_database_url: str, amal_plugins: list[str], amal_territories: list[str]
) -> Iterator[Flask]:
    """An app on an empty database (no tables): for migration tests."""
    app = create_app(
        tmp_path,
        config_overrides={
            "environment": "testing",
            "database_url": amal_database_url,
            "plugins": amal_plugins,
            "territories": amal_territories,
            "secret_key": "test-secret",
            # jobs in a thread of the test process on both databases; the tests of
            # the database queue (tests/test_jobs.py) start real workers
            "job_queue": "thread",
        },
        create_database=True,
    )
    yield app
    state(app).engine.dispose()


@pytest.fixture
def app(empty_app: Flask) -> Flask:
    """An app whose database has every table and the hosted territories."""
    amal = state(empty_app)
    Base.metadata.create_all(amal.engine)
    with amal.session_factory() as session:
        sync_territories(session, amal.plugins)
    return empty_app


@pytest.fixture
def ctx(app: Flask) -> Iterator[Context]:
    """A service context acting as ``tester`` on the test database."""
    amal = state(app)
    with amal.session_factory() as session:
        yield Context(session=session, actor="tester", plugins=amal.plugins)


@pytest.fixture
def client(app: Flask):
    return app.test_client()


TEST_PASSWORD = "test-password-123"


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of a form page, read as a browser would."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match[1]


@pytest.fixture
def login(app: Flask, client):
    """``login(role, territory)`` creates a user with that role and logs the test
    client in through the login form. Returns the user."""
    from amal.accounts.models import Role
    from amal.accounts.services import create_user

    created = itertools.count(1)

    def do(
        role: str | None = "coordinator", territory: str | None = None, *, is_admin: bool = False
    ):
        amal = state(app)
        code = territory or next(iter(amal.plugins.territories))
        with amal.session_factory() as session:
            user = create_user(
                Context(session, "tester", amal.plugins),
                f"{role or 'admin'}-{code}-{next(created)}",
                TEST_PASSWORD,
                display_name=f"Test {role}",
                is_admin=is_admin,
                roles=[(code, Role(role))] if role else [],
            )
        client.post("/logout", data={"csrf_token": csrf_token(client)})
        response = client.post(
            "/login",
            data={
                "username": user.username,
                "password": TEST_PASSWORD,
                "csrf_token": csrf_token(client),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do


def staff_facilitator(ctx: Context, territory: str) -> int:
    """The id of a facilitator of ``territory`` (created on first use): groups
    cannot start without one."""
    from amal.accounts.models import Role, User
    from amal.accounts.services import create_user

    username = f"facilitatore-{territory}"
    user = ctx.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = create_user(ctx, username, TEST_PASSWORD, roles=[(territory, Role.FACILITATOR)])
    return user.id


def finished_run(app: Flask, client, response, headers: dict[str, str]) -> dict:
    """A report run asked for through the API (202), once the test process's
    job thread has computed it: its status as the API then gives it."""
    from amal import jobs

    assert response.status_code == 202, response.get_data(as_text=True)
    assert jobs.drain(app, timeout=60)
    status = client.get(response.headers["Location"], headers=headers)
    assert status.status_code == 200, status.get_data(as_text=True)
    return status.json
