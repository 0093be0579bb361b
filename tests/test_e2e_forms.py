"""In Chromium: forgiving forms as a coordinator uses them. The register with
"tutti presenti" and a decimal comma (an error keeps what was typed and names
the row); a WHO-5 corrected with a reason; the rest of the plan shifted; a
group concluded with its remaining meetings cancelled after a confirmation,
then reopened; a full group's waiting list and the place offered."""

from __future__ import annotations

# ruff: noqa: F811  (the browser fixtures are imported, then requested by name)
from datetime import date

import pytest
from test_e2e_browser import browser_page, live_server, see, shot  # noqa: F401 (fixtures)

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.groups.services import create_group, enrol, remove_member, start_group
from amal.meetings.models import MeetingKind
from amal.meetings.services import generate_plan
from amal.services import Context
from amal.testing import TEST_PASSWORD, staff_facilitator
from amal.wellbeing.services import record_administration

T = "monza-brianza"


def log_in(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("Nome utente").fill("coord")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_register_correction_shift_conclude_reopen(
    ctx: Context, person, live_server: str, browser_page
) -> None:
    create_user(ctx, "coord", TEST_PASSWORD, roles=[(T, Role.COORDINATOR)])
    group = create_group(
        ctx, T, "Gruppo Carate", start_date=date(2026, 3, 2),
        facilitator_ids=[staff_facilitator(ctx, T)],
    )  # fmt: skip
    anna = person(on=date(2026, 2, 1), first_name="Anna", last_name="Riva")
    luca = person(on=date(2026, 2, 1), first_name="Luca", last_name="Sala")
    for who in (anna, luca):
        enrol(ctx, group.id, who.id, enrolled_on=date(2026, 2, 20))
    start_group(ctx, group.id, override_reason="Gruppo di prova", started_on=date(2026, 3, 2))
    plan = [m for m in generate_plan(ctx, group.id) if m.kind == MeetingKind.GROUP]
    record_administration(
        ctx, anna.id, "who5", "entry", dict.fromkeys(range(1, 6), 1),
        administered_on=date(2026, 3, 2),
    )  # fmt: skip
    page = browser_page
    log_in(page, live_server)

    # The register: nothing preselected; "tutti presenti", then the exceptions.
    page.goto(f"{live_server}/t/{T}/groups/meetings/{plan[0].id}")
    assert page.locator("input[type=radio]:checked").count() == 0
    page.get_by_role("button", name="Tutti presenti").click()
    assert page.locator("input[type=radio]:checked").count() == 2
    page.get_by_label("Luca Sala: assente", exact=True).check()
    page.get_by_label("Anna Riva: ore").fill("7")
    page.get_by_role("button", name="Salva il registro").click()
    see(page, "Riga Anna Riva:")
    assert page.get_by_label("Anna Riva: ore").input_value() == "7"  # kept as typed
    assert page.get_by_label("Luca Sala: assente", exact=True).is_checked()
    shot(page, "forms-01-register-error-named-row")
    page.get_by_label("Anna Riva: ore").fill("1,5")
    page.get_by_role("button", name="Salva il registro").click()
    see(page, "Registro salvato: l'incontro risulta svolto.")
    assert page.get_by_label("Anna Riva: ore").input_value() == "1,5"
    shot(page, "forms-02-register-decimal-comma")

    # A mistyped WHO-5 corrected with its reason.
    page.goto(f"{live_server}/t/{T}/participants/{anna.id}")
    page.locator("table.wellbeing").get_by_role("link", name="Correggi").click()
    for index in range(5):
        page.locator("fieldset").nth(index).get_by_label("4", exact=True).check()
    page.get_by_label("Motivo della correzione").fill("Risposte trascritte dalla colonna sbagliata")
    page.get_by_role("button", name="Salva la correzione").click()
    see(page, "corretto: punteggio 80.")
    page.get_by_text("Correzioni dei questionari").click()
    see(page, "punteggio precedente 20")
    shot(page, "forms-03-who5-corrected")

    # Shift the rest of the plan by a week from meeting 7.
    page.goto(f"{live_server}/t/{T}/groups/{group.id}")
    page.get_by_text("Sposta il resto del calendario").click()
    page.get_by_label("Dall'incontro").select_option("7")
    page.get_by_label("Di", exact=True).fill("1")
    page.locator("form.shift").get_by_label("Motivo").fill("Sala chiusa per lavori")
    page.get_by_role("button", name="Sposta il calendario").click()
    see(page, "Fatto.")
    see(page, "Spostato dal 25/05/2026: Sala chiusa per lavori")

    # Conclude: the page says what is cancelled and asks for a confirmation.
    page.get_by_text("Concludi il gruppo", exact=True).first.click()
    see(page, "Incontri ancora da tenere: 15.")
    form = page.locator("form.conclude")
    form.get_by_label("Annulla gli incontri ancora da tenere").check()
    form.get_by_label("Motivo").fill("Il gruppo ha scelto di chiudere prima")
    shot(page, "forms-04-conclude-confirmation")
    form.get_by_role("button", name="Concludi il gruppo").click()
    assert "concluded" not in page.url  # the browser asks for the confirmation box first
    form.get_by_label("Confermo la conclusione del gruppo").check()
    form.get_by_role("button", name="Concludi il gruppo").click()
    see(page, "Fatto.")
    page.get_by_text("Riapri il gruppo (entro il").click()
    page.locator("#reopen-reason").fill("Concluso per errore")
    page.get_by_label("Confermo la riapertura").check()
    page.get_by_role("button", name="Riapri il gruppo").click()
    see(page, "Fatto.")
    assert page.get_by_text("Concludi il gruppo", exact=True).count() >= 1
    shot(page, "forms-05-reopened")


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_waiting_list_in_chromium(ctx: Context, person, live_server: str, browser_page) -> None:
    create_user(ctx, "coord", TEST_PASSWORD, roles=[(T, Role.COORDINATOR)])
    group = create_group(ctx, T, "Gruppo Meda", start_date=date(2027, 1, 11))
    members = [person() for _ in range(group.max_size)]
    for m in members:
        enrol(ctx, group.id, m.id)
    person(first_name="Ada", last_name="Attesa")
    page = browser_page
    log_in(page, live_server)
    page.goto(f"{live_server}/t/{T}/groups/{group.id}")
    page.get_by_label("Iscrivi un partecipante ammesso").select_option(label="Attesa Ada")
    page.get_by_role("button", name="Iscrivi", exact=True).click()
    see(page, "Il gruppo è al completo: puoi mettere la persona nella sua lista d'attesa.")
    assert page.get_by_label("Metti in lista d'attesa").input_value()  # the person, chosen
    page.get_by_role("button", name="Aggiungi alla lista d'attesa").click()
    see(page, "Lista d'attesa (1)")
    remove_member(ctx, group.id, members[0].id, "Rinuncia prima dell'avvio")
    page.reload()
    see(page, "posto offerto: libero dal")
    shot(page, "forms-06-waiting-list-offer")
    page.get_by_role("button", name="Iscrivi Ada Attesa").click()
    see(page, "Fatto.")
    see(page, f"Partecipanti ({group.max_size}/{group.max_size})")
