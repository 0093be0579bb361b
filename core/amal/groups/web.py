"""Group pages: list, create, enrol, plan, start, conclude; the meeting page with
the attendance grid and the facilitators' notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from amal import access
from amal.access import Permission, requires
from amal.accounts.models import Role, TerritoryRole, User
from amal.audit.services import record_read
from amal.db import get_session
from amal.errors import DomainError
from amal.groups.models import (
    Enrolment,
    FacilitatorRole,
    Group,
    GroupComposition,
    GroupStatus,
    MemberExit,
    WaitlistEntry,
)
from amal.groups.services import (
    add_need,
    add_to_waitlist,
    assign_facilitator,
    cancel_group,
    composition_mix,
    conclude_group,
    create_group,
    end_facilitation,
    enrol,
    leave_waitlist,
    members,
    planned_meetings,
    remove_member,
    reopen_deadline,
    reopen_group,
    start_group,
    update_group,
    waiting_list,
)
from amal.meetings.calendar import parse_month
from amal.meetings.models import Meeting, MeetingKind, MeetingStatus, Presence
from amal.meetings.services import (
    cancel_meeting,
    generate_plan,
    open_info_meeting_before,
    record_register,
    register_people,
    reschedule,
    save_notes,
    schedule_meeting,
    shift_plan,
)
from amal.network.models import NetworkMeeting
from amal.participants import bulk
from amal.participants.models import Participant, ParticipantStatus
from amal.projects.services import current_project, territory_projects
from amal.runtime import state
from amal.territories.models import Partner
from amal.web.context import request_context
from amal.web.errors import attach_error, domain_message, optional_form_date
from amal.web.fields import DateField, form_day
from amal.web.labels import choices, options
from amal.web.once import is_replay, remember_submission
from amal.web.setup import territory_blueprint
from amal.wellbeing.services import group_change

bp = territory_blueprint("groups", __name__, "/groups")
ALREADY_SENT = _l("This form was already sent: nothing was recorded twice.")


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
    topic = StringField(
        _l("Need expressed by the group"), validators=[DataRequired(), Length(max=200)]
    )
    description = TextAreaField(_l("Details (optional)"))
    expressed_on = DateField(_l("Expressed on"), validators=[Optional()])


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
def index():
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
def new():
    form = GroupForm()
    form.facilitator.choices = _facilitators()
    session = get_session()
    form.project.choices = options(
        [(0, "—"), *((p.id, p.title) for p in territory_projects(session, g.territory))]
    )
    if request.method == "GET":
        current = current_project(session, g.territory)
        form.project.data = current.id if current else 0
    if form.validate_on_submit() and is_replay():
        flash(ALREADY_SENT, "info")
        return redirect(url_for("groups.index"))
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
            remember_submission()
            flash(_("Group created."), "success")
            return redirect(url_for("groups.show", group_id=group.id))
    return render_template("groups/new.html", form=form)


@bp.get("/<id:group_id>")
@requires(Permission.VIEW_GROUPS)
def show(group_id: int):
    group = access.get_visible(get_session(), Group, group_id)
    ctx = request_context()
    candidates = []
    waiting = waiting_list(ctx, group.id)
    if access.can(Permission.MANAGE_GROUPS):
        # The people who may take a place: admitted ones, and those waiting for this group.
        candidates = ctx.session.scalars(
            access.participants()
            .where(
                (Participant.status == ParticipantStatus.ADMITTED)
                | Participant.id.in_([w.participant.id for w in waiting])
            )
            .order_by(Participant.last_name, Participant.first_name)
        ).all()
    plan = ctx.session.scalars(
        select(Meeting)
        .where(Meeting.group_id == group.id)
        .options(selectinload(Meeting.needs))
        .order_by(Meeting.scheduled_on, Meeting.id)
    ).all()
    who5 = group_change(ctx, group.id, "who5")
    current = members(ctx, group.id)
    names = {p.id: p.full_name for p in current}
    left = ctx.session.execute(
        select(Enrolment, Participant)
        .join(Participant, Participant.id == Enrolment.participant_id)
        .where(Enrolment.group_id == group.id, Enrolment.ended_at.is_not(None))
        .order_by(Enrolment.ended_on, Enrolment.id)
    ).all()
    record_read(
        ctx,
        "group",
        [p.id for p in current]
        + [p.id for p in candidates]
        + [w.participant.id for w in waiting if w.participant not in candidates]
        + [p.id for _, p in left],
        territory_code=g.territory,
        entity_id=group.id,
    )
    override_for = request.args.get("override_for", type=int)
    opens_with_info = bool(
        group.start_date and ctx.plugins.group_policy(group.territory_code).opening_info_meeting
    )
    return render_template(
        "groups/show.html",
        group=group,
        members=current,
        mix=composition_mix(current)
        if group.composition == GroupComposition.HETEROGENEOUS
        else None,
        override_person=next((p for p in candidates if p.id == override_for), None),
        waiting=waiting,
        waiting_ids={w.participant.id: w for w in waiting},
        waitlist_person=next(
            (p for p in candidates if p.id == request.args.get("waitlist_for", type=int)), None
        ),
        facilitation_form=facilitation_form() if access.can(Permission.MANAGE_GROUPS) else None,
        end_form=EndFacilitationForm(),
        candidates=candidates,
        plan=plan,
        to_hold=len(planned_meetings(ctx, group.id)),
        plan_held=any(m.status == MeetingStatus.HELD for m in plan),
        reopen_until=reopen_deadline(ctx, group),
        policy=ctx.plugins.group_policy(group.territory_code),
        today=date.today(),
        who5=who5,
        names=names,
        need_form=NeedForm(),
        exit_form=_exit_form(group) if access.can(Permission.MANAGE_GROUPS) else None,
        opens_with_info=opens_with_info,
        left=left,
        opening_info=open_info_meeting_before(ctx, group.territory_code, group.start_date)
        if opens_with_info
        else None,
    )


class MemberExitForm(FlaskForm):
    outcome = SelectField(_l("How they leave"), choices=choices(MemberExit))
    to_group_id = SelectField(_l("Group they move to"), coerce=int)
    ended_on = DateField(_l("On (empty: today)"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    homogeneity_override = StringField(
        _l("Reason to move anyway into a homogeneous group of another company"),
        validators=[Length(max=500)],
    )
    confirm = BooleanField(_l("I confirm: the membership ends on this date"))


def _exit_form(group: Group) -> MemberExitForm:
    """The destinations: the territory's other groups still taking members."""
    form = MemberExitForm()
    others = get_session().execute(
        access.groups()
        .with_only_columns(Group.id, Group.name)
        .where(
            Group.id != group.id,
            Group.status.in_([GroupStatus.PLANNED, GroupStatus.FORMING, GroupStatus.ACTIVE]),
        )
        .order_by(Group.name)
    )
    form.to_group_id.choices = options([(0, "—"), *others])
    return form


@bp.post("/<id:group_id>/members/<id:participant_id>/exit")
@requires(Permission.MANAGE_GROUPS)
def member_exit(group_id: int, participant_id: int):
    """Take a member out (dropped out, or moved to another group), confirmed, with
    the date and the reason."""
    group = access.get_visible(get_session(), Group, group_id)
    participant = access.get_visible(get_session(), Participant, participant_id)
    form = _exit_form(group)
    if not form.validate_on_submit():
        flash(_("Give the reason and tick the confirmation to take a member out."), "error")
        return redirect(url_for("groups.show", group_id=group.id))
    if not form.confirm.data:
        flash(domain_message(DomainError("confirmation_required", "Confirm")), "error")
        return redirect(url_for("groups.show", group_id=group.id))
    moving = form.outcome.data == MemberExit.MOVED.value
    if moving and form.to_group_id.data:
        access.get_visible(get_session(), Group, form.to_group_id.data)
    try:
        remove_member(
            request_context(),
            group.id,
            participant.id,
            form.reason.data,
            ended_on=form.ended_on.data,
            outcome=form.outcome.data,
            to_group_id=(form.to_group_id.data or None) if moving else None,
            homogeneity_override=form.homogeneity_override.data or "",
        )
    except DomainError as error:
        if error.code == "employer_mismatch":
            flash(
                _(
                    "Warning: the last employer of this person (%(employer)s) does not match "
                    "the group's company (%(company)s). Give a reason to enrol them anyway.",
                    employer=error.details.get("last_employer") or _("not recorded"),
                    company=error.details.get("company"),
                ),
                "error",
            )
        else:
            flash(domain_message(error), "error")
    else:
        flash(
            _("%(name)s moved to the other group.", name=participant.full_name)
            if moving
            else _("%(name)s is no longer a member of the group.", name=participant.full_name),
            "success",
        )
    return redirect(url_for("groups.show", group_id=group.id))


@bp.post("/<id:group_id>/needs")
@requires(Permission.RECORD_NEEDS)
def record_need(group_id: int):
    """Facilitators (of this group) and coordinators record the group's needs."""
    group = access.get_visible(get_session(), Group, group_id)
    form = NeedForm()
    if not form.validate_on_submit():
        flash(_("Write the need the group expressed."), "error")
        return redirect(url_for("groups.show", group_id=group.id))
    if is_replay():
        flash(ALREADY_SENT, "info")
        return redirect(url_for("groups.show", group_id=group.id))
    try:
        add_need(
            request_context(),
            group.id,
            form.topic.data,
            form.description.data or "",
            expressed_on=form.expressed_on.data,
        )
    except DomainError as error:
        flash(domain_message(error), "error")
    else:
        remember_submission()
        flash(_("Need recorded."), "success")
    return redirect(url_for("groups.show", group_id=group.id))


# Steps that change every member's path: the form asks for an explicit confirmation.
CONFIRMED = frozenset({"conclude", "cancel", "reopen"})


@bp.post("/<id:group_id>/<action>")
@requires(Permission.MANAGE_GROUPS)
def act(group_id: int, action: str):
    group = access.get_visible(get_session(), Group, group_id)
    ctx = request_context()
    actions = {
        "enrol": lambda: enrol(
            ctx,
            group.id,
            _visible_participant_id(),
            enrolled_on=optional_form_date("occurred_on"),
            homogeneity_override=request.form.get("homogeneity_override", ""),
        ),
        "plan": lambda: generate_plan(
            ctx,
            group.id,
            replace=bool(request.form.get("replace")),
            start_date=_form_date("start_date") if request.form.get("start_date") else None,
        ),
        "start": lambda: start_group(
            ctx,
            group.id,
            override_reason=request.form.get("override_reason", ""),
            started_on=optional_form_date("occurred_on"),
        ),
        "conclude": lambda: conclude_group(
            ctx,
            group.id,
            concluded_on=optional_form_date("occurred_on"),
            reason=request.form.get("reason", ""),
            cancel_remaining=bool(request.form.get("cancel_remaining")),
        ),
        "reopen": lambda: reopen_group(ctx, group.id, request.form.get("reason", "")),
        "waitlist": lambda: add_to_waitlist(
            ctx,
            group.id,
            _visible_participant_id(),
            added_on=optional_form_date("occurred_on"),
        ),
        "unwait": lambda: leave_waitlist(
            ctx, _waiting_entry_id(group.id), request.form.get("reason", "")
        ),
        "shift": lambda: shift_plan(
            ctx,
            group.id,
            request.form.get("from_meeting", 0, type=int),
            request.form.get("amount", 0, type=int)
            * (7 if request.form.get("unit") == "weeks" else 1),
            request.form.get("reason", ""),
        ),
        "cancel": lambda: cancel_group(ctx, group.id, request.form.get("reason", "")),
        "edit": lambda: update_group(
            ctx,
            group.id,
            start_date=_form_date("start_date") if request.form.get("start_date") else None,
            location=request.form.get("location"),
            name=request.form.get("name"),
        ),
        "training": lambda: schedule_meeting(
            ctx,
            g.territory,
            MeetingKind.TRAINING,
            _form_date("on"),
            group_id=group.id,
            need_ids=[n for n in [request.form.get("need_id", type=int)] if n],
            topic=request.form.get("topic", ""),
            location=group.location,
            holiday_reason=request.form.get("holiday_reason", ""),
        ),
    }
    if action not in actions:
        abort(404)
    if is_replay():
        flash(ALREADY_SENT, "info")
        return redirect(url_for("groups.show", group_id=group.id))
    if action in CONFIRMED and not request.form.get("confirm"):
        flash(_("Tick the confirmation box: this step changes every member's path."), "error")
        return redirect(url_for("groups.show", group_id=group.id))
    try:
        actions[action]()
    except DomainError as error:
        if error.code == "group_full" and action == "enrol":
            flash(_("The group is full: you can put the person on its waiting list."), "error")
            return redirect(
                url_for(
                    "groups.show",
                    group_id=group.id,
                    waitlist_for=request.form.get("participant_id", type=int),
                    _anchor="waiting-list",
                )
            )
        if error.code == "employer_mismatch":
            flash(
                _(
                    "Warning: the last employer of this person (%(employer)s) does not match "
                    "the group's company (%(company)s). Give a reason to enrol them anyway.",
                    employer=error.details.get("last_employer") or _("not recorded"),
                    company=error.details.get("company"),
                ),
                "error",
            )
            return redirect(
                url_for(
                    "groups.show",
                    group_id=group.id,
                    override_for=request.form.get("participant_id", type=int),
                )
            )
        flash(domain_message(error), "error")
    else:
        remember_submission()
        flash(_("Done."), "success")
    return redirect(url_for("groups.show", group_id=group.id))


class FacilitationForm(FlaskForm):
    role = SelectField(_l("Role"), choices=choices(FacilitatorRole))
    user_id = SelectField(_l("Staff member"), coerce=int)
    name = StringField(_l("or, from a partner, name"), validators=[Length(max=200)])
    partner_id = SelectField(_l("Partner"), coerce=int)
    from_on = DateField(_l("Starting on"), validators=[Optional()])


class EndFacilitationForm(FlaskForm):
    to_on = DateField(_l("Until"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Length(max=500)])


def _staff_choices() -> list[SelectChoice]:
    rows = (
        get_session()
        .execute(
            select(User.id, User.display_name)
            .join(TerritoryRole, TerritoryRole.user_id == User.id)
            .where(TerritoryRole.territory_code == g.territory, User.is_active.is_(True))
            .distinct()
            .order_by(User.display_name)
        )
        .all()
    )
    return options([(0, "—"), *rows])


def _partner_choices() -> list[SelectChoice]:
    rows = get_session().execute(
        select(Partner.id, Partner.name)
        .where(Partner.territory_code == g.territory)
        .order_by(Partner.name)
    )
    return options([(0, "—"), *rows])


def facilitation_form() -> FacilitationForm:
    form = FacilitationForm()
    form.user_id.choices = _staff_choices()
    form.partner_id.choices = _partner_choices()
    return form


@bp.post("/<id:group_id>/facilitators")
@requires(Permission.MANAGE_GROUPS)
def add_facilitator(group_id: int):
    group = access.get_visible(get_session(), Group, group_id)
    form = facilitation_form()
    if not form.validate_on_submit():
        flash(_("Choose a staff member or write a name, and the role."), "error")
        return redirect(url_for("groups.show", group_id=group.id))
    try:
        assign_facilitator(
            request_context(),
            group.id,
            role=form.role.data,
            user_id=form.user_id.data or None,
            name=form.name.data or "",
            partner_id=form.partner_id.data or None,
            from_on=form.from_on.data,
        )
    except DomainError as error:
        flash(domain_message(error), "error")
    else:
        flash(_("Facilitator added."), "success")
    return redirect(url_for("groups.show", group_id=group.id))


@bp.post("/<id:group_id>/facilitators/<id:facilitation_id>/end")
@requires(Permission.MANAGE_GROUPS)
def end_facilitator(group_id: int, facilitation_id: int):
    group = access.get_visible(get_session(), Group, group_id)
    if not any(f.id == facilitation_id for f in group.facilitations):
        abort(404)
    form = EndFacilitationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        end_facilitation(
            request_context(), facilitation_id, to_on=form.to_on.data, reason=form.reason.data or ""
        )
    except DomainError as error:
        flash(domain_message(error), "error")
    else:
        flash(_("Facilitation ended."), "success")
    return redirect(url_for("groups.show", group_id=group.id))


def _form_date(name: str) -> date:
    return form_day(request.form.get(name, ""), name)


@bp.post("/meetings/<id:meeting_id>/<action>")
@requires(Permission.MANAGE_GROUPS)
def change_meeting(meeting_id: int, action: str):
    """Edit the plan: move a meeting to another day, or cancel it, with the reason."""
    found = access.get_visible(get_session(), Meeting, meeting_id)
    ctx = request_context()
    reason = request.form.get("reason", "")
    try:
        if action == "reschedule":
            reschedule(
                ctx,
                found.id,
                _form_date("on"),
                reason,
                holiday_reason=request.form.get("holiday_reason", ""),
            )
        elif action == "cancel":
            cancel_meeting(ctx, found.id, reason)
        else:
            abort(404)
    except DomainError as error:
        flash(domain_message(error), "error")
        if error.code == "meeting_on_holiday":
            # The same move again, now asking for the reason to meet on a holiday.
            return redirect(
                url_for(
                    "groups.meeting",
                    meeting_id=found.id,
                    holiday_on=request.form.get("on"),
                    move_reason=reason,
                )
            )
    else:
        flash(_("Meeting updated."), "success")
    return redirect(url_for("groups.meeting", meeting_id=found.id))


def _waiting_entry_id(group_id: int) -> int:
    entry = get_session().get(WaitlistEntry, request.form.get("entry_id", 0, type=int))
    if entry is None or entry.group_id != group_id:
        abort(404)
    return entry.id


def _visible_participant_id() -> int:
    participant_id = request.form.get("participant_id", type=int)
    if participant_id is None:
        abort(400)
    return access.get_visible(get_session(), Participant, participant_id).id


@bp.route("/meetings/<id:meeting_id>", methods=["GET", "POST"])
@requires(Permission.RECORD_ATTENDANCE)
def meeting(meeting_id: int):
    """The attendance grid: one choice per person (none preselected; "everyone
    present" fills them in), saved in one transaction. After an error the page
    keeps what was typed and names the row at fault."""
    session = get_session()
    found = access.get_visible(session, Meeting, meeting_id)
    if found.kind == MeetingKind.NETWORK:
        # A coordination meeting has an organisations' register, not a participants' one.
        network_id = session.scalar(
            select(NetworkMeeting.id).where(NetworkMeeting.meeting_id == found.id)
        )
        if network_id is not None:
            return redirect(url_for("network.meeting", network_meeting_id=network_id))
    ctx = request_context()
    people = register_people(ctx, found)
    existing = {a.participant_id: a for a in found.attendance}
    missing_ids = set(existing) - {p.id for p in people}
    if missing_ids:
        people = people + list(
            session.scalars(select(Participant).where(Participant.id.in_(missing_ids)))
        )
    notes = NotesForm(prefix="notes", notes=found.facilitator_notes)
    typed: dict[int, tuple[str, str]] = {}
    row_errors: dict[int, str] = {}
    if request.method == "GET" and request.args.get("all_present"):
        # A starting point, not saved: the facilitator corrects the exceptions.
        for person in people:
            line = existing.get(person.id)
            hours = line.hours if line and line.presence == Presence.PRESENT else None
            typed[person.id] = (
                Presence.PRESENT.value,
                format_decimal(hours) if hours is not None else "",
            )
    if request.method == "POST" and request.form.get("form") == "register":
        for person in people:
            typed[person.id] = (
                request.form.get(f"presence-{person.id}", ""),
                request.form.get(f"hours-{person.id}", "").strip(),
            )
        unmarked = [p for p in people if not typed[p.id][0]]
        if unmarked:
            for person in unmarked:
                row_errors[person.id] = _("Choose present, absent or justified.")
            flash(
                _(
                    "Mark the presence of: %(names)s.",
                    names=", ".join(p.full_name for p in unmarked),
                ),
                "error",
            )
        else:
            try:
                record_register(ctx, found.id, {pid: line for pid, line in typed.items()})
            except DomainError as error:
                at_fault = next(
                    (p for p in people if p.id == error.details.get("participant_id")), None
                )
                if at_fault is None:
                    flash(domain_message(error), "error")
                else:
                    row_errors[at_fault.id] = domain_message(error)
                    flash(
                        _(
                            "Row %(name)s: %(message)s",
                            name=at_fault.full_name,
                            message=domain_message(error),
                        ),
                        "error",
                    )
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
        typed=typed,
        row_errors=row_errors,
        presences=list(Presence),
        notes=notes,
        max_hours=Decimal(found.duration_minutes) / 60,
        editable=found.status != MeetingStatus.CANCELLED,
    )


@bp.get("/calendar")
@requires(Permission.VIEW_GROUPS)
def calendar():
    """A month of every group's meetings (and the open ones) in the territory,
    as a calendar; the territory's holidays marked."""
    today = date.today()
    error = None
    try:
        month = parse_month(request.args.get("month", ""), today)
    except DomainError:
        month, error = parse_month("", today), _("Choose a month as YYYY-MM.")
    meetings = (
        get_session()
        .scalars(
            access.meetings()
            .options(selectinload(Meeting.group))
            .where(Meeting.scheduled_on.between(month.first, month.last))
            .order_by(Meeting.scheduled_on, Meeting.starts_at, Meeting.id)
        )
        .all()
    )
    by_day: dict[date, list[Meeting]] = {}
    for meeting in meetings:
        by_day.setdefault(meeting.scheduled_on, []).append(meeting)
    holidays = state(current_app).plugins.holidays(g.territory, [month.first.year])
    return render_template(
        "groups/calendar.html",
        month=month,
        by_day=by_day,
        holidays=holidays,
        today=today,
        error=error,
        groups=sorted({m.group.name for m in meetings if m.group}),
    ), (400 if error else 200)


@bp.get("/<id:group_id>/members")
@requires(Permission.VIEW_GROUPS)
def members_print(group_id: int):
    """The group's current members with their contacts, laid out to print
    (the browser's Print prints the list alone)."""
    group = access.get_visible(get_session(), Group, group_id)
    ctx = request_context()
    rows = ctx.session.execute(
        select(Participant, Enrolment.enrolled_on)
        .join(Enrolment, Enrolment.participant_id == Participant.id)
        .where(Enrolment.group_id == group.id, Enrolment.ended_at.is_(None))
        .order_by(Participant.last_name, Participant.first_name, Participant.id)
    ).all()
    record_read(
        ctx,
        "group_members",
        [p.id for p, _ in rows],
        territory_code=g.territory,
        entity_id=group.id,
    )
    return render_template("groups/members.html", group=group, rows=rows, today=date.today())


@bp.post("/<id:group_id>/enrol-many")
@requires(Permission.MANAGE_GROUPS)
def enrol_many(group_id: int):
    """Enrol the admitted people ticked on the group page, all or nothing."""
    group = access.get_visible(get_session(), Group, group_id)
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit()]
    people = {
        p.id: p.full_name
        for p in get_session().scalars(access.participants().where(Participant.id.in_(ids)))
    }
    try:
        if len(people) != len(set(ids)):
            raise DomainError("not_found", "Some of the people selected are not visible here")
        count = bulk.enrol_many(
            request_context(), group.id, ids, enrolled_on=optional_form_date("occurred_on")
        )
    except DomainError as error:
        refusals = error.details.get("refusals")
        if refusals:
            flash(_("Nobody enrolled: %(n)s people cannot be enrolled.", n=len(refusals)), "error")
            for pid, refusal in refusals.items():
                reason = domain_message(DomainError(refusal["code"], refusal["message"]))
                flash(f"{people.get(int(pid), pid)}: {reason}", "error")
        else:
            flash(domain_message(error), "error")
    else:
        flash(_("%(n)s people enrolled.", n=count), "success")
    return redirect(url_for("groups.show", group_id=group.id, _anchor="enrol-many"))
