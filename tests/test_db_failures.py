"""The database failing: too slow (connect and statement timeouts), read-only,
or missing. Every case ends in a clear answer: CLI exit 1 with one line, web
503 page in Italian, API 503 problem+json; never a hang nor a stack trace."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from amal.accounts.models import ApiToken, Role
from amal.accounts.services import create_token, create_user
from amal.app import create_app
from amal.cli import cli
from amal.groups.services import create_group
from amal.runtime import state
from amal.services import Context
from amal.testing import TEST_PASSWORD, csrf_token

API = "/api/v1/territories/monza-brianza"


def _app(tmp_path: Path, url: str, **overrides: object) -> Flask:
    return create_app(
        tmp_path,
        config_overrides={
            "environment": "testing",
            "database_url": url,
            "plugins": ["monza-brianza", "lecco"],
            "secret_key": "test-secret",
            **overrides,
        },
    )


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A 'database' that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for connection in held:
        connection.close()
    listener.close()


def test_a_database_that_never_answers_fails_fast_everywhere(
    silent_server: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql+psycopg://amal@127.0.0.1:{silent_server}/amal"
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza"]\n')
    monkeypatch.setenv("AMAL_DATABASE_URL", url)
    monkeypatch.setenv("AMAL_ENV", "testing")
    monkeypatch.setenv("AMAL_DB_CONNECT_TIMEOUT", "2")

    started = time.monotonic()
    result = CliRunner().invoke(cli, ["--instance", str(tmp_path), "stats"])
    cli_seconds = time.monotonic() - started
    assert result.exit_code == 1, result.output
    message = result.output.strip()
    assert "\n" not in message and message.startswith("Error: Database unavailable"), message
    assert cli_seconds < 15

    app = _app(tmp_path, url, connect_timeout=2)
    client = app.test_client()
    started = time.monotonic()
    api = client.get(f"{API}/participants/", headers={"Authorization": "Bearer amal_x"})
    assert api.status_code == 503 and api.mimetype == "application/problem+json"
    assert api.json["code"] == "database_unavailable"
    page = client.post(
        "/login",
        data={"username": "x", "password": "y", "csrf_token": csrf_token(client)},
    )
    web_seconds = time.monotonic() - started
    assert page.status_code == 503
    assert "Il database non risponde" in page.get_data(as_text=True)
    assert web_seconds < 15
    print(f"\nsilent database: CLI {cli_seconds:.1f} s, API + web {web_seconds:.1f} s")


def test_a_statement_stuck_on_a_lock_times_out_with_503(
    app: Flask, ctx: Context, person, tmp_path: Path
) -> None:
    """Another connection holds the lock the request needs; the statement (or
    SQLite's wait for the write lock) gives up after ``statement_timeout``."""
    participant = person()
    _, secret = create_token(ctx, "t", "monza-brianza", Role.COORDINATOR)
    ctx.session.commit()
    url = state(app).config.database_url
    slow = _app(tmp_path, url, statement_timeout=1)
    client = slow.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    etag = client.get(f"{API}/participants/{participant.id}", headers=headers).headers["ETag"]

    blocker = create_engine(url)
    with blocker.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.execute(
                text("SELECT id FROM participant WHERE id = :id FOR UPDATE"),
                {"id": participant.id},
            )
        started = time.monotonic()
        response = client.patch(
            f"{API}/participants/{participant.id}",
            json={"municipality": "Monza"},
            headers={**headers, "If-Match": etag},
        )
        waited = time.monotonic() - started
        connection.rollback()
    blocker.dispose()
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.json["code"] == "database_unavailable"
    assert 0.9 < waited < 10
    print(f"\nstuck statement answered 503 after {waited:.1f} s")
    state(slow).engine.dispose()


def _read_only_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///file:{parsed.database}?mode=ro&uri=true"
    options = parsed.query.get("options", "")
    return parsed.update_query_dict(
        {"options": f"{options} -cdefault_transaction_read_only=on".strip()}
    ).render_as_string(hide_password=False)


def test_reads_and_existing_sessions_work_on_a_read_only_database(
    app: Flask, ctx: Context, person, tmp_path: Path
) -> None:
    participant = person()
    group = create_group(ctx, "monza-brianza", "Gruppo in sola lettura")
    _, secret = create_token(ctx, "t", "monza-brianza", Role.COORDINATOR)
    user = create_user(ctx, "coord-ro", TEST_PASSWORD, roles=[("monza-brianza", Role.COORDINATOR)])
    ctx.session.commit()

    read_only = _app(tmp_path, _read_only_url(state(app).config.database_url))
    client = read_only.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    answers = {
        path: client.get(f"{API}{path}", headers=headers).status_code
        for path in ("/participants/", "/groups/", f"/groups/{group.id}")
    }
    # A second round: the token's last use is not written again within a minute.
    answers.update(
        {f"{p} again": client.get(f"{API}{p}", headers=headers).status_code for p in ("/groups/",)}
    )
    # The participant list is an audited read (one entry per request naming the
    # people shown, issue 10): with no audit trace possible it answers 503, as
    # every audited read does; reads without personal data still answer 200.
    assert answers == {
        "/participants/": 503,
        "/groups/": 200,
        f"/groups/{group.id}": 200,
        "/groups/ again": 200,
    }, answers

    # A login records its server-side session (revocable, issue 12): on a
    # read-only database it is refused cleanly, while a session started
    # before goes on working.
    refused = client.post(
        "/login",
        data={
            "username": user.username,
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token(client),
        },
    )
    assert refused.status_code == 503, refused.get_data(as_text=True)
    writable = app.test_client()
    login = writable.post(
        "/login",
        data={
            "username": user.username,
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token(writable),
        },
    )
    assert login.status_code == 302, login.get_data(as_text=True)
    client.set_cookie("session", writable.get_cookie("session").value)
    pages = {
        path: client.get(path).status_code
        for path in (
            "/t/monza-brianza/",
            "/t/monza-brianza/participants/",
            "/t/monza-brianza/groups/",
        )
    }
    # The session works: pages without personal data answer 200; the dashboard
    # (it lists the follow-ups due, by name) and the participant list are
    # audited reads, refused cleanly (503) when the audit trace cannot be written.
    assert pages == {
        "/t/monza-brianza/": 503,
        "/t/monza-brianza/participants/": 503,
        "/t/monza-brianza/groups/": 200,
    }, pages

    # Writes, and reads that must leave an audit trace, are refused cleanly.
    write = client.post(
        f"{API}/participants/{participant.id}/transitions",
        json={"to_status": "withdrawn", "reason": "prova"},
        headers=headers,
    )
    assert write.status_code == 503 and write.json["code"] == "database_unavailable"
    audited = client.get(f"{API}/participants/{participant.id}", headers=headers)
    assert audited.status_code == 503
    print(f"\nread-only database: API {answers}, web {pages}")
    state(read_only).engine.dispose()


def test_a_missing_sqlite_file_is_refused_not_created(tmp_path: Path) -> None:
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza"]\n')
    env = {"AMAL_ENV": "testing", "AMAL_DATABASE_URL": "", "AMAL_INSTANCE": ""}
    result = CliRunner().invoke(cli, ["--instance", str(tmp_path), "stats"], env=env)
    database = tmp_path / "amal.sqlite"
    assert result.exit_code == 1
    assert str(database.resolve()) in result.output and "amal init" in result.output
    assert not database.exists()

    client = _app(tmp_path, f"sqlite:///{database}").test_client()
    response = client.get(f"{API}/participants/", headers={"Authorization": "Bearer amal_x"})
    assert response.status_code == 503
    assert not database.exists()

    init = CliRunner().invoke(
        cli, ["--instance", str(tmp_path), "init", "--admin-password", "a-long-password"], env=env
    )
    assert init.exit_code == 0, init.output
    assert database.exists()


def test_a_token_use_is_written_at_most_once_a_minute(app: Flask, ctx: Context) -> None:
    token, secret = create_token(ctx, "t", "monza-brianza", Role.COORDINATOR)
    ctx.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}

    def last_used():  # type: ignore[no-untyped-def]
        ctx.session.expire_all()
        return ctx.session.get(ApiToken, token.id).last_used_at

    assert client.get(f"{API}/groups/", headers=headers).status_code == 200
    first = last_used()
    assert first is not None
    for _ in range(3):
        assert client.get(f"{API}/groups/", headers=headers).status_code == 200
    assert last_used() == first  # no write per request
    ctx.session.get(ApiToken, token.id).last_used_at = first - timedelta(minutes=2)
    ctx.session.commit()
    assert client.get(f"{API}/groups/", headers=headers).status_code == 200
    assert last_used() > first - timedelta(minutes=2)
