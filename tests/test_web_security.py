"""CSRF, login throttling, session handling."""

from limits import parse
from sqlalchemy import select

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.consent.services import publish_notice
from amal.participants.models import Participant
from amal.ratelimit import PER_ACCOUNT_AND_SOURCE
from amal.testing import TEST_PASSWORD, csrf_token

MAX_FAILURES = parse(PER_ACCOUNT_AND_SOURCE).amount


def make_user(ctx, name="maria", role=Role.COORDINATOR):
    return create_user(ctx, name, TEST_PASSWORD, roles=[("lecco", role)])


def test_state_changing_forms_need_the_csrf_token(client, login, ctx) -> None:
    login("coordinator", "lecco")
    publish_notice(ctx, "lecco", "1.0", "Informativa")
    form = {
        "first_name": "Anna",
        "last_name": "Senzatoken",
        "consents": "processing",
        "employment_status": "dismissed",
        "gender": "",
    }
    refused = client.post("/t/lecco/participants/new", data=form)
    assert refused.status_code == 400
    assert "modulo è scaduto" in refused.get_data(as_text=True)
    forged = client.post("/t/lecco/participants/new", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 400
    assert (
        ctx.session.scalar(select(Participant).where(Participant.last_name == "Senzatoken")) is None
    )
    ok = client.post(
        "/t/lecco/participants/new",
        data={**form, "csrf_token": csrf_token(client, "/t/lecco/participants/new")},
    )
    assert ok.status_code == 302


def test_login_is_throttled_after_repeated_failures(client, ctx) -> None:
    make_user(ctx)
    for _ in range(MAX_FAILURES):
        response = client.post(
            "/login",
            data={"username": "maria", "password": "wrong", "csrf_token": csrf_token(client)},
        )
        assert response.status_code == 401
    blocked = client.post(
        "/login",
        data={"username": "maria", "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert blocked.status_code == 429  # even the right password waits
    assert "Troppi tentativi" in blocked.get_data(as_text=True)
    assert client.get("/t/lecco/").status_code == 302  # not logged in


def test_login_starts_a_fresh_session(client, ctx) -> None:
    make_user(ctx)
    client.get("/login")
    with client.session_transaction() as planted:
        planted["planted_by_attacker"] = "x"
    before = client.get_cookie("session").value
    client.post(
        "/login",
        data={"username": "maria", "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
    )
    with client.session_transaction() as after:
        assert "planted_by_attacker" not in after
        assert after.get("_user_id")
    assert client.get_cookie("session").value != before


def test_session_cookie_flags(client, ctx) -> None:
    make_user(ctx)
    response = client.post(
        "/login",
        data={"username": "maria", "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_session(client, login) -> None:
    login("coordinator", "lecco")
    assert client.get("/t/lecco/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/t/lecco/")})
    assert client.get("/t/lecco/").status_code == 302


def test_password_change(client, login) -> None:
    user = login("coordinator", "lecco")
    page = client.post(
        "/account/password",
        data={
            "current_password": "wrong-password",
            "new_password": "another-long-pw",
            "confirm": "another-long-pw",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert "La password attuale è errata" in page.get_data(as_text=True)
    done = client.post(
        "/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "another-long-pw",
            "confirm": "another-long-pw",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert done.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account/password")})
    again = client.post(
        "/login",
        data={
            "username": user.username,
            "password": "another-long-pw",
            "csrf_token": csrf_token(client),
        },
    )
    assert again.status_code == 302


def test_output_is_escaped(client, login, person) -> None:
    login("coordinator", "monza-brianza")
    evil = person("monza-brianza", last_name="<script>alert(1)</script>")
    page = client.get(f"/t/monza-brianza/participants/{evil.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
