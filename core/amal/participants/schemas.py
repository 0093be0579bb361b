"""Wire format of participants and their records (the API's single definition)."""

from __future__ import annotations

from marshmallow import fields, validate

from amal.api.schemas import EVENT_DAY, ReasonSchema, StrictSchema
from amal.consent.models import ConsentPurpose
from amal.outcomes.models import ContractType, OutcomeCategory, OutcomeMoment, Situation
from amal.participants.models import EmploymentStatus, ParticipantStatus, TransferStatus
from amal.referrals.models import ReferralStatus
from amal.wellbeing.models import Phase


class ParticipantSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    territory = fields.Str(attribute="territory_code", dump_only=True)
    status = fields.Enum(ParticipantStatus, by_value=True, dump_only=True)
    first_name = fields.Str(required=True, validate=validate.Length(1, 100))
    last_name = fields.Str(required=True, validate=validate.Length(1, 100))
    fiscal_code = fields.Str(
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={
            "description": "Codice fiscale; blanks and case are normalised. null: the person "
            "has none (an empty string is refused, and so is a VAT number)."
        },
    )
    birth_date = fields.Date(allow_none=True)
    gender = fields.Str(validate=validate.OneOf(["", "F", "M", "X"]))
    email = fields.Str(
        validate=validate.Length(max=254),
        metadata={"description": "Checked; the domain is stored in lower case"},
    )
    phone = fields.Str(
        validate=validate.Length(max=40),
        metadata={"description": "Stored in E.164 (+39... when no prefix is given)"},
    )
    municipality = fields.Str(validate=validate.Length(max=100))
    last_employer = fields.Str(validate=validate.Length(max=200))
    sector = fields.Str(validate=validate.Length(max=100))
    months_out_of_work = fields.Int(allow_none=True, validate=validate.Range(0, 600))
    employment_status = fields.Enum(EmploymentStatus, by_value=True)
    heard_from = fields.Str(validate=validate.Length(max=200))
    needs = fields.Str(validate=validate.Length(max=5000))
    created_at = fields.DateTime(dump_only=True)
    version = fields.Int(dump_only=True)
    identity_override = fields.Str(
        load_only=True,
        validate=validate.Length(max=500),
        metadata={
            "description": "Coordinators only: the reason to keep a fiscal code that "
            "contradicts the birth date or sex (else 422 fiscal_code_mismatch); audited"
        },
    )


class ParticipantCreateSchema(ParticipantSchema):
    consents = fields.List(
        fields.Enum(ConsentPurpose, by_value=True),
        required=True,
        load_only=True,
        metadata={"description": "Must include processing"},
    )
    allow_same_name = fields.Bool(load_default=False, load_only=True)
    registered_on = fields.Date(
        load_default=None,
        load_only=True,
        metadata={"description": "Day of registration and consents. " + EVENT_DAY["description"]},
    )


class ParticipantUpdateSchema(ParticipantSchema):
    """The fields a PATCH may change (all optional)."""


class ParticipantQuerySchema(StrictSchema):
    q = fields.Str(load_default="", metadata={"description": "Name or fiscal code"})
    status = fields.Enum(ParticipantStatus, by_value=True, load_default=None)
    sort = fields.Str(load_default="name", validate=validate.OneOf(["name", "-created"]))


class TransitionSchema(ReasonSchema):
    to_status = fields.Enum(ParticipantStatus, by_value=True, required=True)
    occurred_on = fields.Date(load_default=None, metadata=EVENT_DAY)


class StatusChangeSchema(StrictSchema):
    from_status = fields.Enum(ParticipantStatus, by_value=True, allow_none=True)
    to_status = fields.Enum(ParticipantStatus, by_value=True)
    occurred_on = fields.Date(metadata={"description": "The day it happened"})
    changed_at = fields.DateTime(metadata={"description": "When it was recorded"})
    changed_by = fields.Str()
    reason = fields.Str()


class TransferSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    participant_id = fields.Int(dump_only=True)
    from_territory = fields.Str(dump_only=True)
    to_territory = fields.Str(required=True, validate=validate.Length(1, 40))
    status = fields.Enum(TransferStatus, by_value=True, dump_only=True)
    transferred_on = fields.Date(
        load_default=None,
        metadata={"description": "The day the person moves. " + EVENT_DAY["description"]},
    )
    reason = fields.Str(required=True, validate=validate.Length(1, 500))
    transferred_at = fields.DateTime(dump_only=True)
    transferred_by = fields.Str(dump_only=True)
    decided_at = fields.DateTime(dump_only=True, allow_none=True)
    decided_by = fields.Str(dump_only=True)
    decision_note = fields.Str(dump_only=True)


class IncomingTransferSchema(TransferSchema):
    """What the destination sees before accepting: enough to decide, no more."""

    first_name = fields.Str(attribute="participant.first_name", dump_only=True)
    last_name = fields.Str(attribute="participant.last_name", dump_only=True)
    birth_date = fields.Date(attribute="participant.birth_date", dump_only=True, allow_none=True)
    participant_status = fields.Enum(
        ParticipantStatus, by_value=True, attribute="participant.status", dump_only=True
    )


class TransferDecisionSchema(StrictSchema):
    note = fields.Str(
        load_default="",
        validate=validate.Length(max=500),
        metadata={"description": "Required to refuse"},
    )


class ConsentSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    purpose = fields.Enum(ConsentPurpose, by_value=True, dump_only=True)
    notice_version = fields.Str(attribute="notice.version", dump_only=True)
    granted_on = fields.Date(dump_only=True)
    granted_at = fields.DateTime(dump_only=True)
    withdrawn_on = fields.Date(dump_only=True, allow_none=True)
    withdrawn_at = fields.DateTime(dump_only=True, allow_none=True)
    withdrawal_reason = fields.Str(dump_only=True)
    superseded_on = fields.Date(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Replaced by a consent on a newer notice (re-consent)"},
    )
    in_force = fields.Bool(attribute="is_active", dump_only=True)


class ConsentRequestSchema(StrictSchema):
    purposes = fields.List(
        fields.Enum(ConsentPurpose, by_value=True), required=True, validate=validate.Length(min=1)
    )
    granted_on = fields.Date(load_default=None, metadata=EVENT_DAY)


class WithdrawalSchema(StrictSchema):
    reason = fields.Str(required=True, validate=validate.Length(1, 500))
    withdrawn_on = fields.Date(
        load_default=None,
        metadata={"description": EVENT_DAY["description"] + "; not before the consent"},
    )


class RenewalSchema(StrictSchema):
    renewed_on = fields.Date(
        load_default=None,
        metadata={"description": "Day the current notice was signed. " + EVENT_DAY["description"]},
    )


class AdministrationSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    instrument = fields.Str(required=True, validate=validate.OneOf(["who5", "rosenberg"]))
    phase = fields.Enum(Phase, by_value=True, required=True)
    administered_on = fields.Date(required=True)
    answers = fields.Dict(
        keys=fields.Str(validate=validate.Regexp(r"^\d{1,2}$")),
        values=fields.Int(strict=True),
        required=True,
        load_only=True,
    )
    raw_score = fields.Int(dump_only=True)
    score = fields.Int(dump_only=True)


class AdministrationCorrectionSchema(StrictSchema):
    """A correction replaces the answers (and the date, if given); the previous
    version is kept with the reason."""

    answers = fields.Dict(
        keys=fields.Str(validate=validate.Regexp(r"^\d{1,2}$")),
        values=fields.Int(strict=True),
        required=True,
    )
    administered_on = fields.Date(
        load_default=None, metadata={"description": "Default: the date already recorded"}
    )
    reason = fields.Str(required=True, validate=validate.Length(1, 500))


class ReferralSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    service_code = fields.Str(required=True, validate=validate.Length(1, 80))
    service_title = fields.Str(dump_only=True)
    service_url = fields.Str(dump_only=True)
    operator = fields.Str(dump_only=True)
    status = fields.Enum(ReferralStatus, by_value=True, dump_only=True)
    proposed_on = fields.Date(load_default=None, metadata=EVENT_DAY)
    sent_on = fields.Date(dump_only=True, allow_none=True)
    accepted_on = fields.Date(dump_only=True, allow_none=True)
    started_on = fields.Date(dump_only=True, allow_none=True)
    completed_on = fields.Date(dump_only=True, allow_none=True)
    declined_on = fields.Date(dump_only=True, allow_none=True)
    notes = fields.Str(load_default="", validate=validate.Length(max=2000))


class ReferralNotesSchema(StrictSchema):
    notes = fields.Str(required=True, validate=validate.Length(max=2000))


class ReferralTransitionSchema(StrictSchema):
    to_status = fields.Enum(ReferralStatus, by_value=True, required=True)
    on = fields.Date(
        load_default=None,
        metadata={"description": EVENT_DAY["description"] + "; not before the previous step"},
    )
    reason = fields.Str(
        load_default="",
        validate=validate.Length(max=500),
        metadata={"description": "declined: why (required; kept in the notes)"},
    )


class OutcomeSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    moment = fields.Enum(OutcomeMoment, by_value=True, required=True)
    follow_up_month = fields.Int(
        allow_none=True,
        load_default=None,
        metadata={"description": "For a follow-up: a month of the territory's schedule"},
    )
    category = fields.Enum(
        OutcomeCategory,
        by_value=True,
        allow_none=True,
        load_default=None,
        metadata={"description": "The employment services' category (or situation + contract)"},
    )
    situation = fields.Enum(Situation, by_value=True, allow_none=True, load_default=None)
    contract_type = fields.Enum(ContractType, by_value=True, allow_none=True, load_default=None)
    recorded_on = fields.Date(load_default=None, metadata=EVENT_DAY)
    notes = fields.Str(load_default="", validate=validate.Length(max=2000))
    recorded_by = fields.Str(dump_only=True)


class FollowUpDueSchema(StrictSchema):
    participant_id = fields.Int(attribute="participant.id", dump_only=True)
    name = fields.Str(attribute="participant.full_name", dump_only=True)
    month = fields.Int(dump_only=True)
    due_on = fields.Date(dump_only=True)
    week = fields.Date(dump_only=True, metadata={"description": "Monday of the week it is due"})


class FollowUpQuerySchema(StrictSchema):
    weeks = fields.Int(load_default=4, validate=validate.Range(0, 104))
