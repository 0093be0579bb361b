"""Running it for real: gunicorn, health and readiness, structured request logs."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask

from amal import migrate
from amal.logs import JsonFormatter
from amal.participants.models import Participant


def test_healthz_is_up_and_readyz_wants_the_schema_at_head(empty_app: Flask) -> None:
    client = empty_app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    pending = client.get("/readyz")
    assert pending.status_code == 503
    assert pending.get_json()["migrations"] == "pending"
    with empty_app.app_context():
        migrate.upgrade(empty_app)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "database": "ok", "migrations": "current"}


def test_readyz_says_unavailable_when_the_database_is_unreachable(tmp_path: Path) -> None:
    from amal.app import create_app

    app = create_app(
        tmp_path,
        config_overrides={
            "environment": "testing",
            "database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
            "secret_key": "test-secret",
        },
    )
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}


def test_one_json_line_per_request_without_personal_data(
    app: Flask, client, login, person, caplog: pytest.LogCaptureFixture
) -> None:
    user = login("coordinator", "monza-brianza")
    participant: Participant = person("monza-brianza", last_name="Brambilla")
    caplog.set_level(logging.INFO, logger="amal.request")
    response = client.get(
        "/t/monza-brianza/participants/?q=Brambilla", headers={"X-Request-Id": "proxy-1234abcd"}
    )
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "proxy-1234abcd"
    [record] = [r for r in caplog.records if r.name == "amal.request"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "proxy-1234abcd"
    assert line["user_id"] == user.id
    assert line["token_id"] is None
    assert line["territory"] == "monza-brianza"
    assert line["status"] == 200
    assert line["endpoint"] == "participants.index"
    assert line["duration_ms"] >= 0
    text = json.dumps(line)
    for personal in ("Brambilla", participant.first_name, user.username):
        assert personal not in text


def test_a_forged_request_id_is_replaced(app: Flask, client) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "bad id <script>"})
    assert response.headers["X-Request-Id"] != "bad id <script>"
    assert len(response.headers["X-Request-Id"]) == 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait_ready(url: str, deadline: float) -> int:
    while time.monotonic() < deadline:
        try:
            return _get(url)[0]
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} never answered")


def test_serve_production_runs_gunicorn_with_json_logs_and_graceful_reload(
    tmp_path: Path,
) -> None:
    amal = str(Path(sys.executable).with_name("amal"))
    env = {
        **os.environ,
        "AMAL_INSTANCE": str(tmp_path),
        "AMAL_DATABASE_URL": f"sqlite:///{tmp_path / 'amal.sqlite'}",
        "AMAL_ENV": "production",
    }
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza"]\n')
    subprocess.run([amal, "init", "--admin-password", "a-long-password"], env=env, check=True)
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [amal, "serve", "--production", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert _wait_ready(f"{base}/readyz", time.monotonic() + 60) == 200
        server.send_signal(signal.SIGHUP)  # graceful reload: new worker, same master
        time.sleep(1)
        assert _wait_ready(f"{base}/healthz", time.monotonic() + 60) == 200
        assert server.poll() is None
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    lines = [json.loads(x) for x in (tmp_path / "serve.log").read_text().splitlines()]
    messages = [line["msg"] for line in lines]
    assert any(m.startswith("Starting gunicorn") for m in messages)
    assert "Hang up: Master" in messages
    requests = [line for line in lines if line["logger"] == "amal.request"]
    assert [r["endpoint"] for r in requests][-1] == "core.health"
    assert all(r["status"] == 200 for r in requests[-1:])
