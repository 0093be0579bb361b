"""Group pages: list, create, enrol, plan, start, conclude; the meeting page with
the attendance grid and the facilitators' notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from amal import access
from amal.access import Permission, requires
from amal.accounts.models import Role, TerritoryRole, User
from amal.audit.services import record_read
from amal.db import get_session
from amal.errors import DomainError
from amal.groups.models import Enrolment, Group, GroupComposition
from amal.groups.services import (
    add_need,
    conclude_group,
    create_group,
    enrol,
    members,
    start_group,
)
from amal.meetings.models import Meeting, MeetingKind, MeetingStatus, Presence
from amal.meetings.services import (
    cancel_meeting,
    generate_plan,
    record_register,
    reschedule,
    save_notes,
    schedule_meeting,
)
from amal.participants.models import Participant, ParticipantStatus
from amal.projects.services import current_project, territory_projects
from amal.web.context import request_context
from amal.web.errors import attach_error, domain_message, optional_form_date
from amal.web.labels import choices, options
from amal.web.setup import territory_blueprint
from amal.wellbeing.services import group_change

bp = territory_blueprint("groups", __name__, "/groups")


class GroupForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    composition = SelectField(
        _l("Composition"),
        choices=choices(GroupComposition),
        default=GroupComposition.HETEROGENEOUS.value,
    )
    company_of_origin = StringField(
        _l("Company of origin (homogeneous groups)"), validators=[Length(max=200)]
    )
    start_date = DateField(_l("First meeting"), validators=[Optional()])
    location = StringField(_l("Place"), validators=[Length(max=200)])
    facilitator = SelectField(_l("Facilitator"), coerce=int)
    meetings = IntegerField(
        _l("Number of meetings"), validators=[Optional(), NumberRange(min=1, max=40)]
    )
    project = SelectField(_l("Project"), coerce=int)


class NeedForm(FlaskForm):
    topic = StringField(_l("Need expressed by the group"), validators=[DataRequired()])


class NotesForm(FlaskForm):
    notes = TextAreaField(_l("Facilitator notes (visible to facilitators and coordinators)"))


def _facilitators() -> list[SelectChoice]:
    rows = (
        get_session()
        .execute(
            select(User.id, User.display_name)
            .join(TerritoryRole, TerritoryRole.user_id == User.id)
            .where(
                TerritoryRole.territory_code == g.territory,
                TerritoryRole.role == Role.FACILITATOR,
                User.is_active.is_(True),
            )
            .order_by(User.display_name)
        )
        .all()
    )
    return options([(0, "—"), *rows])


@bp.get("/")
@requires(Permission.VIEW_GROUPS)
def index():  # type: ignore[no-untyped-def]
    session = get_session()
    size = (
        select(func.count(Enrolment.id))
        .where(Enrolment.group_id == Group.id, Enrolment.ended_at.is_(None))
        .correlate(Group)
        .scalar_subquery()
    )
    rows = session.execute(
        access.groups().add_columns(size).order_by(Group.start_date.desc(), Group.name)
    ).all()
    return render_template("groups/index.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_GROUPS)
def new():  # type: ignore[no-untyped-def]
    form = GroupForm()
    form.facilitator.choices = _facilitators()
    session = get_session()
    form.project.choices = options(
        [(0, "—"), *((p.id, p.title) for p in territory_projects(session, g.territory))]
    )
    if request.method == "GET":
        current = current_project(session, g.territory)
        form.project.data = current.id if current else 0
    if form.validate_on_submit():
        try:
            group = create_group(
                request_context(),
                g.territory,
                form.name.data,
                composition=GroupComposition(form.composition.data),
                company_of_origin=form.company_of_origin.data or "",
                start_date=form.start_date.data,
                location=form.location.data or "",
                facilitator_ids=[form.facilitator.data] if form.facilitator.data else [],
                meetings=form.meetings.data,
                project_id=form.project.data or None,
            )
        except DomainError as error:
            attach_error(form, error, form.name)
        else:
            flash(_("Group created."), "success")
            return redirect(url_for("groups.show", group_id=group.id))
    return render_template("groups/new.html", form=form)


@bp.get("/<id:group_id>")
@requires(Permission.VIEW_GROUPS)
def show(group_id: int):  # type: ignore[no-untyped-def]
    group = access.get_visible(get_session(), Group, group_id)
    ctx = request_context()
    candidates = []
    if access.can(Permission.MANAGE_GROUPS):
        candidates = ctx.session.scalars(
            access.participants()
            .where(Participant.status == ParticipantStatus.ADMITTED)
            .order_by(Participant.last_name, Participant.first_name)
        ).all()
    plan = ctx.session.scalars(
        select(Meeting)
        .where(Meeting.group_id == group.id)
        .order_by(Meeting.scheduled_on, Meeting.id)
    ).all()
    who5 = group_change(ctx, group.id, "who5")
    current = members(ctx, group.id)
    names = {p.id: p.full_name for p in current}
    record_read(
        ctx,
        "group",
        [p.id for p in current] + [p.id for p in candidates],
        territory_code=g.territory,
        entity_id=group.id,
    )
    return render_template(
        "groups/show.html",
        group=group,
        members=current,
        candidates=candidates,
        plan=plan,
        who5=who5,
        names=names,
        need_form=NeedForm(),
    )


@bp.post("/<id:group_id>/<action>")
@requires(Permission.MANAGE_GROUPS)
def act(group_id: int, action: str):  # type: ignore[no-untyped-def]
    group = access.get_visible(get_session(), Group, group_id)
    ctx = request_context()
    actions = {
        "enrol": lambda: enrol(
            ctx, group.id, _visible_participant_id(), enrolled_on=optional_form_date("occurred_on")
        ),
        "plan": lambda: generate_plan(ctx, group.id, replace=bool(request.form.get("replace"))),
        "start": lambda: start_group(
            ctx,
            group.id,
            override_reason=request.form.get("override_reason", ""),
            started_on=optional_form_date("occurred_on"),
        ),
        "conclude": lambda: conclude_group(
            ctx, group.id, concluded_on=optional_form_date("occurred_on")
        ),
        "need": lambda: add_need(ctx, group.id, request.form.get("topic", "")),
        "training": lambda: schedule_meeting(
            ctx,
            g.territory,
            MeetingKind.TRAINING,
            _form_date("on"),
            group_id=group.id,
            need_ids=[n for n in [request.form.get("need_id", type=int)] if n],
            topic=request.form.get("topic", ""),
            location=group.location,
        ),
    }
    if action not in actions:
        abort(404)
    try:
        actions[action]()
    except DomainError as error:
        flash(domain_message(error), "error")
    else:
        flash(_("Done."), "success")
    return redirect(url_for("groups.show", group_id=group.id))


def _form_date(name: str) -> date:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        raise DomainError("invalid_date", "Give a valid date", field=name) from None


@bp.post("/meetings/<id:meeting_id>/<action>")
@requires(Permission.MANAGE_GROUPS)
def change_meeting(meeting_id: int, action: str):  # type: ignore[no-untyped-def]
    """Edit the plan: move a meeting to another day, or cancel it, with the reason."""
    found = access.get_visible(get_session(), Meeting, meeting_id)
    ctx = request_context()
    reason = request.form.get("reason", "")
    try:
        if action == "reschedule":
            reschedule(ctx, found.id, _form_date("on"), reason)
        elif action == "cancel":
            cancel_meeting(ctx, found.id, reason)
        else:
            abort(404)
    except DomainError as error:
        flash(domain_message(error), "error")
    else:
        flash(_("Meeting updated."), "success")
    return redirect(url_for("groups.meeting", meeting_id=found.id))


def _visible_participant_id() -> int:
    participant_id = request.form.get("participant_id", type=int)
    if participant_id is None:
        abort(400)
    return access.get_visible(get_session(), Participant, participant_id).id


@bp.route("/meetings/<id:meeting_id>", methods=["GET", "POST"])
@requires(Permission.RECORD_ATTENDANCE)
def meeting(meeting_id: int):  # type: ignore[no-untyped-def]
    """The attendance grid: one choice per person, saved in one transaction."""
    session = get_session()
    found = access.get_visible(session, Meeting, meeting_id)
    ctx = request_context()
    people = members(ctx, found.group_id) if found.group_id else []
    existing = {a.participant_id: a for a in found.attendance}
    people_ids = {p.id for p in people} | set(existing)
    if len(people_ids) > len(people):
        people = people + list(
            session.scalars(
                select(Participant).where(Participant.id.in_(people_ids - {p.id for p in people}))
            )
        )
    notes = NotesForm(prefix="notes", notes=found.facilitator_notes)
    if request.method == "POST" and request.form.get("form") == "register":
        lines = {}
        for person in people:
            presence = request.form.get(f"presence-{person.id}")
            if presence:
                hours = request.form.get(f"hours-{person.id}") or None
                lines[person.id] = (presence, hours)
        try:
            record_register(ctx, found.id, lines)
        except DomainError as error:
            flash(domain_message(error), "error")
        else:
            flash(_("Register saved: the meeting counts as held."), "success")
            return redirect(url_for("groups.meeting", meeting_id=found.id))
    elif request.method == "POST" and request.form.get("form") == "notes":
        if not access.can(Permission.FACILITATOR_NOTES):
            abort(403)
        if notes.validate_on_submit():
            save_notes(ctx, found.id, notes.notes.data or "")
            flash(_("Notes saved."), "success")
            return redirect(url_for("groups.meeting", meeting_id=found.id))
    record_read(
        ctx, "meeting", [p.id for p in people], territory_code=g.territory, entity_id=found.id
    )
    return render_template(
        "groups/meeting.html",
        meeting=found,
        people=people,
        existing=existing,
        presences=list(Presence),
        notes=notes,
        max_hours=Decimal(found.duration_minutes) / 60,
        editable=found.status != MeetingStatus.CANCELLED,
    )
