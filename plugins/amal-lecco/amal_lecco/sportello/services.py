"""Help-desk use cases. A contact becomes a candidate through the core's own
intake service (consent rules, duplicate checks, history and audit included)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.consent.personal_data import ERASED
from amal.errors import DomainError, NotFound
from amal.events import event_date
from amal.participants.models import Participant
from amal.participants.services import intake
from amal.plugins import PersonalTable
from amal.reports.indicators import Scope, make_indicator
from amal.services import Context, fetch, use_case
from amal_lecco.sportello.models import (
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    Appointment,
    AppointmentStatus,
    Channel,
    Contact,
    OpeningHours,
    Outcome,
)

HEARD_FROM = "Sportello di Valmadrera"


def _name(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("required_field", f"{field} is required", field=field)
    return value


# --- Personal data (the amal_personal_data hook) -------------------------------------

_STAFF = "a staff username"
# What a visitor's details become on erasure: the row stays, so the help desk's
# figures (contacts by channel and outcome) are unchanged.
VISITOR_ERASED: dict[str, object] = {
    "first_name": "—",
    "last_name": ERASED,
    "phone": "",
    "reason": "",
}


def _held_appointments_of(participant_id: int) -> Any:
    """Appointments fulfilled by a contact that became this participant's intake."""
    return Appointment.id.in_(
        select(Contact.appointment_id).where(Contact.participant_id == participant_id)
    )


PERSONAL_DATA = [
    PersonalTable(
        "lecco_sportello_contact",
        owned={**VISITOR_ERASED, "referred_to": ""},
        owner="participant_id",
        not_personal={"recorded_by": _STAFF},
    ),
    PersonalTable(
        "lecco_sportello_appointment",
        owned=dict(VISITOR_ERASED),
        owner=_held_appointments_of,
        not_personal={"created_by": _STAFF},
    ),
    PersonalTable("lecco_sportello_hours", not_personal={"place": "a help desk's address"}),
]


def is_erased(visitor: Contact | Appointment) -> bool:
    return visitor.last_name == ERASED


def _erase_details(visitor: Contact | Appointment) -> None:
    for field, value in VISITOR_ERASED.items():
        setattr(visitor, field, value)
    if isinstance(visitor, Contact):
        visitor.referred_to = ""


def _check_erasable(visitor: Contact | Appointment, reason: str) -> str:
    if not reason.strip():
        raise DomainError("reason_required", "Erasure needs a reason (the request's reference)")
    if is_erased(visitor):
        raise DomainError("visitor_erased", "This visitor's details are already erased")
    return reason.strip()


def _registered(session: Session, appointment: Appointment) -> int | None:
    return session.scalar(
        select(Contact.participant_id).where(
            Contact.appointment_id == appointment.id, Contact.participant_id.is_not(None)
        )
    )


@use_case
def erase_visitor(ctx: Context, territory: str, contact_id: int, reason: str) -> Contact:
    """Erase the details of a visitor who never became a participant (GDPR art.
    17): name, phone, reason and where they were referred, on the contact and
    on the appointment it fulfilled. Day, channel and outcome stay for the figures.
    A visitor registered as a candidate is erased with the participant's record."""
    contact = fetch(ctx, Contact, contact_id, for_update=True)
    if contact.territory_code != territory:
        raise NotFound("Contact", contact_id)
    reason = _check_erasable(contact, reason)
    if contact.participant_id is not None:
        raise DomainError(
            "visitor_is_participant",
            f"This visitor is participant {contact.participant_id}: erase the participant",
            participant_id=contact.participant_id,
        )
    _erase_details(contact)
    if contact.appointment is not None:
        _erase_details(contact.appointment)
    record(
        ctx,
        AuditAction.ERASE,
        "lecco_sportello_contact",
        contact.id,
        territory_code=territory,
        reason=reason,
        appointment_id=contact.appointment_id,
    )
    return contact


@use_case
def erase_appointment(
    ctx: Context, territory: str, appointment_id: int, reason: str
) -> Appointment:
    """Erase the details of a person who booked an appointment (and of the
    visit it became, unless that visit is a participant's intake)."""
    appointment = fetch(ctx, Appointment, appointment_id, for_update=True)
    if appointment.territory_code != territory:
        raise NotFound("Appointment", appointment_id)
    reason = _check_erasable(appointment, reason)
    participant_id = _registered(ctx.session, appointment)
    if participant_id is not None:
        raise DomainError(
            "visitor_is_participant",
            f"This visitor is participant {participant_id}: erase the participant",
            participant_id=participant_id,
        )
    _erase_details(appointment)
    visits = select(Contact).where(Contact.appointment_id == appointment.id)
    for contact in ctx.session.scalars(visits):
        _erase_details(contact)
    record(ctx, AuditAction.ERASE, "lecco_sportello_appointment", appointment.id,
           territory_code=territory, reason=reason)  # fmt: skip
    return appointment


@use_case
def add_opening_hours(
    ctx: Context, territory: str, weekday: int, opens: time, closes: time, place: str = ""
) -> OpeningHours:
    if not 0 <= weekday <= 6:
        raise DomainError("invalid_value", "weekday must be 0 (Monday) to 6", field="weekday")
    if closes <= opens:
        raise DomainError(
            "invalid_opening_hours", "The desk must close after it opens", field="closes"
        )
    slot = OpeningHours(
        territory_code=territory, weekday=weekday, opens=opens, closes=closes, place=place.strip()
    )
    ctx.session.add(slot)
    ctx.session.flush()
    return slot


@use_case
def remove_opening_hours(ctx: Context, territory: str, slot_id: int) -> None:
    slot = fetch(ctx, OpeningHours, slot_id)
    if slot.territory_code != territory:
        raise NotFound("OpeningHours", slot_id)
    ctx.session.delete(slot)


def opening_hours(ctx: Context, territory: str) -> list[OpeningHours]:
    return list(
        ctx.session.scalars(
            select(OpeningHours)
            .where(OpeningHours.territory_code == territory)
            .order_by(OpeningHours.weekday, OpeningHours.opens)
        )
    )


@use_case
def book_appointment(
    ctx: Context,
    territory: str,
    *,
    scheduled_on: date,
    at: time,
    first_name: str,
    last_name: str,
    phone: str = "",
    reason: str = "",
) -> Appointment:
    appointment = Appointment(
        territory_code=territory,
        scheduled_on=scheduled_on,
        at=at,
        first_name=_name(first_name, "first_name"),
        last_name=_name(last_name, "last_name"),
        phone=phone.strip(),
        reason=reason.strip(),
        created_by=ctx.actor,
    )
    ctx.session.add(appointment)
    ctx.session.flush()
    record(ctx, AuditAction.CREATE, "lecco_sportello_appointment", appointment.id,
           territory_code=territory)  # fmt: skip
    return appointment


@use_case
def close_appointment(ctx: Context, appointment_id: int, status: AppointmentStatus) -> Appointment:
    """Mark a booked appointment missed or cancelled (a held one has its contact)."""
    appointment = fetch(ctx, Appointment, appointment_id, for_update=True)
    if status not in (AppointmentStatus.MISSED, AppointmentStatus.CANCELLED):
        raise DomainError("invalid_value", "An appointment is closed as missed or cancelled")
    if appointment.status != AppointmentStatus.BOOKED:
        raise DomainError("appointment_closed", "The appointment is no longer booked")
    appointment.status = status
    return appointment


@use_case
def record_contact(
    ctx: Context,
    territory: str,
    *,
    first_name: str,
    last_name: str,
    reason: str,
    outcome: Outcome | None,
    referred_to: str = "",
    phone: str = "",
    contacted_on: date | None = None,
    appointment_id: int | None = None,
) -> Contact:
    """Record a visit to the desk (walk-in, or the appointment it fulfils).

    ``outcome`` is information given or referred elsewhere, or ``None`` while the
    person is being registered: ``candidate`` is set by :func:`register_candidate`.
    """
    if outcome == Outcome.CANDIDATE:
        raise DomainError(
            "use_candidate_registration",
            "A contact becomes a candidate through the registration, not by its outcome",
            field="outcome",
        )
    if outcome == Outcome.REFERRED and not referred_to.strip():
        raise DomainError(
            "referred_to_required", "Say where the person was referred", field="referred_to"
        )
    appointment = None
    if appointment_id is not None:
        appointment = fetch(ctx, Appointment, appointment_id, for_update=True)
        if appointment.territory_code != territory:
            raise NotFound("Appointment", appointment_id)
        if appointment.status != AppointmentStatus.BOOKED:
            raise DomainError("appointment_closed", "The appointment is no longer booked")
        appointment.status = AppointmentStatus.HELD
    contact = Contact(
        territory_code=territory,
        channel=Channel.APPOINTMENT if appointment else Channel.WALK_IN,
        appointment_id=appointment_id,
        first_name=_name(first_name, "first_name"),
        last_name=_name(last_name, "last_name"),
        phone=phone.strip(),
        reason=reason.strip(),
        outcome=outcome,
        referred_to=referred_to.strip() if outcome == Outcome.REFERRED else "",
        recorded_by=ctx.actor,
        contacted_on=date.today(),
    )
    ctx.session.add(contact)
    ctx.session.flush()
    contact.contacted_on = event_date(
        ctx,
        contacted_on,
        event="sportello_contact",
        entity="lecco_sportello_contact",
        entity_id=contact.id,
        territory_code=territory,
    )
    record(ctx, AuditAction.CREATE, "lecco_sportello_contact", contact.id,
           territory_code=territory)  # fmt: skip
    return contact


@use_case
def view_contact(ctx: Context, territory: str, contact_id: int) -> Contact:
    """A contact for display (names: the read is audited)."""
    contact = fetch(ctx, Contact, contact_id)
    if contact.territory_code != territory:
        raise NotFound("Contact", contact_id)
    record(ctx, AuditAction.VIEW, "lecco_sportello_contact", contact.id,
           participant_id=contact.participant_id, territory_code=territory)  # fmt: skip
    return contact


@use_case
def view_appointment(ctx: Context, territory: str, appointment_id: int) -> Appointment:
    """An appointment for display (names: the read is audited)."""
    appointment = fetch(ctx, Appointment, appointment_id)
    if appointment.territory_code != territory:
        raise NotFound("Appointment", appointment_id)
    record(ctx, AuditAction.VIEW, "lecco_sportello_appointment", appointment.id,
           territory_code=territory)  # fmt: skip
    return appointment


@use_case
def register_candidate(
    ctx: Context, contact_id: int, consents: Sequence[Any], **fields: Any
) -> Participant:
    """Register the person of a contact as a candidate, without retyping: name,
    phone and reason (as needs expressed) come from the contact; ``fields`` adds
    or corrects anything the intake takes (birth date, fiscal code...)."""
    contact = fetch(ctx, Contact, contact_id, for_update=True)
    if contact.participant_id is not None:
        raise DomainError(
            "contact_already_registered",
            f"This contact is already participant {contact.participant_id}",
        )
    known = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "phone": contact.phone,
        "needs": contact.reason,
        "heard_from": HEARD_FROM,
    }
    given = {k: v for k, v in fields.items() if v not in (None, "")}
    participant = intake(ctx, contact.territory_code, consents, **{**known, **given})
    contact.participant_id = participant.id
    contact.outcome = Outcome.CANDIDATE
    contact.referred_to = ""
    return participant


def contacts(ctx: Context, territory: str, limit: int = 200) -> list[Contact]:
    return list(
        ctx.session.scalars(
            select(Contact)
            .where(Contact.territory_code == territory)
            .order_by(Contact.contacted_on.desc(), Contact.id.desc())
            .limit(limit)
        )
    )


def appointments(ctx: Context, territory: str, since: date) -> list[Appointment]:
    return list(
        ctx.session.scalars(
            select(Appointment)
            .where(Appointment.territory_code == territory, Appointment.scheduled_on >= since)
            .order_by(Appointment.scheduled_on, Appointment.at, Appointment.id)
        )
    )


@make_indicator(
    "lecco_sportello_contacts", "Contatti allo sportello", "Canale", "Esito", "Contatti"
)
def contacts_indicator(scope: Scope) -> list[tuple[Any, ...]]:
    """Contacts at the help desk in the period (by the day they came), by channel
    and outcome, with a total."""
    rows = scope.session.execute(
        select(Contact.channel, Contact.outcome, func.count())
        .where(
            Contact.territory_code == scope.territory,
            Contact.contacted_on.between(scope.period.start, scope.period.end),
        )
        .group_by(Contact.channel, Contact.outcome)
    ).all()
    counts = Counter({(channel, outcome): n for channel, outcome, n in rows})
    table = [
        (CHANNEL_LABELS[channel], OUTCOME_LABELS[outcome], counts[(channel, outcome)])
        for channel in Channel
        for outcome in (*Outcome, None)
        if counts[(channel, outcome)]
    ]
    return [*table, ("Totale", "", sum(counts.values()))]
