"""The participant record in Chromium: a coordinator corrects a record (the
birth date that blocked admission, a fiscal code typed with spaces), adds and
withdraws a consent and sees the block it causes, records an end outcome and
three follow-ups; the dashboard lists a follow-up due, the referrals page a
referral waiting. Screenshots in ``test-artifacts/screenshots/record-*.png``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_e2e_browser import browser_page, live_server, see, shot  # noqa: F401  (fixtures)

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.consent.models import ConsentPurpose
from amal.groups.services import create_group, enrol, remove_member
from amal.outcomes.services import add_months, record_outcome
from amal.participants.models import ParticipantStatus
from amal.referrals.services import propose_referral
from amal.services import Context
from amal.testing import TEST_PASSWORD

T = "monza-brianza"


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_record_correction_consent_and_outcomes_in_chromium(
    ctx: Context,
    person,
    live_server: str,  # noqa: F811
    browser_page,  # noqa: F811
) -> None:
    create_user(
        ctx, "coordinatrice", TEST_PASSWORD, display_name="Giulia", roles=[(T, Role.COORDINATOR)]
    )
    blocked = person(
        T,
        status=ParticipantStatus.SCREENED,
        first_name="Carla",
        last_name="Brambilla",
        birth_date=None,
        consents=(ConsentPurpose.PROCESSING,),
    )
    # Registered long enough ago for their outcomes' dates (never before registration).
    leaver = person(T, first_name="Dario", last_name="Sala", on=date.today() - timedelta(days=500))
    group = create_group(ctx, T, "Gruppo Cartiera")
    enrol(ctx, group.id, leaver.id)
    remove_member(ctx, group.id, leaver.id, "Assunto a tempo determinato")
    due = person(T, first_name="Elena", last_name="Riva", on=date.today() - timedelta(days=150))
    enrol(ctx, group.id, due.id)
    remove_member(ctx, group.id, due.id, "Trasferita")
    record_outcome(
        ctx, due.id, "end", category="inactive", recorded_on=add_months(date.today(), -3)
    )
    propose_referral(ctx, due.id, "gol-1", on=date.today() - timedelta(days=20))
    page = browser_page
    base = f"{live_server}/t/{T}"

    page.goto(f"{live_server}/login")
    page.get_by_label("Nome utente").fill("coordinatrice")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.get_by_role("heading", name="Provincia di Monza e Brianza").wait_for()

    # Admission is refused for the missing birth date; the coordinator corrects the record.
    page.goto(f"{base}/participants/{blocked.id}")
    page.get_by_label("Nuovo stato").select_option("admitted")
    page.get_by_role("button", name="Cambia stato").click()
    see(page, "Data di nascita mancante")
    page.get_by_role("link", name="Correggi la scheda").click()
    page.get_by_label("Codice fiscale").fill("clm gnn 90c46 b212a ")
    page.get_by_label("Data di nascita").fill("1990-03-06")
    page.get_by_label("Telefono").fill("333 123 4567")
    page.get_by_label("Ultimo datore di lavoro").fill("Cartiera Brianza SpA")
    page.get_by_label("Mesi senza lavoro").fill("8")
    page.get_by_role("button", name="Salva le correzioni").click()
    see(page, "Scheda corretta.")
    record = page.content()
    assert "CLMGNN90C46B212A" in record and "+393331234567" in record
    page.locator("#corrections").scroll_into_view_if_needed()
    shot(page, "record-02-corrected-with-history")
    page.get_by_label("Nuovo stato").select_option("admitted")
    page.get_by_role("button", name="Cambia stato").click()
    see(page, "Stato cambiato in: ammesso.")

    # Add the questionnaire consent, then withdraw it: the record says what stops.
    page.get_by_label("questionari sul benessere (categorie particolari)").check()
    page.get_by_role("button", name="Registra il consenso").click()
    see(page, "Consenso registrato.")
    page.get_by_label("Consenso revocato").select_option("particular_categories")
    page.get_by_label("Motivo della revoca").fill("Non vuole più compilare questionari")
    page.get_by_role("button", name="Revoca il consenso").click()
    see(page, "Consenso revocato: ciò che ne dipende si ferma da quel giorno.")
    see(page, "Consenso a questionari sul benessere (categorie particolari) revocato il")
    shot(page, "record-03-consent-withdrawn")
    page.goto(f"{base}/participants/{blocked.id}/wellbeing/who5")
    page.get_by_label("Quando").select_option("entry")
    page.get_by_label("Data", exact=True).fill(date.today().isoformat())
    for item in page.locator("fieldset").all():
        item.locator("input[type=radio]").first.check()
    page.get_by_role("button", name="Salva").click()
    see(page, "La persona non ha prestato il consenso necessario.")
    shot(page, "record-04-questionnaire-blocked")

    # An end outcome for the person who left the group, then three follow-ups.
    ended = date.today() - timedelta(days=400)
    page.goto(f"{base}/participants/{leaver.id}")
    for moment, month, category, day in (
        ("end", "", "employed_fixed_term", ended),
        ("follow_up", "3", "active_search", add_months(ended, 3)),
        ("follow_up", "6", "training", add_months(ended, 6)),
        ("follow_up", "12", "employed_open_ended", add_months(ended, 12)),
    ):
        page.get_by_label("Momento").select_option(moment)
        page.get_by_label("Mese del follow-up").select_option(month)
        page.get_by_label("Situazione").select_option(category)
        page.get_by_label("Data dell'esito").fill(day.isoformat())
        page.get_by_role("button", name="Registra l'esito").click()
        see(page, "Esito registrato.")
    outcomes = page.locator("#outcomes + table").inner_text()
    assert "a 3 mesi" in outcomes and "a 6 mesi" in outcomes and "a 12 mesi" in outcomes
    assert "in cerca attiva di lavoro" in outcomes and "occupato a tempo indeterminato" in outcomes
    page.locator("#outcomes").scroll_into_view_if_needed()
    shot(page, "record-05-outcome-and-follow-ups")
    page.goto(f"{base}/")
    see(page, "Follow-up da fare")
    assert "Elena Riva" in page.locator("#follow-ups ~ table").last.inner_text()
    shot(page, "record-06-dashboard-follow-ups")
    page.goto(f"{base}/referrals/?waiting=10")
    assert "Elena Riva" in page.locator("table").inner_text()
    shot(page, "record-07-referrals")
    page.goto(f"{base}/audit/")
    audit = page.locator("table").inner_text()
    assert "letto" in audit and "scheda partecipante" in audit and "esito" in audit
    shot(page, "record-08-audit-in-italian")
