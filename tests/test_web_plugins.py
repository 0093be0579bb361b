"""Plugins extend the staff UI (blueprint + menu entry); admins manage users;
errors are friendly pages without stack traces."""

import pytest
from flask import Blueprint
from sqlalchemy import select

from amal.accounts.models import User
from amal.plugins import NavigationEntry, hookimpl
from amal.testing import csrf_token


class SportelloPlugin:
    @hookimpl
    def amal_blueprints(self, app):
        bp = Blueprint("amal_sportello", __name__, url_prefix="/sportello")

        @bp.get("/")
        def page():
            return "Orari dello sportello"

        @bp.get("/boom")
        def boom():
            raise RuntimeError("secret internals")

        return [bp]

    @hookimpl
    def amal_navigation(self, territory):
        if territory.code == "lecco":
            return [NavigationEntry("amal_sportello.page", "Sportello")]
        return None


@pytest.fixture
def app(empty_app):
    """The standard app, rebuilt with the sportello plugin."""
    from amal.app import create_app
    from amal.db import Base
    from amal.runtime import state
    from amal.territories.services import sync_territories

    config = state(empty_app).config
    app = create_app(
        config.instance_path,
        config_overrides={
            "environment": "testing",
            "database_url": config.database_url,
            "plugins": list(config.plugins),
            "secret_key": "x",
        },
        extra_plugins=[("sportello", SportelloPlugin())],
        create_database=True,
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False
    Base.metadata.create_all(state(app).engine)
    with state(app).session_factory() as session:
        sync_territories(session, state(app).plugins)
    return app


def test_plugin_pages_appear_in_the_menu(client, login) -> None:
    login("coordinator", "lecco")
    dashboard = client.get("/t/lecco/").get_data(as_text=True)
    assert '<a class="nav-link" href="/sportello/"><span>Sportello</span></a>' in dashboard
    assert client.get("/sportello/").get_data(as_text=True) == "Orari dello sportello"
    login("coordinator", "monza-brianza")
    assert "Sportello" not in client.get("/t/monza-brianza/").get_data(as_text=True)


def test_server_errors_are_friendly_pages(client) -> None:
    response = client.get("/sportello/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Si è verificato un errore" in text
    assert "secret internals" not in text and "Traceback" not in text


def test_admin_deactivates_and_grants_roles(client, login, ctx) -> None:
    login(None, "lecco", is_admin=True)
    target = login("facilitator", "lecco")
    login(None, "lecco", is_admin=True)
    token = csrf_token(client, "/admin/users")
    client.post(
        f"/admin/users/{target.id}/grant",
        data={"territory": "monza-brianza", "role": "intake_operator", "csrf_token": token},
    )
    client.post(
        f"/admin/users/{target.id}/toggle",
        data={"csrf_token": token, "reason": "Fine incarico", "confirm": "1"},
    )
    user = ctx.session.scalar(select(User).where(User.id == target.id))
    assert {(r.territory_code, r.role.value) for r in user.roles} == {
        ("lecco", "facilitator"),
        ("monza-brianza", "intake_operator"),
    }
    assert user.is_active is False
    client.post("/logout", data={"csrf_token": token})
    refused = client.post(
        "/login",
        data={
            "username": user.username,
            "password": "test-password-123",
            "csrf_token": csrf_token(client),
        },
    )
    assert refused.status_code == 401
