"""In Chromium, on PostgreSQL with the database queue: a coordinator asks for a
report, sees its progress while no worker runs, and the page, reloading itself,
shows the figures once a worker has computed them."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.runtime import state
from amal.services import Context
from amal.testing import TEST_PASSWORD
from tests.test_e2e_browser import browser_page, see, shot  # noqa: F401
from tests.test_jobs import queue_app, start_worker  # noqa: F401


@pytest.fixture
def queue_server(queue_app: Flask) -> Iterator[str]:  # noqa: F811
    server = make_server("127.0.0.1", 0, queue_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("amal_database_url", ["postgresql"], indirect=True)
def test_report_progress_then_figures_in_chromium(
    queue_app: Flask,  # noqa: F811
    amal_database_url: str,
    queue_server: str,
    browser_page,  # noqa: F811
) -> None:
    amal = state(queue_app)
    with amal.session_factory() as session:
        create_user(
            Context(session, "tester", amal.plugins),
            "coordinatrice",
            TEST_PASSWORD,
            roles=[("monza-brianza", Role.COORDINATOR)],
        )
    page = browser_page
    page.goto(f"{queue_server}/login")
    page.get_by_label("Nome utente").fill("coordinatrice")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.goto(f"{queue_server}/t/monza-brianza/reports/provincia-trimestrale")
    page.get_by_label("Periodo").select_option("2026-Q1")
    page.get_by_role("button", name="Calcola").click()
    see(page, "Il report è in calcolo")
    see(page, "in attesa del processo di calcolo")
    assert page.locator("progress").count() == 1
    shot(page, "report-run-queued")
    worker = start_worker(queue_app, amal_database_url, delay=0)
    try:
        page.get_by_text("Calcolato il").wait_for(timeout=30_000)  # the page reloaded itself
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert page.locator("progress").count() == 0
    see(page, "Violazioni delle regole")
    shot(page, "report-run-done")
