def test_anonymous_users_go_to_the_login_page(client) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/t/lecco/participants/").status_code == 302


def test_health_check(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_security_headers(client) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_login_page_is_italian_by_default_and_english_on_request(client) -> None:
    from amal.testing import csrf_token

    assert "Accedi" in client.get("/login").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_token(client)})
    assert "Log in" in client.get("/login").get_data(as_text=True)
