"""Issue 12 #11, #12, #13, #15 and the header test over every route of the URL map."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_access_matrix import OWN, url_for_rule, world  # noqa: F401 (world is a fixture)

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.app import create_app
from amal.runtime import state
from amal.testing import csrf_token

API = "/api/v1/territories"


def check_common(response, where: str) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], where
    assert "unsafe-inline" not in headers["Content-Security-Policy"], where
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["Referrer-Policy"] == "same-origin", where
    assert headers["X-Frame-Options"] == "DENY", where


def every_request(app, ids):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        if rule.endpoint in {"static", "accounts.logout"}:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, url_for_rule(rule, OWN, ids)


def test_headers_on_every_route_web_and_api(app, client, login, world, ctx) -> None:  # noqa: F811
    """Logged-in coordinator for the web, a coordinator token for the API: every
    answer has the security headers, and none with personal data may be cached."""
    login("coordinator", OWN)
    token = csrf_token(client)
    _, secret = create_token(ctx, "headers", OWN, Role.COORDINATOR)
    checked = 0
    partner = app.test_client()  # an integration: a token, no web session
    for rule, method, url in every_request(app, world):
        api = rule.rule.startswith("/api/v1/")
        response = (partner if api else client).open(
            url,
            method=method,
            data=None if api or method != "POST" else {"csrf_token": token},
            json={} if api and method in {"POST", "PUT", "PATCH"} else None,
            headers={"Authorization": f"Bearer {secret}"} if api else {},
        )
        where = f"{method} {url} ({response.status_code})"
        # /readyz rightly answers 503 here: the test schema is made without
        # migrations, so they are not "current".
        assert response.status_code < 500 or rule.endpoint == "core.ready", where
        check_common(response, where)
        assert response.headers.get("Cache-Control") == "no-store", where
        assert "Strict-Transport-Security" not in response.headers  # testing: no TLS
        checked += 1
    assert checked > 60


def test_api_answers_are_never_cached_even_errors(client) -> None:
    """#15: no-store was set only for logged-in web users."""
    response = client.get(f"{API}/{OWN}/participants/")
    assert response.status_code == 401
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def production_app(tmp_path: Path, amal_database_url: str):  # type: ignore[no-untyped-def]
    app = create_app(
        tmp_path,
        config_overrides={
            "environment": "production",
            "database_url": amal_database_url,
            "secret_key": "production-secret",
        },
        create_database=True,
    )
    yield app
    state(app).engine.dispose()


def test_hsts_in_production_on_every_route(production_app, world) -> None:  # noqa: F811
    """#11: no Strict-Transport-Security in production."""
    client = production_app.test_client()
    for _rule, method, url in every_request(production_app, world):
        response = client.open(url, method=method, base_url="https://localhost")
        where = f"{method} {url} ({response.status_code})"
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        ), where
        check_common(response, where)


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("delete", "/login", {"GET", "POST"}),
        ("put", "/t/lecco/participants/", {"GET"}),
        ("delete", f"{API}/{OWN}/reports/", {"GET"}),
        ("delete", f"{API}/{OWN}/participants/", {"GET", "POST"}),
    ],
)
def test_405_says_what_is_allowed(client, method: str, url: str, allowed: set[str]) -> None:
    """#12: the Allow header was missing (API and web)."""
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}
    if url.startswith("/api/"):
        assert response.headers["Content-Type"] == "application/problem+json"


def test_pagination_header_is_documented_as_the_text_it_is(client, ctx, person) -> None:
    """#13: documented as an object, sent as text."""
    person(OWN)
    _, secret = create_token(ctx, "pages", OWN, Role.COORDINATOR)
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/territories/{territory}/participants/"]["get"]
    header = operation["responses"]["200"]["headers"]["X-Pagination"]
    assert header["schema"] == {"type": "string"}
    response = client.get(
        f"{API}/{OWN}/participants/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert json.loads(response.headers["X-Pagination"])["total"] == 1
