"""Wire format of groups, meetings and attendance registers."""

from __future__ import annotations

from marshmallow import fields, validate

from amal.api.schemas import EVENT_DAY, StrictSchema
from amal.groups.models import FacilitatorRole, GroupComposition, GroupStatus, MemberExit
from amal.meetings.models import MeetingKind, MeetingStatus, Presence


class GroupSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(1, 200))
    status = fields.Enum(GroupStatus, by_value=True, dump_only=True)
    composition = fields.Enum(
        GroupComposition, by_value=True, load_default=GroupComposition.HETEROGENEOUS
    )
    company_of_origin = fields.Str(load_default="", validate=validate.Length(max=200))
    start_date = fields.Date(
        allow_none=True, load_default=None, metadata={"description": "First meeting, as planned"}
    )
    started_on = fields.Date(dump_only=True, allow_none=True)
    concluded_on = fields.Date(dump_only=True, allow_none=True)
    location = fields.Str(load_default="", validate=validate.Length(max=200))
    min_size = fields.Int(dump_only=True)
    max_size = fields.Int(dump_only=True)
    planned_meetings = fields.Int(
        validate=validate.Range(1, 40), load_default=None, data_key="meetings"
    )
    cadence_days = fields.Int(dump_only=True)
    project_id = fields.Int(
        allow_none=True,
        load_default=None,
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "The project it belongs to; default: the territory's current one"},
    )
    facilitator_ids = fields.List(fields.Int(), load_only=True, load_default=list)


class EnrolmentSchema(StrictSchema):
    participant_id = fields.Int(required=True)
    enrolled_on = fields.Date(load_default=None, metadata=EVENT_DAY)
    homogeneity_override = fields.Str(
        load_default="",
        metadata={
            "description": "homogeneous groups: reason to enrol a person whose last employer "
            "does not match the group's company (else 409 employer_mismatch)"
        },
    )


class GroupUpdateSchema(StrictSchema):
    """What a PATCH may change (all optional); old values go to the audit log."""

    name = fields.Str(validate=validate.Length(1, 200))
    location = fields.Str(validate=validate.Length(max=200))
    start_date = fields.Date(
        metadata={"description": "Only before the plan exists (then regenerate or shift it)"}
    )


class ShiftSchema(StrictSchema):
    from_meeting = fields.Int(
        required=True,
        validate=validate.Range(1, 100),
        metadata={"description": "The plan's meeting number from which every planned one moves"},
    )
    days = fields.Int(
        required=True,
        validate=validate.Range(-365, 365),
        metadata={"description": "How many days (negative: earlier); holidays are avoided"},
    )
    reason = fields.Str(required=True, validate=validate.Length(1, 500))


class GroupActionSchema(StrictSchema):
    override_reason = fields.Str(
        load_default="", metadata={"description": "start: reason to start below minimum"}
    )
    reason = fields.Str(
        load_default="",
        validate=validate.Length(max=500),
        metadata={
            "description": "conclude: why the meetings still to hold are cancelled "
            "(required with cancel_remaining); reopen: why (required)"
        },
    )
    cancel_remaining = fields.Bool(
        load_default=False,
        metadata={
            "description": "conclude: cancel the meetings still to hold (else 409 "
            "meetings_still_planned when there are some)"
        },
    )
    start_date = fields.Date(
        load_default=None, metadata={"description": "plan: a new first-meeting date"}
    )
    replace = fields.Bool(load_default=False, metadata={"description": "plan: replace the plan"})
    occurred_on = fields.Date(
        load_default=None, metadata={"description": "start, conclude: " + EVENT_DAY["description"]}
    )


class MeetingSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    group_id = fields.Int(dump_only=True, allow_none=True)
    kind = fields.Enum(MeetingKind, by_value=True, dump_only=True)
    sequence = fields.Int(dump_only=True, allow_none=True)
    scheduled_on = fields.Date(dump_only=True)
    starts_at = fields.Time(dump_only=True)
    duration_minutes = fields.Int(dump_only=True)
    location = fields.Str(dump_only=True)
    topic = fields.Str(dump_only=True)
    status = fields.Enum(MeetingStatus, by_value=True, dump_only=True)
    plan_note = fields.Str(dump_only=True)


class RegisterLineSchema(StrictSchema):
    participant_id = fields.Int(required=True)
    presence = fields.Enum(Presence, by_value=True, required=True)
    hours = fields.Float(
        allow_none=True,
        load_default=None,
        validate=validate.Range(0, 24),
        metadata={"description": "Default: the meeting's length if present"},
    )


class RegisterSchema(StrictSchema):
    lines = fields.List(
        fields.Nested(RegisterLineSchema), required=True, validate=validate.Length(min=1, max=100)
    )


class MemberExitSchema(StrictSchema):
    outcome = fields.Enum(
        MemberExit,
        by_value=True,
        load_default=MemberExit.DROPPED_OUT,
        metadata={
            "description": "dropped_out: back to admitted before the start, dropped out "
            "once active; moved: ends here and joins to_group_id the same day"
        },
    )
    to_group_id = fields.Int(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "moved: the group they join (capacity and company checked)"},
    )
    reason = fields.Str(required=True, validate=validate.Length(1, 500))
    ended_on = fields.Date(load_default=None, metadata=EVENT_DAY)
    homogeneity_override = fields.Str(
        load_default="",
        validate=validate.Length(max=500),
        metadata={"description": "moved into a homogeneous group: reason for another company"},
    )


class FacilitationSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    role = fields.Enum(FacilitatorRole, by_value=True, required=True)
    user_id = fields.Int(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "A staff member of the territory (then they see the group)"},
    )
    name = fields.Str(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "Without user_id: the person's name (e.g. from a partner)"},
    )
    person = fields.Str(dump_only=True)
    partner_id = fields.Int(
        load_default=None, allow_none=True, validate=validate.Range(1, 2**31 - 1)
    )
    from_on = fields.Date(
        load_default=None, metadata={"description": "First day (default today; may be ahead)"}
    )
    to_on = fields.Date(dump_only=True, allow_none=True)
    end_reason = fields.Str(dump_only=True)
    recorded_by = fields.Str(dump_only=True)


class EndFacilitationSchema(StrictSchema):
    to_on = fields.Date(load_default=None, metadata=EVENT_DAY)
    reason = fields.Str(load_default="", validate=validate.Length(max=500))


class WaitlistEntrySchema(StrictSchema):
    id = fields.Int(dump_only=True)
    participant_id = fields.Int(required=True)
    added_on = fields.Date(load_default=None, metadata=EVENT_DAY)
    offered_on = fields.Date(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The day a place became free for this person (null: waiting)"},
    )
