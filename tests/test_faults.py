"""The database goes away and comes back (PostgreSQL behind a TCP proxy that
the test switches off and on): the web answers an Italian 503 page, the API a
problem+json 503, the CLI a one-line error with exit 1; the next request after
the database returns works, without restarting anything."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from amal.accounts.models import Role
from amal.accounts.services import create_token, create_user
from amal.app import create_app
from amal.cli import cli
from amal.db import Base
from amal.runtime import state
from amal.services import Context
from amal.territories.services import sync_territories
from amal.testing import TEST_PASSWORD, csrf_token


class SwitchableProxy:
    """127.0.0.1:<port> → the real server, until :meth:`down` (every open
    connection cut, new ones refused at once) and again after :meth:`up`."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.alive = True
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.alive:
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.open |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def down(self) -> None:
        self.alive = False
        with self.lock:
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            self.open.clear()

    def up(self) -> None:
        self.alive = True

    def close(self) -> None:
        self.down()
        self.listener.close()


@pytest.fixture
def proxied_url(amal_database_url: str) -> Iterator[tuple[str, SwitchableProxy]]:
    if amal_database_url.startswith("sqlite"):
        pytest.skip("a database server that goes away: PostgreSQL only")
    url = make_url(amal_database_url)
    proxy = SwitchableProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield proxied, proxy
    proxy.close()


def test_database_down_gives_503s_and_everything_recovers(
    tmp_path: Path, proxied_url: tuple[str, SwitchableProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, proxy = proxied_url
    app = create_app(
        tmp_path,
        config_overrides={
            "environment": "testing",
            "database_url": url,
            "plugins": ["monza-brianza"],
            "secret_key": "test-secret",
        },
    )
    amal = state(app)
    Base.metadata.create_all(amal.engine)
    with amal.session_factory() as session:
        sync_territories(session, amal.plugins)
        ctx = Context(session, "tester", amal.plugins)
        create_user(ctx, "coord", TEST_PASSWORD, roles=[("monza-brianza", Role.COORDINATOR)])
        _, secret = create_token(ctx, "partner", "monza-brianza", Role.COORDINATOR)
    client = app.test_client()
    login = {"username": "coord", "password": TEST_PASSWORD, "csrf_token": csrf_token(client)}
    assert client.post("/login", data=login).status_code == 302
    api = {"Authorization": f"Bearer {secret}"}
    page, endpoint = (
        "/t/monza-brianza/participants/",
        "/api/v1/territories/monza-brianza/participants/",
    )
    assert client.get(page).status_code == 200
    assert client.get(endpoint, headers=api).status_code == 200

    monkeypatch.setenv("AMAL_DATABASE_URL", url)
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza"]\n')
    (tmp_path / "secret_key").write_text("test-secret")

    def amal_cli(*args: str):
        return CliRunner().invoke(cli, ["--instance", str(tmp_path), *args])

    for round_ in range(2):  # down, up, down again, up again
        proxy.down()
        web = client.get(page)
        assert web.status_code == 503
        assert web.headers["Retry-After"] == "30"
        text = web.get_data(as_text=True)
        assert "Il database non risponde in questo momento" in text
        assert "Traceback" not in text

        problem = client.get(endpoint, headers=api)
        assert problem.status_code == 503
        assert problem.mimetype == "application/problem+json"
        assert problem.get_json()["code"] == "database_unavailable"

        result = amal_cli("stats")
        assert result.exit_code == 1
        assert result.output.startswith("Error: Database unavailable")
        assert result.output.count("\n") == 1, result.output

        proxy.up()
        assert client.get(page).status_code == 200, f"round {round_}: web did not recover"
        assert client.get(endpoint, headers=api).status_code == 200
        assert amal_cli("stats").exit_code == 0
    amal.engine.dispose()
