"""The Valmadrera help desk: the plugin's own pages, tables, migration branch and
report indicator."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import inspect, select

from amal import migrate
from amal.audit.models import AuditAction, AuditEntry
from amal.consent.services import erase_person, export_person, publish_notice
from amal.errors import DomainError
from amal.participants.models import Participant, ParticipantStatus
from amal.reports.engine import run_report
from amal.runtime import state
from amal.services import Context
from amal.testing import csrf_token
from amal_lecco.sportello.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Contact,
    OpeningHours,
    Outcome,
)
from amal_lecco.sportello.services import (
    book_appointment,
    erase_appointment,
    erase_visitor,
    record_contact,
    register_candidate,
)


@pytest.fixture
def amal_plugins() -> list[str]:
    return ["lecco"]


def walk_in(ctx: Context, **fields) -> Contact:
    values = {
        "first_name": "Marta",
        "last_name": "Colombo",
        "reason": "Ha perso il lavoro, cerca un gruppo",
        "outcome": None,
        "phone": "0341 000000",
        **fields,
    }
    return record_contact(ctx, "lecco", **values)


def test_a_contact_becomes_a_candidate_without_retyping(ctx: Context) -> None:
    publish_notice(ctx, "lecco", "1.0", "Informativa")
    contact = walk_in(ctx)
    assert contact.outcome is None and contact.channel == Channel.WALK_IN
    participant = register_candidate(ctx, contact.id, ["processing"], birth_date=date(1975, 3, 1))
    assert (participant.first_name, participant.last_name, participant.phone) == (
        "Marta",
        "Colombo",
        "+390341000000",  # normalised as every intake (E.164)
    )
    assert participant.needs == "Ha perso il lavoro, cerca un gruppo"
    assert participant.heard_from == "Sportello di Valmadrera"
    assert participant.status == ParticipantStatus.CANDIDATE
    assert participant.birth_date == date(1975, 3, 1)
    assert (contact.outcome, contact.participant_id) == (Outcome.CANDIDATE, participant.id)
    with pytest.raises(DomainError) as again:
        register_candidate(ctx, contact.id, ["processing"])
    assert again.value.code == "contact_already_registered"


def test_the_core_intake_rules_apply(ctx: Context) -> None:
    publish_notice(ctx, "lecco", "1.0", "Informativa")
    contact = walk_in(ctx)
    with pytest.raises(DomainError) as refused:
        register_candidate(ctx, contact.id, [])
    assert refused.value.code == "consent_required"
    assert ctx.session.get(Contact, contact.id).participant_id is None


def test_outcomes_are_checked(ctx: Context) -> None:
    with pytest.raises(DomainError) as no_place:
        walk_in(ctx, outcome=Outcome.REFERRED)
    assert no_place.value.code == "referred_to_required"
    with pytest.raises(DomainError) as shortcut:
        walk_in(ctx, outcome=Outcome.CANDIDATE)
    assert shortcut.value.code == "use_candidate_registration"
    with pytest.raises(DomainError) as future:
        walk_in(ctx, outcome=Outcome.INFORMATION, contacted_on=date.today() + timedelta(days=1))
    assert future.value.code == "event_in_future"


def test_an_appointment_turns_into_a_contact(ctx: Context) -> None:
    appointment = book_appointment(
        ctx,
        "lecco",
        scheduled_on=date.today(),
        at=time(9, 30),
        first_name="Luca",
        last_name="Rota",
        reason="Informazioni sul gruppo",
    )
    contact = walk_in(
        ctx,
        first_name="Luca",
        last_name="Rota",
        outcome=Outcome.INFORMATION,
        appointment_id=appointment.id,
    )
    assert contact.channel == Channel.APPOINTMENT
    assert appointment.status == AppointmentStatus.HELD
    with pytest.raises(DomainError) as twice:
        walk_in(ctx, outcome=Outcome.INFORMATION, appointment_id=appointment.id)
    assert twice.value.code == "appointment_closed"


def test_contacts_are_counted_in_the_valoriamo_report(ctx: Context) -> None:
    publish_notice(ctx, "lecco", "1.0", "Informativa")
    day = date(2026, 2, 10)
    walk_in(ctx, outcome=Outcome.INFORMATION, contacted_on=day)
    walk_in(ctx, outcome=Outcome.INFORMATION, contacted_on=day, last_name="Bianchi")
    walk_in(ctx, outcome=Outcome.REFERRED, referred_to="Centro per l'impiego", contacted_on=day)
    register_candidate(ctx, walk_in(ctx, contacted_on=day, last_name="Verdi").id, ["processing"])
    walk_in(ctx, outcome=Outcome.INFORMATION, contacted_on=date(2026, 8, 1))  # next semester
    result = run_report(ctx, "lecco", "valoriamo-semestrale", "2026-S1", today=date(2026, 9, 1))
    table = next(t for t in result.tables if t.indicator == "lecco_sportello_contacts")
    assert table.rows == [
        ("accesso libero", "informazioni date", 2),
        ("accesso libero", "candidato registrato", 1),
        ("accesso libero", "inviato ad altro servizio", 1),
        ("Totale", "", 4),
    ]


def test_pages_only_for_lecco_intake_staff(app, client, login) -> None:
    login("facilitator", "lecco")
    assert "/t/lecco/sportello/" not in client.get("/t/lecco/").get_data(as_text=True)
    assert client.get("/t/lecco/sportello/").status_code == 403
    login("intake_operator", "lecco")
    menu = client.get("/t/lecco/").get_data(as_text=True)
    assert '<a class="nav-link" href="/t/lecco/sportello/"><span>Sportello</span></a>' in menu
    page = client.get("/t/lecco/sportello/").get_data(as_text=True)
    assert "Orari di apertura" in page and "Aggiungi un orario" not in page  # coordinator's
    token = csrf_token(client, "/t/lecco/sportello/")
    refused = client.post(
        "/t/lecco/sportello/hours",
        data={"weekday": "1", "opens": "09:00", "closes": "12:00", "csrf_token": token},
    )
    assert refused.status_code == 403


def test_coordinator_sets_hours_and_registers_a_walk_in(app, client, login, ctx) -> None:
    publish_notice(ctx, "lecco", "1.0", "Informativa")
    login("coordinator", "lecco")
    token = csrf_token(client, "/t/lecco/sportello/")
    client.post(
        "/t/lecco/sportello/hours",
        data={"weekday": "1", "opens": "09:00", "closes": "12:00", "place": "Municipio"},
    )
    client.post(
        "/t/lecco/sportello/hours",
        data={
            "weekday": "1",
            "opens": "09:00",
            "closes": "12:00",
            "place": "Municipio",
            "csrf_token": token,
        },
    )
    bad = client.post(
        "/t/lecco/sportello/hours",
        data={"weekday": "3", "opens": "12:00", "closes": "09:00", "csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "L&#39;orario di chiusura deve seguire quello di apertura." in bad
    slots = ctx.session.scalars(select(OpeningHours)).all()  # no CSRF, no slot; bad one refused
    assert [(s.weekday, s.opens, s.closes) for s in slots] == [(1, time(9), time(12))]
    assert "<td>martedì</td><td>09:00–12:00</td>" in client.get("/t/lecco/sportello/").get_data(
        as_text=True
    )

    response = client.post(
        "/t/lecco/sportello/contacts/new",
        data={
            "first_name": "Anna",
            "last_name": "Sala",
            "reason": "Vuole entrare in un gruppo",
            "outcome": "",
            "csrf_token": token,
        },
    )
    contact = ctx.session.scalar(select(Contact).where(Contact.last_name == "Sala"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/sportello/contacts/{contact.id}/candidate")
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="Anna"' in form and "Vuole entrare in un gruppo" in form
    done = client.post(
        response.headers["Location"],
        data={
            "first_name": "Anna",
            "last_name": "Sala",
            "needs": "Vuole entrare in un gruppo",
            "heard_from": "Sportello di Valmadrera",
            "employment_status": "naspi",
            "gender": "",
            "consents": ["processing"],
            "csrf_token": token,
        },
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    participant = ctx.session.scalar(select(Participant).where(Participant.last_name == "Sala"))
    assert done.headers["Location"].endswith(f"/participants/{participant.id}")
    ctx.session.expire_all()
    assert ctx.session.get(Contact, contact.id).outcome == Outcome.CANDIDATE


def _booked_then_came(ctx: Context) -> Contact:
    appointment = book_appointment(
        ctx,
        "lecco",
        scheduled_on=date.today(),
        at=time(10),
        first_name="Marta",
        last_name="Colombo",
        phone="0341 000000",
        reason="Marta Colombo chiede del gruppo",
    )
    return walk_in(ctx, appointment_id=appointment.id)


def test_a_visit_that_became_the_intake_is_exported_and_erased_with_the_participant(
    ctx: Context,
) -> None:
    publish_notice(ctx, "lecco", "1.0", "Informativa")
    contact = _booked_then_came(ctx)
    other = walk_in(ctx, first_name="Piero", last_name="Sala", reason="Informazioni")
    participant = register_candidate(ctx, contact.id, ["processing"])

    export = export_person(ctx, participant.id)
    records = export["plugin_records"]
    assert [c["id"] for c in records["lecco_sportello_contact"]] == [contact.id]
    assert records["lecco_sportello_contact"][0]["phone"] == "0341 000000"
    assert [a["id"] for a in records["lecco_sportello_appointment"]] == [contact.appointment_id]

    erase_person(ctx, participant.id, "Richiesta prot. 9")
    ctx.session.expire_all()
    visit, booking = (
        ctx.session.get(Contact, contact.id),
        ctx.session.get(Appointment, contact.appointment_id),
    )
    for row in (visit, booking):
        assert (row.first_name, row.last_name, row.phone, row.reason) == (
            "—",
            "[cancellato]",
            "",
            "",
        )
    # What the figures count stays; someone else's visit is untouched.
    assert (visit.channel, visit.outcome, visit.contacted_on) == (
        Channel.APPOINTMENT,
        Outcome.CANDIDATE,
        date.today(),
    )
    assert ctx.session.get(Contact, other.id).last_name == "Sala"


def test_a_visitor_who_never_became_a_participant_is_erased(ctx: Context) -> None:
    publish_notice(ctx, "lecco", "1.0", "Informativa")
    contact = _booked_then_came(ctx)
    with pytest.raises(DomainError) as no_reason:
        erase_visitor(ctx, "lecco", contact.id, "  ")
    assert no_reason.value.code == "reason_required"
    erase_visitor(ctx, "lecco", contact.id, "Richiesta del 3/12")
    ctx.session.expire_all()
    assert ctx.session.get(Contact, contact.id).last_name == "[cancellato]"
    assert ctx.session.get(Appointment, contact.appointment_id).phone == ""
    entry = ctx.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.ERASE, AuditEntry.entity == "lecco_sportello_contact"
        )
    )
    assert entry is not None and entry.details["reason"] == "Richiesta del 3/12"
    with pytest.raises(DomainError) as again:
        erase_visitor(ctx, "lecco", contact.id, "di nuovo")
    assert again.value.code == "visitor_erased"

    registered = walk_in(ctx, first_name="Anna", last_name="Sala")
    register_candidate(ctx, registered.id, ["processing"])
    with pytest.raises(DomainError) as participant:
        erase_visitor(ctx, "lecco", registered.id, "prot. 1")
    assert participant.value.code == "visitor_is_participant"
    booked_only = book_appointment(
        ctx, "lecco", scheduled_on=date.today(), at=time(11), first_name="Rita", last_name="Riva"
    )
    erase_appointment(ctx, "lecco", booked_only.id, "prot. 2")
    assert ctx.session.get(Appointment, booked_only.id).first_name == "—"


def test_coordinator_erases_a_visitor_in_the_web(app, client, login, ctx) -> None:
    contact = walk_in(ctx, outcome=Outcome.INFORMATION)
    ctx.session.commit()
    page = f"/t/lecco/sportello/contacts/{contact.id}/erase"
    login("intake_operator", "lecco")
    assert "Cancella i dati" not in client.get(
        f"/t/lecco/sportello/contacts/{contact.id}"
    ).get_data(as_text=True)
    assert client.get(page).status_code == 403
    login("coordinator", "lecco")
    assert page in client.get(f"/t/lecco/sportello/contacts/{contact.id}").get_data(as_text=True)
    token = csrf_token(client, page)
    unconfirmed = client.post(page, data={"reason": "prot. 5", "csrf_token": token})
    assert unconfirmed.status_code == 200
    assert "Conferma la cancellazione" in unconfirmed.get_data(as_text=True)
    done = client.post(page, data={"reason": "prot. 5", "confirm": "y", "csrf_token": token})
    assert done.status_code == 302, done.get_data(as_text=True)
    ctx.session.expire_all()
    assert ctx.session.get(Contact, contact.id).last_name == "[cancellato]"
    listing = client.get("/t/lecco/sportello/").get_data(as_text=True)
    assert "Colombo" not in listing and "[cancellato]" in listing


def test_the_plugin_branch_migrates_up_and_down(empty_app) -> None:
    migrate.upgrade(empty_app)
    tables = set(inspect(state(empty_app).engine).get_table_names())
    assert {"lecco_sportello_contact", "lecco_sportello_appointment"} <= tables
    assert migrate.is_up_to_date(empty_app)
    migrate.downgrade(empty_app, "lecco@base")
    tables = set(inspect(state(empty_app).engine).get_table_names())
    assert "lecco_sportello_contact" not in tables and "participant" in tables
