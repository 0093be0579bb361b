"""In Chromium: at Lecco's help desk an intake operator records a walk-in, and the
contact becomes a candidate without retyping (the Lecco plugin's own pages)."""

# ruff: noqa: F811  (the browser fixtures are imported, then requested by name)

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_e2e_browser import browser_page, live_server, see, shot  # noqa: F401 (fixtures)

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.consent.services import publish_notice
from amal.participants.models import Participant
from amal.services import Context
from amal.testing import TEST_PASSWORD
from amal_lecco.sportello.models import Contact, Outcome


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_help_desk_contact_becomes_a_candidate(
    ctx: Context, live_server: str, browser_page
) -> None:
    publish_notice(ctx, "lecco", "1.0", "Informativa sul trattamento dei dati personali")
    create_user(
        ctx, "sportello", TEST_PASSWORD, display_name="Paola Sportello",
        roles=[("lecco", Role.INTAKE_OPERATOR)],
    )  # fmt: skip
    page = browser_page
    page.goto(f"{live_server}/login")
    page.get_by_label("Nome utente").fill("sportello")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.get_by_role("link", name="Sportello", exact=True).click()
    page.get_by_role("heading", name="Sportello di Valmadrera").wait_for()

    page.get_by_role("link", name="Nuovo contatto (accesso libero)").click()
    page.get_by_label("Nome", exact=True).fill("Marta")
    page.get_by_label("Cognome").fill("Colombo")
    page.get_by_label("Telefono (facoltativo)").fill("0341 123456")
    page.get_by_label("Motivo della visita").fill("Licenziata a marzo, vuole entrare in un gruppo")
    page.get_by_label("da definire").check()
    shot(page, "help-desk-01-walk-in")
    page.get_by_role("button", name="Registra il contatto").click()
    see(page, "Contatto registrato.")

    # The core's intake form, already filled in from the contact.
    assert page.get_by_label("Nome", exact=True).input_value() == "Marta"
    assert page.get_by_label("Telefono").input_value() == "0341 123456"
    assert page.get_by_label("Come ha conosciuto il servizio").input_value() == (
        "Sportello di Valmadrera"
    )
    page.get_by_label("Data di nascita").fill("1972-09-14")
    page.get_by_label("trattamento dei dati personali").check()
    shot(page, "help-desk-02-candidate-form")
    page.get_by_role("button", name="Registra", exact=True).click()
    see(page, "Candidato registrato dal contatto allo sportello.")
    shot(page, "help-desk-03-candidate")

    participant = ctx.session.scalar(select(Participant).where(Participant.last_name == "Colombo"))
    assert participant.needs == "Licenziata a marzo, vuole entrare in un gruppo"
    contact = ctx.session.scalar(select(Contact).where(Contact.last_name == "Colombo"))
    assert (contact.outcome, contact.participant_id) == (Outcome.CANDIDATE, participant.id)

    page.get_by_role("link", name="Sportello", exact=True).click()
    row = page.locator("tr", has_text="Colombo")
    assert "candidato registrato" in row.inner_text()
    shot(page, "help-desk-04-desk")


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_help_desk_visitor_who_never_registered_is_erased(
    ctx: Context, live_server: str, browser_page
) -> None:
    """A coordinator erases, on request, the details of someone who came for
    information only: confirmation and reference asked, the visit still counted."""
    from amal.audit.models import AuditAction, AuditEntry
    from amal_lecco.sportello.services import record_contact

    create_user(
        ctx, "coord-lecco", TEST_PASSWORD, display_name="Luca Coordinatore",
        roles=[("lecco", Role.COORDINATOR)],
    )  # fmt: skip
    contact = record_contact(
        ctx,
        "lecco",
        first_name="Piero",
        last_name="Brambilla",
        phone="0341 555111",
        reason="Chiede informazioni sui corsi",
        outcome=Outcome.INFORMATION,
    )
    ctx.session.commit()
    page = browser_page
    page.goto(f"{live_server}/login")
    page.get_by_label("Nome utente").fill("coord-lecco")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.get_by_role("link", name="Sportello", exact=True).click()
    page.get_by_role("link", name="Piero Brambilla").click()
    page.get_by_role("link", name="Cancella i dati del visitatore").click()
    page.get_by_label("Motivo (riferimento della richiesta)").fill("Richiesta prot. 118/2026")
    page.get_by_role("button", name="Cancella i dati").click()
    see(page, "Conferma la cancellazione")  # not confirmed: nothing erased
    shot(page, "help-desk-05-erase-confirm")
    # Bootstrap Italia draws the box on the label (the native input is hidden under it).
    page.locator("label[for=confirm]").click()
    assert page.get_by_label("Confermo").is_checked()
    page.get_by_role("button", name="Cancella i dati").click()
    see(page, "Dati del visitatore cancellati")
    row = page.locator("tr", has_text="[cancellato]")
    assert "Brambilla" not in page.content() and "informazioni date" in row.inner_text()
    shot(page, "help-desk-06-visitor-erased")
    ctx.session.expire_all()
    erased = ctx.session.get(Contact, contact.id)
    assert (erased.last_name, erased.phone, erased.reason) == ("[cancellato]", "", "")
    assert ctx.session.scalar(
        select(AuditEntry.id).where(
            AuditEntry.action == AuditAction.ERASE, AuditEntry.entity_id == contact.id
        )
    )
