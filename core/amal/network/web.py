"""The network coordination group's pages: the projects' tables and their
members over time, meetings with the organisations' register, agenda, minutes
and decisions, and the follow-up of earlier decisions at the next meeting.
Coordinators write; partner staff (intake operators) read."""

from __future__ import annotations

from datetime import date, time

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file
from flask import url_for as flask_url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from amal.access import Permission, requires
from amal.audit.services import record_read
from amal.errors import DomainError, NotFound
from amal.network.models import FollowUpOutcome, NetworkBody, NetworkMeeting
from amal.network.services import (
    PresenceLine,
    add_decision,
    add_member,
    attach_minutes_file,
    bodies,
    body_in,
    body_meetings,
    cancel_network_meeting,
    change_representative,
    correct_decision,
    create_body,
    current_members,
    decisions_to_follow,
    end_membership,
    follow_up_decision,
    member_in,
    members_on,
    minutes_path,
    minutes_root,
    network_meeting_in,
    next_meeting,
    open_decisions,
    record_organisations_register,
    schedule_network_meeting,
    update_network_meeting,
)
from amal.runtime import state
from amal.territories.models import Partner
from amal.web.context import request_context
from amal.web.errors import domain_message, optional_form_date
from amal.web.fields import DateField
from amal.web.labels import choices
from amal.web.setup import territory_blueprint

bp = territory_blueprint("network", __name__, "/network")


class BodyForm(FlaskForm):
    project_id = HiddenField(validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[Length(max=200)])


class MemberForm(FlaskForm):
    partner_id = SelectField(_l("Organisation"), coerce=int)
    # Any id: the service checks that the person is the organisation's.
    representative_id = SelectField(_l("Represented by"), coerce=int, validate_choice=False)
    joined_on = DateField(_l("At the table from"), validators=[Optional()])


class MeetingForm(FlaskForm):
    scheduled_on = DateField(_l("Date"), validators=[InputRequired()])
    starts_at = TimeField(_l("Time"), default=time(10, 0), validators=[InputRequired()])
    duration_minutes = IntegerField(
        _l("Length (minutes)"), default=120, validators=[InputRequired(), NumberRange(1, 720)]
    )
    location = StringField(_l("Place"), validators=[Length(max=200)])
    agenda = TextAreaField(_l("Agenda"))


class MeetingEditForm(MeetingForm):
    minutes = TextAreaField(_l("Minutes"))


class MinutesFileForm(FlaskForm):
    file = FileField(_l("Minutes file (PDF, ODT, DOCX, DOC or TXT, at most 2 MB)"),
                     validators=[FileRequired()])  # fmt: skip


class DecisionForm(FlaskForm):
    text = TextAreaField(_l("Decision"), validators=[DataRequired()])
    # Any id: the service checks the organisation is the territory's.
    owner_partner_id = SelectField(_l("Owner (organisation)"), coerce=int, validate_choice=False)
    owner_person = StringField(_l("Owner (person)"), validators=[Length(max=200)])
    due_on = DateField(_l("Due by"), validators=[Optional()])


def _or_404(fn, *args):  # type: ignore[no-untyped-def]
    try:
        return fn(request_context(), g.territory, *args)
    except NotFound:
        abort(404)


def _partners() -> list[Partner]:
    return list(
        request_context().session.scalars(
            select(Partner)
            .where(Partner.territory_code == g.territory)
            .options(selectinload(Partner.representatives))
            .order_by(Partner.name)
        )
    )


def _failed(error: DomainError) -> None:
    flash(domain_message(error), "error")


@bp.get("/")
@requires(Permission.VIEW_NETWORK)
def index():
    session = request_context().session
    rows = bodies(session, g.territory)
    meetings = {body.id: body_meetings(session, body.id)[:5] for _, body in rows if body}
    return render_template(
        "network/index.html", rows=rows, meetings=meetings, form=BodyForm(), today=date.today()
    )


@bp.post("/")
@requires(Permission.MANAGE_NETWORK)
def create():
    form = BodyForm()
    if not form.validate_on_submit() or not (form.project_id.data or "").isdigit():
        flash(_("Choose a project."), "error")
        return redirect(flask_url_for("network.index"))
    try:
        body = create_body(request_context(), g.territory, int(form.project_id.data),
                           form.name.data or "")  # fmt: skip
    except NotFound:
        abort(404)
    except DomainError as error:
        _failed(error)
        return redirect(flask_url_for("network.index"))
    flash(_("Coordination group set up: add its organisations."), "success")
    return redirect(flask_url_for("network.body", body_id=body.id))


@bp.get("/<id:body_id>")
@requires(Permission.VIEW_NETWORK)
def body(body_id: int):
    found: NetworkBody = _or_404(body_in, body_id)
    session = request_context().session
    partners = _partners()
    member_form = MemberForm()
    member_form.partner_id.choices = [(p.id, p.name) for p in partners]
    member_form.representative_id.choices = [(0, _("(nobody named)"))] + [
        (r.id, f"{r.name} ({p.name})") for p in partners for r in p.representatives
    ]
    decisions = open_decisions(session, found.id)
    record_read(request_context(), "network_body", [], territory_code=g.territory,
                entity_id=found.id)  # fmt: skip
    return render_template(
        "network/body.html",
        body=found,
        members=current_members(session, found.id),
        partners={p.id: p for p in partners},
        member_form=member_form,
        meeting_form=MeetingForm(),
        meetings=body_meetings(session, found.id),
        decisions=decisions,
        today=date.today(),
    )


@bp.post("/<id:body_id>/members")
@requires(Permission.MANAGE_NETWORK)
def new_member(body_id: int):
    found = _or_404(body_in, body_id)
    form = MemberForm()
    form.partner_id.choices = [(p.id, p.name) for p in _partners()]
    if not form.validate_on_submit():
        flash(_("Choose the organisation and a valid date."), "error")
    else:
        try:
            add_member(request_context(), g.territory, found.id, form.partner_id.data,
                       representative_id=form.representative_id.data or None,
                       joined_on=form.joined_on.data)  # fmt: skip
        except DomainError as error:
            _failed(error)
        else:
            flash(_("Organisation added to the table."), "success")
    return redirect(flask_url_for("network.body", body_id=found.id))


def _member_action(member_id: int, action):  # type: ignore[no-untyped-def]
    member = _or_404(member_in, member_id)
    try:
        action(member)
    except DomainError as error:
        _failed(error)
    return redirect(flask_url_for("network.body", body_id=member.body_id))


@bp.post("/members/<id:member_id>/end")
@requires(Permission.MANAGE_NETWORK)
def end_member(member_id: int):
    def end(member) -> None:  # type: ignore[no-untyped-def]
        end_membership(request_context(), g.territory, member.id,
                       optional_form_date("left_on"), request.form.get("reason", ""))  # fmt: skip
        flash(_("The organisation left the table."), "success")

    return _member_action(member_id, end)


@bp.post("/members/<id:member_id>/representative")
@requires(Permission.MANAGE_NETWORK)
def new_representative(member_id: int):
    def change(member) -> None:  # type: ignore[no-untyped-def]
        person = request.form.get("representative_id", type=int)
        if not person:
            raise DomainError("required_field", "Choose the new representative")
        change_representative(request_context(), g.territory, member.id, person,
                              optional_form_date("from_on"))  # fmt: skip
        flash(_("Representative changed."), "success")

    return _member_action(member_id, change)


@bp.post("/<id:body_id>/meetings")
@requires(Permission.MANAGE_NETWORK)
def new_meeting(body_id: int):
    found = _or_404(body_in, body_id)
    form = MeetingForm()
    if not form.validate_on_submit():
        flash(_("Give the meeting's date, time and length."), "error")
        return redirect(flask_url_for("network.body", body_id=found.id))
    try:
        meeting = schedule_network_meeting(
            request_context(), g.territory, found.id, form.scheduled_on.data,
            starts_at=form.starts_at.data, duration_minutes=form.duration_minutes.data,
            location=form.location.data or "", agenda=form.agenda.data or "",
        )  # fmt: skip
    except DomainError as error:
        _failed(error)
        return redirect(flask_url_for("network.body", body_id=found.id))
    flash(_("Meeting planned."), "success")
    return redirect(flask_url_for("network.meeting", network_meeting_id=meeting.id))


@bp.get("/meetings/<id:network_meeting_id>")
@requires(Permission.VIEW_NETWORK)
def meeting(network_meeting_id: int):
    found: NetworkMeeting = _or_404(network_meeting_in, network_meeting_id)
    session = request_context().session
    partners = _partners()
    sitting = members_on(session, found.body_id, found.meeting.scheduled_on)
    expected = {m.partner_id for m in sitting}
    # Before a register exists, each member's representative of that day is proposed.
    proposed = {m.partner_id: m.representative_id for m in sitting if not found.presences}
    present = {p.partner_id: p for p in found.presences}
    # Members of the table that day first, then the other partners (guests).
    ordered = sorted(partners, key=lambda p: (p.id not in expected, p.name))
    edit = MeetingEditForm(obj=found.meeting, agenda=found.agenda, minutes=found.minutes)
    decision_form = DecisionForm()
    decision_form.owner_partner_id.choices = [(0, _("(none)"))] + [(p.id, p.name) for p in partners]
    to_follow = decisions_to_follow(session, found)
    record_read(request_context(), "network_meeting", [], territory_code=g.territory,
                entity_id=found.id)  # fmt: skip
    return render_template(
        "network/meeting.html",
        nm=found,
        meeting=found.meeting,
        partners=ordered,
        expected=expected,
        proposed=proposed,
        present=present,
        edit=edit,
        file_form=MinutesFileForm(),
        decision_form=decision_form,
        to_follow=to_follow,
        outcomes=choices(FollowUpOutcome),
        next=next_meeting(session, found),
        today=date.today(),
    )


def _back(network_meeting_id: int):  # type: ignore[no-untyped-def]
    return redirect(flask_url_for("network.meeting", network_meeting_id=network_meeting_id))


@bp.post("/meetings/<id:network_meeting_id>/edit")
@requires(Permission.MANAGE_NETWORK)
def edit_meeting(network_meeting_id: int):
    found = _or_404(network_meeting_in, network_meeting_id)
    form = MeetingEditForm()
    if not form.validate_on_submit():
        flash(_("Give the meeting's date, time and length."), "error")
        return _back(found.id)
    try:
        update_network_meeting(
            request_context(), g.territory, found.id, on=form.scheduled_on.data,
            starts_at=form.starts_at.data, duration_minutes=form.duration_minutes.data,
            location=form.location.data or "", agenda=form.agenda.data or "",
            minutes=form.minutes.data or "",
        )  # fmt: skip
    except DomainError as error:
        _failed(error)
    else:
        flash(_("Meeting saved."), "success")
    return _back(found.id)


@bp.post("/meetings/<id:network_meeting_id>/register")
@requires(Permission.MANAGE_NETWORK)
def register(network_meeting_id: int):
    found = _or_404(network_meeting_in, network_meeting_id)
    lines = {}
    for key in request.form.getlist("present"):
        if not key.isdigit():
            abort(400)
        partner_id = int(key)
        lines[partner_id] = PresenceLine(
            representative_id=request.form.get(f"representative-{partner_id}", type=int) or None,
            represented_by=request.form.get(f"represented_by-{partner_id}", ""),
        )
    try:
        record_organisations_register(request_context(), g.territory, found.id, lines)
    except DomainError as error:
        _failed(error)
    else:
        flash(_("Organisations' register saved: the meeting counts as held."), "success")
    return _back(found.id)


@bp.post("/meetings/<id:network_meeting_id>/minutes-file")
@requires(Permission.MANAGE_NETWORK)
def upload_minutes(network_meeting_id: int):
    found = _or_404(network_meeting_in, network_meeting_id)
    form = MinutesFileForm()
    if not form.validate_on_submit():
        flash(_("Choose the minutes file."), "error")
        return _back(found.id)
    upload = form.file.data
    try:
        attach_minutes_file(
            request_context(), g.territory, found.id, upload.filename or "", upload.read(),
            minutes_root(state(current_app).config.instance_path),
        )  # fmt: skip
    except DomainError as error:
        _failed(error)
    else:
        flash(_("Minutes file saved."), "success")
    return _back(found.id)


@bp.get("/meetings/<id:network_meeting_id>/minutes-file")
@requires(Permission.VIEW_NETWORK)
def download_minutes(network_meeting_id: int):
    """The uploaded minutes; they may name people, so the download is audited."""
    found = _or_404(network_meeting_in, network_meeting_id)
    path = minutes_path(found, minutes_root(state(current_app).config.instance_path))
    if path is None:
        abort(404)
    record_read(request_context(), "network_minutes_file", [], territory_code=g.territory,
                entity_id=found.id)  # fmt: skip
    return send_file(
        path,
        mimetype=found.minutes_file_type,
        as_attachment=True,
        download_name=found.minutes_file_name,
    )


@bp.post("/meetings/<id:network_meeting_id>/decisions")
@requires(Permission.MANAGE_NETWORK)
def new_decision(network_meeting_id: int):
    found = _or_404(network_meeting_in, network_meeting_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Write the decision and a valid due date."), "error")
        return _back(found.id)
    try:
        add_decision(
            request_context(), g.territory, found.id, form.text.data or "",
            owner_partner_id=form.owner_partner_id.data or None,
            owner_person=form.owner_person.data or "", due_on=form.due_on.data,
        )  # fmt: skip
    except DomainError as error:
        _failed(error)
    else:
        flash(_("Decision recorded."), "success")
    return _back(found.id)


@bp.post("/meetings/<id:network_meeting_id>/cancel")
@requires(Permission.MANAGE_NETWORK)
def cancel(network_meeting_id: int):
    """A planned meeting that will not take place: a reason and a confirmation."""
    found = _or_404(network_meeting_in, network_meeting_id)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the confirmation to cancel the meeting."), "error")
        return _back(found.id)
    try:
        cancel_network_meeting(request_context(), g.territory, found.id,
                               request.form.get("reason", ""))  # fmt: skip
    except DomainError as error:
        _failed(error)
    else:
        flash(_("Meeting cancelled."), "success")
    return _back(found.id)


@bp.post("/decisions/<id:decision_id>/edit")
@requires(Permission.MANAGE_NETWORK)
def edit_decision(decision_id: int):
    form = DecisionForm()
    try:
        if not form.validate_on_submit():
            raise DomainError("required_field", "Write the decision and a valid due date")
        decision = correct_decision(
            request_context(), g.territory, decision_id, text=form.text.data or "",
            owner_partner_id=form.owner_partner_id.data or None,
            owner_person=form.owner_person.data or "", due_on=form.due_on.data,
        )  # fmt: skip
    except NotFound:
        abort(404)
    except DomainError as error:
        _failed(error)
        meeting_id = request.form.get("network_meeting_id", type=int)
        if meeting_id is None:
            abort(400)
        return _back(_or_404(network_meeting_in, meeting_id).id)
    flash(_("Decision corrected."), "success")
    return _back(decision.network_meeting_id)


@bp.post("/decisions/<id:decision_id>/follow-up")
@requires(Permission.MANAGE_NETWORK)
def follow_up(decision_id: int):
    meeting_id = request.form.get("network_meeting_id", type=int)
    if meeting_id is None:
        abort(400)
    found = _or_404(network_meeting_in, meeting_id)
    try:
        follow_up_decision(
            request_context(), g.territory, decision_id, found.id,
            request.form.get("outcome", ""), on=optional_form_date("on"),
            note=request.form.get("note", ""),
        )  # fmt: skip
    except NotFound:
        abort(404)
    except DomainError as error:
        _failed(error)
    else:
        flash(_("Follow-up recorded."), "success")
    return _back(found.id)
