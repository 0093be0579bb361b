"""The help desk's pages, under ``/t/lecco/sportello/``: opening hours,
appointments, walk-in contacts and the contact → candidate registration.

Access goes through the core's rules (:func:`amal.access.requires`): the pages
exist only in the Lecco territory and need the intake permission (coordinators
and intake operators); opening hours are the coordinator's.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from amal.access import Permission, requires
from amal.audit.services import record_read
from amal.consent.models import ConsentPurpose
from amal.consent.personal_data import ERASED
from amal.db import get_session
from amal.errors import DomainError
from amal.participants.models import EmploymentStatus
from amal.participants.services import EDITABLE_FIELDS
from amal.participants.web import IntakeForm
from amal.web.context import request_context
from amal.web.errors import attach_error, domain_message
from amal.web.fields import DateField
from amal.web.labels import choices, options
from amal.web.setup import territory_blueprint
from amal_lecco.sportello import services
from amal_lecco.sportello.models import (
    APPOINTMENT_LABELS,
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    WEEKDAYS,
    Appointment,
    AppointmentStatus,
    Contact,
    Outcome,
)

TERRITORIES = ("lecco",)
bp = territory_blueprint("lecco_sportello", __name__, "/sportello")
bp.template_folder = str(Path(__file__).parents[1] / "templates")

# The plugin's own error codes, in Italian; the core's go through domain_message.
MESSAGES = {
    "invalid_opening_hours": "L'orario di chiusura deve seguire quello di apertura.",
    "referred_to_required": "Indica a quale servizio la persona è stata inviata.",
    "use_candidate_registration": "Per registrare un candidato usa «Registra come candidato».",
    "contact_already_registered": "Questa persona è già registrata come candidato.",
    "appointment_closed": "L'appuntamento non è più in agenda.",
    "visitor_erased": "I dati di questa persona sono già stati cancellati.",
    "visitor_is_participant": (
        "Questa persona è registrata come candidato: cancella i suoi dati dalla scheda "
        "del partecipante (Privacy), che comprende la visita allo sportello."
    ),
}


def message(error: DomainError) -> str:
    return MESSAGES.get(error.code) or domain_message(error)


def show_error(form: FlaskForm, error: DomainError, default_field) -> None:
    target = getattr(form, str(error.details.get("field", "")), None) or default_field
    target.errors.append(message(error))


class HoursForm(FlaskForm):
    weekday = SelectField("Giorno", choices=options(enumerate(WEEKDAYS)), coerce=int)
    opens = TimeField("Apre alle", validators=[DataRequired()])
    closes = TimeField("Chiude alle", validators=[DataRequired()])
    place = StringField("Luogo", validators=[Length(max=200)])


class AppointmentForm(FlaskForm):
    scheduled_on = DateField("Giorno", validators=[DataRequired()])
    at = TimeField("Ora", validators=[DataRequired()])
    first_name = StringField("Nome", validators=[DataRequired(), Length(max=100)])
    last_name = StringField("Cognome", validators=[DataRequired(), Length(max=100)])
    phone = StringField("Telefono", validators=[Length(max=40)])
    reason = StringField("Motivo", validators=[Length(max=500)])


OUTCOME_CHOICES = options(
    [
        ("", "da definire (sto registrando la persona come candidato)"),
        (Outcome.INFORMATION.value, OUTCOME_LABELS[Outcome.INFORMATION]),
        (Outcome.REFERRED.value, OUTCOME_LABELS[Outcome.REFERRED]),
    ]
)


class ContactForm(FlaskForm):
    first_name = StringField("Nome", validators=[DataRequired(), Length(max=100)])
    last_name = StringField("Cognome", validators=[DataRequired(), Length(max=100)])
    phone = StringField("Telefono (facoltativo)", validators=[Length(max=40)])
    reason = TextAreaField("Motivo della visita", validators=[DataRequired()])
    outcome = RadioField("Esito", choices=OUTCOME_CHOICES, default="")
    referred_to = StringField("Inviato a (servizio)", validators=[Length(max=200)])
    contacted_on = DateField("Giorno della visita", validators=[Optional()])


@bp.get("/")
@requires(Permission.EDIT_PARTICIPANTS, territories=TERRITORIES)
def index():
    ctx = request_context()
    appointments = services.appointments(ctx, g.territory, since=date.today())
    contacts = services.contacts(ctx, g.territory)
    # Visitors' names are personal data: one audit entry for the page.
    record_read(
        ctx,
        "lecco_sportello",
        [c.participant_id for c in contacts if c.participant_id],
        territory_code=g.territory,
        visitors=len(contacts) + len(appointments),
    )
    return render_template(
        "amal_lecco/sportello/index.html",
        hours=services.opening_hours(ctx, g.territory),
        appointments=appointments,
        contacts=contacts,
        hours_form=HoursForm(),
        appointment_form=AppointmentForm(),
        weekdays=WEEKDAYS,
        channel_labels=CHANNEL_LABELS,
        outcome_labels=OUTCOME_LABELS,
        appointment_labels=APPOINTMENT_LABELS,
        erased=ERASED,
    )


@bp.post("/hours")
@requires(Permission.MANAGE_TERRITORY, territories=TERRITORIES)
def add_hours():
    form = HoursForm()
    if not form.validate_on_submit():
        flash("Indica giorno, apertura e chiusura.", "error")
        return redirect(url_for(".index"))
    try:
        services.add_opening_hours(
            request_context(),
            g.territory,
            form.weekday.data,
            form.opens.data,
            form.closes.data,
            form.place.data or "",
        )
    except DomainError as error:
        flash(message(error), "error")
    else:
        flash("Orario aggiunto.", "success")
    return redirect(url_for(".index"))


@bp.post("/hours/<id:slot_id>/remove")
@requires(Permission.MANAGE_TERRITORY, territories=TERRITORIES)
def remove_hours(slot_id: int):
    try:
        services.remove_opening_hours(request_context(), g.territory, slot_id)
    except DomainError:
        abort(404)
    flash("Orario tolto.", "success")
    return redirect(url_for(".index"))


@bp.post("/appointments")
@requires(Permission.EDIT_PARTICIPANTS, territories=TERRITORIES)
def book():
    form = AppointmentForm()
    if not form.validate_on_submit():
        flash("Indica giorno, ora, nome e cognome.", "error")
        return redirect(url_for(".index"))
    try:
        services.book_appointment(
            request_context(),
            g.territory,
            scheduled_on=form.scheduled_on.data,
            at=form.at.data,
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            phone=form.phone.data or "",
            reason=form.reason.data or "",
        )
    except DomainError as error:
        flash(message(error), "error")
    else:
        flash("Appuntamento fissato.", "success")
    return redirect(url_for(".index"))


def _appointment(appointment_id: int) -> Appointment:
    appointment = get_session().get(Appointment, appointment_id)
    if appointment is None or appointment.territory_code != g.territory:
        abort(404)
    return appointment


@bp.post("/appointments/<id:appointment_id>/<action>")
@requires(Permission.EDIT_PARTICIPANTS, territories=TERRITORIES)
def close(appointment_id: int, action: str):
    statuses = {"missed": AppointmentStatus.MISSED, "cancel": AppointmentStatus.CANCELLED}
    appointment = _appointment(appointment_id)
    if action not in statuses:
        abort(404)
    try:
        services.close_appointment(request_context(), appointment.id, statuses[action])
    except DomainError as error:
        flash(message(error), "error")
    else:
        flash("Appuntamento aggiornato.", "success")
    return redirect(url_for(".index"))


@bp.route("/contacts/new", methods=["GET", "POST"])
@requires(Permission.EDIT_PARTICIPANTS, territories=TERRITORIES)
def new_contact():
    appointment_id = request.args.get("appointment", type=int)
    appointment = _appointment(appointment_id) if appointment_id else None
    form = ContactForm(obj=appointment if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            contact = services.record_contact(
                request_context(),
                g.territory,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                phone=form.phone.data or "",
                reason=form.reason.data,
                outcome=Outcome(form.outcome.data) if form.outcome.data else None,
                referred_to=form.referred_to.data or "",
                contacted_on=form.contacted_on.data,
                appointment_id=appointment.id if appointment else None,
            )
        except DomainError as error:
            show_error(form, error, form.first_name)
        else:
            flash("Contatto registrato.", "success")
            if contact.outcome is None:
                return redirect(url_for(".candidate", contact_id=contact.id))
            return redirect(url_for(".contact", contact_id=contact.id))
    return render_template(
        "amal_lecco/sportello/contact_new.html", form=form, appointment=appointment
    )


def _contact(contact_id: int) -> Contact:
    contact = get_session().scalar(
        select(Contact).where(Contact.id == contact_id, Contact.territory_code == g.territory)
    )
    if contact is None:
        abort(404)
    return contact


@bp.get("/contacts/<id:contact_id>")
@requires(Permission.EDIT_PARTICIPANTS, territories=TERRITORIES)
def contact(contact_id: int):
    found = services.view_contact(request_context(), g.territory, _contact(contact_id).id)
    return render_template(
        "amal_lecco/sportello/contact.html",
        contact=found,
        erased=ERASED,
        channel_labels=CHANNEL_LABELS,
        outcome_labels=OUTCOME_LABELS,
    )


@bp.route("/contacts/<id:contact_id>/candidate", methods=["GET", "POST"])
@requires(Permission.EDIT_PARTICIPANTS, territories=TERRITORIES)
def candidate(contact_id: int):
    """The core's intake form, filled in from the contact."""
    found = _contact(contact_id)
    if found.participant_id is not None:
        flash(MESSAGES["contact_already_registered"], "error")
        return redirect(url_for("participants.show", participant_id=found.participant_id))
    form = IntakeForm()
    form.employment_status.choices = choices(EmploymentStatus)
    form.consents.choices = choices(ConsentPurpose)
    if request.method == "GET":
        services.view_contact(request_context(), g.territory, found.id)  # audited read
        form.first_name.data = found.first_name
        form.last_name.data = found.last_name
        form.phone.data = found.phone
        form.needs.data = found.reason
        form.heard_from.data = services.HEARD_FROM
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data for name in EDITABLE_FIELDS}
        try:
            participant = services.register_candidate(
                request_context(),
                found.id,
                form.consents.data,
                allow_same_name=bool(request.form.get("allow_same_name")),
                **fields,
            )
        except DomainError as error:
            attach_error(form, error, form.first_name)
            if error.code == "duplicate_participant":
                form.allow_same_name_offered = True  # type: ignore[attr-defined]
        else:
            flash("Candidato registrato dal contatto allo sportello.", "success")
            return redirect(url_for("participants.show", participant_id=participant.id))
    return render_template("amal_lecco/sportello/candidate.html", form=form, contact=found)


class EraseVisitorForm(FlaskForm):
    reason = StringField(
        "Motivo (riferimento della richiesta)", validators=[DataRequired(), Length(max=200)]
    )
    confirm = BooleanField(
        "Confermo: nome, telefono e motivo della visita saranno cancellati e non si "
        "potranno recuperare",
        validators=[DataRequired()],
    )


def _erase_page(visitor: Contact | Appointment, kind: str, erase_with) -> str | object:
    """Confirmation page, then the erasure (a visitor who never became a participant)."""
    form = EraseVisitorForm()
    if form.validate_on_submit():
        try:
            erase_with(request_context(), g.territory, visitor.id, form.reason.data)
        except DomainError as error:
            show_error(form, error, form.reason)
        else:
            flash(
                "Dati del visitatore cancellati; il contatto resta nei conteggi dello sportello.",
                "success",
            )
            return redirect(url_for(".index"))
    elif request.method == "POST":
        form.confirm.errors = ["Conferma la cancellazione e indica il riferimento della richiesta."]
    return render_template("amal_lecco/sportello/erase.html", form=form, visitor=visitor, kind=kind)


@bp.route("/contacts/<id:contact_id>/erase", methods=["GET", "POST"])
@requires(Permission.MANAGE_PRIVACY, territories=TERRITORIES)
def erase_contact(contact_id: int):
    found = services.view_contact(request_context(), g.territory, _contact(contact_id).id)
    return _erase_page(found, "contact", services.erase_visitor)


@bp.route("/appointments/<id:appointment_id>/erase", methods=["GET", "POST"])
@requires(Permission.MANAGE_PRIVACY, territories=TERRITORIES)
def erase_appointment(appointment_id: int):
    found = services.view_appointment(
        request_context(), g.territory, _appointment(appointment_id).id
    )
    return _erase_page(found, "appointment", services.erase_appointment)
