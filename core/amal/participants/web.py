"""Participant pages: list and search, intake with consent, the record with its
timeline, status transitions, referrals, wellbeing entry, export and erasure."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound as NotFoundHTTP
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from amal import access
from amal.access import Permission, requires
from amal.audit.services import entries_for_participant, record_read
from amal.consent.models import Consent, ConsentPurpose
from amal.consent.services import (
    DEPENDENTS,
    blocks,
    current_notice,
    erase_person,
    export_person,
    record_consents,
    renew_consents,
    withdraw_consent,
)
from amal.consent.web import RenewForm
from amal.db import get_session
from amal.errors import DomainError
from amal.groups.models import Enrolment
from amal.meetings.models import Attendance, Meeting, MeetingKind, Presence
from amal.meetings.services import participant_attendance
from amal.outcomes.models import Outcome, OutcomeCategory, OutcomeMoment
from amal.outcomes.services import add_months, record_outcome
from amal.participants import bulk, diary, importing, lists
from amal.participants.merge import FILLABLE, MERGE_FIELD, merge_records, preview_merge
from amal.participants.models import (
    DiaryEntry,
    EmploymentStatus,
    FieldChange,
    Participant,
    ParticipantStatus,
)
from amal.participants.services import (
    EDITABLE_FIELDS,
    GROUP_DRIVEN,
    TRANSITIONS,
    change_status,
    intake,
    matching,
    update_participant,
    view_participant,
)
from amal.participants.transfers import (
    accept_transfer,
    cancel_transfer,
    incoming_transfers,
    pending_transfer,
    propose_transfer,
    refuse_transfer,
    transfers_of,
)
from amal.referrals.models import Referral, ReferralStatus
from amal.referrals.services import (
    REFERRAL_TRANSITIONS,
    advance_referral,
    edit_referral_notes,
    propose_referral,
)
from amal.web.context import request_context
from amal.web.errors import attach_error, domain_message, optional_form_date
from amal.web.fields import DateField
from amal.web.labels import MERGE_TABLES, choices, field_label, label, options
from amal.web.once import is_replay, remember_submission
from amal.web.setup import record_id, territory_blueprint
from amal.wellbeing.instruments import get_instrument
from amal.wellbeing.models import Administration, Phase
from amal.wellbeing.services import correct_administration, corrections, record_administration

bp = territory_blueprint("participants", __name__, "/participants")
ALREADY_SENT = _l("This form was already sent: nothing was recorded twice.")
NOTES_MAX = 2000  # a referral's notes
PAGE_SIZE = 25
SORTS = {
    "name": (Participant.last_name, Participant.first_name, Participant.id),
    "newest": (Participant.created_at.desc(), Participant.id.desc()),
    "status": (Participant.status, Participant.last_name, Participant.id),
}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonForm(FlaskForm):
    """The record's fields: intake and correction share them."""

    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    # Blanks and case are normalised by the service (amal.participants.normalise).
    fiscal_code = StringField(
        _l("Fiscal code"),
        validators=[Optional(), Length(max=40)],
        description=_l("Leave empty if the person has no Italian fiscal code."),
    )
    birth_date = DateField(_l("Birth date"), validators=[Optional()])
    gender = SelectField(
        _l("Gender"),
        choices=options([("", "—"), ("F", _l("female")), ("M", _l("male")), ("X", _l("other"))]),
    )
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    municipality = StringField(_l("Municipality of residence"), validators=[Length(max=100)])
    last_employer = StringField(_l("Last employer"), validators=[Length(max=200)])
    sector = StringField(_l("Sector"), validators=[Length(max=100)])
    months_out_of_work = IntegerField(
        _l("Months out of work"), validators=[Optional(), NumberRange(min=0, max=600)]
    )
    employment_status = SelectField(_l("Employment situation"))
    heard_from = StringField(_l("How they heard of the service"), validators=[Length(max=200)])
    needs = TextAreaField(_l("Needs expressed"))

    def record_fields(self) -> dict[str, object]:
        fields = {name: getattr(self, name).data for name in EDITABLE_FIELDS}
        # An empty field is the explicit "no fiscal code" (None); the service
        # refuses an empty string so that other callers must say it too.
        fields["fiscal_code"] = (fields["fiscal_code"] or "").strip() or None
        return fields


class IntakeForm(PersonForm):
    consents = CheckboxesField(_l("Consents given (privacy notice read and signed)"))
    registered_on = DateField(
        _l("Day of the first interview (empty: today)"), validators=[Optional()]
    )


EVENT_DAY = _l("Day it happened (empty: today)")


class EditForm(PersonForm):
    version = HiddenField()


class ConsentForm(FlaskForm):
    purposes = CheckboxesField(_l("Consents to add"))
    consent_on = DateField(_l("Signed on"), validators=[Optional()])


class WithdrawForm(FlaskForm):
    withdraw_purpose = SelectField(_l("Consent withdrawn"))
    withdrawn_on = DateField(_l("Withdrawn on"), validators=[Optional()])
    withdrawal_reason = StringField(
        _l("Reason of the withdrawal"), validators=[DataRequired(), Length(max=500)]
    )


class OutcomeForm(FlaskForm):
    outcome_moment = SelectField(_l("Moment"))
    follow_up_month = SelectField(_l("Follow-up month"))
    category = SelectField(_l("Situation"))
    outcome_on = DateField(_l("Date of the outcome"), validators=[Optional()])
    outcome_notes = StringField(_l("Notes"), validators=[Length(max=500)])


class TransitionForm(FlaskForm):
    to_status = SelectField(_l("New status"))
    reason = StringField(_l("Reason"), validators=[Length(max=500)])
    occurred_on = DateField(EVENT_DAY, validators=[Optional()])


class ReferralForm(FlaskForm):
    service_code = SelectField(_l("Service"))
    notes = StringField(_l("Notes"), validators=[Length(max=500)])
    proposed_on = DateField(EVENT_DAY, validators=[Optional()])


class TransferForm(FlaskForm):
    to_territory = SelectField(_l("Destination territory"))
    transferred_on = DateField(_l("Day the person moves (empty: today)"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ErasureForm(FlaskForm):
    reason = StringField(_l("Reference of the request"), validators=[DataRequired()])
    confirm = StringField(
        _l("Type the participant's number to confirm"), validators=[DataRequired()]
    )


def _identity_override() -> str:
    """The reason to keep a fiscal code that contradicts birth date or sex:
    only a coordinator's (OVERRIDE_CHECKS) counts."""
    if not access.can(Permission.OVERRIDE_CHECKS):
        return ""
    return request.form.get("identity_override", "")


def _offer_overrides(form: PersonForm, error: DomainError) -> None:
    """After a refusal that can be overridden, the form offers the way to do it."""
    if error.code == "duplicate_participant":
        form.allow_same_name_offered = True  # type: ignore[attr-defined]
    if error.code == "fiscal_code_mismatch":
        form.identity_override_offered = access.can(  # type: ignore[attr-defined]
            Permission.OVERRIDE_CHECKS
        )


def _visible(participant_id: int) -> Participant:
    return access.get_visible(get_session(), Participant, participant_id)


def _listed() -> tuple[Any, str, str, int | None]:
    """The list's query from the page's filters (search words, status, group)."""
    text = request.args.get("q", "").strip()
    status = request.args.get("status", "")
    group_id = request.args.get("group", type=record_id)
    query = matching(
        access.participants().where(Participant.erased_at.is_(None)),
        text=text,
        status=ParticipantStatus(status)
        if status in {s.value for s in ParticipantStatus}
        else None,
        group_id=group_id or None,
    )
    return query, text, status, group_id


@bp.get("/")
@requires(Permission.VIEW_PARTICIPANTS)
def index():
    return _index()


def _index(
    bulk_error: str = "",
    refusals: dict[int, str] | None = None,
    picked: set[int] | None = None,
    choice: str = ParticipantStatus.ADMITTED.value,
):
    session = get_session()
    query, text, status, group_id = _listed()
    sort = request.args.get("sort", "name")
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, request.args.get("page", 1, type=int)), pages)
    rows = session.scalars(
        query.order_by(*SORTS.get(sort, SORTS["name"]))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    # The filter's choices: ids and names only (thousands of groups over the
    # years of a regional instance; whole records cost ten times as much).
    visible_groups = access.groups().subquery()
    groups = (
        session.execute(
            select(visible_groups.c.id, visible_groups.c.name).order_by(visible_groups.c.name)
        ).all()
        if access.can(Permission.VIEW_GROUPS)
        else []
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    record_read(
        request_context(),
        "participant_list",
        [p.id for p in rows],
        territory_code=g.territory,
        query={"q": text, "status": status, "group": group_id, "sort": sort, "page": page},
        total=total,
    )
    return render_template(
        "participants/index.html",
        participants=rows,
        total=total,
        page=page,
        pages=pages,
        args=args,
        q=text,
        status=status,
        group_id=group_id,
        sort=sort,
        groups=groups,
        statuses=choices(ParticipantStatus),
        bulk_statuses=[(st.value, label(st)) for st in BULK_STATUSES],
        bulk_choice=choice,
        bulk_error=bulk_error,
        bulk_refusals=refusals or {},
        picked=picked or set(),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.EDIT_PARTICIPANTS)
def new():
    form = IntakeForm()
    form.employment_status.choices = choices(EmploymentStatus)
    form.consents.choices = choices(ConsentPurpose)
    if form.validate_on_submit() and is_replay():
        flash(ALREADY_SENT, "info")
        return redirect(url_for("participants.index"))
    if form.validate_on_submit():
        fields = form.record_fields()
        try:
            participant = intake(
                request_context(),
                g.territory,
                form.consents.data,
                allow_same_name=bool(request.form.get("allow_same_name")),
                registered_on=form.registered_on.data,
                identity_override=_identity_override(),
                **fields,
            )
        except DomainError as error:
            dated = error.code.startswith("event_")
            attach_error(form, error, form.registered_on if dated else form.first_name)
            _offer_overrides(form, error)
        else:
            remember_submission()
            flash(_("Candidate registered."), "success")
            return redirect(url_for("participants.show", participant_id=participant.id))
    return render_template("participants/new.html", form=form)


@bp.get("/<id:participant_id>")
@requires(Permission.VIEW_PARTICIPANTS)
def show(participant_id: int):
    participant = _visible(participant_id)
    ctx = request_context()
    view_participant(ctx, participant.id)
    session = ctx.session
    transition = TransitionForm()
    # No status is preselected: a wrong click must not drop someone out.
    transition.to_status.choices = options(
        [("", _("— choose —")), *((s.value, label(s)) for s in _manual_transitions(participant))]
    )
    referral_form = ReferralForm()
    catalogue = ctx.plugins.service_catalogue(participant.territory_code)
    referral_form.service_code.choices = options((s.code, s.title) for s in catalogue)
    attendance = session.execute(
        select(Meeting, Attendance)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(Attendance.participant_id == participant.id)
        .order_by(Meeting.scheduled_on)
    ).all()

    def rows(model):
        return session.scalars(
            select(model).where(model.participant_id == participant.id).order_by(model.id)
        ).all()

    consents = rows(Consent)
    field_changes = rows(FieldChange)
    current = current_notice(session, participant.territory_code)
    schedule = ctx.plugins.group_policy(participant.territory_code).follow_up_months
    outcomes = rows(Outcome)
    end = next((o for o in outcomes if o.moment == OutcomeMoment.END), None)
    return render_template(
        "participants/show.html",
        participant=participant,
        corrections=field_changes,
        consent_form=_consent_form(consents),
        withdraw_form=_withdraw_form(consents),
        renew_form=RenewForm(),
        outdated=[c for c in consents if c.is_active and current and c.notice_id != current.id],
        current_notice=current,
        blocks=blocks(session, participant.id),
        dependents=DEPENDENTS,
        outcome_form=_outcome_form(participant.territory_code),
        follow_ups=[
            (
                m,
                add_months(end.recorded_on, m),
                next((o for o in outcomes if o.follow_up_month == m), None),
            )
            for m in schedule
        ]
        if end
        else [],
        transition=transition,
        referral_form=referral_form,
        catalogue={s.code: s for s in catalogue},
        consents=sorted(consents, key=lambda c: (c.purpose.value, c.id)),
        enrolments=rows(Enrolment),
        wellbeing=rows(Administration),
        wellbeing_corrections=corrections(ctx, participant.id),
        referrals=rows(Referral),
        outcomes=outcomes,
        attendance=attendance,
        steps=_steps(participant, attendance, field_changes),
        rate=participant_attendance(ctx, participant.id),
        referral_next={s: sorted(REFERRAL_TRANSITIONS[s]) for s in ReferralStatus},
        audit=entries_for_participant(ctx, participant.id)[-20:]
        if access.can(Permission.VIEW_AUDIT)
        else [],
        erasure=ErasureForm(),
        transfer_form=_transfer_form(participant),
        transfers=transfers_of(ctx, participant.id),
        pending=pending_transfer(ctx, participant.id),
        territory_names={c: t.name for c, t in ctx.plugins.territories.items()},
    )


def _steps(
    participant: Participant, attendance: Sequence[Any], corrections: Sequence[FieldChange]
) -> list[tuple[date, object, Meeting | None]]:
    """The person's history: status changes, the information meetings they came
    to and the records merged into theirs, by the day each happened."""
    steps: list[tuple[date, object, Meeting | None]] = [
        (c.occurred_on, c, None) for c in participant.history
    ]
    steps += [(c.changed_at.date(), c, None) for c in corrections if c.field == MERGE_FIELD]
    steps += [
        (meeting.scheduled_on, None, meeting)
        for meeting, line in attendance
        if meeting.kind == MeetingKind.INFO and line.presence == Presence.PRESENT
    ]
    return sorted(steps, key=lambda step: (step[0], step[2] is None))


def _transfer_form(participant: Participant) -> TransferForm:
    form = TransferForm(prefix="transfer")  # its field ids differ from the status form's
    form.to_territory.choices = options(
        (code, territory.name)
        for code, territory in sorted(request_context().plugins.territories.items())
        if code != participant.territory_code
    )
    return form


def _consent_form(consents: list[Consent]) -> ConsentForm:
    form = ConsentForm()
    active = {c.purpose for c in consents if c.is_active}
    form.purposes.choices = options((p.value, label(p)) for p in ConsentPurpose if p not in active)
    return form


def _withdraw_form(consents: list[Consent]) -> WithdrawForm:
    form = WithdrawForm()
    active = sorted({c.purpose for c in consents if c.is_active})
    form.withdraw_purpose.choices = options((p.value, label(p)) for p in active)
    return form


def _outcome_form(territory_code: str) -> OutcomeForm:
    form = OutcomeForm()
    form.outcome_moment.choices = choices(OutcomeMoment)
    months = request_context().plugins.group_policy(territory_code).follow_up_months
    form.follow_up_month.choices = options(
        [("", "—")] + [(m, _("%(n)s months", n=m)) for m in months]
    )
    # An outcome is kept as recorded: no situation is preselected.
    form.category.choices = options(
        [("", _("— choose —")), *((c.value, label(c)) for c in OutcomeCategory)]
    )
    return form


@bp.route("/<id:participant_id>/edit", methods=["GET", "POST"])
@requires(Permission.EDIT_PARTICIPANTS)
def edit(participant_id: int):
    """Correct the record (personal data, contacts, work history, needs); each
    changed field goes to the history shown on the record."""
    participant = _visible(participant_id)
    ctx = request_context()
    form = EditForm(obj=participant)
    form.employment_status.choices = choices(EmploymentStatus)
    if form.validate_on_submit():
        if form.version.data != str(participant.version):
            form.first_name.errors.append(
                _(
                    "Someone else changed this record meanwhile: "
                    "reload the page and redo the change."
                )
            )
        else:
            try:
                # Locked and re-checked: a change saved since the check above is refused too.
                update_participant(
                    ctx,
                    participant.id,
                    allow_same_name=bool(request.form.get("allow_same_name")),
                    expected_version=participant.version,
                    identity_override=_identity_override(),
                    **form.record_fields(),
                )
            except DomainError as error:
                attach_error(form, error, form.first_name)
                _offer_overrides(form, error)
            else:
                flash(_("Record corrected."), "success")
                return redirect(url_for("participants.show", participant_id=participant.id))
    else:
        view_participant(ctx, participant.id)
        if request.method == "GET":
            form.employment_status.data = participant.employment_status.value
            form.version.data = str(participant.version)
    return render_template("participants/edit.html", form=form, participant=participant)


@bp.post("/<id:participant_id>/consents")
@requires(Permission.EDIT_PARTICIPANTS)
def add_consents(participant_id: int):
    participant = _visible(participant_id)
    form = ConsentForm()
    form.purposes.choices = choices(ConsentPurpose)
    if form.validate_on_submit() and form.purposes.data:
        try:
            record_consents(
                request_context(),
                participant.id,
                form.purposes.data,
                granted_on=form.consent_on.data,
            )
        except DomainError as error:
            flash(domain_message(error), "error")
        else:
            flash(_("Consent recorded."), "success")
    else:
        flash(_("Tick at least one consent, with a valid date."), "error")
    return redirect(url_for("participants.show", participant_id=participant.id, _anchor="consent"))


@bp.post("/<id:participant_id>/consents/withdraw")
@requires(Permission.EDIT_PARTICIPANTS)
def withdraw(participant_id: int):
    participant = _visible(participant_id)
    form = WithdrawForm()
    form.withdraw_purpose.choices = choices(ConsentPurpose)
    if form.validate_on_submit():
        try:
            withdraw_consent(
                request_context(),
                participant.id,
                form.withdraw_purpose.data,
                reason=form.withdrawal_reason.data,
                withdrawn_on=form.withdrawn_on.data,
            )
        except DomainError as error:
            flash(domain_message(error), "error")
        else:
            flash(_("Consent withdrawn: what depends on it stops from that day."), "success")
    else:
        flash(_("Choose the consent and give the reason of the withdrawal."), "error")
    return redirect(url_for("participants.show", participant_id=participant.id, _anchor="consent"))


@bp.post("/<id:participant_id>/consents/renew")
@requires(Permission.EDIT_PARTICIPANTS)
def renew(participant_id: int):
    participant = _visible(participant_id)
    form = RenewForm()
    if form.validate_on_submit():
        try:
            renew_consents(request_context(), participant.id, on=form.renewed_on.data)
        except DomainError as error:
            flash(domain_message(error), "error")
        else:
            flash(_("Consent renewed on the current privacy notice."), "success")
    else:
        flash(_("Give a valid date."), "error")
    # Back to the re-consent list when the flow started there (never a free URL).
    if request.form.get("from") == "reconsent":
        return redirect(url_for("privacy.reconsent"))
    return redirect(url_for("participants.show", participant_id=participant.id))


@bp.post("/<id:participant_id>/outcomes")
@requires(Permission.EDIT_PARTICIPANTS)
def outcome(participant_id: int):
    participant = _visible(participant_id)
    form = _outcome_form(participant.territory_code)
    if form.validate_on_submit() and form.category.data:
        try:
            record_outcome(
                request_context(),
                participant.id,
                form.outcome_moment.data,
                category=form.category.data,
                follow_up_month=int(form.follow_up_month.data)
                if form.follow_up_month.data
                else None,
                recorded_on=form.outcome_on.data,
                notes=form.outcome_notes.data,
            )
        except DomainError as error:
            flash(domain_message(error), "error")
        else:
            flash(_("Outcome recorded."), "success")
    else:
        flash(_("Check the outcome: moment, situation and a valid date."), "error")
    return redirect(url_for("participants.show", participant_id=participant.id, _anchor="outcomes"))


def _manual_transitions(participant: Participant) -> list[ParticipantStatus]:
    """The transitions a person makes by hand (the group ones happen in the group)."""
    leaving_group = participant.status == ParticipantStatus.ENROLLED
    return [
        s
        for s in sorted(TRANSITIONS[participant.status])
        if s not in GROUP_DRIVEN and not (leaving_group and s == ParticipantStatus.ADMITTED)
    ]


@bp.post("/<id:participant_id>/status")
@requires(Permission.EDIT_PARTICIPANTS)
def transition(participant_id: int):
    participant = _visible(participant_id)
    form = TransitionForm()
    form.to_status.choices = choices(ParticipantStatus)
    if not request.form.get("to_status"):
        flash(_("Choose the new status."), "error")
        return redirect(url_for("participants.show", participant_id=participant.id))
    if form.validate_on_submit():
        try:
            change_status(
                request_context(),
                participant.id,
                form.to_status.data,
                form.reason.data,
                form.occurred_on.data,
            )
        except DomainError as error:
            flash(domain_message(error), "error")
        else:
            flash(
                _(
                    "Status changed to: %(status)s.",
                    status=label(ParticipantStatus(form.to_status.data)),
                ),
                "success",
            )
    return redirect(url_for("participants.show", participant_id=participant.id))


@bp.post("/<id:participant_id>/referrals")
@requires(Permission.MANAGE_REFERRALS)
def refer(participant_id: int):
    participant = _visible(participant_id)
    form = ReferralForm()
    ctx = request_context()
    form.service_code.choices = options(
        (s.code, s.title) for s in ctx.plugins.service_catalogue(participant.territory_code)
    )
    if form.validate_on_submit() and is_replay():
        flash(ALREADY_SENT, "info")
        return redirect(url_for("participants.show", participant_id=participant.id))
    if form.validate_on_submit():
        try:
            propose_referral(
                ctx,
                participant.id,
                form.service_code.data,
                notes=form.notes.data,
                on=form.proposed_on.data,
            )
        except DomainError as error:
            flash(domain_message(error), "error")
        else:
            remember_submission()
            flash(_("Referral proposed."), "success")
    return redirect(url_for("participants.show", participant_id=participant.id))


@bp.post("/<id:participant_id>/referrals/<id:referral_id>")
@requires(Permission.MANAGE_REFERRALS)
def advance(participant_id: int, referral_id: int):
    referral = access.get_visible(get_session(), Referral, referral_id)
    if referral.participant_id != participant_id:
        abort(404)
    to_status = request.form.get("to_status", "")
    if to_status == ReferralStatus.DECLINED.value and not request.form.get("confirm"):
        flash(_("Tick the confirmation box: a declined referral cannot be resumed."), "error")
        return redirect(url_for("participants.show", participant_id=participant_id))
    try:
        advance_referral(
            request_context(),
            referral.id,
            to_status,
            on=optional_form_date("on"),
            reason=request.form.get("reason", ""),
        )
    except DomainError as error:
        flash(domain_message(error), "error")
    return redirect(url_for("participants.show", participant_id=participant_id))


@bp.post("/<id:participant_id>/referrals/<id:referral_id>/notes")
@requires(Permission.MANAGE_REFERRALS)
def referral_notes(participant_id: int, referral_id: int):
    """Correct a referral's notes."""
    referral = access.get_visible(get_session(), Referral, referral_id)
    if referral.participant_id != participant_id:
        abort(404)
    notes = request.form.get("notes", "")
    if len(notes) > NOTES_MAX:
        flash(_("The notes are too long (at most %(n)s characters).", n=NOTES_MAX), "error")
    else:
        edit_referral_notes(request_context(), referral.id, notes)
        flash(_("Notes saved."), "success")
    return redirect(url_for("participants.show", participant_id=participant_id))


def _wellbeing_form(instrument_code: str):
    scale = get_instrument(instrument_code)

    class WellbeingForm(FlaskForm):
        phase = SelectField(_l("When"), choices=choices(Phase))
        administered_on = DateField(_l("Date"), validators=[DataRequired()])

    answers = options((v, v) for v in range(scale.min_answer, scale.max_answer + 1))
    for item in scale.items:
        setattr(
            WellbeingForm,
            f"item_{item.number}",
            RadioField(
                f"{item.number}. {item.text}",
                choices=answers,
                validators=[DataRequired(message=_l("Answer this item"))],
            ),
        )
    return scale, WellbeingForm()


@bp.route("/<id:participant_id>/wellbeing/<instrument>", methods=["GET", "POST"])
@requires(Permission.RECORD_WELLBEING)
def wellbeing(participant_id: int, instrument: str):
    participant = _visible(participant_id)
    try:
        scale, form = _wellbeing_form(instrument)
    except DomainError:
        abort(404)
    if request.method == "GET":
        view_participant(request_context(), participant.id)
    if form.validate_on_submit() and is_replay():
        flash(ALREADY_SENT, "info")
        return redirect(url_for("participants.show", participant_id=participant.id))
    if form.validate_on_submit():
        answers = {
            item.number: int(getattr(form, f"item_{item.number}").data) for item in scale.items
        }
        try:
            done = record_administration(
                request_context(),
                participant.id,
                scale.code,
                form.phase.data,
                answers,
                administered_on=form.administered_on.data,
            )
        except DomainError as error:
            attach_error(form, error, form.phase)
            if error.code == "already_recorded":
                form.correct_id = error.details.get("administration_id")  # type: ignore[attr-defined]
        else:
            remember_submission()
            flash(
                _("%(name)s recorded: score %(score)s.", name=scale.name, score=done.score),
                "success",
            )
            return redirect(url_for("participants.show", participant_id=participant.id))
    return render_template(
        "participants/wellbeing.html",
        participant=participant,
        scale=scale,
        form=form,
        items=[getattr(form, f"item_{i.number}") for i in scale.items],
        administration=None,
    )


@bp.route("/<id:participant_id>/wellbeing/<id:administration_id>/correct", methods=["GET", "POST"])
@requires(Permission.RECORD_WELLBEING)
def correct_wellbeing(participant_id: int, administration_id: int):
    """Replace a mistyped questionnaire: the previous answers and the reason are kept."""
    participant = _visible(participant_id)
    ctx = request_context()
    administration = ctx.session.get(Administration, administration_id)
    if administration is None or administration.participant_id != participant.id:
        abort(404)
    scale, form = _wellbeing_form(administration.instrument)
    form.phase.data = administration.phase.value
    if request.method == "GET":
        view_participant(ctx, participant.id)
        form.administered_on.data = administration.administered_on
        for number, answer in (administration.answers or {}).items():
            getattr(form, f"item_{number}").data = str(answer)
    reason = request.form.get("reason", "").strip()
    if form.validate_on_submit():
        answers = {
            item.number: int(getattr(form, f"item_{item.number}").data) for item in scale.items
        }
        try:
            done = correct_administration(
                ctx,
                administration.id,
                answers,
                reason,
                administered_on=form.administered_on.data,
            )
        except DomainError as error:
            if error.code == "reason_required":
                form.reason_error = domain_message(error)  # type: ignore[attr-defined]
            else:
                attach_error(form, error, form.phase)
        else:
            flash(
                _("%(name)s corrected: score %(score)s.", name=scale.name, score=done.score),
                "success",
            )
            return redirect(url_for("participants.show", participant_id=participant.id))
    return render_template(
        "participants/wellbeing.html",
        participant=participant,
        scale=scale,
        form=form,
        items=[getattr(form, f"item_{i.number}") for i in scale.items],
        administration=administration,
        reason=reason,
    )


@bp.get("/<id:participant_id>/export.json")
@requires(Permission.MANAGE_PRIVACY)
def export(participant_id: int):
    participant = _visible(participant_id)
    data = export_person(request_context(), participant.id)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=partecipante-{participant.id}.json"},
    )


@bp.post("/<id:participant_id>/erase")
@requires(Permission.MANAGE_PRIVACY)
def erase(participant_id: int):
    participant = _visible(participant_id)
    form = ErasureForm()
    if form.validate_on_submit() and form.confirm.data.strip() == str(participant.id):
        try:
            erase_person(request_context(), participant.id, form.reason.data)
        except DomainError as error:
            flash(domain_message(error), "error")
        else:
            flash(_("Personal data erased; the counts for funders are kept."), "success")
            return redirect(url_for("participants.index"))
    else:
        flash(
            _("Erasure not confirmed: type the participant's number and the request reference."),
            "error",
        )
    return redirect(url_for("participants.show", participant_id=participant.id))


# --- Merging a duplicate record ----------------------------------------------------


class MergeForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the two records are the same person"), validators=[DataRequired(), Length(max=500)]
    )
    confirm = BooleanField(
        _l("I have checked: the two records are the same person, and the duplicate disappears"),
        validators=[DataRequired()],
    )


@bp.route("/<id:participant_id>/merge", methods=["GET", "POST"])
@requires(Permission.MERGE_PARTICIPANTS)
def merge(participant_id: int):
    """Merge a duplicate into this record: the duplicate's number, then a preview of
    both records and of what moves, then confirmation with a reason."""
    keep = _visible(participant_id)
    ctx = request_context()
    raw = request.values.get("duplicate", "").strip()
    preview, problem = None, ""
    form = MergeForm()
    if raw:
        if not raw.isdigit():
            problem = _("Type the number of the duplicate record (digits only).")
        else:
            duplicate_id = int(raw)
            try:
                access.get_visible(ctx.session, Participant, duplicate_id)
            except NotFoundHTTP:
                problem = _("There is no record n. %(id)s in this territory.", id=duplicate_id)
            else:
                try:
                    if form.validate_on_submit():
                        merge_records(ctx, keep.id, duplicate_id, form.reason.data)
                        flash(
                            _("Record n. %(id)s merged into this one.", id=duplicate_id),
                            "success",
                        )
                        return redirect(url_for("participants.show", participant_id=keep.id))
                    preview = preview_merge(ctx, keep.id, duplicate_id)
                except DomainError as error:
                    problem = domain_message(error)
    if preview is None:  # the page still names the record to keep (the preview audits both)
        record_read(ctx, "participant", [keep.id], territory_code=g.territory, merge=True)
    status = 400 if problem or form.errors else 200
    return render_template(
        "participants/merge.html",
        participant=keep,
        duplicate=raw,
        preview=preview,
        problem=problem,
        form=form,
        fills={name: field_label(name) for name in FILLABLE},
        tables=MERGE_TABLES,
    ), status


# --- Transfers between territories ------------------------------------------------


@bp.post("/<id:participant_id>/transfer")
@requires(Permission.TRANSFER_PARTICIPANTS)
def transfer(participant_id: int):
    """The origin's coordinator proposes moving the person to another territory."""
    participant = _visible(participant_id)
    form = _transfer_form(participant)
    if form.validate_on_submit():
        try:
            propose_transfer(
                request_context(),
                participant.id,
                form.to_territory.data,
                form.reason.data,
                transferred_on=form.transferred_on.data,
            )
        except DomainError as error:
            flash(domain_message(error), "error")
        else:
            flash(_("Transfer proposed: the destination's coordinator decides."), "success")
    else:
        flash(_("Choose the destination and give the reason for the transfer."), "error")
    return redirect(url_for("participants.show", participant_id=participant.id))


@bp.get("/transfers")
@requires(Permission.TRANSFER_PARTICIPANTS)
def transfers():
    """Transfers waiting for this territory's decision (incoming)."""
    ctx = request_context()
    return render_template(
        "participants/transfers.html",
        incoming=incoming_transfers(ctx, g.territory),
        territory_names={c: t.name for c, t in ctx.plugins.territories.items()},
    )


@bp.post("/transfers/<id:transfer_id>/<any(accept, refuse, cancel):decision>")
@requires(Permission.TRANSFER_PARTICIPANTS)
def decide_transfer(transfer_id: int, decision: str):
    """Accept or refuse an incoming transfer; cancel one this territory proposed."""
    ctx = request_context()
    note = request.form.get("note", "")
    decide = {"accept": accept_transfer, "refuse": refuse_transfer, "cancel": cancel_transfer}
    try:
        done = decide[decision](ctx, transfer_id, territory_code=g.territory, note=note)
    except DomainError as error:
        flash(domain_message(error), "error")
        done = None
    else:
        flash(
            {
                "accept": _("Transfer accepted: the person is now in this territory."),
                "refuse": _("Transfer refused."),
                "cancel": _("Transfer proposal withdrawn."),
            }[decision],
            "success",
        )
    if done is not None and decision == "accept":
        return redirect(url_for("participants.show", participant_id=done.participant_id))
    if done is not None and decision == "cancel":
        return redirect(url_for("participants.show", participant_id=done.participant_id))
    return redirect(url_for("participants.transfers"))


# --- Case diary ---------------------------------------------------------------------


class DiaryForm(FlaskForm):
    written_on = DateField(EVENT_DAY, validators=[Optional()])
    text = TextAreaField(
        _l("Note"),
        validators=[DataRequired(), Length(max=diary.MAX_TEXT)],
        description=_l("At most %(n)s characters.", n=diary.MAX_TEXT),
        render_kw={"rows": 5, "maxlength": diary.MAX_TEXT},
    )


@bp.route("/<id:participant_id>/diary", methods=["GET", "POST"])
@requires(Permission.EDIT_PARTICIPANTS)
def diary_page(participant_id: int):
    """The person's case diary: dated notes, latest first, each with its corrections."""
    participant = _visible(participant_id)
    ctx = request_context()
    form = DiaryForm()
    if form.validate_on_submit() and not participant.erased_at:
        try:
            diary.add_entry(ctx, participant.id, form.text.data, written_on=form.written_on.data)
        except DomainError as error:
            attach_error(form, error, form.text)
        else:
            flash(_("Note added to the diary."), "success")
            return redirect(url_for("participants.diary_page", participant_id=participant.id))
    entries = diary.read_diary(ctx, participant.id)
    status = 400 if form.errors else 200
    return render_template(
        "participants/diary.html", participant=participant, entries=entries, form=form
    ), status


@bp.route("/<id:participant_id>/diary/<id:entry_id>", methods=["GET", "POST"])
@requires(Permission.EDIT_PARTICIPANTS)
def diary_entry(participant_id: int, entry_id: int):
    """Correct one note (its earlier text and date stay in its history)."""
    participant = _visible(participant_id)
    ctx = request_context()
    entry = ctx.session.get(DiaryEntry, entry_id)
    if entry is None or entry.participant_id != participant.id or participant.erased_at:
        abort(404)
    form = DiaryForm(obj=entry)
    if form.validate_on_submit():
        try:
            diary.correct_entry(
                ctx, participant.id, entry.id, form.text.data, written_on=form.written_on.data
            )
        except DomainError as error:
            attach_error(form, error, form.text)
        else:
            flash(_("Note corrected: the previous version is kept."), "success")
            return redirect(url_for("participants.diary_page", participant_id=participant.id))
    record_read(
        ctx, "diary_entry", [participant.id], territory_code=g.territory, entity_id=entry.id
    )
    status = 400 if form.errors else 200
    return render_template(
        "participants/diary_entry.html", participant=participant, entry=entry, form=form
    ), status


@bp.get("/export.<any(csv, xlsx):fmt>")
@requires(Permission.VIEW_PARTICIPANTS)
def export_list(fmt: str):
    """The list as on the page (same filters, every page) as a file in Italian."""
    query, text, status, group_id = _listed()
    with force_locale("it"):  # files are Italian documents, whoever downloads them
        content = lists.export_participants(
            request_context(),
            query,
            fmt,
            territory=g.territory,
            status_label=lambda value: str(label(value)),
            filters={"q": text, "status": status, "group": group_id},
        )
    return Response(
        content,
        content_type=LIST_MIME[fmt],
        headers={"Content-Disposition": f"attachment; filename=partecipanti-{g.territory}.{fmt}"},
    )


LIST_MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# What a coordinator may do to several people at once (group steps go through the group).
BULK_STATUSES = [
    ParticipantStatus.ADMITTED,
    ParticipantStatus.WAITLISTED,
    ParticipantStatus.SCREENED,
    ParticipantStatus.NOT_ELIGIBLE,
    ParticipantStatus.WITHDRAWN,
]


@bp.post("/bulk-status")
@requires(Permission.EDIT_PARTICIPANTS)
def bulk_status():
    """Admit (or waitlist, ...) the people ticked in the list, all or nothing."""
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit()]
    choice = request.form.get("to_status", "")
    # only people this user may see: the others are refused as unknown
    visible = set(
        get_session().scalars(
            access.participants().where(Participant.id.in_(ids)).with_only_columns(Participant.id)
        )
    )
    refusals = {i: _("Not found.") for i in ids if i not in visible}
    try:
        if choice not in {st.value for st in BULK_STATUSES}:
            raise DomainError("invalid_value", "Choose a status", field="to_status")
        if refusals:
            raise DomainError("bulk_refused", "Unknown people", refusals={})
        changed = bulk.change_statuses(
            request_context(),
            ids,
            choice,
            request.form.get("reason", ""),
            optional_form_date("occurred_on"),
        )
    except DomainError as error:
        for pid, refusal in error.details.get("refusals", {}).items():
            refusals[int(pid)] = domain_message(DomainError(refusal["code"], refusal["message"]))
        message = (
            _(
                "Nothing changed: %(n)s people cannot take this step (see the list).",
                n=len(refusals),
            )
            if refusals
            else domain_message(error)
        )
        return _index(message, refusals, set(ids), choice), 400
    flash(
        _(
            "%(n)s people now: %(status)s.",
            n=changed,
            status=label(ParticipantStatus(choice)),
        ),
        "success",
    )
    return redirect(url_for("participants.index", **request.args))


# --- Import from a spreadsheet --------------------------------------------------------

MAX_IMPORT_BYTES = 1_000_000  # the checked file travels back once, encoded, with the confirmation


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.EDIT_PARTICIPANTS)
def import_file():
    """Upload a CSV/XLSX of candidates, see each row checked (nothing saved),
    then import the whole file at once, only when every row is right."""
    ctx = request_context()
    report, error, filename, encoded = None, "", "", ""
    if request.method == "POST":
        if request.form.get("step") == "import":
            filename = request.form.get("filename", "")
            encoded = request.form.get("content", "")
            try:
                content = base64.b64decode(encoded, validate=True)
            except (ValueError, binascii.Error):
                abort(400)
        else:
            upload = request.files.get("file")
            filename = upload.filename if upload and upload.filename else ""
            content = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
            encoded = base64.b64encode(content).decode()
        try:
            if not filename:
                raise DomainError("unreadable_file", "Choose a .csv or .xlsx file")
            if len(content) > MAX_IMPORT_BYTES:
                raise DomainError("file_too_large", "The file is larger than 1 MB")
            if request.form.get("step") == "import":
                done = importing.import_file(ctx, g.territory, filename, content)
                flash(_("%(n)s candidates imported.", n=len(done.rows)), "success")
                return redirect(url_for("participants.index", sort="newest"))
            report = importing.preview(ctx, g.territory, filename, content)
        except DomainError as refusal:
            if refusal.code == "import_refused":
                # the register changed since the preview: show the rows again
                report = importing.preview(ctx, g.territory, filename, content)
            else:
                error = IMPORT_ERRORS.get(refusal.code, domain_message(refusal))
    status = 400 if error or (report and not report.ok) else 200
    return render_template(
        "participants/import.html",
        report=report,
        error=error,
        filename=filename,
        content=encoded if report and report.ok else "",
        headings=importing.TEMPLATE_HEADINGS,
        max_rows=importing.MAX_ROWS,
    ), status


IMPORT_ERRORS = {
    "unreadable_file": _l("Choose a readable .csv or .xlsx file with the people in rows."),
    "file_too_large": _l("The file is larger than 1 MB: split it."),
    "too_many_rows": _l("Too many rows: at most 1000 people per file."),
    "missing_columns": _l("The first row must name the columns, at least Cognome and Nome."),
}
