"""Open information meetings of the territory: schedule, invite candidates,
the register with walk-ins by name, and a walk-in registering as a candidate."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from amal.access import Permission, requires
from amal.audit.services import record_read
from amal.consent.models import ConsentPurpose
from amal.errors import DomainError, NotFound
from amal.meetings import info
from amal.meetings.models import InfoWalkIn, Meeting, Presence
from amal.meetings.services import cancel_meeting, reschedule
from amal.participants.models import EmploymentStatus
from amal.participants.web import IntakeForm
from amal.web.context import request_context
from amal.web.errors import attach_error, domain_message, optional_form_date
from amal.web.fields import DateField
from amal.web.labels import choices
from amal.web.setup import territory_blueprint

bp = territory_blueprint("info_meetings", __name__, "/info-meetings")


class InfoMeetingForm(FlaskForm):
    on = DateField(_l("Date"), validators=[DataRequired()])
    starts_at = TimeField(_l("Time"), validators=[Optional()])
    duration_minutes = IntegerField(
        _l("Length (minutes)"), validators=[Optional(), NumberRange(min=15, max=480)]
    )
    location = StringField(_l("Place"), validators=[Length(max=200)])
    topic = StringField(_l("Title"), validators=[Length(max=200)])


class WalkInForm(FlaskForm):
    name = StringField(
        _l("Name and surname of someone who came (nothing else is recorded)"),
        validators=[DataRequired(), Length(max=200)],
    )


def _meeting(meeting_id: int) -> Meeting:
    try:
        meeting = info.info_meeting(request_context(), meeting_id)
    except (NotFound, DomainError):
        abort(404)
    if meeting.territory_code != g.territory:
        abort(404)
    return meeting


@bp.route("/", methods=["GET", "POST"])
@requires(Permission.EDIT_PARTICIPANTS)
def index():
    form = InfoMeetingForm()
    if form.validate_on_submit():
        extra = {"starts_at": form.starts_at.data} if form.starts_at.data else {}
        try:
            meeting = info.schedule_info_meeting(
                request_context(),
                g.territory,
                form.on.data,
                duration_minutes=form.duration_minutes.data or 120,
                location=form.location.data or "",
                topic=form.topic.data or "",
                **extra,
            )
        except DomainError as error:
            attach_error(form, error, form.on)
        else:
            flash(_("Information meeting scheduled."), "success")
            return redirect(url_for("info_meetings.show", meeting_id=meeting.id))
    return render_template(
        "meetings/info_index.html",
        meetings=info.open_meetings(request_context(), g.territory),
        form=form,
    )


@bp.get("/<id:meeting_id>")
@requires(Permission.EDIT_PARTICIPANTS)
def show(meeting_id: int):
    meeting = _meeting(meeting_id)
    ctx = request_context()
    register = info.info_register(ctx, meeting.id)
    invitable = info.invitable(ctx, meeting)
    record_read(
        ctx,
        "info_meeting",
        [line.participant.id for line in register.invited]
        + [p.id for p in invitable]
        + [w.participant_id for w in register.walk_ins if w.participant_id],
        territory_code=g.territory,
        entity_id=meeting.id,
    )
    return render_template(
        "meetings/info_show.html",
        meeting=meeting,
        register=register,
        invitable=invitable,
        presences=list(Presence),
        walk_in_form=WalkInForm(),
    )


@bp.post("/<id:meeting_id>/invite")
@requires(Permission.EDIT_PARTICIPANTS)
def invite(meeting_id: int):
    meeting = _meeting(meeting_id)
    ids = [int(i) for i in request.form.getlist("participant_id") if i.isdigit()]
    try:
        invited = info.invite(request_context(), meeting.id, ids)
    except DomainError as error:
        flash(domain_message(error), "error")
    else:
        flash(_("%(n)s candidates invited.", n=len(invited)), "success")
    return redirect(url_for("info_meetings.show", meeting_id=meeting.id))


@bp.post("/<id:meeting_id>/register")
@requires(Permission.EDIT_PARTICIPANTS)
def register(meeting_id: int):
    meeting = _meeting(meeting_id)
    presences = {}
    for key, value in request.form.items():
        if key.startswith("presence-") and key[9:].isdigit() and value:
            presences[int(key[9:])] = value
    try:
        info.record_info_register(request_context(), meeting.id, presences)
    except DomainError as error:
        flash(domain_message(error), "error")
    else:
        flash(_("Register saved: the meeting counts as held."), "success")
    return redirect(url_for("info_meetings.show", meeting_id=meeting.id))


@bp.post("/<id:meeting_id>/walk-ins")
@requires(Permission.EDIT_PARTICIPANTS)
def walk_in(meeting_id: int):
    meeting = _meeting(meeting_id)
    form = WalkInForm()
    if not form.validate_on_submit():
        flash(_("Write the name of the person who came."), "error")
        return redirect(url_for("info_meetings.show", meeting_id=meeting.id))
    try:
        info.add_walk_in(request_context(), meeting.id, form.name.data)
    except DomainError as error:
        flash(domain_message(error), "error")
    else:
        flash(_("Walk-in recorded."), "success")
    return redirect(url_for("info_meetings.show", meeting_id=meeting.id))


@bp.post("/<id:meeting_id>/<any(reschedule, cancel):action>")
@requires(Permission.EDIT_PARTICIPANTS)
def change(meeting_id: int, action: str):
    """Move the meeting to another day (never a holiday) or cancel it, with the reason."""
    meeting = _meeting(meeting_id)
    ctx = request_context()
    reason = request.form.get("reason", "")
    try:
        if action == "reschedule":
            on = optional_form_date("on")
            if on is None:
                raise DomainError("invalid_date", "Give the new date", field="on")
            reschedule(ctx, meeting.id, on, reason)
        else:
            cancel_meeting(ctx, meeting.id, reason)
    except DomainError as error:
        flash(domain_message(error), "error")
    else:
        flash(_("Meeting updated."), "success")
    return redirect(url_for("info_meetings.show", meeting_id=meeting.id))


@bp.route("/walk-ins/<id:walk_in_id>/candidate", methods=["GET", "POST"])
@requires(Permission.EDIT_PARTICIPANTS)
def candidate(walk_in_id: int):
    """The intake form, filled in with the walk-in's name."""
    found = request_context().session.get(InfoWalkIn, walk_in_id)
    if found is None or found.meeting.territory_code != g.territory:
        abort(404)
    if found.participant_id is not None:
        return redirect(url_for("participants.show", participant_id=found.participant_id))
    form = IntakeForm()
    form.employment_status.choices = choices(EmploymentStatus)
    form.consents.choices = choices(ConsentPurpose)
    if request.method == "GET":
        # The walk-in's name is shown: an audited read, though no participant yet.
        record_read(
            request_context(), "info_walk_in", [], territory_code=g.territory, entity_id=found.id
        )
        form.first_name.data, form.last_name.data = info.split_name(found.name)
        form.heard_from.data = info.HEARD_FROM
    if form.validate_on_submit():
        try:
            participant = info.register_walk_in(
                request_context(),
                found.id,
                form.consents.data,
                registered_on=form.registered_on.data,
                allow_same_name=bool(request.form.get("allow_same_name")),
                **form.record_fields(),
            )
        except DomainError as error:
            dated = error.code.startswith("event_")
            attach_error(form, error, form.registered_on if dated else form.first_name)
            if error.code == "duplicate_participant":
                form.allow_same_name_offered = True  # type: ignore[attr-defined]
        else:
            flash(_("Candidate registered from the information meeting."), "success")
            return redirect(url_for("participants.show", participant_id=participant.id))
    return render_template("meetings/info_candidate.html", form=form, walk_in=found)
