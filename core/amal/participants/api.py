"""Participants in the API: list, intake, read, update (with If-Match),
status transitions, consents, wellbeing administrations, referrals, outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import abort, g
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from amal import access
from amal.access import Permission, requires
from amal.api import api_blueprint
from amal.api.schemas import StrictSchema
from amal.audit.services import record_read
from amal.consent.models import Consent, ConsentPurpose
from amal.consent.services import (
    erase_person,
    export_person,
    record_consents,
    renew_consents,
    withdraw_consent,
)
from amal.meetings.alerts import absence_streaks, absence_threshold
from amal.outcomes.models import Outcome
from amal.outcomes.services import follow_ups_due, record_outcome
from amal.participants import diary
from amal.participants.merge import merge_records
from amal.participants.models import Participant
from amal.participants.schemas import (
    AdministrationCorrectionSchema,
    AdministrationSchema,
    ConsentRequestSchema,
    ConsentSchema,
    FollowUpDueSchema,
    FollowUpQuerySchema,
    IncomingTransferSchema,
    OutcomeSchema,
    ParticipantCreateSchema,
    ParticipantQuerySchema,
    ParticipantSchema,
    ParticipantUpdateSchema,
    ReferralNotesSchema,
    ReferralSchema,
    ReferralTransitionSchema,
    RenewalSchema,
    StatusChangeSchema,
    TransferDecisionSchema,
    TransferSchema,
    TransitionSchema,
    WithdrawalSchema,
)
from amal.participants.services import (
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
    propose_transfer,
    refuse_transfer,
    transfers_of,
)
from amal.referrals.models import Referral
from amal.referrals.services import advance_referral, edit_referral_notes, propose_referral
from amal.web.context import request_context
from amal.wellbeing.models import Administration
from amal.wellbeing.services import correct_administration, record_administration

bp = api_blueprint(
    "api_participants",
    __name__,
    "/participants",
    "Participants, their consents, questionnaires, referrals and outcomes",
)
SORTS = {
    "name": (Participant.last_name, Participant.first_name, Participant.id),
    "-created": (Participant.created_at.desc(), Participant.id.desc()),
}


def _visible(participant_id: int) -> Participant:
    return access.get_visible(request_context().session, Participant, participant_id)


def _audit_list(entity: str, rows: Sequence[Any], **details: Any) -> None:
    """One audit entry per API read, naming the participants in the answer."""
    record_read(
        request_context(),
        entity,
        [getattr(row, "participant_id", None) or row.id for row in rows],
        territory_code=g.territory,
        **details,
    )


def _read(participant: Participant, entity: str, rows: Any) -> list[Any]:
    """A participant's sub-records, the read audited against that person."""
    rows = list(rows)
    record_read(
        request_context(),
        entity,
        [participant.id],
        territory_code=participant.territory_code,
        count_rows=len(rows),
    )
    return rows


@bp.route("/")
class Participants(MethodView):
    @requires(Permission.VIEW_PARTICIPANTS)
    @bp.arguments(ParticipantQuerySchema, location="query")
    @bp.response(200, ParticipantSchema(many=True))
    @bp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters):
        """List the participants the token may see (search, filter, sort, pages).
        Audited: one entry per call naming the ids returned, with the query."""
        session = request_context().session
        statement = matching(
            access.participants().where(Participant.erased_at.is_(None)),
            text=query["q"],
            status=query["status"],
        )
        pagination_parameters.item_count = session.scalar(
            select(func.count()).select_from(statement.subquery())
        )
        rows = session.scalars(
            statement.order_by(*SORTS[query["sort"]])
            .limit(pagination_parameters.page_size)
            .offset(pagination_parameters.first_item)
        ).all()
        _audit_list(
            "participant_list",
            rows,
            query={
                "q": query["q"],
                "status": query["status"].value if query["status"] else None,
                "sort": query["sort"],
                "page": pagination_parameters.page,
            },
            total=pagination_parameters.item_count,
        )
        return rows

    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(ParticipantCreateSchema)
    @bp.response(201, ParticipantSchema)
    def post(self, data: dict[str, Any]):
        """Register a candidate with the consents they gave (processing required)."""
        consents = data.pop("consents")
        _may_override(data)
        return intake(
            request_context(),
            g.territory,
            consents,
            registered_on=data.pop("registered_on"),
            **data,
        )


@bp.route("/<id:participant_id>")
class ParticipantResource(MethodView):
    @requires(Permission.VIEW_PARTICIPANTS)
    @bp.etag
    @bp.response(200, ParticipantSchema)
    def get(self, participant_id: int):
        """One participant (the read is audited)."""
        _visible(participant_id)
        return view_participant(request_context(), participant_id)

    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.etag
    @bp.arguments(ParticipantUpdateSchema(partial=True))
    @bp.response(200, ParticipantSchema)
    def patch(self, data: dict[str, Any], participant_id: int):
        """Change some fields. Send the ETag of your copy in If-Match: a stale
        copy gets 412, so two clients cannot overwrite each other."""
        participant = _visible(participant_id)
        bp.check_etag(participant, ParticipantSchema)
        # The ETag matched this copy; the service refuses if it is stale by the
        # time the row is locked (a simultaneous PATCH won): 412 as well.
        _may_override(data)
        return update_participant(
            request_context(), participant.id, expected_version=participant.version, **data
        )


def _may_override(data: dict[str, Any]) -> None:
    """Only a coordinator's token may keep what a date-sense rule warns about."""
    if data.get("identity_override", "").strip() and not access.can(Permission.OVERRIDE_CHECKS):
        abort(403, "Only a coordinator may override the fiscal code check")


class ErasureSchema(StrictSchema):
    reason = fields.Str(
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "The request's reference (kept in the audit log)"},
    )


class PersonalDataSchema(Schema):
    """Everything held about the person (see amal.consent.personal_data):
    their record, their rows by kind, ``mentions`` of them in shared notes, and
    ``plugin_records``: their rows in plugins' tables, by table name."""

    participant = fields.Dict()
    status_history = fields.List(fields.Dict())
    transfers = fields.List(fields.Dict())
    corrections = fields.List(fields.Dict())
    consents = fields.List(fields.Dict())
    enrolments = fields.List(fields.Dict())
    attendance = fields.List(fields.Dict())
    wellbeing = fields.List(fields.Dict())
    referrals = fields.List(fields.Dict())
    outcomes = fields.List(fields.Dict())
    mentions = fields.List(fields.Dict())
    plugin_records = fields.Dict(keys=fields.Str(), values=fields.List(fields.Dict()))


@bp.route("/<id:participant_id>/export")
class Export(MethodView):
    @requires(Permission.MANAGE_PRIVACY)
    @bp.response(200, PersonalDataSchema)
    def get(self, participant_id: int):
        """Right of access (GDPR art. 15): the person's rows and the shared notes
        that mention them, as the web's export (audited)."""
        participant = _visible(participant_id)
        return export_person(request_context(), participant.id)


@bp.route("/<id:participant_id>/erasure")
class Erasure(MethodView):
    @requires(Permission.MANAGE_PRIVACY)
    @bp.arguments(ErasureSchema)
    @bp.response(200, ParticipantSchema)
    def post(self, data: dict[str, Any], participant_id: int):
        """Right to erasure (GDPR art. 17): identity, contacts and free text are
        removed, counts for funders kept (409 when already erased)."""
        participant = _visible(participant_id)
        return erase_person(request_context(), participant.id, data["reason"])


class MergeSchema(StrictSchema):
    duplicate_id = fields.Int(
        required=True, metadata={"description": "The duplicate record, merged into this one"}
    )
    reason = fields.Str(
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "Why the two records are the same person (audited)"},
    )


@bp.route("/<id:participant_id>/merge")
class Merge(MethodView):
    @requires(Permission.MERGE_PARTICIPANTS)
    @bp.arguments(MergeSchema)
    @bp.response(200, ParticipantSchema)
    def post(self, data: dict[str, Any], participant_id: int):
        """Merge the duplicate record ``duplicate_id`` into this one: its consents,
        questionnaires, referrals, diary and corrections move here, empty contacts
        are filled from it, and it is deleted (audited). 409 ``merge_refused`` when
        the duplicate has a path (group, attendance, outcome), is this record or is
        in another territory; 404 when the duplicate is not visible."""
        keep = _visible(participant_id)
        duplicate = _visible(data["duplicate_id"])
        ctx = request_context()
        merge_records(ctx, keep.id, duplicate.id, data["reason"])
        return ctx.session.get(Participant, keep.id)


@bp.route("/<id:participant_id>/transitions")
class Transitions(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(TransitionSchema)
    @bp.response(200, ParticipantSchema)
    def post(self, data: dict[str, Any], participant_id: int):
        """Move the participant along the lifecycle (409 when the move is illegal)."""
        participant = _visible(participant_id)
        return change_status(
            request_context(),
            participant.id,
            data["to_status"],
            data["reason"],
            data["occurred_on"],
        )


@bp.route("/<id:participant_id>/consents")
class Consents(MethodView):
    @requires(Permission.VIEW_PARTICIPANTS)
    @bp.response(200, ConsentSchema(many=True))
    def get(self, participant_id: int):
        """The consent history, every purpose (withdrawn and replaced ones included)."""
        participant = _visible(participant_id)
        return _read(
            participant,
            "consent",
            request_context().session.scalars(
                select(Consent)
                .where(Consent.participant_id == participant.id)
                .order_by(Consent.purpose, Consent.id)
            ),
        )

    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(ConsentRequestSchema)
    @bp.response(201, ConsentSchema(many=True))
    def post(self, data: dict[str, Any], participant_id: int):
        """Record consents against the territory's current privacy notice."""
        participant = _visible(participant_id)
        return record_consents(
            request_context(), participant.id, data["purposes"], granted_on=data["granted_on"]
        )


PURPOSES = ", ".join(p.value for p in ConsentPurpose)


@bp.route(f"/<id:participant_id>/consents/<any({PURPOSES}):purpose>/withdrawal")
class ConsentWithdrawal(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(WithdrawalSchema)
    @bp.response(200, ConsentSchema)
    def post(self, data: dict[str, Any], participant_id: int, purpose: str):
        """Withdraw a consent from a day (default today): questionnaires, referrals
        or sharing that depend on it are refused from that day."""
        participant = _visible(participant_id)
        return withdraw_consent(
            request_context(),
            participant.id,
            purpose,
            reason=data["reason"],
            withdrawn_on=data["withdrawn_on"],
        )


@bp.route("/<id:participant_id>/consents/renewal")
class ConsentRenewal(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(RenewalSchema)
    @bp.response(201, ConsentSchema(many=True))
    def post(self, data: dict[str, Any], participant_id: int):
        """Re-consent on the current privacy notice: the consents in force on an
        older notice are replaced (and kept in the history)."""
        participant = _visible(participant_id)
        return renew_consents(request_context(), participant.id, on=data["renewed_on"])


@bp.route("/<id:participant_id>/wellbeing")
class Wellbeing(MethodView):
    @requires(Permission.RECORD_WELLBEING)
    @bp.response(200, AdministrationSchema(many=True))
    def get(self, participant_id: int):
        participant = _visible(participant_id)
        return _read(
            participant,
            "wellbeing_administration",
            request_context().session.scalars(
                select(Administration)
                .where(Administration.participant_id == participant.id)
                .order_by(Administration.id)
            ),
        )

    @requires(Permission.RECORD_WELLBEING)
    @bp.arguments(AdministrationSchema)
    @bp.response(201, AdministrationSchema)
    def post(self, data: dict[str, Any], participant_id: int):
        """Score and store a WHO-5 or Rosenberg questionnaire (needs consent)."""
        participant = _visible(participant_id)
        answers = {int(k): v for k, v in data["answers"].items()}
        return record_administration(
            request_context(),
            participant.id,
            data["instrument"],
            data["phase"],
            answers,
            administered_on=data["administered_on"],
        )


@bp.route("/<id:participant_id>/wellbeing/<id:administration_id>")
class WellbeingCorrection(MethodView):
    @requires(Permission.RECORD_WELLBEING)
    @bp.arguments(AdministrationCorrectionSchema)
    @bp.response(200, AdministrationSchema)
    def put(self, data: dict[str, Any], participant_id: int, administration_id: int):
        """Correct a mistyped questionnaire: the previous version and the reason
        are kept (and exported with the person's data); the correction is audited."""
        participant = _visible(participant_id)
        session = request_context().session
        administration = session.get(Administration, administration_id)
        if administration is None or administration.participant_id != participant.id:
            abort(404)
        return correct_administration(
            request_context(),
            administration.id,
            {int(k): v for k, v in data["answers"].items()},
            data["reason"],
            administered_on=data["administered_on"],
        )


@bp.route("/<id:participant_id>/referrals")
class Referrals(MethodView):
    @requires(Permission.MANAGE_REFERRALS)
    @bp.response(200, ReferralSchema(many=True))
    def get(self, participant_id: int):
        participant = _visible(participant_id)
        return _read(
            participant,
            "referral",
            request_context().session.scalars(
                select(Referral)
                .where(Referral.participant_id == participant.id)
                .order_by(Referral.id)
            ),
        )

    @requires(Permission.MANAGE_REFERRALS)
    @bp.arguments(ReferralSchema)
    @bp.response(201, ReferralSchema)
    def post(self, data: dict[str, Any], participant_id: int):
        """Propose a service of the territory's catalogue (needs consent to sharing)."""
        participant = _visible(participant_id)
        return propose_referral(
            request_context(),
            participant.id,
            data["service_code"],
            notes=data["notes"],
            on=data["proposed_on"],
        )


@bp.route("/<id:participant_id>/referrals/<id:referral_id>")
class ReferralNotes(MethodView):
    @requires(Permission.MANAGE_REFERRALS)
    @bp.arguments(ReferralNotesSchema)
    @bp.response(200, ReferralSchema)
    def patch(self, data: dict[str, Any], participant_id: int, referral_id: int):
        """Correct a referral's notes (audited)."""
        referral = access.get_visible(request_context().session, Referral, referral_id)
        if referral.participant_id != participant_id:
            abort(404)
        return edit_referral_notes(request_context(), referral.id, data["notes"])


@bp.route("/<id:participant_id>/referrals/<id:referral_id>/transitions")
class ReferralTransitions(MethodView):
    @requires(Permission.MANAGE_REFERRALS)
    @bp.arguments(ReferralTransitionSchema)
    @bp.response(200, ReferralSchema)
    def post(self, data: dict[str, Any], participant_id: int, referral_id: int):
        referral = access.get_visible(request_context().session, Referral, referral_id)
        if referral.participant_id != participant_id:
            from flask import abort

            abort(404)
        return advance_referral(
            request_context(),
            referral.id,
            data["to_status"],
            on=data["on"],
            reason=data["reason"],
        )


@bp.route("/<id:participant_id>/outcomes")
class Outcomes(MethodView):
    @requires(Permission.VIEW_PARTICIPANTS)
    @bp.response(200, OutcomeSchema(many=True))
    def get(self, participant_id: int):
        """The end outcome and every follow-up, oldest first."""
        participant = _visible(participant_id)
        return _read(
            participant,
            "outcome",
            request_context().session.scalars(
                select(Outcome).where(Outcome.participant_id == participant.id).order_by(Outcome.id)
            ),
        )

    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(OutcomeSchema)
    @bp.response(201, OutcomeSchema)
    def post(self, data: dict[str, Any], participant_id: int):
        """Record the end outcome (once, after the person left a group: 409
        ``never_in_group`` / ``still_in_group`` otherwise) or a follow-up at a
        month of the territory's schedule (each kept: 409 ``outcome_exists`` for
        a month already recorded)."""
        participant = _visible(participant_id)
        return record_outcome(
            request_context(),
            participant.id,
            data["moment"],
            data["situation"],
            category=data["category"],
            contract_type=data["contract_type"],
            follow_up_month=data["follow_up_month"],
            recorded_on=data["recorded_on"],
            notes=data["notes"],
        )


@bp.route("/<id:participant_id>/history")
class History(MethodView):
    @requires(Permission.VIEW_PARTICIPANTS)
    @bp.response(200, StatusChangeSchema(many=True))
    def get(self, participant_id: int):
        """The person's path: each status change with the day it happened and
        when it was recorded (the read is audited)."""
        _visible(participant_id)
        return view_participant(request_context(), participant_id).history


@bp.route("/<id:participant_id>/transfers")
class Transfers(MethodView):
    @requires(Permission.TRANSFER_PARTICIPANTS)
    @bp.response(200, TransferSchema(many=True))
    def get(self, participant_id: int):
        """Transfers proposed for this person, with their decisions."""
        participant = _visible(participant_id)
        ctx = request_context()
        view_participant(ctx, participant.id)
        return transfers_of(ctx, participant.id)

    @requires(Permission.TRANSFER_PARTICIPANTS)
    @bp.arguments(TransferSchema)
    @bp.response(201, TransferSchema)
    def post(self, data: dict[str, Any], participant_id: int):
        """The origin proposes moving the person to another territory of this
        instance; the destination's coordinator accepts or refuses."""
        participant = _visible(participant_id)
        return propose_transfer(
            request_context(),
            participant.id,
            data["to_territory"],
            data["reason"],
            transferred_on=data["transferred_on"],
        )


@bp.route("/transfers/incoming")
class IncomingTransfers(MethodView):
    @requires(Permission.TRANSFER_PARTICIPANTS)
    @bp.response(200, IncomingTransferSchema(many=True))
    def get(self):
        """Transfers waiting for this territory's decision (each read is audited)."""
        from flask import g

        return incoming_transfers(request_context(), g.territory)


DECISIONS = {"accept": accept_transfer, "refuse": refuse_transfer, "cancel": cancel_transfer}


@bp.route("/transfers/<id:transfer_id>/<any(accept, refuse, cancel):decision>")
class TransferDecision(MethodView):
    @requires(Permission.TRANSFER_PARTICIPANTS)
    @bp.arguments(TransferDecisionSchema)
    @bp.response(200, TransferSchema)
    def post(self, data: dict[str, Any], transfer_id: int, decision: str):
        """accept or refuse (the destination; refusing needs a note), cancel (the
        origin, before a decision). A transfer of another territory is 404."""
        from flask import g

        return DECISIONS[decision](
            request_context(), transfer_id, territory_code=g.territory, note=data["note"]
        )


@bp.route("/follow-ups")
class FollowUps(MethodView):
    @requires(Permission.VIEW_PARTICIPANTS)
    @bp.arguments(FollowUpQuerySchema, location="query")
    @bp.response(200, FollowUpDueSchema(many=True))
    def get(self, query: dict[str, Any]):
        """Follow-ups not yet recorded that are due within ``weeks`` weeks
        (overdue ones included), by the territory's schedule."""
        due = follow_ups_due(
            request_context(),
            g.territory,
            access.participants(),
            today=date.today(),
            weeks_ahead=query["weeks"],
        )
        _audit_list("follow_up_list", [d.participant for d in due], weeks=query["weeks"])
        return due


class DiaryRevisionSchema(Schema):
    revised_at = fields.DateTime(dump_only=True)
    revised_by = fields.String(dump_only=True)
    old_written_on = fields.Date(dump_only=True)
    old_text = fields.String(dump_only=True)


class DiaryEntrySchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    written_on = fields.Date(
        load_default=None, metadata={"description": "The day of what it records (default today)"}
    )
    text = fields.String(required=True, validate=validate.Length(min=1, max=diary.MAX_TEXT))
    created_at = fields.DateTime(dump_only=True)
    created_by = fields.String(dump_only=True)
    updated_at = fields.DateTime(dump_only=True, allow_none=True)
    updated_by = fields.String(dump_only=True)
    revisions = fields.List(fields.Nested(DiaryRevisionSchema), dump_only=True)


@bp.route("/<id:participant_id>/diary")
class Diary(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.response(200, DiaryEntrySchema(many=True))
    def get(self, participant_id: int):
        """The case diary, latest first, each entry with its earlier versions."""
        return diary.read_diary(request_context(), _visible(participant_id).id)

    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(DiaryEntrySchema)
    @bp.response(201, DiaryEntrySchema)
    def post(self, data: dict[str, Any], participant_id: int):
        """Add a dated note (not in the future, not before the person's first step)."""
        return diary.add_entry(
            request_context(),
            _visible(participant_id).id,
            data["text"],
            written_on=data["written_on"],
        )


@bp.route("/<id:participant_id>/diary/<id:entry_id>")
class DiaryEntryResource(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(DiaryEntrySchema)
    @bp.response(200, DiaryEntrySchema)
    def put(self, data: dict[str, Any], participant_id: int, entry_id: int):
        """Correct a note: the previous text and date are kept in its revisions."""
        return diary.correct_entry(
            request_context(),
            _visible(participant_id).id,
            entry_id,
            data["text"],
            written_on=data["written_on"],
        )


class AbsenceSchema(Schema):
    participant_id = fields.Integer(attribute="participant.id")
    name = fields.String(attribute="participant.full_name")
    group_id = fields.Integer(attribute="group.id")
    group = fields.String(attribute="group.name")
    missed = fields.Integer(metadata={"description": "Group meetings missed in a row"})
    justified = fields.Integer(metadata={"description": "Of which justified"})
    since = fields.Date(metadata={"description": "The first meeting of the streak"})
    last_present = fields.Date(allow_none=True)


@bp.route("/absences")
class Absences(MethodView):
    @requires(Permission.VIEW_PARTICIPANTS)
    @bp.response(200, AbsenceSchema(many=True))
    def get(self):
        """Members of running groups absent at their group's last N held meetings
        in a row (N: the territory's ``absence_alert`` policy), longest streaks first."""
        ctx = request_context()
        streaks = absence_streaks(
            ctx,
            g.territory,
            access.participants(),
            threshold=absence_threshold(ctx, g.territory),
        )
        record_read(
            ctx, "absence_alert", [s.participant.id for s in streaks], territory_code=g.territory
        )
        return streaks
