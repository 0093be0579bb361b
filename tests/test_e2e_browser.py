"""End to end in a real browser: Debian's Chromium driven by Playwright against a
live server on 127.0.0.1. A coordinator registers a candidate with consent,
screens and admits them, creates a group, enrols members, generates the plan,
records attendance, enters a WHO-5 questionnaire and downloads a report.

Screenshots of the main pages go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from werkzeug.serving import make_server

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.consent.services import publish_notice
from amal.services import Context
from amal.testing import TEST_PASSWORD

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parents[1] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_problem() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not installed (apt-get install chromium; make test does it as root)"
    if shutil.which("chromium") is None and not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not executable"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright is not installed ({exc})"
    return None


@pytest.fixture
def browser_page(tmp_path: Path):
    problem = _browser_problem()
    if problem:
        if os.environ.get("AMAL_TEST_REQUIRE_BROWSER"):
            pytest.fail(problem)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            accept_downloads=True, locale="it-IT", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def see(page, text: str) -> None:
    """Wait for ``text``; on failure keep a screenshot and say what the page showed."""
    try:
        # .first: a form error shows twice, in the summary at the top and at its field.
        page.get_by_text(text).first.wait_for()
    except Exception as exc:
        shot(page, "failure")
        shown = page.locator(".error, .flash").all_inner_texts()
        raise AssertionError(f"{text!r} not shown on {page.url}; messages: {shown}") from exc


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_coordinator_flow_in_chromium(ctx: Context, person, live_server: str, browser_page) -> None:
    territory = "monza-brianza"
    publish_notice(ctx, territory, "1.0", "Informativa sul trattamento dei dati personali")
    create_user(
        ctx,
        "coordinatrice",
        TEST_PASSWORD,
        display_name="Giulia Coordinatrice",
        roles=[(territory, Role.COORDINATOR)],
    )
    already_admitted = person(territory, first_name="Bruno", last_name="Ammessi")
    page = browser_page

    # Log in (the interface is Italian by default).
    page.goto(f"{live_server}/login")
    shot(page, "01-login")
    page.get_by_label("Nome utente").fill("coordinatrice")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.get_by_role("heading", name="Provincia di Monza e Brianza").wait_for()
    shot(page, "02-dashboard")

    # Register a candidate with consent.
    page.get_by_role("link", name="Partecipanti").click()
    page.get_by_role("link", name="Registra un candidato").click()
    page.get_by_label("Nome", exact=True).fill("Carla")
    page.get_by_label("Cognome").fill("Brambilla")
    page.get_by_label("Data di nascita").fill("1971-05-04")
    page.get_by_label("Condizione lavorativa").select_option("naspi")
    page.get_by_label("trattamento dei dati personali").check()
    page.get_by_label("questionari sul benessere (categorie particolari)").check()
    shot(page, "03-intake")
    page.get_by_role("button", name="Registra", exact=True).click()
    see(page, "Candidato registrato.")

    # Screen, then admit.
    page.get_by_label("Nuovo stato").select_option("screened")
    page.get_by_role("button", name="Cambia stato").click()
    see(page, "Stato cambiato in: valutato.")
    page.get_by_label("Nuovo stato").select_option("admitted")
    page.get_by_role("button", name="Cambia stato").click()
    see(page, "Stato cambiato in: ammesso.")
    participant_url = page.url
    shot(page, "04-participant")

    # Create a group, enrol both admitted people, generate the plan.
    page.get_by_role("link", name="Gruppi").click()
    page.get_by_role("link", name="Nuovo gruppo").click()
    page.get_by_label("Nome", exact=True).fill("Gruppo Brianza Est")
    page.get_by_label("Primo incontro").fill("2026-01-13")
    page.get_by_label("Luogo").fill("Sala civica")
    page.get_by_role("button", name="Crea il gruppo").click()
    see(page, "Gruppo creato.")
    for name in ("Brambilla Carla", f"{already_admitted.last_name} Bruno"):
        page.get_by_label("Iscrivi un partecipante ammesso").select_option(label=name)
        page.get_by_role("button", name="Iscrivi", exact=True).click()
        see(page, "Fatto.")
    page.get_by_role("button", name="Genera il calendario degli incontri").click()
    page.get_by_role("heading", name="Calendario degli incontri").wait_for()
    assert page.locator("table.plan tbody tr").count() >= 16
    shot(page, "05-group")

    # Attendance register of the first meeting: nobody preselected; Carla present, Bruno absent.
    page.locator("table.plan tbody tr").first.get_by_role("link").click()
    page.get_by_label("Carla Brambilla: presente", exact=True).check()
    page.get_by_label(
        f"{already_admitted.first_name} {already_admitted.last_name}: assente", exact=True
    ).check()
    shot(page, "06-attendance")
    page.get_by_role("button", name="Salva il registro").click()
    see(page, "Registro salvato: l'incontro risulta svolto.")

    # WHO-5 at entry: every item "3" gives 60.
    page.goto(participant_url)
    page.get_by_role("link", name="Inserisci un questionario WHO-5").click()
    page.get_by_label("Data").fill("2026-01-13")
    for index in range(5):
        page.locator("fieldset").nth(index).get_by_label("3", exact=True).check()
    shot(page, "07-who5")
    page.get_by_role("button", name="Salva").click()
    see(page, "Indice di benessere WHO-5 registrato: punteggio 60.")

    # Run the quarterly report and download the XLSX.
    page.get_by_role("link", name="Report", exact=True).click()
    page.get_by_role("link", name="Relazione trimestrale di attività").click()
    page.get_by_label("Periodo").select_option("2026-Q1")
    page.get_by_role("button", name="Calcola").click()
    page.get_by_role("heading", name="Violazioni delle regole (").wait_for()
    shot(page, "08-report")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="XLSX").click()
    content = Path(download_info.value.path()).read_bytes()
    workbook = load_workbook(io.BytesIO(content))
    rates = {row[0]: row[1] for row in workbook["Tasso di presenza"].iter_rows(values_only=True)}
    assert rates["Presenze"] == 1 and rates["Assenze"] == 1
    assert rates["Tasso di presenza"] == 0.5  # a number (shown 50,0% by an Italian Excel)


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_transfer_proposed_and_accepted_in_chromium(
    ctx: Context, person, live_server: str, browser_page
) -> None:
    """Monza's coordinator proposes moving a person to Lecco from a past day;
    Lecco's coordinator sees only what the decision needs, accepts, and the
    record is Lecco's from that day on."""
    from datetime import date

    for code, username, name in (
        ("monza-brianza", "coord-monza", "Giulia Monza"),
        ("lecco", "coord-lecco", "Paolo Lecco"),
    ):
        create_user(
            ctx, username, TEST_PASSWORD, display_name=name, roles=[(code, Role.COORDINATOR)]
        )
    moving = person("monza-brianza", first_name="Ada", last_name="Viaggi", on=date(2026, 1, 12))
    page = browser_page

    def log_in(username: str, territory_heading: str) -> None:
        page.goto(f"{live_server}/login")
        page.get_by_label("Nome utente").fill(username)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Accedi").click()
        page.get_by_role("heading", name=territory_heading).wait_for()

    log_in("coord-monza", "Provincia di Monza e Brianza")
    page.goto(f"{live_server}/t/monza-brianza/participants/{moving.id}")
    page.get_by_label("Territorio di destinazione").select_option("lecco")
    page.get_by_label("Giorno del trasferimento (vuoto: oggi)").fill("2026-02-02")
    page.locator("#transfer-reason").fill("Cambio di residenza a Valmadrera")
    page.get_by_role("button", name="Proponi il trasferimento").click()
    see(page, "Trasferimento proposto: decide il coordinatore del territorio di destinazione.")
    see(page, "In attesa della decisione di Lecco - Sportello di Valmadrera.")
    shot(page, "09-transfer-proposed")
    page.get_by_role("button", name="Esci").click()

    log_in("coord-lecco", "Lecco - Sportello di Valmadrera")
    page.get_by_role("link", name="Trasferimenti in arrivo").click()
    row = page.locator("table tbody tr", has_text="Ada Viaggi")
    row.get_by_text("02/02/2026").wait_for()
    row.get_by_text("Cambio di residenza a Valmadrera").wait_for()
    shot(page, "10-transfer-incoming")
    row.get_by_role("button", name="Accetta").click()
    see(page, "Trasferimento accettato: la persona ora è in questo territorio.")
    page.get_by_role("heading", name="Ada Viaggi").wait_for()
    see(page, "dal 02/02/2026: accettato")
    shot(page, "11-transfer-accepted")
    ctx.session.expire_all()
    assert ctx.session.get(type(moving), moving.id).territory_code == "lecco"
