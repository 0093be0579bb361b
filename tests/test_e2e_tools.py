"""Everyday tools in Chromium, as a Lecco coordinator uses them: log in with the
username typed in capitals; see on the dashboard who missed their group's last
meetings; read the contacts and write the case diary (then correct a note);
import candidates from a spreadsheet (checked first, then imported); screen
them together from the list; look at the month calendar, the member list to
print and the blank sign-in sheet of a meeting. Screenshots in
``test-artifacts/screenshots/tools-*.png``."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_e2e_browser import browser_page, live_server, see, shot  # noqa: F401  (fixtures)
from test_everyday_tools import absent_world

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.participants.models import Participant, ParticipantStatus
from amal.services import Context
from amal.testing import TEST_PASSWORD

T = "lecco"


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_everyday_tools_in_chromium(
    ctx: Context,
    person,
    tmp_path,
    live_server: str,  # noqa: F811
    browser_page,  # noqa: F811
) -> None:
    create_user(ctx, "g.colombo", TEST_PASSWORD, roles=[(T, Role.COORDINATOR)])
    group, (_, bruno, _), plan = absent_world(ctx, person)
    ctx.session.get(Participant, bruno.id).email = "bruno@example.it"
    ctx.session.commit()
    page = browser_page
    base = f"{live_server}/t/{T}"

    page.goto(f"{live_server}/login")
    page.get_by_label("Nome utente").fill("G.Colombo")  # usernames ignore case
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    see(page, "Assenti a più incontri di fila")
    alert = page.locator("#absences + table")
    assert bruno.full_name in alert.inner_text() and "1 giustificate" in alert.inner_text()
    shot(page, "tools-dashboard-absences")

    # Contacts and the case diary.
    page.get_by_role("link", name=bruno.full_name).first.click()
    page.get_by_role("heading", name="Recapiti").wait_for()
    assert "bruno@example.it" in page.locator("#contacts").inner_text()
    page.get_by_role("link", name="Diario del percorso").click()
    page.get_by_label("Nota").fill("Telefonata: assente per un colloquio di lavoro")
    page.get_by_role("button", name="Aggiungi al diario").click()
    see(page, "Nota aggiunta al diario.")
    page.get_by_role("link", name="Correggi").click()
    page.get_by_label("Nota").fill("Telefonata: assente per due colloqui di lavoro")
    page.get_by_role("button", name="Salva la correzione").click()
    see(page, "Nota corretta")
    page.get_by_text("Versioni precedenti (1)").click()
    see(page, "assente per un colloquio di lavoro")
    shot(page, "tools-diary")

    # Import from a spreadsheet: a wrong file first, then the right one.
    wrong = tmp_path / "candidati.csv"
    wrong.write_text("Cognome;Nome;Data di nascita\nFumagalli;Rita;31/02/1980\n;Ugo;\n")
    page.goto(f"{base}/participants/")
    page.get_by_role("link", name="Importa candidati da un foglio di calcolo").click()
    page.get_by_label("File").set_input_files(str(wrong))
    page.get_by_role("button", name="Controlla il file").click()
    see(page, "2 righe su 2 hanno problemi")
    shot(page, "tools-import-errors")
    wrong.write_text("Cognome;Nome;Data di nascita\nFumagalli;Rita;28/02/1980\nPozzi;Ugo;\n")
    page.get_by_label("File").set_input_files(str(wrong))
    page.get_by_role("button", name="Controlla il file").click()
    see(page, "Tutte le 2 righe sono corrette.")
    page.get_by_role("button", name="Importa 2 candidati").click()
    see(page, "2 candidati importati.")

    # Both screened at once from the list.
    page.get_by_label("Seleziona Fumagalli Rita").check()
    page.get_by_label("Seleziona Pozzi Ugo").check()
    page.locator("#bulk-status").select_option("screened")
    page.get_by_role("button", name="Cambia lo stato delle persone selezionate").click()
    see(page, "2 persone ora")
    ctx.session.expire_all()
    imported = ctx.session.scalars(
        select(Participant).where(Participant.last_name.in_(["Fumagalli", "Pozzi"]))
    ).all()
    assert [p.status for p in imported] == [ParticipantStatus.SCREENED] * 2

    # The month calendar, the member list to print, the sign-in sheet.
    page.goto(f"{base}/groups/calendar?month={plan[0].scheduled_on:%Y-%m}")
    see(page, "Calendario:")
    assert "Lario" in page.locator("table.calendar").inner_text()
    shot(page, "tools-calendar")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "tools-calendar-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/groups/{group.id}")
    page.get_by_role("link", name="Elenco iscritti da stampare").click()
    see(page, "Iscritto dal")
    page.emulate_media(media="print")
    shot(page, "tools-member-list-print")
    page.emulate_media(media="screen")
    page.goto(f"{base}/groups/meetings/{plan[-1].id}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Stampa il foglio firme in bianco (PDF)").click()
    assert download.value.path().read_bytes()[:4] == b"%PDF"
