"""In Chromium: a coordinator sets up Monza's network coordination group,
plans a meeting, fills the organisations' register, records a decision and
sees it followed up at the next meeting."""

from __future__ import annotations

# ruff: noqa: F811  (the browser fixtures are imported, then requested by name)
from datetime import date, timedelta

import pytest
from test_e2e_browser import browser_page, live_server, see, shot  # noqa: F401 (fixtures)

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.services import Context
from amal.territories.services import add_representative, directory
from amal.testing import TEST_PASSWORD

MB = "monza-brianza"


def log_in(page, live_server: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_network_meeting_register_and_decision_followed_up(
    ctx: Context, live_server: str, browser_page
) -> None:
    create_user(ctx, "coord", TEST_PASSWORD, display_name="Giulia Coordinatrice",
                roles=[(MB, Role.COORDINATOR)])  # fmt: skip
    partners = {p.name: p for p in directory(ctx, MB)}
    add_representative(ctx, MB, partners["AFOL Monza e Brianza"].id, name="Anna Sala")
    add_representative(ctx, MB, partners["CGIL Brianza"].id, name="Marco Bassi")
    first_day = date.today() - timedelta(days=28)
    second_day = date.today() - timedelta(days=1)
    page = browser_page
    log_in(page, live_server, "coord")

    page.get_by_role("link", name="Coordinamento di rete").click()
    assert page.get_by_role("heading", name="Coordinamento di rete").is_visible()
    page.get_by_role("button", name="Costituisci il gruppo di coordinamento").click()
    see(page, "Gruppo di coordinamento costituito")
    for organisation, person in [("AFOL Monza e Brianza", "Anna Sala (AFOL Monza e Brianza)"),
                                 ("CGIL Brianza", "Marco Bassi (CGIL Brianza)"),
                                 ("Comune di Monza", "(nessuno indicato)")]:  # fmt: skip
        page.get_by_text("Aggiungi un'organizzazione dall'elenco dei partner").click()
        page.get_by_label("Organizzazione").select_option(label=organisation)
        page.get_by_label("Rappresentata da").select_option(label=person)
        page.get_by_label("Al tavolo dal").fill("2026-01-12")
        page.get_by_role("button", name="Aggiungi al tavolo").click()
        see(page, "Organizzazione aggiunta al tavolo.")
    members = page.locator("table.members tbody tr").all_inner_texts()
    afol = "AFOL Monza e Brianza\tAnna Sala\t12/01/2026\tin corso"
    assert any(r.startswith(afol) for r in members)

    def plan(day: date, agenda: str) -> None:
        page.get_by_text("Pianifica un incontro di coordinamento").click()
        page.get_by_label("Data").fill(day.isoformat())
        page.get_by_label("Luogo").fill("Sede della Provincia, via Grigna 13")
        page.get_by_label("Ordine del giorno").fill(agenda)
        page.get_by_role("button", name="Pianifica l'incontro").click()
        see(page, "Incontro pianificato.")

    plan(first_day, "1. Avvio dei gruppi\n2. Comunicazione ai centri per l'impiego")
    # The organisations' register: AFOL and CGIL came, the Comune did not; UIL as a guest.
    register = page.locator("table.register")
    register.get_by_role("checkbox", name="AFOL Monza e Brianza").check()
    register.get_by_role("checkbox", name="CGIL Brianza").check()
    register.get_by_role("checkbox", name="UIL Brianza").check()
    page.locator(f"#represented_by-{partners['UIL Brianza'].id}").fill("Paola Riva")
    page.locator(f"#representative-{partners['AFOL Monza e Brianza'].id}").select_option(
        label="Anna Sala"
    )
    page.get_by_role("button", name="Salva il registro delle organizzazioni").click()
    see(page, "Registro delle organizzazioni salvato: l'incontro risulta svolto.")
    assert page.locator("strong", has_text="svolto").is_visible()

    page.get_by_text("Registra una decisione").click()
    page.get_by_label("Decisione").fill("Preparare un volantino per i centri per l'impiego")
    page.get_by_label("Responsabile (organizzazione)").select_option(label="AFOL Monza e Brianza")
    page.get_by_label("Responsabile (persona)").fill("Anna Sala")
    page.get_by_label("Entro il").fill(second_day.isoformat())
    page.get_by_role("button", name="Registra la decisione").click()
    see(page, "Decisione registrata.")
    minutes = {"name": "verbale.pdf", "mimeType": "application/pdf",
               "buffer": b"%PDF-1.4\n% Verbale del tavolo\n"}  # fmt: skip
    page.get_by_label("Verbale (file PDF, ODT, DOCX, DOC o TXT, al massimo 2 MB)").set_input_files(
        files=[minutes]
    )
    page.get_by_role("button", name="Carica il file del verbale").click()
    see(page, "File del verbale salvato.")
    rows = page.locator("table.register tbody tr").all_inner_texts()
    assert len(rows) >= 3
    shot(page, "network-01-meeting-register-decision")

    # The next meeting lists the open decision; it is marked done there.
    page.get_by_role("link", name="Gruppo di coordinamento di rete").first.click()
    plan(second_day, "1. Verifica delle decisioni")
    follow = page.locator("table.follow-ups tbody tr", has_text="volantino")
    assert "AFOL Monza e Brianza – Anna Sala" in follow.inner_text()
    follow.get_by_label("Esito").select_option(label="attuata")
    follow.get_by_label("Nota (il motivo, se abbandonata)").fill("Distribuito in 300 copie")
    follow.get_by_role("button", name="Registra l'esito").click()
    see(page, "Esito registrato.")
    follow = page.locator("table.follow-ups tbody tr", has_text="volantino")
    assert "attuata" in follow.inner_text() and "Distribuito in 300 copie" in follow.inner_text()
    shot(page, "network-02-decision-followed-up")

    page.get_by_role("link", name="Gruppo di coordinamento di rete").first.click()
    see(page, "Nessuna decisione aperta.")
    meetings = page.locator("table.network-meetings tbody tr").all_inner_texts()
    assert f"{first_day:%d/%m/%Y}" in meetings[1] and meetings[1].endswith("svolto\t3")
    shot(page, "network-03-body")
