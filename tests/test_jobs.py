"""Background jobs: report runs on the database queue (procrastinate, PostgreSQL)
performed by real ``amal worker`` processes, one of them killed with SIGKILL in
the middle of a job; two app processes sharing one database (sessions and
jobs); the in-process queue of SQLite."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import text

from amal import jobs, migrate
from amal.accounts.models import Role
from amal.accounts.services import create_token, create_user
from amal.app import create_app
from amal.cli import cli
from amal.db import Base
from amal.participants.services import register_candidate
from amal.reports.engine import as_data, run_report
from amal.reports.jobs import perform_run, request_run
from amal.reports.models import ReportRun
from amal.runtime import state
from amal.services import Context
from amal.territories.services import sync_territories
from amal.testing import TEST_PASSWORD

WORKER = Path(__file__).with_name("jobs_worker.py")
AMAL = Path(sys.executable).with_name("amal")
TERRITORY = "monza-brianza"
REPORT = "provincia-trimestrale"


@pytest.fixture
def queue_app(tmp_path: Path, amal_database_url: str) -> Iterator[Flask]:
    """An app on PostgreSQL with the database queue, its schema from the migrations."""
    if amal_database_url.startswith("sqlite"):
        pytest.skip("the database queue is PostgreSQL's (SQLite runs jobs in a thread)")
    app = create_app(
        tmp_path,
        config_overrides={
            "environment": "testing",
            "database_url": amal_database_url,
            "secret_key": "jobs",
            "job_queue": "database",
            "plugins": ["monza-brianza"],
        },
    )
    migrate.upgrade(app)
    with state(app).session_factory() as session:
        sync_territories(session, state(app).plugins)
    yield app
    queue = app.extensions.get("amal_jobs", {}).get("procrastinate")
    if queue is not None:
        queue.close()
    state(app).engine.dispose()


def wait_until(check: Callable[[], object], seconds: float = 60, what: str = "") -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def run_of(app: Flask, run_id: int) -> ReportRun:
    with state(app).session_factory() as session:
        return session.get(ReportRun, run_id)


def queue_rows(app: Flask) -> list[tuple[str, int]]:
    with state(app).engine.connect() as connection:
        return [
            (row.status, row.attempts)
            for row in connection.execute(
                text("SELECT status::text AS status, attempts FROM procrastinate_jobs")
            )
        ]


def start_worker(app: Flask, url: str, delay: float) -> subprocess.Popen[str]:
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(state(app).config.instance_path), url, str(delay)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    return worker


def test_a_killed_workers_job_is_done_once(queue_app: Flask, amal_database_url: str) -> None:
    amal = state(queue_app)
    with queue_app.app_context(), amal.session_factory() as session:
        run_id = request_run(
            queue_app, Context(session, "tester", amal.plugins), TERRITORY, REPORT, "2026-Q1"
        ).id
    assert queue_rows(queue_app) == [("todo", 0)]
    slow = start_worker(queue_app, amal_database_url, delay=0.05)
    wait_until(lambda: run_of(queue_app, run_id).progress > 0, what="the job under way")
    slow.send_signal(signal.SIGKILL)
    slow.wait()
    killed = run_of(queue_app, run_id)
    assert killed.status == "running" and killed.result is None  # nothing half-written
    assert queue_rows(queue_app) == [("doing", 0)]  # the queue still holds it

    other = start_worker(queue_app, amal_database_url, delay=0)
    try:
        wait_until(lambda: run_of(queue_app, run_id).status == "done", what="the retried job")
        wait_until(
            lambda: [status for status, _ in queue_rows(queue_app)] == ["succeeded"],
            what="the job closed",
        )
    finally:
        other.send_signal(signal.SIGTERM)
        other.wait(timeout=30)
    done = run_of(queue_app, run_id)
    assert done.attempts == 2 and done.progress == 100
    with amal.session_factory() as session:
        runs = session.query(ReportRun).count()
        expected = as_data(
            run_report(Context(session, "tester", amal.plugins), TERRITORY, REPORT, "2026-Q1")
        )
    assert runs == 1  # one run, one result
    assert {**done.result, "generated_at": None} == {**expected, "generated_at": None}
    print(
        f"\n[jobs] worker killed mid-job at {killed.progress}%, job retried by another "
        f"worker: run {run_id} done once (attempts {done.attempts}), one result"
    )


def test_a_finished_run_is_never_computed_again(app: Flask, ctx: Context) -> None:
    run = request_run(app, ctx, TERRITORY, REPORT, "2026-Q1")
    assert jobs.drain(app)
    ctx.session.refresh(run)
    finished = (run.status, run.finished_at, run.result)
    perform_run(app, {"run_id": run.id})  # the queue performing it again
    ctx.session.refresh(run)
    assert (run.status, run.finished_at, run.result) == finished and run.attempts == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(tmp_path: Path, url: str, name: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "AMAL_ENV": "development",
        "AMAL_DATABASE_URL": url,
        "AMAL_SECRET_KEY": "two-processes-share-this-key",
        "AMAL_PLUGINS": "monza-brianza",
        "AMAL_JOB_QUEUE": "database",
        "AMAL_WORKER_HEARTBEAT": "0.5",
    }
    instance = tmp_path / name
    instance.mkdir()
    server = subprocess.Popen(
        [str(AMAL), "--instance", str(instance), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    wait_until(up, what=f"app process {name}")
    return server, base


def test_two_app_processes_share_sessions_and_jobs(
    queue_app: Flask, amal_database_url: str, tmp_path: Path
) -> None:
    amal = state(queue_app)
    with amal.session_factory() as session:
        ctx = Context(session, "tester", amal.plugins)
        create_user(ctx, "coord", TEST_PASSWORD, roles=[(TERRITORY, Role.COORDINATOR)])
        _, secret = create_token(ctx, "two", TERRITORY, Role.COORDINATOR)
    processes = []
    try:
        first, a = serve(tmp_path, amal_database_url, "a")
        processes.append(first)
        second, b = serve(tmp_path, amal_database_url, "b")
        processes.append(second)
        browser = requests.Session()
        form = browser.get(f"{a}/login").text
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form)[1]
        logged = browser.post(
            f"{a}/login",
            data={"username": "coord", "password": TEST_PASSWORD, "csrf_token": token},
            allow_redirects=False,
        )
        assert logged.status_code == 302
        on_b = browser.get(f"{b}/t/{TERRITORY}/", allow_redirects=False)
        assert on_b.status_code == 200, "the session started on A is not valid on B"

        api = {"Authorization": f"Bearer {secret}"}
        asked = requests.post(
            f"{a}/api/v1/territories/{TERRITORY}/reports/{REPORT}/runs",
            json={"period": "2026-Q1"},
            headers=api,
        )
        assert asked.status_code == 202 and asked.json()["status"] == "queued"
        time.sleep(1)
        assert (
            requests.get(f"{b}{asked.headers['Location']}", headers=api).json()["status"]
            == "queued"
        )  # no worker yet: nothing runs it inside the web processes
        worker = subprocess.Popen(
            [str(AMAL), "--instance", str(tmp_path / "b"), "worker", "--once"],
            env={
                **os.environ,
                "AMAL_ENV": "development",
                "AMAL_DATABASE_URL": amal_database_url,
                "AMAL_SECRET_KEY": "two-processes-share-this-key",
                "AMAL_PLUGINS": "monza-brianza",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output = worker.communicate(timeout=120)[0]
        assert worker.returncode == 0, output
        status = requests.get(f"{b}{asked.headers['Location']}", headers=api).json()
        assert status["status"] == "done" and status["result"]["report"] == REPORT
        page = browser.get(f"{b}/t/{TERRITORY}/reports/{REPORT}?period=2026-Q1&run={status['id']}")
        assert page.status_code == 200 and "Partecipanti" in page.text
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_the_report_page_shows_progress_then_figures(
    queue_app: Flask, amal_database_url: str
) -> None:
    amal = state(queue_app)
    with amal.session_factory() as session:
        create_user(
            Context(session, "tester", amal.plugins),
            "coord",
            TEST_PASSWORD,
            roles=[(TERRITORY, Role.COORDINATOR)],
        )
    client = queue_app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form)[1]
    client.post(
        "/login", data={"username": "coord", "password": TEST_PASSWORD, "csrf_token": token}
    )
    page = client.get(f"/t/{TERRITORY}/reports/{REPORT}?period=2026-Q1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<progress" in html
    refresh = re.search(r'<meta http-equiv="refresh" content="2;url=([^"]+)">', html)
    assert refresh and "run=" in refresh[1]
    jobs.run_worker(queue_app, heartbeat=0.5, stalled_after=1.5, wait_for_jobs=False)
    done = client.get(refresh[1].replace("&amp;", "&")).get_data(as_text=True)
    assert "<progress" not in done and "http-equiv" not in done
    assert date.today().strftime("%d/%m/%Y") in done  # computed on ...


def marked(result: dict) -> dict:
    """A run's result with its first table renamed: a file showing the new name
    was made from the stored run."""
    first = {**result["tables"][0], "title": "Tabella della prova"}
    return {**result, "tables": [first, *result["tables"][1:]]}


def test_the_page_and_its_files_show_one_run(app: Flask, client, login) -> None:
    """In-process queue: a short report is shown at once; its files carry the
    figures of that run, not of a new computation."""
    login("coordinator", TERRITORY)
    page = client.get(f"/t/{TERRITORY}/reports/{REPORT}?period=2026-Q1").get_data(as_text=True)
    assert "<progress" not in page
    run_id = int(re.search(r"run=(\d+)", page)[1])
    with state(app).session_factory() as session:
        run = session.get(ReportRun, run_id)
        assert run.status == "done" and run.attempts == 1
        session.execute(
            text("UPDATE report_run SET result = :r WHERE id = :i"),
            {"r": json.dumps(marked(run.result)), "i": run_id},
        )
        session.commit()
    csv = client.get(f"/t/{TERRITORY}/reports/{REPORT}/download.csv?period=2026-Q1&run={run_id}")
    assert csv.status_code == 200
    assert "Tabella della prova" in csv.get_data(as_text=True)  # the stored run's figures
    other = client.get(f"/t/{TERRITORY}/reports/comune-monza-semestrale/download.csv?run={run_id}")
    assert other.status_code == 404  # a run of another report


def test_commands_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite runs jobs in the web process: `amal worker` says so and exits 1;
    `amal report run` computes in the command, with a progress bar."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza"]\n')
    monkeypatch.delenv("AMAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("AMAL_ENV", raising=False)

    def run(*args: str):
        return CliRunner().invoke(cli, ["--instance", str(instance), *args])

    assert run("init", "--admin-password", "a-long-password").exit_code == 0
    worker = run("worker", "--once")
    assert worker.exit_code == 1 and "no worker is needed" in worker.output
    assert "no queue to show" in run("jobs").output
    out = tmp_path / "q1.csv"
    report = run(
        "report",
        "run",
        TERRITORY,
        REPORT,
        "--period",
        "2026-Q1",
        "--format",
        "csv",
        "--out",
        str(out),
    )
    assert report.exit_code == 0, report.output
    assert "Computing" in report.output and out.stat().st_size > 0


def test_a_run_left_by_a_dead_process_is_resumed(app: Flask, ctx: Context, login, client) -> None:
    """In-process queue: the process that had the run died (its thread with it);
    the run's page, asked for later, computes it again."""
    run = ReportRun(
        territory_code=TERRITORY,
        report_code=REPORT,
        period="2026-Q1",
        status="running",
        created_by="tester",
        as_of=date.today(),
        progress=40,
        attempts=1,
        created_at=datetime.now(UTC) - timedelta(minutes=20),
        started_at=datetime.now(UTC) - timedelta(minutes=19),
    )
    ctx.session.add(run)
    ctx.session.commit()
    login("coordinator", TERRITORY)
    url = f"/t/{TERRITORY}/reports/{REPORT}?period=2026-Q1&run={run.id}"
    assert "<progress" in client.get(url).get_data(as_text=True)
    assert jobs.drain(app)
    ctx.session.refresh(run)
    assert run.status == "done" and run.attempts == 2
    assert "<progress" not in client.get(url).get_data(as_text=True)


def test_report_jobs_read_the_replica_where_configured(tmp_path: Path) -> None:
    """``report_database_url``: the job computes from the replica and writes the
    run to the primary. Here the "replica" is a copy made before a change."""
    primary, replica = tmp_path / "primary.sqlite", tmp_path / "replica.sqlite"
    app = create_app(
        tmp_path,
        config_overrides={
            "environment": "testing",
            "database_url": f"sqlite:///{primary}",
            "report_database_url": f"sqlite:///{replica}",
            "plugins": ["monza-brianza"],
            "secret_key": "replica",
        },
        create_database=True,
    )
    amal = state(app)
    Base.metadata.create_all(amal.engine)
    with amal.session_factory() as session:
        sync_territories(session, amal.plugins)
    shutil.copyfile(primary, replica)
    with amal.session_factory() as session:
        ctx = Context(session, "tester", amal.plugins)
        register_candidate(ctx, TERRITORY, first_name="Solo", last_name="Primario")
        quarter = f"{date.today().year}-Q{(date.today().month - 1) // 3 + 1}"
        live = as_data(run_report(ctx, TERRITORY, REPORT, quarter))
        run = request_run(app, ctx, TERRITORY, REPORT, quarter)
    assert jobs.drain(app)
    with amal.session_factory() as session:
        done = session.get(ReportRun, run.id)
    assert done.status == "done"  # written to the primary
    assert live["tables"][0]["rows"]  # the primary counts the new candidate
    assert live["tables"][0]["rows"] != done.result["tables"][0]["rows"]  # read on the replica
    amal.engine.dispose()
    amal.report_session_factory.kw["bind"].dispose()
